package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSlidingWindow(t *testing.T) {
	// One second before a minute boundary: a clock-aligned window would
	// start over a second later.
	now := time.Date(2026, 1, 1, 12, 0, 59, 0, time.UTC)
	l := NewSliding(3, time.Minute, func() time.Time { return now })
	type step struct {
		advance time.Duration
		failed  bool
		wantOK  bool
		retry   time.Duration
	}
	steps := []step{
		{0, true, true, 0},
		{0, false, true, 0}, // successes are not counted
		{10 * time.Second, true, true, 0},
		{10 * time.Second, true, true, 0}, // 3 failures at :59, 1:09, 1:19
		{0, true, false, 40 * time.Second},
		{0, false, false, 40 * time.Second},          // refused whatever the outcome
		{time.Second, true, false, 39 * time.Second}, // past the minute boundary: still refused
		{39 * time.Second, true, true, 0},            // the first failure left the window
		{0, true, false, 10 * time.Second},
		{10 * time.Second, false, true, 0},
		{time.Hour, true, true, 0},
		{0, true, true, 0},
		{0, true, true, 0},
		{0, true, false, time.Minute},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, retry := l.Attempt("k", s.failed)
		if ok != s.wantOK || retry != s.retry {
			t.Fatalf("step %d at %s (failed=%v): ok=%v retry=%v, want %v %v", i, now.Format("15:04:05"), s.failed, ok, retry, s.wantOK, s.retry)
		}
	}
	if ok, _ := l.Attempt("other", true); !ok {
		t.Fatal("another key is limited too")
	}
}

// TestSlidingBurstAtBoundary: a client that fails the limit just before a
// minute boundary and again just after gets the limit once, not twice.
func TestSlidingBurstAtBoundary(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 59, 900e6, time.UTC)
	l := NewSliding(10, time.Minute, func() time.Time { return now })
	admitted := 0
	for range 20 {
		if ok, _ := l.Attempt("k", true); ok {
			admitted++
		}
		now = now.Add(10 * time.Millisecond)
	}
	if admitted != 10 {
		t.Fatalf("admitted %d failures across the boundary, want 10", admitted)
	}
}

// TestSlidingConcurrent: attempts racing each other are admitted exactly
// up to the limit.
func TestSlidingConcurrent(t *testing.T) {
	l := NewSliding(10, time.Hour, nil)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 20 {
				if ok, _ := l.Attempt("k", true); ok {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 10 {
		t.Fatalf("admitted %d of 1000 failed attempts, want exactly 10", n)
	}
}

func TestSlidingDisabledAndNil(t *testing.T) {
	var nilLimiter *Sliding
	if ok, _ := nilLimiter.Attempt("x", true); !ok {
		t.Fatal("nil limiter refused")
	}
	l := NewSliding(0, time.Minute, nil)
	for range 100 {
		if ok, _ := l.Attempt("x", true); !ok {
			t.Fatal("disabled limiter refused")
		}
	}
}

func TestSlidingKeyBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewSliding(1, time.Minute, func() time.Time { return now })
	l.maxKeys = 2
	l.Attempt("a", true)
	l.Attempt("b", true)
	for range 3 {
		if ok, _ := l.Attempt("c", true); !ok {
			t.Fatal("a new key was refused when the map was full")
		}
	}
	if ok, _ := l.Attempt("a", true); ok {
		t.Fatal("a flood of new keys reset a limited key's allowance")
	}
	// Once the old failures have left the window, new keys are counted
	// again.
	now = now.Add(time.Minute)
	l.Attempt("c", true)
	if ok, _ := l.Attempt("c", true); ok {
		t.Fatal("a new key was not counted after the old keys expired")
	}
	if len(l.failures) > 2 {
		t.Fatalf("map holds %d keys, want at most 2", len(l.failures))
	}
}
