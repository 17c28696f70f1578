package bench

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// WriteSoakSVG draws each series of a soak as a line chart of its own,
// stacked, with the verdict in its title: a picture for the docs that
// needs nothing but a browser to view.
func WriteSoakSVG(w io.Writer, title string, samples []SoakSample, verdicts []Verdict) error {
	const (
		width       = 720
		panelHeight = 120
		left, right = 60, 20
		top         = 40
		gap         = 50
	)
	var panels []Verdict
	for _, v := range verdicts {
		if hasData(samples, v.Series) {
			panels = append(panels, v)
		}
	}
	height := top + len(panels)*(panelHeight+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	end := 1.0
	if len(samples) > 0 {
		end = max(samples[len(samples)-1].At.Minutes(), 1e-9)
	}
	plotW := float64(width - left - right)
	for i, v := range panels {
		y0 := float64(top + i*(panelHeight+gap) + 20)
		hi := maxOf(samples, v.Value)
		if hi <= 0 {
			hi = 1
		}
		hi *= 1.1
		colour := "#1f6feb"
		if !v.Bounded {
			colour = "#d1242f"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-weight="bold">%s (%s)</text>`, left, y0-6, html.EscapeString(v.Name), html.EscapeString(v.Unit))
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end" fill="%s">%s</text>`+"\n", width-right, y0-6, colour, html.EscapeString(v.Text))
		fmt.Fprintf(&b, `<rect x="%d" y="%.0f" width="%.0f" height="%d" fill="none" stroke="#ccc"/>`+"\n", left, y0, plotW, panelHeight)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%s</text>`, left-6, y0+10, formatAxis(hi))
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">0</text>`, left-6, y0+panelHeight)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f">0</text>`, left, y0+panelHeight+14)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%.0f min</text>`+"\n", width-right, y0+panelHeight+14, end)
		var pts []string
		for _, s := range samples {
			x := float64(left) + s.At.Minutes()/end*plotW
			y := y0 + panelHeight - v.Value(s)/hi*panelHeight
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", colour, strings.Join(pts, " "))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// hasData reports whether a series was measured at all (PostgreSQL has
// no log file, SQLite no connections).
func hasData(samples []SoakSample, s Series) bool {
	return maxOf(samples, s.Value) > 0
}

func formatAxis(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
