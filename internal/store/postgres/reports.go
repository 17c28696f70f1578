package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// PutCredentialReport inserts or replaces the app's row for r.Date.
func (s *Store) PutCredentialReport(ctx context.Context, appID string, r store.CredentialReport) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO credential_reports (app_id, day, users, credentials)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (app_id, day) DO UPDATE SET users = EXCLUDED.users, credentials = EXCLUDED.credentials`,
		appID, r.Date, int64(r.Users), int64(r.Credentials))
	if err != nil {
		return fmt.Errorf("postgres: put credential report of app %q: %w", appID, err)
	}
	return nil
}

// ListCredentialReports returns the rows with from <= Date <= to; a zero
// bound is sent as NULL and leaves that side open.
func (s *Store) ListCredentialReports(ctx context.Context, appID string, from, to time.Time) ([]store.CredentialReport, error) {
	list, err := queryList(ctx, s.pool, func(row pgx.Row) (store.CredentialReport, error) {
		var (
			r                  store.CredentialReport
			users, credentials int64
		)
		if err := row.Scan(&r.Date, &users, &credentials); err != nil {
			return store.CredentialReport{}, err
		}
		r.Users, r.Credentials = int(users), int(credentials)
		return r, nil
	}, `SELECT day, users, credentials FROM credential_reports
		WHERE app_id = $1 AND ($2::timestamptz IS NULL OR day >= $2) AND ($3::timestamptz IS NULL OR day <= $3)
		ORDER BY day`, appID, nullTime(from), nullTime(to))
	if err != nil {
		return nil, fmt.Errorf("postgres: list credential reports of app %q: %w", appID, err)
	}
	return list, nil
}

// PutActiveUserReport inserts or replaces the app's row for r.Date.
func (s *Store) PutActiveUserReport(ctx context.Context, appID string, r store.ActiveUserReport) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO active_user_reports (app_id, day, daily, weekly, total)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (app_id, day) DO UPDATE SET
			daily = EXCLUDED.daily, weekly = EXCLUDED.weekly, total = EXCLUDED.total`,
		appID, r.Date, int64(r.Daily), int64(r.Weekly), int64(r.Total))
	if err != nil {
		return fmt.Errorf("postgres: put active user report of app %q: %w", appID, err)
	}
	return nil
}

// ListActiveUserReports is ListCredentialReports for active users.
func (s *Store) ListActiveUserReports(ctx context.Context, appID string, from, to time.Time) ([]store.ActiveUserReport, error) {
	list, err := queryList(ctx, s.pool, func(row pgx.Row) (store.ActiveUserReport, error) {
		var (
			r                    store.ActiveUserReport
			daily, weekly, total int64
		)
		if err := row.Scan(&r.Date, &daily, &weekly, &total); err != nil {
			return store.ActiveUserReport{}, err
		}
		r.Daily, r.Weekly, r.Total = int(daily), int(weekly), int(total)
		return r, nil
	}, `SELECT day, daily, weekly, total FROM active_user_reports
		WHERE app_id = $1 AND ($2::timestamptz IS NULL OR day >= $2) AND ($3::timestamptz IS NULL OR day <= $3)
		ORDER BY day`, appID, nullTime(from), nullTime(to))
	if err != nil {
		return nil, fmt.Errorf("postgres: list active user reports of app %q: %w", appID, err)
	}
	return list, nil
}
