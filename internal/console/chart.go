package console

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

type point struct {
	Day   time.Time
	Value int
}

type series struct {
	Name   string
	Class  string // s1, s2, s3: colours in console.css
	Points []point
}

const (
	chartW, chartH                     = 640, 240
	padLeft, padRight, padTop, padBott = 48, 16, 36, 30
)

// lineChart renders daily series between from and to (inclusive) as an
// inline SVG line chart; the colours come from the stylesheet.
func lineChart(id, title string, from, to time.Time, data []series) template.HTML {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg id="%s" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), chartW, chartH, chartW, chartH, esc(title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	maxV := 1
	points := 0
	for _, s := range data {
		for _, p := range s.Points {
			maxV = max(maxV, p.Value)
			points++
		}
	}
	maxV = niceCeil(maxV)
	days := int(to.Sub(from).Hours()/24) + 1
	plotW, plotH := float64(chartW-padLeft-padRight), float64(chartH-padTop-padBott)
	x := func(d time.Time) float64 {
		if days <= 1 {
			return float64(padLeft) + plotW/2
		}
		i := d.Sub(from).Hours() / 24
		return float64(padLeft) + plotW*i/float64(days-1)
	}
	y := func(v int) float64 { return float64(padTop) + plotH - plotH*float64(v)/float64(maxV) }

	// Grid and axis labels.
	for _, v := range []int{0, maxV / 2, maxV} {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, padLeft, y(v), chartW-padRight, y(v))
		fmt.Fprintf(&b, `<text class="axis" x="%d" y="%.1f" text-anchor="end">%d</text>`, padLeft-6, y(v)+4, v)
	}
	for i, d := range []time.Time{from, from.AddDate(0, 0, (days-1)/2), to} {
		anchor := [...]string{"start", "middle", "end"}[i]
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(d), chartH-8, anchor, d.Format("Jan 2"))
	}
	// Legend.
	lx := padLeft
	for _, s := range data {
		fmt.Fprintf(&b, `<rect class="key %s" x="%d" y="10" width="12" height="12"/>`, s.Class, lx)
		fmt.Fprintf(&b, `<text class="legend" x="%d" y="20">%s</text>`, lx+16, esc(s.Name))
		lx += 26 + 8*len(s.Name)
	}
	if points == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d" text-anchor="middle">No report rows in this period yet.</text>`,
			chartW/2, padTop+int(plotH/2))
	}
	for _, s := range data {
		if len(s.Points) == 0 {
			continue
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Day), y(p.Value)))
		}
		fmt.Fprintf(&b, `<polyline class="line %s" points="%s"/>`, s.Class, strings.Join(pts, " "))
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle class="dot %s" cx="%.1f" cy="%.1f" r="3"><title>%s %s: %d</title></circle>`,
				s.Class, x(p.Day), y(p.Value), esc(s.Name), p.Day.Format("2006-01-02"), p.Value)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds up to 2, 4, 6, 8 or 10 times a power of ten, so the
// half-way grid line is a whole number.
func niceCeil(v int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{2, 4, 6, 8, 10} {
			if m*p >= v {
				return m * p
			}
		}
	}
}
