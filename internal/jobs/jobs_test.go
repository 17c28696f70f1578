package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/jobs"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

var errSnapshot = errors.New("snapshot query failed")

// failingSnapshot makes the report snapshot, the first step, fail.
type failingSnapshot struct{ store.Store }

func (failingSnapshot) CountActiveUsers(context.Context, string, time.Time) (int64, error) {
	return 0, errSnapshot
}

func TestRunOnce(t *testing.T) {
	tests := []struct {
		name    string
		wrap    func(store.Store) store.Store
		wantErr error // nil: success
	}{
		{"every step succeeds", func(s store.Store) store.Store { return s }, nil},
		{"a failing snapshot skips no purge", func(s store.Store) store.Store { return failingSnapshot{s} }, errSnapshot},
	}
	for kind, open := range teststores.Both {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				st := open(t)
				seed(t, st)
				// Twice: the jobs are idempotent.
				for range 2 {
					w := tt.wrap(st)
					err := jobs.New(w, reports.New(w), events.New(w, nil)).RunOnce(t.Context(), now)
					if tt.wantErr == nil && err != nil {
						t.Fatal(err)
					}
					if tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "jobs: reports:")) {
						t.Fatalf("RunOnce = %v, want the reports step's %v", err, tt.wantErr)
					}
				}
				checkPurges(t, st)
				if tt.wantErr == nil {
					checkReports(t, st)
				}
			})
		}
	}
}

// seed stores one app with credentials, and an expired and a live record
// of everything the jobs purge.
func seed(t *testing.T, st store.Store) {
	ctx := t.Context()
	app := store.App{ID: "app1", CreatedAt: now.AddDate(0, -2, 0), Features: store.Features{EventLoggingEnabled: true, EventLoggingRetentionDays: 7}}
	must(t, st.CreateApp(ctx, app, nil))
	cred := func(id, user string, lastUsed time.Time) store.Credential {
		return store.Credential{AppID: "app1", ID: []byte(id), UserID: user, UserHandle: []byte(user), PublicKey: []byte{1},
			CreatedAt: now.AddDate(0, -1, 0), LastUsedAt: lastUsed}
	}
	for _, c := range []store.Credential{
		cred("c1", "u1", now.Add(-time.Hour)),
		cred("c2", "u1", now.Add(-3*24*time.Hour)),
		cred("c3", "u2", now.Add(-3*24*time.Hour)),
		cred("c4", "u3", now.Add(-20*24*time.Hour)),
	} {
		must(t, st.AddCredential(ctx, c, nil, nil))
	}
	must(t, st.AddEvents(ctx, []store.Event{
		{ID: "00000000-0000-4000-8000-000000000001", AppID: "app1", PerformedAt: now.AddDate(0, 0, -8), Type: 1000},
		{ID: "00000000-0000-4000-8000-000000000002", AppID: "app1", PerformedAt: now.AddDate(0, 0, -6), Type: 1000},
	}))
	must(t, st.ConsumeOnce(ctx, "app1", "old", now.Add(-time.Minute)))
	must(t, st.ConsumeOnce(ctx, "app1", "live", now.Add(time.Minute)))
	// Mail records are kept 50 days.
	for id, age := range map[string]time.Duration{
		"00000000-0000-4000-8000-0000000000e1": 51 * 24 * time.Hour,
		"00000000-0000-4000-8000-0000000000e2": 49 * 24 * time.Hour,
	} {
		must(t, st.AddDispatchedEmail(ctx, store.DispatchedEmail{ID: id, AppID: "app1", CreatedAt: now.Add(-age),
			UserID: "u1", EmailAddress: "u1@example.com", LinkTemplate: "https://example.com/?t=$TOKEN"}))
	}
	hit(t, st, "old", now.Add(-time.Minute))
	hit(t, st, "live", now.Add(time.Minute))
	for id, exp := range map[string]time.Time{"session-old": now.Add(-time.Minute), "session-live": now.Add(time.Minute)} {
		must(t, st.AddConsoleSession(ctx, store.ConsoleSession{ID: id, UserID: "admin-1", CreatedAt: now.Add(-time.Hour),
			LastSeenAt: now.Add(-time.Hour), ExpiresAt: exp}))
	}
}

var window = now.Add(-5 * time.Minute)

// hit counts one hit of the rate-limit key and returns the count.
func hit(t *testing.T, st store.Store, key string, expires time.Time) int64 {
	t.Helper()
	n, err := st.HitRateLimit(t.Context(), key, window, expires)
	must(t, err)
	return n
}

func checkPurges(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	if _, total, err := st.ListEvents(ctx, "app1", 0, 10); err != nil || total != 1 {
		t.Errorf("events after retention: %d, %v (want 1)", total, err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "old", now.Add(time.Minute)); err != nil {
		t.Errorf("expired single-use record was not purged: %v", err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "live", now.Add(time.Minute)); !errors.Is(err, store.ErrAlreadyUsed) {
		t.Errorf("live single-use record: ConsumeOnce = %v, want ErrAlreadyUsed", err)
	}
	if list, err := st.ListConsoleSessions(ctx, "admin-1"); err != nil || len(list) != 1 || list[0].ID != "session-live" {
		t.Errorf("console sessions after the purge: %+v, %v (want the live one only)", list, err)
	}
	if n, err := st.CountDispatchedEmailsSince(ctx, "app1", time.Time{}); err != nil || n != 1 {
		t.Errorf("mail records after the purge: %d, %v (want the 49-day-old one only)", n, err)
	}
	// A purged counter starts again at 1; a live one goes on.
	if n := hit(t, st, "old", now.Add(time.Minute)); n != 1 {
		t.Errorf("expired rate-limit counter was not purged: count %d after one more hit", n)
	}
	if n := hit(t, st, "live", now.Add(time.Minute)); n != 2 {
		t.Errorf("live rate-limit counter: count %d after one more hit, want 2", n)
	}
}

func checkReports(t *testing.T, st store.Store) {
	t.Helper()
	ctx := t.Context()
	creds, err := st.ListCredentialReports(ctx, "app1", time.Time{}, time.Time{})
	if err != nil || len(creds) != 1 || creds[0].Users != 3 || creds[0].Credentials != 4 || !creds[0].Date.Equal(now.Truncate(24*time.Hour)) {
		t.Errorf("credential reports = %+v, %v", creds, err)
	}
	active, err := st.ListActiveUserReports(ctx, "app1", time.Time{}, time.Time{})
	if err != nil || len(active) != 1 || active[0].Daily != 1 || active[0].Weekly != 2 || active[0].Total != 3 {
		t.Errorf("active user reports = %+v, %v", active, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
