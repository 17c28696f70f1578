package reports_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// failingCounts fails the user count of one app.
type failingCounts struct {
	store.Store
	app string
}

func (f failingCounts) CountUsers(ctx context.Context, appID string) (int64, error) {
	if appID == f.app {
		return 0, errors.New("count failed")
	}
	return f.Store.CountUsers(ctx, appID)
}

// TestSnapshotSurvivesOneAppsFailure: an app whose snapshot fails is
// reported, and every other app still gets today's rows.
func TestSnapshotSurvivesOneAppsFailure(t *testing.T) {
	for kind, open := range teststores.Both {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			for _, id := range []string{"aaa", "bbb", "ccc"} {
				if err := st.CreateApp(ctx, store.App{ID: id, AdminEmail: "a@example.com", CreatedAt: now}, nil); err != nil {
					t.Fatal(err)
				}
			}
			err := reports.New(failingCounts{Store: st, app: "aaa"}).Snapshot(ctx, now)
			if err == nil {
				t.Fatal("Snapshot hid the failure of app aaa")
			}
			day := now.Truncate(24 * time.Hour)
			for id, want := range map[string]int{"aaa": 0, "bbb": 1, "ccc": 1} {
				rows, err := st.ListCredentialReports(ctx, id, day, day)
				if err != nil || len(rows) != want {
					t.Errorf("app %s: %d credential report rows (%v), want %d", id, len(rows), err, want)
				}
			}
		})
	}
}
