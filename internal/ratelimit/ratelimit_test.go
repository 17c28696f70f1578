package ratelimit

import (
	"sync"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("hit %d refused", i+1)
		}
	}
	ok, retry := l.Allow("a")
	if ok || retry != time.Minute {
		t.Fatalf("4th hit: ok=%v retry=%v", ok, retry)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key is limited too")
	}
	now = now.Add(30 * time.Second)
	if ok, retry := l.Allow("a"); ok || retry != 30*time.Second {
		t.Fatalf("same window: ok=%v retry=%v", ok, retry)
	}
	now = now.Add(30 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("new window still limited")
	}
}

func TestDisabledAndNil(t *testing.T) {
	var nilLimiter *Limiter
	if ok, _ := nilLimiter.Allow("x"); !ok {
		t.Fatal("nil limiter refused")
	}
	l := New(0, time.Minute, nil)
	for range 1000 {
		if ok, _ := l.Allow("x"); !ok {
			t.Fatal("disabled limiter refused")
		}
	}
}

func TestKeyBound(t *testing.T) {
	now := time.Now()
	l := New(1, time.Minute, func() time.Time { return now })
	l.maxKeys = 2
	l.Allow("a")
	l.Allow("b")
	for range 3 {
		if ok, _ := l.Allow("c"); !ok {
			t.Fatal("a new key was refused when the map was full")
		}
	}
	if len(l.counts) != 2 {
		t.Fatalf("map holds %d keys after overflowing, want 2", len(l.counts))
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a flood of new keys reset a limited key's allowance")
	}
}

func TestConcurrent(t *testing.T) {
	l := New(100, time.Hour, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if ok, _ := l.Allow("k"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 100 {
		t.Fatalf("allowed %d of 400, want exactly 100", allowed)
	}
}
