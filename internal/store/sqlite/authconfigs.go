package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

const authConfigColumns = `app_id, purpose, user_verification, ttl, hints,
	created_by, created_on, edited_by, edited_on, last_used_on`

// authConfigInsert inserts one configuration; callers append their
// ON CONFLICT clause.
const authConfigInsert = `INSERT INTO auth_configs (` + authConfigColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func authConfigArgs(c store.AuthConfig) []any {
	return []any{c.AppID, c.Purpose, c.UserVerification, encDuration(c.TTL), encStrings(c.Hints),
		c.CreatedBy, encTimePtr(c.CreatedOn), c.EditedBy, encTimePtr(c.EditedOn), encTimePtr(c.LastUsedOn)}
}

// ListAuthConfigs returns the app's stored configurations ordered by
// purpose.
func (s *Store) ListAuthConfigs(ctx context.Context, appID string) ([]store.AuthConfig, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+authConfigColumns+` FROM auth_configs
		WHERE app_id = ? ORDER BY purpose`, appID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list auth configs of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.AuthConfig
	for rows.Next() {
		c, err := scanAuthConfig(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list auth configs of app %q: %w", appID, err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list auth configs of app %q: %w", appID, err)
	}
	return list, nil
}

// GetAuthConfig returns one stored configuration.
func (s *Store) GetAuthConfig(ctx context.Context, appID, purpose string) (store.AuthConfig, error) {
	row := s.rs.getAuthConfig.QueryRowContext(ctx, appID, purpose)
	c, err := scanAuthConfig(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.AuthConfig{}, fmt.Errorf("sqlite: get auth config %q of app %q: %w", purpose, appID, store.ErrNotFound)
	}
	if err != nil {
		return store.AuthConfig{}, fmt.Errorf("sqlite: get auth config %q of app %q: %w", purpose, appID, err)
	}
	return c, nil
}

func scanAuthConfig(row rowScanner) (store.AuthConfig, error) {
	var (
		c                           store.AuthConfig
		ttl                         int64
		hints                       string
		createdOn, editedOn, usedOn sql.NullInt64
	)
	err := row.Scan(&c.AppID, &c.Purpose, &c.UserVerification, &ttl, &hints,
		&c.CreatedBy, &createdOn, &c.EditedBy, &editedOn, &usedOn)
	if err != nil {
		return store.AuthConfig{}, err
	}
	if c.Hints, err = decStrings(hints); err != nil {
		return store.AuthConfig{}, err
	}
	c.TTL = decDuration(ttl)
	c.CreatedOn = decTimePtr(createdOn)
	c.EditedOn = decTimePtr(editedOn)
	c.LastUsedOn = decTimePtr(usedOn)
	return c, nil
}

// AddAuthConfig stores a new configuration; a stored purpose makes the
// insert a no-op, reported as ErrConflict.
func (s *Store) AddAuthConfig(ctx context.Context, c store.AuthConfig) error {
	n, err := s.execWrite(ctx, authConfigInsert+` ON CONFLICT DO NOTHING`, authConfigArgs(c)...)
	if err != nil {
		return fmt.Errorf("sqlite: add auth config %q of app %q: %w", c.Purpose, c.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: add auth config %q of app %q: %w", c.Purpose, c.AppID, store.ErrConflict)
	}
	return nil
}

// PutAuthConfig inserts the configuration or overwrites every column of
// the stored one but last_used_on, which only TouchAuthConfig moves: an
// edit racing a sign-in must not put back the time the sign-in replaced.
func (s *Store) PutAuthConfig(ctx context.Context, c store.AuthConfig) error {
	_, err := s.execWrite(ctx, authConfigInsert+` ON CONFLICT (app_id, purpose) DO UPDATE SET
		user_verification = excluded.user_verification, ttl = excluded.ttl, hints = excluded.hints,
		created_by = excluded.created_by, created_on = excluded.created_on,
		edited_by = excluded.edited_by, edited_on = excluded.edited_on`, authConfigArgs(c)...)
	if err != nil {
		return fmt.Errorf("sqlite: put auth config %q of app %q: %w", c.Purpose, c.AppID, err)
	}
	return nil
}

// DeleteAuthConfig removes one stored configuration.
func (s *Store) DeleteAuthConfig(ctx context.Context, appID, purpose string) error {
	n, err := s.execWrite(ctx, `DELETE FROM auth_configs WHERE app_id = ? AND purpose = ?`, appID, purpose)
	return affectedOne(fmt.Sprintf("delete auth config %q of app %q", purpose, appID), n, err)
}

// TouchAuthConfig records a use of the purpose with one upsert: a stored
// row only gets last_used_on, a missing one is inserted from ifMissing.
// Being one statement, concurrent touches of a missing purpose cannot
// collide. ifMissing's AppID and Purpose are replaced by the arguments.
func (s *Store) TouchAuthConfig(ctx context.Context, appID, purpose string, at time.Time, ifMissing store.AuthConfig) error {
	c := ifMissing
	c.AppID, c.Purpose, c.LastUsedOn = appID, purpose, &at
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.ws.touchAuthConfig).ExecContext(ctx, authConfigArgs(c)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: touch auth config %q of app %q: %w", purpose, appID, err)
	}
	return nil
}
