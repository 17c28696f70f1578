package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// tenantTables lists every table with per-app rows; DeleteApp clears each.
// rate_limits is not among them: its keys are not tied to one app.
var tenantTables = []string{
	"api_keys", "token_keys", "consumed", "credentials", "aliases",
	"auth_configs", "events", "dispatched_emails", "authenticators",
	"credential_reports", "active_user_reports",
}

const appColumns = `id, admin_email, created_at, delete_at,
	event_logging_enabled, event_logging_retention_days, magic_link_monthly_quota,
	max_users, allow_attestation, generate_sign_in_token_enabled,
	magic_links_enabled, developer_logging_ends_at, allowed_origins, allowed_rp_ids`

// CreateApp stores the app and its initial keys in one transaction.
func (s *Store) CreateApp(ctx context.Context, app store.App, keys []store.APIKey) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		f := app.Features
		n, err := execAffected(ctx, tx, `INSERT INTO apps (`+appColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			app.ID, app.AdminEmail, encTime(app.CreatedAt), encTimePtr(app.DeleteAt),
			f.EventLoggingEnabled, f.EventLoggingRetentionDays, f.MagicLinkMonthlyQuota,
			encInt64Ptr(f.MaxUsers), f.AllowAttestation, f.GenerateSignInTokenEnabled,
			f.MagicLinksEnabled, encTimePtr(f.DeveloperLoggingEndsAt),
			encStrings(f.AllowedOrigins), encStrings(f.AllowedRPIDs))
		if err != nil {
			return fmt.Errorf("sqlite: create app %q: %w", app.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("sqlite: create app %q: %w", app.ID, store.ErrConflict)
		}
		for _, k := range keys {
			// The keys belong to the new app whatever AppID they carry.
			k.AppID = app.ID
			if err := insertAPIKey(ctx, tx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetApp returns one app with its features.
func (s *Store) GetApp(ctx context.Context, appID string) (store.App, error) {
	row := s.rs.getApp.QueryRowContext(ctx, appID)
	app, err := scanApp(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.App{}, fmt.Errorf("sqlite: get app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return store.App{}, fmt.Errorf("sqlite: get app %q: %w", appID, err)
	}
	return app, nil
}

func scanApp(row rowScanner) (store.App, error) {
	var (
		app                store.App
		f                  = &app.Features
		createdAt          int64
		deleteAt, devLogAt sql.NullInt64
		maxUsers           sql.NullInt64
		origins, rpIDs     string
	)
	err := row.Scan(&app.ID, &app.AdminEmail, &createdAt, &deleteAt,
		&f.EventLoggingEnabled, &f.EventLoggingRetentionDays, &f.MagicLinkMonthlyQuota,
		&maxUsers, &f.AllowAttestation, &f.GenerateSignInTokenEnabled,
		&f.MagicLinksEnabled, &devLogAt, &origins, &rpIDs)
	if err != nil {
		return store.App{}, err
	}
	if f.AllowedOrigins, err = decStrings(origins); err != nil {
		return store.App{}, err
	}
	if f.AllowedRPIDs, err = decStrings(rpIDs); err != nil {
		return store.App{}, err
	}
	app.CreatedAt = decTime(createdAt)
	app.DeleteAt = decTimePtr(deleteAt)
	f.MaxUsers = decInt64Ptr(maxUsers)
	f.DeveloperLoggingEndsAt = decTimePtr(devLogAt)
	return app, nil
}

// UpdateFeatures writes the Set members in one UPDATE.
func (s *Store) UpdateFeatures(ctx context.Context, appID string, u store.FeaturesUpdate) error {
	sets, args := featureAssignments(u)
	n, err := s.execWrite(ctx, `UPDATE apps SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, appID)...)
	return affectedOne(fmt.Sprintf("update features of app %q", appID), n, err)
}

// featureAssignments returns the SET clauses of the Set members and their
// arguments; with none Set, a no-op that still tells whether the app
// exists.
func featureAssignments(u store.FeaturesUpdate) ([]string, []any) {
	var (
		sets []string
		args []any
	)
	add := func(column string, set bool, v any) {
		if set {
			sets = append(sets, column+" = ?")
			args = append(args, v)
		}
	}
	add("event_logging_enabled", u.EventLoggingEnabled.Set, u.EventLoggingEnabled.Value)
	add("event_logging_retention_days", u.EventLoggingRetentionDays.Set, u.EventLoggingRetentionDays.Value)
	add("magic_link_monthly_quota", u.MagicLinkMonthlyQuota.Set, u.MagicLinkMonthlyQuota.Value)
	add("max_users", u.MaxUsers.Set, encInt64Ptr(u.MaxUsers.Value))
	add("allow_attestation", u.AllowAttestation.Set, u.AllowAttestation.Value)
	add("generate_sign_in_token_enabled", u.GenerateSignInTokenEnabled.Set, u.GenerateSignInTokenEnabled.Value)
	add("magic_links_enabled", u.MagicLinksEnabled.Set, u.MagicLinksEnabled.Value)
	add("developer_logging_ends_at", u.DeveloperLoggingEndsAt.Set, encTimePtr(u.DeveloperLoggingEndsAt.Value))
	add("allowed_origins", u.AllowedOrigins.Set, encStrings(u.AllowedOrigins.Value))
	add("allowed_rp_ids", u.AllowedRPIDs.Set, encStrings(u.AllowedRPIDs.Value))
	if len(sets) == 0 {
		sets = []string{"id = id"}
	}
	return sets, args
}

// SetDeleteAt schedules or unschedules the app's deletion.
func (s *Store) SetDeleteAt(ctx context.Context, appID string, at *time.Time) error {
	n, err := s.execWrite(ctx, `UPDATE apps SET delete_at = ? WHERE id = ?`, encTimePtr(at), appID)
	return affectedOne(fmt.Sprintf("set delete time of app %q", appID), n, err)
}

// ListAppsDueForDeletion spans all apps by design: it feeds the
// background job that deletes them.
func (s *Store) ListAppsDueForDeletion(ctx context.Context, now time.Time) ([]string, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT id FROM apps WHERE delete_at IS NOT NULL AND delete_at <= ? ORDER BY id`, encTime(now))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list apps due for deletion: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: list apps due for deletion: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list apps due for deletion: %w", err)
	}
	return ids, nil
}

// DeleteApp removes the app and all its rows in one transaction; if the
// app is unknown nothing is removed. Unlike the original server it also
// removes the app's auth configurations, so a reused app id starts clean.
func (s *Store) DeleteApp(ctx context.Context, appID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n, err := execAffected(ctx, tx, `DELETE FROM apps WHERE id = ?`, appID)
		if err := affectedOne(fmt.Sprintf("delete app %q", appID), n, err); err != nil {
			return err
		}
		for _, table := range tenantTables {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE app_id = ?`, appID); err != nil {
				return fmt.Errorf("sqlite: delete app %q: %s: %w", appID, table, err)
			}
		}
		return nil
	})
}

// affectedOne turns the result of a statement addressing one row into an
// error: the statement's own error, or ErrNotFound if no row matched.
func affectedOne(what string, n int64, err error) error {
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", what, store.ErrNotFound)
	}
	return nil
}

// ListAppIDs spans all apps by design: it feeds the background jobs.
func (s *Store) ListAppIDs(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM apps ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list app ids: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: list app ids: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list app ids: %w", err)
	}
	return ids, nil
}
