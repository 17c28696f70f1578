package pgtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestConnectWhenOff runs TestConnectProbe in a child process with
// PASSWORDLESS_TEST_POSTGRES=off: skipped normally, failed under CI=true.
func TestConnectWhenOff(t *testing.T) {
	tests := []struct {
		ci       string
		wantFail bool
		wantOut  string
	}{
		{"", false, "--- SKIP: TestConnectProbe"},
		{"false", false, "--- SKIP: TestConnectProbe"},
		{"true", true, "not allowed under CI=true"},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestConnectProbe$", "-test.v")
			cmd.Env = append(os.Environ(), "PGTEST_PROBE=1", EnvURL+"=off", "CI="+tt.ci)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("child failed = %v, want %v:\n%s", failed, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.wantOut) {
				t.Errorf("child output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
}

// TestConnectProbe only connects; TestConnectWhenOff runs it.
func TestConnectProbe(t *testing.T) {
	if os.Getenv("PGTEST_PROBE") != "1" {
		t.Skip("run by TestConnectWhenOff")
	}
	Connect(t)
}
