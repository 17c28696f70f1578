package ratelimit

import (
	"sync"
	"time"
)

// Sliding limits failures per key over a sliding window: a key with Limit
// failures in the last Window is refused until the oldest of them is
// Window old. Unlike Limiter's windows, which follow the clock, it has no
// moment at which a key's allowance starts over, so no burst around such a
// moment gets twice the limit. It keeps the times of the last Limit
// failures of each key, so it suits small limits. The zero Limit disables
// it. It is safe for concurrent use.
type Sliding struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu sync.Mutex
	// failures holds, per key, the times of its failures within the
	// window, oldest first; at most limit of them.
	failures  map[string][]time.Time
	maxKeys   int
	lastSweep time.Time
}

// NewSliding returns a sliding-window limiter; now may be nil (time.Now).
func NewSliding(limit int, window time.Duration, now func() time.Time) *Sliding {
	if now == nil {
		now = time.Now
	}
	return &Sliding{limit: limit, window: window, now: now, failures: map[string][]time.Time{}, maxKeys: 1 << 16}
}

// Attempt decides an attempt of key and counts it, in one step under one
// lock: it refuses the attempt (ok false, with the time until the oldest
// failure leaves the window) when key already has Limit failures in the
// window, and otherwise admits it and, if failed, records the failure.
// Because the decision and the count are one step, concurrent attempts
// cannot all pass the check before any of them is counted: at most Limit
// failed attempts of a key are ever admitted per window. Callers decide
// failed before calling, and answer a refused attempt the same way
// whatever failed was, so that it tells the client nothing.
func (l *Sliding) Attempt(key string, failed bool) (ok bool, retryAfter time.Duration) {
	if l == nil || l.limit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	times := l.recent(key, now)
	if len(times) >= l.limit {
		return false, times[0].Add(l.window).Sub(now)
	}
	if !failed {
		return true, 0
	}
	if len(times) == 0 && len(l.failures) >= l.maxKeys && !l.sweep(now) {
		// A flood of distinct keys: let the new key through uncounted
		// rather than grow without bound, lock every new client out, or
		// forget the keys already counted.
		return true, 0
	}
	l.failures[key] = append(times, now)
	return true, 0
}

// recent returns key's failures still within the window at now, dropping
// the older ones; l.mu is held.
func (l *Sliding) recent(key string, now time.Time) []time.Time {
	times := l.failures[key]
	i := 0
	for i < len(times) && !now.Before(times[i].Add(l.window)) {
		i++
	}
	if i == len(times) {
		if len(times) > 0 {
			delete(l.failures, key)
		}
		return nil
	}
	if i > 0 {
		times = append(times[:0], times[i:]...)
		l.failures[key] = times
	}
	return times
}

// sweep forgets the keys whose failures have all left the window, at most
// once per window (so that a full map of live keys does not cost a scan
// per attempt), and reports whether there is room for a new key; l.mu is
// held.
func (l *Sliding) sweep(now time.Time) bool {
	if now.Sub(l.lastSweep) >= l.window {
		l.lastSweep = now
		for k, times := range l.failures {
			if !now.Before(times[len(times)-1].Add(l.window)) {
				delete(l.failures, k)
			}
		}
	}
	return len(l.failures) < l.maxKeys
}
