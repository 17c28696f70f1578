package ratelimit

import (
	"testing"
	"time"
)

// TestDisabledLimiterNeverLimits checks that a zero or negative limit, and
// a nil limiter, turn limiting off: a setting of 0 must never lock anyone
// out.
func TestDisabledLimiterNeverLimits(t *testing.T) {
	for _, l := range []*Limiter{New(0, time.Minute, nil), New(-1, time.Minute, nil), nil} {
		for range 3 {
			if ok, _ := l.Allow("k"); !ok {
				t.Fatalf("limit %v: Allow refused", l)
			}
		}
	}
}
