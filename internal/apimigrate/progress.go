package apimigrate

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress shows users and credentials done, the rate and the time left:
// on a terminal as one line redrawn in place, else as a plain line every
// interval, so that logs of unattended runs stay readable.
type progress struct {
	w        io.Writer
	terminal bool
	interval time.Duration
	now      func() time.Time

	mu        sync.Mutex
	total     int
	users     int
	creds     int
	retries   int
	began     time.Time
	lastDraw  time.Time
	lastNote  time.Time
	drawnLine bool
}

func newProgress(w io.Writer, terminal bool, interval time.Duration, now func() time.Time) *progress {
	if terminal {
		interval = 200 * time.Millisecond
	}
	return &progress{w: w, terminal: terminal, interval: interval, now: now}
}

func (p *progress) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.began, p.lastDraw = total, p.now(), p.now()
	p.draw()
}

func (p *progress) add(users, creds int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users += users
	p.creds += creds
	if now := p.now(); now.Sub(p.lastDraw) >= p.interval {
		p.lastDraw = now
		p.draw()
	}
}

// retry notes a request that is tried again, at most one note a second
// (a rate-limited source makes many at once).
func (p *progress) retry(request string, wait time.Duration, cause string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.retries++
	now := p.now()
	if now.Sub(p.lastNote) < time.Second {
		return
	}
	p.lastNote = now
	p.clear()
	fmt.Fprintf(p.w, "retrying %s in %s: %s\n", request, wait.Round(100*time.Millisecond), cause)
	if p.terminal && !p.began.IsZero() {
		p.draw()
	}
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw()
	if p.terminal {
		fmt.Fprintln(p.w)
		p.drawnLine = false
	}
}

func (p *progress) clear() {
	if p.terminal && p.drawnLine {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawnLine = false
	}
}

func (p *progress) draw() {
	elapsed := p.now().Sub(p.began)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.users) / elapsed.Seconds()
	}
	eta := "–"
	if rate > 0 && p.total >= p.users {
		eta = time.Duration(float64(p.total-p.users) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := 100
	if p.total > 0 {
		pct = p.users * 100 / p.total
	}
	stats := fmt.Sprintf("users %d/%d %3d%%  credentials %d  %.1f users/s  ETA %s", p.users, p.total, pct, p.creds, rate, eta)
	if p.retries > 0 {
		stats += fmt.Sprintf("  retries %d", p.retries)
	}
	if !p.terminal {
		fmt.Fprintln(p.w, "progress:", stats)
		return
	}
	const width = 24
	filled := width * pct / 100
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %s", strings.Repeat("#", filled), strings.Repeat("-", width-filled), stats)
	p.drawnLine = true
}
