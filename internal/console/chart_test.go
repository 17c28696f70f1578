package console

import (
	"strings"
	"testing"
	"time"
)

func TestLineChart(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	data := []series{
		{Name: "Users", Class: "s1", Points: []point{{day(1), 3}, {day(2), 5}, {day(3), 11}}},
		{Name: "<Credentials>", Class: "s2", Points: []point{{day(1), 4}, {day(3), 12}}},
	}
	svg := string(lineChart("c", "A & B", day(1), day(3), data))
	for _, want := range []string{`<svg id="c"`, `aria-label="A &amp; B"`, `&lt;Credentials&gt;`, `>20</text>`, `>Mar 3</text>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q in %s", want, svg)
		}
	}
	if n := strings.Count(svg, "<polyline"); n != 2 {
		t.Errorf("%d polylines", n)
	}
	if n := strings.Count(svg, "<circle"); n != 5 {
		t.Errorf("%d points", n)
	}
	// The first point is at the left edge, the last at the right.
	if !strings.Contains(svg, `points="48.0,`) || !strings.Contains(svg, `624.0,`) {
		t.Errorf("x scale: %s", svg)
	}
	empty := string(lineChart("e", "Empty", day(1), day(30), []series{{Name: "Users", Class: "s1"}}))
	if !strings.Contains(empty, "No report rows") || strings.Contains(empty, "<polyline") {
		t.Errorf("empty chart: %s", empty)
	}
	for v, want := range map[int]int{0: 2, 1: 2, 3: 4, 7: 8, 9: 10, 11: 20, 150: 200, 999: 1000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%d) = %d, want %d", v, got, want)
		}
	}
}
