// Package ratelimit holds in-memory limiters keyed by strings (for example
// app id + client IP): Limiter, a fixed window for request rates, and
// Sliding, a sliding window for failures such as wrong keys. They are per
// process: with N instances behind a load balancer a client gets up to N
// times the limit. That is the price of keeping a database write off every
// public request; limits that must hold across instances (magic-link
// e-mail) use the store.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows Limit hits per Window per key. The zero Limit disables
// it. It is safe for concurrent use.
type Limiter struct {
	Limit  int
	Window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	start   time.Time // start of the current window
	counts  map[string]int
	maxKeys int
}

// New returns a limiter; now may be nil (time.Now).
func New(limit int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{Limit: limit, Window: window, now: now, counts: map[string]int{}, maxKeys: 1 << 20}
}

// Allow records a hit for key and reports whether it is within the limit;
// if not, retryAfter is the time until the window ends.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l == nil || l.Limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.roll()
	n := l.counts[key]
	if n >= l.Limit {
		return false, l.start.Add(l.Window).Sub(now)
	}
	if n == 0 && len(l.counts) >= l.maxKeys {
		// A flood of distinct keys: let the new key through untracked
		// rather than grow without bound, lock every new client out, or
		// forget the keys already counted (which would hand every limited
		// client a fresh allowance).
		return true, 0
	}
	l.counts[key] = n + 1
	return true, 0
}

// roll starts a new window when the current one has ended and returns the
// time; l.mu is held.
func (l *Limiter) roll() time.Time {
	now := l.now()
	if now.Sub(l.start) >= l.Window || now.Before(l.start) {
		// Forgetting every key at once keeps memory bounded without a
		// janitor.
		l.start = now.Truncate(l.Window)
		clear(l.counts)
	}
	return now
}
