package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func newEmail(appID, id string, created time.Time) store.DispatchedEmail {
	return store.DispatchedEmail{
		ID:           id,
		AppID:        appID,
		CreatedAt:    created,
		UserID:       "user1",
		EmailAddress: "user1@example.com",
		LinkTemplate: "https://example.com/verify?token=$TOKEN",
	}
}

// emailTimes are the send times of the e-mails both apps get in the
// counting and purging cases.
var emailTimes = map[string]time.Duration{
	"old":    -time.Hour,
	"before": -time.Microsecond,
	"edge":   0,
	"late":   time.Hour,
}

func addEmails(t *testing.T, s store.Store, appIDs ...string) {
	t.Helper()
	for _, appID := range appIDs {
		createApp(t, s, appID)
		for name, d := range emailTimes {
			must(t, s.AddDispatchedEmail(t.Context(), newEmail(appID, appID+"-"+name, at(d))))
		}
	}
}

var emailCases = []testCase{
	{"count since", func(t *testing.T, s store.Store) {
		addEmails(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.AddDispatchedEmail(t.Context(), newEmail("app2", "other", t0)))
		for _, c := range []struct {
			since time.Time
			want  int64
		}{
			{time.Time{}, 4},
			{at(-time.Hour), 4},
			{at(-time.Hour + time.Microsecond), 3},
			{t0, 2},
			{at(time.Hour), 1},
			{at(time.Hour + time.Microsecond), 0},
		} {
			wantEmailCount(t, s, "app1", c.since, c.want)
		}
		wantEmailCount(t, s, "app2", time.Time{}, 1)
		wantEmailCount(t, s, "nope", time.Time{}, 0)
	}},
	{"sparse", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		must(t, s.AddDispatchedEmail(t.Context(), store.DispatchedEmail{ID: "e1", AppID: "app1", CreatedAt: t0}))
		wantEmailCount(t, s, "app1", t0, 1)
	}},
	{"duplicate id", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.AddDispatchedEmail(ctx, newEmail("app1", "e1", t0)))
		wantErr(t, s.AddDispatchedEmail(ctx, newEmail("app1", "e1", at(time.Hour))), store.ErrConflict)
		wantErr(t, s.AddDispatchedEmail(ctx, newEmail("app2", "e1", at(time.Hour))), store.ErrConflict)
		wantEmailCount(t, s, "app1", time.Time{}, 1)
		wantEmailCount(t, s, "app1", at(time.Hour), 0)
		wantEmailCount(t, s, "app2", time.Time{}, 0)
	}},
	{"purge before spans apps", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		addEmails(t, s, "app1", "app2")
		must(t, s.PurgeDispatchedEmailsBefore(ctx, t0))
		for _, app := range []string{"app1", "app2"} {
			wantEmailCount(t, s, app, time.Time{}, 2)
			wantEmailCount(t, s, app, t0, 2)
		}
		must(t, s.PurgeDispatchedEmailsBefore(ctx, at(time.Hour+time.Microsecond)))
		for _, app := range []string{"app1", "app2"} {
			wantEmailCount(t, s, app, time.Time{}, 0)
		}
	}},
}

