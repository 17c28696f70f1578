// Package reports serves the periodic reports of an app (credentials and
// active users per day) and takes the daily snapshots they are made of.
package reports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
)

const dateLayout = "2006-01-02"

// CredentialsRow is one entry of GET /reporting/credentials/periodic.
type CredentialsRow struct {
	CreatedAt   string `json:"createdAt"`
	Users       int    `json:"users"`
	Credentials int    `json:"credentials"`
}

// ActiveUsersRow is one entry of GET /reporting/active-users/periodic.
type ActiveUsersRow struct {
	CreatedAt         string `json:"createdAt"`
	DailyActiveUsers  int    `json:"dailyActiveUsers"`
	WeeklyActiveUsers int    `json:"weeklyActiveUsers"`
	TotalUsers        int    `json:"totalUsers"`
}

// ParseRange reads the optional inclusive from/to dates (yyyy-MM-dd).
func ParseRange(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.Parse(dateLayout, from); err != nil {
			return f, t, problem.Field("from", "The value '"+from+"' is not a date (yyyy-MM-dd).")
		}
	}
	if to != "" {
		if t, err = time.Parse(dateLayout, to); err != nil {
			return f, t, problem.Field("to", "The value '"+to+"' is not a date (yyyy-MM-dd).")
		}
	}
	return f, t, nil
}

// Credentials returns the credentials report rows between from and to.
func Credentials(ctx context.Context, st store.Store, appID string, from, to time.Time) ([]CredentialsRow, error) {
	rows, err := st.ListCredentialReports(ctx, appID, from, to)
	if err != nil {
		return nil, problem.Internal(fmt.Errorf("list credential reports: %w", err))
	}
	out := make([]CredentialsRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, CredentialsRow{CreatedAt: r.Date.UTC().Format(dateLayout), Users: r.Users, Credentials: r.Credentials})
	}
	return out, nil
}

// ActiveUsers returns the active-users report rows between from and to.
func ActiveUsers(ctx context.Context, st store.Store, appID string, from, to time.Time) ([]ActiveUsersRow, error) {
	rows, err := st.ListActiveUserReports(ctx, appID, from, to)
	if err != nil {
		return nil, problem.Internal(fmt.Errorf("list active user reports: %w", err))
	}
	out := make([]ActiveUsersRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, ActiveUsersRow{CreatedAt: r.Date.UTC().Format(dateLayout), DailyActiveUsers: r.Daily, WeeklyActiveUsers: r.Weekly, TotalUsers: r.Total})
	}
	return out, nil
}

// Snapshot writes today's report rows of every app. Rows are keyed by
// date and replaced, so running it often (and on several instances) only
// keeps today's row current.
func Snapshot(ctx context.Context, st store.Store, now time.Time) error {
	ids, err := st.ListAppIDs(ctx)
	if err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	// One app's failure (an app deleted meanwhile, say) must not cost the
	// others their snapshot.
	var errs []error
	for _, id := range ids {
		if err := SnapshotApp(ctx, st, id, now); err != nil {
			errs = append(errs, fmt.Errorf("app %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// SnapshotApp writes today's report rows of one app, replacing any taken
// earlier today.
func SnapshotApp(ctx context.Context, st store.Store, appID string, now time.Time) error {
	day := now.UTC().Truncate(24 * time.Hour)
	users, err := st.CountUsers(ctx, appID)
	if err != nil {
		return err
	}
	creds, err := st.CountCredentials(ctx, appID)
	if err != nil {
		return err
	}
	daily, err := st.CountActiveUsers(ctx, appID, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	weekly, err := st.CountActiveUsers(ctx, appID, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	if err := st.PutCredentialReport(ctx, appID, store.CredentialReport{Date: day, Users: int(users), Credentials: int(creds)}); err != nil {
		return err
	}
	return st.PutActiveUserReport(ctx, appID, store.ActiveUserReport{Date: day, Daily: int(daily), Weekly: int(weekly), Total: int(users)})
}
