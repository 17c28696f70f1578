package storetest

import (
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

func wantEmailCount(t *testing.T, s store.Store, appID string, since time.Time, want int64) {
	t.Helper()
	got, err := s.CountDispatchedEmailsSince(t.Context(), appID, since)
	must(t, err)
	wantEqual(t, "e-mails of "+appID+" since "+since.String(), got, want)
}
