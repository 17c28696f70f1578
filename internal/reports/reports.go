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

// Store is the part of store.Store the reports use.
type Store interface {
	ListCredentialReports(ctx context.Context, appID string, from, to time.Time) ([]store.CredentialReport, error)
	ListActiveUserReports(ctx context.Context, appID string, from, to time.Time) ([]store.ActiveUserReport, error)
	PutCredentialReport(ctx context.Context, appID string, r store.CredentialReport) error
	PutActiveUserReport(ctx context.Context, appID string, r store.ActiveUserReport) error
	ListAppIDs(ctx context.Context) ([]string, error)
	CountUsers(ctx context.Context, appID string) (int64, error)
	CountCredentials(ctx context.Context, appID string) (int64, error)
	CountActiveUsers(ctx context.Context, appID string, since time.Time) (int64, error)
}

// Service serves the reports and takes their snapshots.
type Service struct{ store Store }

// New returns a Service.
func New(st Store) *Service { return &Service{store: st} }

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
func (s *Service) Credentials(ctx context.Context, appID string, from, to time.Time) ([]CredentialsRow, error) {
	rows, err := s.store.ListCredentialReports(ctx, appID, from, to)
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
func (s *Service) ActiveUsers(ctx context.Context, appID string, from, to time.Time) ([]ActiveUsersRow, error) {
	rows, err := s.store.ListActiveUserReports(ctx, appID, from, to)
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
func (s *Service) Snapshot(ctx context.Context, now time.Time) error {
	ids, err := s.store.ListAppIDs(ctx)
	if err != nil {
		return fmt.Errorf("list apps: %w", err)
	}
	// One app's failure (an app deleted meanwhile, say) must not cost the
	// others their snapshot.
	var errs []error
	for _, id := range ids {
		if err := s.SnapshotApp(ctx, id, now); err != nil {
			errs = append(errs, fmt.Errorf("app %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// SnapshotApp writes today's report rows of one app, replacing any taken
// earlier today.
func (s *Service) SnapshotApp(ctx context.Context, appID string, now time.Time) error {
	day := now.UTC().Truncate(24 * time.Hour)
	users, err := s.store.CountUsers(ctx, appID)
	if err != nil {
		return err
	}
	creds, err := s.store.CountCredentials(ctx, appID)
	if err != nil {
		return err
	}
	daily, err := s.store.CountActiveUsers(ctx, appID, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	weekly, err := s.store.CountActiveUsers(ctx, appID, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	if err := s.store.PutCredentialReport(ctx, appID, store.CredentialReport{Date: day, Users: int(users), Credentials: int(creds)}); err != nil {
		return err
	}
	return s.store.PutActiveUserReport(ctx, appID, store.ActiveUserReport{Date: day, Daily: int(daily), Weekly: int(weekly), Total: int(users)})
}
