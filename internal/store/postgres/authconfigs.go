package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

const authConfigColumns = `app_id, purpose, user_verification, ttl_ns, hints,
	created_by, created_on, edited_by, edited_on, last_used_on`

// authConfigArgs returns the values of authConfigColumns, in order.
func authConfigArgs(c store.AuthConfig) []any {
	return []any{c.AppID, c.Purpose, c.UserVerification, int64(c.TTL), nonNilStrings(c.Hints),
		c.CreatedBy, c.CreatedOn, c.EditedBy, c.EditedOn, c.LastUsedOn}
}

const authConfigValues = `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

func scanAuthConfig(row pgx.Row) (store.AuthConfig, error) {
	var (
		c   store.AuthConfig
		ttl int64
	)
	err := row.Scan(&c.AppID, &c.Purpose, &c.UserVerification, &ttl, &c.Hints,
		&c.CreatedBy, &c.CreatedOn, &c.EditedBy, &c.EditedOn, &c.LastUsedOn)
	if err != nil {
		return store.AuthConfig{}, err
	}
	c.TTL = time.Duration(ttl)
	c.Hints = nilIfEmpty(c.Hints)
	return c, nil
}

// ListAuthConfigs returns the app's configurations ordered by purpose.
func (s *Store) ListAuthConfigs(ctx context.Context, appID string) ([]store.AuthConfig, error) {
	list, err := queryList(ctx, s.pool, scanAuthConfig, `SELECT `+authConfigColumns+` FROM auth_configs
		WHERE app_id = $1 ORDER BY purpose`, appID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list auth configs of app %q: %w", appID, err)
	}
	return list, nil
}

// GetAuthConfig returns one configuration.
func (s *Store) GetAuthConfig(ctx context.Context, appID, purpose string) (store.AuthConfig, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+authConfigColumns+` FROM auth_configs
		WHERE app_id = $1 AND purpose = $2`, appID, purpose)
	c, err := scanAuthConfig(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.AuthConfig{}, fmt.Errorf("postgres: get auth config %q of app %q: %w", purpose, appID, store.ErrNotFound)
	}
	if err != nil {
		return store.AuthConfig{}, fmt.Errorf("postgres: get auth config %q of app %q: %w", purpose, appID, err)
	}
	return c, nil
}

// AddAuthConfig stores a new configuration; a stored purpose is a conflict.
func (s *Store) AddAuthConfig(ctx context.Context, c store.AuthConfig) error {
	n, err := exec(ctx, s.pool, `INSERT INTO auth_configs (`+authConfigColumns+`)
		VALUES `+authConfigValues+` ON CONFLICT DO NOTHING`, authConfigArgs(c)...)
	if err != nil {
		return fmt.Errorf("postgres: add auth config %q of app %q: %w", c.Purpose, c.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: add auth config %q of app %q: %w", c.Purpose, c.AppID, store.ErrConflict)
	}
	return nil
}

// PutAuthConfig inserts a configuration or overwrites every column of the
// stored one but last_used_on, which only TouchAuthConfig moves: an edit
// racing a sign-in must not put back the time the sign-in replaced.
func (s *Store) PutAuthConfig(ctx context.Context, c store.AuthConfig) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_configs (`+authConfigColumns+`)
		VALUES `+authConfigValues+`
		ON CONFLICT (app_id, purpose) DO UPDATE SET
			user_verification = EXCLUDED.user_verification, ttl_ns = EXCLUDED.ttl_ns,
			hints = EXCLUDED.hints, created_by = EXCLUDED.created_by,
			created_on = EXCLUDED.created_on, edited_by = EXCLUDED.edited_by,
			edited_on = EXCLUDED.edited_on`,
		authConfigArgs(c)...)
	if err != nil {
		return fmt.Errorf("postgres: put auth config %q of app %q: %w", c.Purpose, c.AppID, err)
	}
	return nil
}

// DeleteAuthConfig removes one configuration.
func (s *Store) DeleteAuthConfig(ctx context.Context, appID, purpose string) error {
	n, err := exec(ctx, s.pool, `DELETE FROM auth_configs WHERE app_id = $1 AND purpose = $2`, appID, purpose)
	return affectedOne(fmt.Sprintf("delete auth config %q of app %q", purpose, appID), n, err)
}

// TouchAuthConfig records a use of the purpose in one upsert: an existing
// row only gets last_used_on, a missing one is created from ifMissing. The
// row always belongs to (appID, purpose), whatever ifMissing carries.
func (s *Store) TouchAuthConfig(ctx context.Context, appID, purpose string, at time.Time, ifMissing store.AuthConfig) error {
	c := ifMissing
	c.AppID, c.Purpose, c.LastUsedOn = appID, purpose, &at
	_, err := s.pool.Exec(ctx, `INSERT INTO auth_configs (`+authConfigColumns+`)
		VALUES `+authConfigValues+`
		ON CONFLICT (app_id, purpose) DO UPDATE SET last_used_on = EXCLUDED.last_used_on`,
		authConfigArgs(c)...)
	if err != nil {
		return fmt.Errorf("postgres: touch auth config %q of app %q: %w", purpose, appID, err)
	}
	return nil
}
