package bench

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// series builds samples whose values come from f(i) for i in [0, n).
func series(n int, f func(i int) SoakSample) []SoakSample {
	out := make([]SoakSample, n)
	for i := range out {
		out[i] = f(i)
		out[i].At = time.Duration(i+1) * 10 * time.Second
	}
	return out
}

func verdictOf(t *testing.T, vs []Verdict, name string) Verdict {
	t.Helper()
	for _, v := range vs {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no verdict for %s", name)
	return Verdict{}
}

func TestVerdicts(t *testing.T) {
	const mb = 1 << 20
	steady := func(i int) SoakSample {
		return SoakSample{PerSec: 1000, P99: 10 * time.Millisecond, CPUPerCeremony: 900 * time.Microsecond,
			RSSBytes: 40 * mb, WALBytes: int64(i%5) * 4 * mb, DBBytes: int64(i) * mb}
	}
	tests := []struct {
		name        string
		sample      func(i int) SoakSample
		series      string
		wantBounded bool
		wantText    string
		limits      map[string]float64
	}{
		{"flat memory", steady, "rss", true, "bounded", nil},
		{"saw-tooth log", steady, "wal", true, "bounded", nil},
		{"growing database is shown, not judged", steady, "database", true, "not judged", nil},
		{"growing memory", func(i int) SoakSample { s := steady(i); s.RSSBytes = int64(30+i) * mb; return s }, "rss", false, "GROWS", nil},
		{"growing log", func(i int) SoakSample { s := steady(i); s.WALBytes = int64(i) * 30 * mb; return s }, "wal", false, "GROWS", nil},
		{"growing CPU per ceremony", func(i int) SoakSample {
			s := steady(i)
			s.CPUPerCeremony = time.Duration(900+100*i) * time.Microsecond
			return s
		}, "server CPU per ceremony", false, "GROWS", nil},
		{"latency that keeps growing", func(i int) SoakSample {
			s := steady(i)
			s.P99 = time.Duration(10+i*i) * time.Millisecond
			return s
		}, "p99", false, "GROWS", nil},
		{"latency after the machine got busy", func(i int) SoakSample {
			s := steady(i)
			if i >= 20 {
				s.PerSec, s.P99 = 300, 80*time.Millisecond
			}
			return s
		}, "p99", true, "not judged: throughput changed", nil},
		{"log within its bound", steady, "wal", true, "bounded", map[string]float64{"wal": 64}},
		{"log that sometimes passes its bound", func(i int) SoakSample {
			s := steady(i)
			if i%10 == 9 {
				s.WALBytes = 900 * mb
			}
			return s
		}, "wal", false, "OVER ITS BOUND", map[string]float64{"wal": 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verdictOf(t, Verdicts(series(30, tt.sample), tt.limits), tt.series)
			if v.Bounded != tt.wantBounded || !strings.Contains(v.Text, tt.wantText) {
				t.Errorf("verdict %v %q, want bounded=%v and %q", v.Bounded, v.Text, tt.wantBounded, tt.wantText)
			}
		})
	}
}

func TestSoakOutputs(t *testing.T) {
	samples := series(6, func(i int) SoakSample {
		return SoakSample{Ceremonies: 100, PerSec: 10, P99: time.Millisecond, RSSBytes: 1 << 20, WALBytes: int64(i) << 20}
	})
	var csvOut bytes.Buffer
	if err := WriteSoakCSV(&csvOut, samples); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(csvOut.Bytes())).ReadAll()
	if err != nil || len(rows) != 7 || rows[0][0] != "seconds" || rows[6][0] != "60.000" {
		t.Fatalf("CSV rows %v, %v", rows, err)
	}
	again, err := ReadSoakCSV(bytes.NewReader(csvOut.Bytes()))
	if err != nil || len(again) != len(samples) || again[5].WALBytes != samples[5].WALBytes || again[5].At != samples[5].At || again[2].P99 != samples[2].P99 {
		t.Fatalf("read back %+v, %v", again, err)
	}
	var svg bytes.Buffer
	if err := WriteSoakSVG(&svg, "a <soak>", samples, Verdicts(samples, nil)); err != nil {
		t.Fatal(err)
	}
	out := svg.String()
	for _, want := range []string{"<svg", "a &lt;soak&gt;", "wal (MiB)", "<polyline", "</svg>"} {
		if !strings.Contains(out, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// A series never measured (no connections on SQLite) gets no panel.
	if strings.Contains(out, "connections") {
		t.Error("SVG has a panel for a series without data")
	}
}
