package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		f := app.Features
		n, err := exec(ctx, tx, `INSERT INTO apps (`+appColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT DO NOTHING`,
			app.ID, app.AdminEmail, app.CreatedAt, app.DeleteAt,
			f.EventLoggingEnabled, f.EventLoggingRetentionDays, f.MagicLinkMonthlyQuota,
			f.MaxUsers, f.AllowAttestation, f.GenerateSignInTokenEnabled,
			f.MagicLinksEnabled, f.DeveloperLoggingEndsAt,
			nonNilStrings(f.AllowedOrigins), nonNilStrings(f.AllowedRPIDs))
		if err != nil {
			return fmt.Errorf("postgres: create app %q: %w", app.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("postgres: create app %q: %w", app.ID, store.ErrConflict)
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
	row := s.pool.QueryRow(ctx, `SELECT `+appColumns+` FROM apps WHERE id = $1`, appID)
	app, err := scanApp(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.App{}, fmt.Errorf("postgres: get app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return store.App{}, fmt.Errorf("postgres: get app %q: %w", appID, err)
	}
	return app, nil
}

func scanApp(row pgx.Row) (store.App, error) {
	var (
		app = store.App{}
		f   = &app.Features
	)
	err := row.Scan(&app.ID, &app.AdminEmail, &app.CreatedAt, &app.DeleteAt,
		&f.EventLoggingEnabled, &f.EventLoggingRetentionDays, &f.MagicLinkMonthlyQuota,
		&f.MaxUsers, &f.AllowAttestation, &f.GenerateSignInTokenEnabled,
		&f.MagicLinksEnabled, &f.DeveloperLoggingEndsAt, &f.AllowedOrigins, &f.AllowedRPIDs)
	if err != nil {
		return store.App{}, err
	}
	f.AllowedOrigins = nilIfEmpty(f.AllowedOrigins)
	f.AllowedRPIDs = nilIfEmpty(f.AllowedRPIDs)
	return app, nil
}

// UpdateFeatures writes the Set members in one UPDATE.
func (s *Store) UpdateFeatures(ctx context.Context, appID string, u store.FeaturesUpdate) error {
	sets, args := featureAssignments(u)
	args = append(args, appID)
	n, err := exec(ctx, s.pool, `UPDATE apps SET `+strings.Join(sets, ", ")+
		` WHERE id = $`+strconv.Itoa(len(args)), args...)
	return affectedOne(fmt.Sprintf("update features of app %q", appID), n, err)
}

// featureAssignments returns the SET clauses of the Set members and their
// arguments ($1, $2, … in order); with none Set, a no-op that still tells
// whether the app exists.
func featureAssignments(u store.FeaturesUpdate) ([]string, []any) {
	var (
		sets []string
		args []any
	)
	add := func(column string, set bool, v any) {
		if set {
			args = append(args, v)
			sets = append(sets, column+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("event_logging_enabled", u.EventLoggingEnabled.Set, u.EventLoggingEnabled.Value)
	add("event_logging_retention_days", u.EventLoggingRetentionDays.Set, u.EventLoggingRetentionDays.Value)
	add("magic_link_monthly_quota", u.MagicLinkMonthlyQuota.Set, u.MagicLinkMonthlyQuota.Value)
	add("max_users", u.MaxUsers.Set, u.MaxUsers.Value)
	add("allow_attestation", u.AllowAttestation.Set, u.AllowAttestation.Value)
	add("generate_sign_in_token_enabled", u.GenerateSignInTokenEnabled.Set, u.GenerateSignInTokenEnabled.Value)
	add("magic_links_enabled", u.MagicLinksEnabled.Set, u.MagicLinksEnabled.Value)
	add("developer_logging_ends_at", u.DeveloperLoggingEndsAt.Set, u.DeveloperLoggingEndsAt.Value)
	add("allowed_origins", u.AllowedOrigins.Set, nonNilStrings(u.AllowedOrigins.Value))
	add("allowed_rp_ids", u.AllowedRPIDs.Set, nonNilStrings(u.AllowedRPIDs.Value))
	if len(sets) == 0 {
		sets = []string{"id = id"}
	}
	return sets, args
}

// SetDeleteAt schedules or unschedules the app's deletion.
func (s *Store) SetDeleteAt(ctx context.Context, appID string, at *time.Time) error {
	n, err := exec(ctx, s.pool, `UPDATE apps SET delete_at = $1 WHERE id = $2`, at, appID)
	return affectedOne(fmt.Sprintf("set delete time of app %q", appID), n, err)
}

// ListAppsDueForDeletion spans all apps by design: it feeds the
// background job that deletes them.
func (s *Store) ListAppsDueForDeletion(ctx context.Context, now time.Time) ([]string, error) {
	ids, err := queryList(ctx, s.pool, scanString,
		`SELECT id FROM apps WHERE delete_at <= $1 ORDER BY id`, now)
	if err != nil {
		return nil, fmt.Errorf("postgres: list apps due for deletion: %w", err)
	}
	return ids, nil
}

// DeleteApp removes the app and all its rows in one transaction; if the
// app is unknown nothing is removed.
func (s *Store) DeleteApp(ctx context.Context, appID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		n, err := exec(ctx, tx, `DELETE FROM apps WHERE id = $1`, appID)
		if err := affectedOne(fmt.Sprintf("delete app %q", appID), n, err); err != nil {
			return err
		}
		// One round trip for all tables.
		b := &pgx.Batch{}
		for _, table := range tenantTables {
			b.Queue(`DELETE FROM `+table+` WHERE app_id = $1`, appID)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("postgres: delete app %q: %w", appID, err)
		}
		return nil
	})
}

// ListAppIDs spans all apps by design: it feeds the background jobs.
func (s *Store) ListAppIDs(ctx context.Context) ([]string, error) {
	ids, err := queryList(ctx, s.pool, scanString, `SELECT id FROM apps ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list app ids: %w", err)
	}
	return ids, nil
}
