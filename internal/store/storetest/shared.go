package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// RunShared checks the rules that must hold across server instances: open
// returns two Stores on the same, empty database (two pools, as two
// processes would have), and races between them must resolve exactly as
// on one.
func RunShared(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	t.Run("ConsumeOnceExactlyOnce", func(t *testing.T) {
		a, b := open(t)
		createApp(t, a, "app1")
		wins, other := race(100, a, b, store.ErrAlreadyUsed, func(s store.Store, _ int) error {
			return s.ConsumeOnce(t.Context(), "app1", "contested", time.Now().Add(time.Hour))
		})
		checkRace(t, wins, other, 1)
	})
	t.Run("ReserveDispatchedEmailExactlyLimit", func(t *testing.T) {
		const limit = 5
		a, b := open(t)
		createApp(t, a, "app1")
		now := time.Now()
		wins, other := race(40, a, b, store.ErrQuotaExceeded, func(s store.Store, i int) error {
			e := store.DispatchedEmail{ID: fmt.Sprint("e", i), AppID: "app1", CreatedAt: now}
			return s.ReserveDispatchedEmail(t.Context(), e, now.Add(-time.Hour), limit)
		})
		checkRace(t, wins, other, limit)
		got, err := b.CountDispatchedEmailsSince(t.Context(), "app1", time.Time{})
		if err != nil || got != limit {
			t.Fatalf("%d records stored (%v), want %d", got, err, limit)
		}
	})
}

// race starts n calls of fn at once, alternating between a and b, and
// counts the successes; errors other than lost (the expected refusal)
// are returned.
func race(n int, a, b store.Store, lost error, fn func(s store.Store, i int) error) (wins int, other []error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
	)
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			<-start
			err := fn(s, i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, lost):
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return wins, other
}

func checkRace(t *testing.T, wins int, other []error, want int) {
	t.Helper()
	if len(other) > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(other), other[0])
	}
	if wins != want {
		t.Fatalf("%d calls succeeded, want exactly %d", wins, want)
	}
}
