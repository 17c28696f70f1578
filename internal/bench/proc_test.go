package bench

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name, line string
		want       time.Duration
		wantErr    bool
	}{
		{"plain", "42 (postgres) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 1 0 100 0 0", 2800 * time.Millisecond, false},
		{"spaces and parens in the name", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 5 5 0 0", 100 * time.Millisecond, false},
		{"no closing paren", "7 (abc R 1 2 3", 0, true},
		{"too few fields", "7 (abc) R 1 2 3", 0, true},
		{"not a number", "7 (abc) R 1 7 7 0 -1 0 0 0 0 0 x 5 0 0", 0, true},
	}
	for _, tt := range tests {
		got, err := parseStatCPU([]byte(tt.line))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCPUSpent(t *testing.T) {
	s := time.Second
	tests := []struct {
		name          string
		before, after map[int]time.Duration
		want          time.Duration
	}{
		{"same processes", map[int]time.Duration{1: 2 * s, 2: 3 * s}, map[int]time.Duration{1: 5 * s, 2: 4 * s}, 4 * s},
		{"a process started in between counts in full", map[int]time.Duration{1: s}, map[int]time.Duration{1: 2 * s, 9: 3 * s}, 4 * s},
		{"a process that exited is not subtracted", map[int]time.Duration{1: s, 2: 50 * s}, map[int]time.Duration{1: 2 * s}, s},
		{"a reused pid with less CPU counts in full", map[int]time.Duration{1: 10 * s}, map[int]time.Duration{1: 2 * s}, 2 * s},
		{"nothing", nil, nil, 0},
	}
	for _, tt := range tests {
		if got := CPUSpent(tt.before, tt.after); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestProcCPUOfThisProcess(t *testing.T) {
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	if d, err := ProcCPU(os.Getpid()); err != nil || d <= 0 {
		t.Fatalf("ProcCPU(self) = %v, %v; want some CPU time", d, err)
	}
}