// reserveCases pin down ReserveDispatchedEmail and DeleteDispatchedEmail.
var reserveCases = []testCase{
	{"boundary", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		const limit = 3
		for i := range limit - 1 {
			must(t, s.AddDispatchedEmail(ctx, newEmail("app1", fmt.Sprint("e", i), t0)))
		}
		// limit-1 records: the reservation fits and is stored as given.
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r1", at(time.Minute)), t0, limit))
		wantEmailCount(t, s, "app1", t0, limit)
		wantEmailCount(t, s, "app1", at(time.Minute), 1)
		// limit records: refused, and nothing is written.
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r2", at(time.Minute)), t0, limit), store.ErrQuotaExceeded)
		wantEmailCount(t, s, "app1", time.Time{}, limit)
		wantErr(t, s.DeleteDispatchedEmail(ctx, "app1", "r2"), store.ErrNotFound)
		// More than limit (added without a reservation): refused as well.
		must(t, s.AddDispatchedEmail(ctx, newEmail("app1", "extra", t0)))
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r3", t0), t0, limit), store.ErrQuotaExceeded)
		wantEmailCount(t, s, "app1", time.Time{}, limit+1)
		// The refused id was not taken: a larger limit stores it.
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r2", t0), t0, limit+2))
		wantEmailCount(t, s, "app1", time.Time{}, limit+2)
	}},
	{"zero and negative limit", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r1", t0), time.Time{}, 0), store.ErrQuotaExceeded)
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r1", t0), time.Time{}, -1), store.ErrQuotaExceeded)
		wantEmailCount(t, s, "app1", time.Time{}, 0)
	}},
	{"only since counts", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		for i := range 5 {
			must(t, s.AddDispatchedEmail(ctx, newEmail("app1", fmt.Sprint("old", i), at(-time.Hour))))
		}
		must(t, s.AddDispatchedEmail(ctx, newEmail("app1", "before", at(-time.Microsecond))))
		// Nothing at or after t0 yet: one slot of one is free.
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r1", t0), t0, 1))
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r2", t0), t0, 1), store.ErrQuotaExceeded)
		// A record exactly at since counts.
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r3", at(time.Hour)), at(-time.Microsecond), 3))
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r4", at(time.Hour)), at(-time.Microsecond), 3), store.ErrQuotaExceeded)
		wantEmailCount(t, s, "app1", time.Time{}, 8)
	}},
	{"other apps do not count", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		for i := range 5 {
			must(t, s.AddDispatchedEmail(ctx, newEmail("app2", fmt.Sprint("app2-", i), t0)))
		}
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r1", t0), t0, 1))
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "r2", t0), t0, 1), store.ErrQuotaExceeded)
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app2", "r2", t0), t0, 6))
		wantEmailCount(t, s, "app1", time.Time{}, 1)
		wantEmailCount(t, s, "app2", time.Time{}, 6)
	}},
	{"duplicate id", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "e1", t0), t0, 10))
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "e1", at(time.Hour)), t0, 10), store.ErrConflict)
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app2", "e1", at(time.Hour)), t0, 10), store.ErrConflict)
		wantEmailCount(t, s, "app1", time.Time{}, 1)
		wantEmailCount(t, s, "app1", at(time.Hour), 0)
		wantEmailCount(t, s, "app2", time.Time{}, 0)
	}},
	{"delete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "e1", t0), t0, 1))
		must(t, s.AddDispatchedEmail(ctx, newEmail("app2", "e2", t0)))
		wantErr(t, s.DeleteDispatchedEmail(ctx, "app1", "nope"), store.ErrNotFound)
		wantErr(t, s.DeleteDispatchedEmail(ctx, "app1", "e2"), store.ErrNotFound) // app2's
		wantErr(t, s.DeleteDispatchedEmail(ctx, "app2", "e1"), store.ErrNotFound) // app1's
		wantEmailCount(t, s, "app1", time.Time{}, 1)
		wantEmailCount(t, s, "app2", time.Time{}, 1)
		// Deleting a reservation frees its slot.
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "e3", t0), t0, 1), store.ErrQuotaExceeded)
		must(t, s.DeleteDispatchedEmail(ctx, "app1", "e1"))
		wantErr(t, s.DeleteDispatchedEmail(ctx, "app1", "e1"), store.ErrNotFound)
		wantEmailCount(t, s, "app1", time.Time{}, 0)
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "e3", t0), t0, 1))
		wantEmailCount(t, s, "app2", time.Time{}, 1)
	}},
	{"concurrent", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		const (
			workers = 30
			limit   = 10
		)
		apps := []string{"app1", "app2"}
		for _, app := range apps {
			createApp(t, s, app)
		}
		// Each app gets 30 reservations at once; both race for the
		// backend together, and each must stop at exactly limit.
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			granted = map[string][]string{}
			errs    []error
		)
		start := make(chan struct{})
		for _, app := range apps {
			for i := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					id := fmt.Sprintf("%s-r%d", app, i)
					err := s.ReserveDispatchedEmail(ctx, newEmail(app, id, t0), t0, limit)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						granted[app] = append(granted[app], id)
					case errors.Is(err, store.ErrQuotaExceeded):
					default:
						errs = append(errs, err)
					}
				}()
			}
		}
		close(start)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("unexpected errors: %v", errs)
		}
		for _, app := range apps {
			wantEqual(t, "reservations granted to "+app, len(granted[app]), limit)
			wantEmailCount(t, s, app, time.Time{}, limit)
		}
		// Deleting one frees exactly one slot.
		must(t, s.DeleteDispatchedEmail(ctx, "app1", granted["app1"][0]))
		must(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "again1", t0), t0, limit))
		wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("app1", "again2", t0), t0, limit), store.ErrQuotaExceeded)
		wantEmailCount(t, s, "app1", time.Time{}, limit)
		wantEmailCount(t, s, "app2", time.Time{}, limit)
	}},
}

func wantEmailCount(t *testing.T, s store.Store, appID string, since time.Time, want int64) {
	t.Helper()
	got, err := s.CountDispatchedEmailsSince(t.Context(), appID, since)
	must(t, err)
	wantEqual(t, "e-mails of "+appID+" since "+since.String(), got, want)
}
