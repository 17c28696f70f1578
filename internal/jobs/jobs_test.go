package jobs_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/jobs"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

func TestRunOnce(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	app := store.App{ID: "app1", CreatedAt: now.AddDate(0, -2, 0), Features: store.Features{EventLoggingEnabled: true, EventLoggingRetentionDays: 7}}
	if err := st.CreateApp(ctx, app, nil); err != nil {
		t.Fatal(err)
	}
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
		if err := st.AddCredential(ctx, c, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	evs := []store.Event{
		{ID: "00000000-0000-4000-8000-000000000001", AppID: "app1", PerformedAt: now.AddDate(0, 0, -8), Type: 1000},
		{ID: "00000000-0000-4000-8000-000000000002", AppID: "app1", PerformedAt: now.AddDate(0, 0, -6), Type: 1000},
	}
	if err := st.AddEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "old", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "live", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	// Twice: the jobs are idempotent.
	for range 2 {
		if err := jobs.RunOnce(ctx, st, now); err != nil {
			t.Fatal(err)
		}
	}

	_, total, err := st.ListEvents(ctx, "app1", 0, 10)
	if err != nil || total != 1 {
		t.Fatalf("events after retention: %d, %v (want 1)", total, err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "old", now.Add(time.Minute)); err != nil {
		t.Fatalf("expired single-use record was not purged: %v", err)
	}
	if err := st.ConsumeOnce(ctx, "app1", "live", now.Add(time.Minute)); err == nil {
		t.Fatal("live single-use record was purged")
	}
	creds, err := st.ListCredentialReports(ctx, "app1", time.Time{}, time.Time{})
	if err != nil || len(creds) != 1 || creds[0].Users != 3 || creds[0].Credentials != 4 || !creds[0].Date.Equal(now.Truncate(24*time.Hour)) {
		t.Fatalf("credential reports = %+v, %v", creds, err)
	}
	active, err := st.ListActiveUserReports(ctx, "app1", time.Time{}, time.Time{})
	if err != nil || len(active) != 1 || active[0].Daily != 1 || active[0].Weekly != 2 || active[0].Total != 3 {
		t.Fatalf("active user reports = %+v, %v", active, err)
	}
}
