package sqlite

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// PutCredentialReport inserts or replaces the app's row for r.Date. The
// date is stored as midnight UTC of its UTC day.
func (s *Store) PutCredentialReport(ctx context.Context, appID string, r store.CredentialReport) error {
	_, err := s.execWrite(ctx, `INSERT INTO credential_reports (app_id, date, users, credentials)
		VALUES (?, ?, ?, ?) ON CONFLICT (app_id, date) DO UPDATE SET
		users = excluded.users, credentials = excluded.credentials`,
		appID, encDate(r.Date), r.Users, r.Credentials)
	if err != nil {
		return fmt.Errorf("sqlite: put credential report of app %q: %w", appID, err)
	}
	return nil
}

// ListCredentialReports returns the app's rows with from <= Date <= to,
// oldest first; a zero bound is open.
func (s *Store) ListCredentialReports(ctx context.Context, appID string, from, to time.Time) ([]store.CredentialReport, error) {
	lo, hi := dateBounds(from, to)
	rows, err := s.read.QueryContext(ctx, `SELECT date, users, credentials FROM credential_reports
		WHERE app_id = ? AND date >= ? AND date <= ? ORDER BY date`, appID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list credential reports of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.CredentialReport
	for rows.Next() {
		var (
			r    store.CredentialReport
			date int64
		)
		if err := rows.Scan(&date, &r.Users, &r.Credentials); err != nil {
			return nil, fmt.Errorf("sqlite: list credential reports of app %q: %w", appID, err)
		}
		r.Date = decTime(date)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list credential reports of app %q: %w", appID, err)
	}
	return list, nil
}

// PutActiveUserReport inserts or replaces the app's row for r.Date. The
// date is stored as midnight UTC of its UTC day.
func (s *Store) PutActiveUserReport(ctx context.Context, appID string, r store.ActiveUserReport) error {
	_, err := s.execWrite(ctx, `INSERT INTO active_user_reports (app_id, date, daily, weekly, total)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id, date) DO UPDATE SET
		daily = excluded.daily, weekly = excluded.weekly, total = excluded.total`,
		appID, encDate(r.Date), r.Daily, r.Weekly, r.Total)
	if err != nil {
		return fmt.Errorf("sqlite: put active-user report of app %q: %w", appID, err)
	}
	return nil
}

// ListActiveUserReports returns the app's rows with from <= Date <= to,
// oldest first; a zero bound is open.
func (s *Store) ListActiveUserReports(ctx context.Context, appID string, from, to time.Time) ([]store.ActiveUserReport, error) {
	lo, hi := dateBounds(from, to)
	rows, err := s.read.QueryContext(ctx, `SELECT date, daily, weekly, total FROM active_user_reports
		WHERE app_id = ? AND date >= ? AND date <= ? ORDER BY date`, appID, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list active-user reports of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.ActiveUserReport
	for rows.Next() {
		var (
			r    store.ActiveUserReport
			date int64
		)
		if err := rows.Scan(&date, &r.Daily, &r.Weekly, &r.Total); err != nil {
			return nil, fmt.Errorf("sqlite: list active-user reports of app %q: %w", appID, err)
		}
		r.Date = decTime(date)
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list active-user reports of app %q: %w", appID, err)
	}
	return list, nil
}

// dateBounds turns the inclusive filter into column bounds; a zero time
// is open on its side. The bounds are compared as given, not truncated to
// a day.
func dateBounds(from, to time.Time) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !from.IsZero() {
		lo = encTime(from)
	}
	if !to.IsZero() {
		hi = encTime(to)
	}
	return lo, hi
}
