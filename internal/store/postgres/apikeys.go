package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

const apiKeyColumns = `app_id, id, kind, value, scopes, locked, last_locked_at, last_unlocked_at, created_at`

// AddAPIKey stores one key.
func (s *Store) AddAPIKey(ctx context.Context, key store.APIKey) error {
	return insertAPIKey(ctx, s.pool, key)
}

// insertAPIKey relies on ON CONFLICT DO NOTHING rather than on error codes
// to detect a taken id: zero rows inserted means the key exists.
func insertAPIKey(ctx context.Context, q querier, k store.APIKey) error {
	n, err := exec(ctx, q, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		k.AppID, k.ID, int32(k.Kind), k.Value, nonNilStrings(k.Scopes), k.Locked,
		k.LastLockedAt, k.LastUnlockedAt, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: add api key %q of app %q: %w", k.ID, k.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: add api key %q of app %q: %w", k.ID, k.AppID, store.ErrConflict)
	}
	return nil
}

// GetAPIKey returns one key of the app.
func (s *Store) GetAPIKey(ctx context.Context, appID, keyID string) (store.APIKey, error) {
	row := s.pool.QueryRow(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE app_id = $1 AND id = $2`, appID, keyID)
	k, err := scanAPIKey(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.APIKey{}, fmt.Errorf("postgres: get api key %q of app %q: %w", keyID, appID, store.ErrNotFound)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("postgres: get api key %q of app %q: %w", keyID, appID, err)
	}
	return k, nil
}

// ListAPIKeys returns the app's keys ordered by creation time, then id.
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]store.APIKey, error) {
	keys, err := queryList(ctx, s.pool, scanAPIKey,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE app_id = $1 ORDER BY created_at, id`, appID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys of app %q: %w", appID, err)
	}
	return keys, nil
}

func scanAPIKey(row pgx.Row) (store.APIKey, error) {
	var (
		k    store.APIKey
		kind int32
	)
	err := row.Scan(&k.AppID, &k.ID, &kind, &k.Value, &k.Scopes, &k.Locked,
		&k.LastLockedAt, &k.LastUnlockedAt, &k.CreatedAt)
	if err != nil {
		return store.APIKey{}, err
	}
	k.Kind = store.KeyKind(kind)
	k.Scopes = nilIfEmpty(k.Scopes)
	return k, nil
}

// lockUpdate returns the SET clause for locking or unlocking: the flag and
// the one timestamp column that records the change ($1).
func lockUpdate(locked bool) string {
	if locked {
		return `UPDATE api_keys SET locked = true, last_locked_at = $1`
	}
	return `UPDATE api_keys SET locked = false, last_unlocked_at = $1`
}

// SetAPIKeyLocked locks or unlocks one key.
func (s *Store) SetAPIKeyLocked(ctx context.Context, appID, keyID string, locked bool, at time.Time) error {
	n, err := exec(ctx, s.pool, lockUpdate(locked)+` WHERE app_id = $2 AND id = $3`, at, appID, keyID)
	return affectedOne(fmt.Sprintf("set lock of api key %q of app %q", keyID, appID), n, err)
}

// SetAllAPIKeysLocked locks or unlocks every key of the app.
func (s *Store) SetAllAPIKeysLocked(ctx context.Context, appID string, locked bool, at time.Time) error {
	if _, err := s.pool.Exec(ctx, lockUpdate(locked)+` WHERE app_id = $2`, at, appID); err != nil {
		return fmt.Errorf("postgres: set lock of all api keys of app %q: %w", appID, err)
	}
	return nil
}

// DeleteAPIKey removes one key.
func (s *Store) DeleteAPIKey(ctx context.Context, appID, keyID string) error {
	n, err := exec(ctx, s.pool, `DELETE FROM api_keys WHERE app_id = $1 AND id = $2`, appID, keyID)
	return affectedOne(fmt.Sprintf("delete api key %q of app %q", keyID, appID), n, err)
}
