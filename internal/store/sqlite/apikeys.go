package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

const apiKeyColumns = `app_id, id, kind, value, scopes, locked, last_locked_at, last_unlocked_at, created_at`

// AddAPIKey stores one key.
func (s *Store) AddAPIKey(ctx context.Context, key store.APIKey) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertAPIKey(ctx, tx, key)
	})
}

// insertAPIKey relies on ON CONFLICT DO NOTHING rather than on error codes
// to detect a taken id: zero rows inserted means the key exists.
func insertAPIKey(ctx context.Context, e execer, k store.APIKey) error {
	n, err := execAffected(ctx, e, `INSERT INTO api_keys (`+apiKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.AppID, k.ID, int(k.Kind), k.Value, encStrings(k.Scopes), k.Locked,
		encTimePtr(k.LastLockedAt), encTimePtr(k.LastUnlockedAt), encTime(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: add api key %q of app %q: %w", k.ID, k.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: add api key %q of app %q: %w", k.ID, k.AppID, store.ErrConflict)
	}
	return nil
}

// GetAPIKey returns one key of the app.
func (s *Store) GetAPIKey(ctx context.Context, appID, keyID string) (store.APIKey, error) {
	row := s.rs.getAPIKey.QueryRowContext(ctx, appID, keyID)
	k, err := scanAPIKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIKey{}, fmt.Errorf("sqlite: get api key %q of app %q: %w", keyID, appID, store.ErrNotFound)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("sqlite: get api key %q of app %q: %w", keyID, appID, err)
	}
	return k, nil
}

// ListAPIKeys returns the app's keys ordered by creation time, then id.
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]store.APIKey, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT `+apiKeyColumns+` FROM api_keys WHERE app_id = ? ORDER BY created_at, id`, appID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys of app %q: %w", appID, err)
	}
	defer rows.Close()
	var keys []store.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list api keys of app %q: %w", appID, err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list api keys of app %q: %w", appID, err)
	}
	return keys, nil
}

func scanAPIKey(row rowScanner) (store.APIKey, error) {
	var (
		k                  store.APIKey
		kind               int
		scopes             string
		lockedAt, unlocked sql.NullInt64
		createdAt          int64
	)
	err := row.Scan(&k.AppID, &k.ID, &kind, &k.Value, &scopes, &k.Locked, &lockedAt, &unlocked, &createdAt)
	if err != nil {
		return store.APIKey{}, err
	}
	if k.Scopes, err = decStrings(scopes); err != nil {
		return store.APIKey{}, err
	}
	k.Kind = store.KeyKind(kind)
	k.LastLockedAt = decTimePtr(lockedAt)
	k.LastUnlockedAt = decTimePtr(unlocked)
	k.CreatedAt = decTime(createdAt)
	return k, nil
}

// lockUpdate returns the SET clause for locking or unlocking: the flag and
// the one timestamp column that records the change.
func lockUpdate(locked bool) string {
	if locked {
		return `UPDATE api_keys SET locked = 1, last_locked_at = ?`
	}
	return `UPDATE api_keys SET locked = 0, last_unlocked_at = ?`
}

// SetAPIKeyLocked locks or unlocks one key.
func (s *Store) SetAPIKeyLocked(ctx context.Context, appID, keyID string, locked bool, at time.Time) error {
	n, err := s.execWrite(ctx, lockUpdate(locked)+` WHERE app_id = ? AND id = ?`,
		encTime(at), appID, keyID)
	return affectedOne(fmt.Sprintf("set lock of api key %q of app %q", keyID, appID), n, err)
}

// SetAllAPIKeysLocked locks or unlocks every key of the app.
func (s *Store) SetAllAPIKeysLocked(ctx context.Context, appID string, locked bool, at time.Time) error {
	_, err := s.execWrite(ctx, lockUpdate(locked)+` WHERE app_id = ?`, encTime(at), appID)
	if err != nil {
		return fmt.Errorf("sqlite: set lock of all api keys of app %q: %w", appID, err)
	}
	return nil
}

// DeleteAPIKey removes one key.
func (s *Store) DeleteAPIKey(ctx context.Context, appID, keyID string) error {
	n, err := s.execWrite(ctx, `DELETE FROM api_keys WHERE app_id = ? AND id = ?`, appID, keyID)
	return affectedOne(fmt.Sprintf("delete api key %q of app %q", keyID, appID), n, err)
}
