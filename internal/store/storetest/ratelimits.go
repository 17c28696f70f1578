package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

var rateLimitCases = []testCase{
	{"counts per key and window", func(t *testing.T, s store.Store) {
		w0, w1 := t0, at(5*time.Minute)
		hits := []struct {
			key    string
			window time.Time
			want   int64
		}{
			{"magic:app1", w0, 1},
			{"magic:app1", w0, 2},
			{"magic:app2", w0, 1},
			{"magic:app1", w1, 1},
			{"magic:app1", w0, 3},
			{"magic:app2", w0, 2},
			{"magic:app1", w1, 2},
			{"magic:app1", w0.Add(time.Microsecond), 1},
			{"Magic:app1", w0, 1},
			{"", w0, 1},
			{"", w0, 2},
		}
		for i, h := range hits {
			got, err := s.HitRateLimit(t.Context(), h.key, h.window, h.window.Add(10*time.Minute))
			must(t, err)
			wantEqual(t, fmt.Sprintf("hit %d (%q at %v)", i, h.key, h.window), got, h.want)
		}
	}},
	{"concurrent hits count each once", func(t *testing.T, s store.Store) {
		const n = 50
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts []int64
			errs   []error
			start  = make(chan struct{})
		)
		for range n {
			wg.Go(func() {
				<-start
				c, err := s.HitRateLimit(t.Context(), "contested", t0, at(time.Hour))
				mu.Lock()
				defer mu.Unlock()
				counts = append(counts, c)
				errs = append(errs, err)
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("concurrent hits failed: %v", err)
		}
		slices.Sort(counts)
		want := make([]int64, n)
		for i := range want {
			want[i] = int64(i + 1)
		}
		wantEqual(t, "counts returned", counts, want)
		got, err := s.HitRateLimit(t.Context(), "contested", t0, at(time.Hour))
		must(t, err)
		wantEqual(t, "count after the concurrent hits", got, int64(n+1))
	}},
	{"purge expired", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		expiry := map[string]time.Time{
			"expired": at(-time.Microsecond),
			"edge":    t0,
			"live":    at(time.Hour),
		}
		for key, exp := range expiry {
			_, err := s.HitRateLimit(ctx, key, at(-time.Hour), exp)
			must(t, err)
		}
		must(t, s.PurgeRateLimitsBefore(ctx, t0))
		for key, want := range map[string]int64{"expired": 1, "edge": 2, "live": 2} {
			got, err := s.HitRateLimit(ctx, key, at(-time.Hour), expiry[key])
			must(t, err)
			wantEqual(t, "count of "+key+" after purge", got, want)
		}
		must(t, s.PurgeRateLimitsBefore(ctx, at(2*time.Hour)))
		for key := range expiry {
			got, err := s.HitRateLimit(ctx, key, at(-time.Hour), at(3*time.Hour))
			must(t, err)
			wantEqual(t, "count of "+key+" after purging all", got, int64(1))
		}
	}},
}
