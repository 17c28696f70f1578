package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// ListTokenKeys returns the app's token keys, newest first.
func (s *Store) ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, material, created_at FROM token_keys
		WHERE app_id = ? ORDER BY created_at DESC, id DESC`, appID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list token keys of app %q: %w", appID, err)
	}
	defer rows.Close()
	var keys []store.TokenKey
	for rows.Next() {
		k := store.TokenKey{AppID: appID}
		var id, createdAt int64
		if err := rows.Scan(&id, &k.Material, &createdAt); err != nil {
			return nil, fmt.Errorf("sqlite: list token keys of app %q: %w", appID, err)
		}
		k.ID = uint32(id)
		k.CreatedAt = decTime(createdAt)
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list token keys of app %q: %w", appID, err)
	}
	return keys, nil
}

// GetTokenKey returns one token key of the app (a primary-key read).
func (s *Store) GetTokenKey(ctx context.Context, appID string, id uint32) (store.TokenKey, error) {
	k := store.TokenKey{AppID: appID, ID: id}
	var createdAt int64
	err := s.read.QueryRowContext(ctx, `SELECT material, created_at FROM token_keys
		WHERE app_id = ? AND id = ?`, appID, int64(id)).Scan(&k.Material, &createdAt)
	if errors.Is(err, sql.ErrNoRows) {
		return store.TokenKey{}, fmt.Errorf("sqlite: get token key %d of app %q: %w", id, appID, store.ErrNotFound)
	}
	if err != nil {
		return store.TokenKey{}, fmt.Errorf("sqlite: get token key %d of app %q: %w", id, appID, err)
	}
	k.CreatedAt = decTime(createdAt)
	return k, nil
}

// AddTokenKey stores one token key.
func (s *Store) AddTokenKey(ctx context.Context, key store.TokenKey) error {
	n, err := s.execWrite(ctx, `INSERT INTO token_keys (app_id, id, material, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		key.AppID, int64(key.ID), nonNilBytes(key.Material), encTime(key.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: add token key %d of app %q: %w", key.ID, key.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: add token key %d of app %q: %w", key.ID, key.AppID, store.ErrConflict)
	}
	return nil
}

// DeleteTokenKeysCreatedBefore removes the app's keys older than t.
func (s *Store) DeleteTokenKeysCreatedBefore(ctx context.Context, appID string, t time.Time) error {
	_, err := s.execWrite(ctx, `DELETE FROM token_keys WHERE app_id = ? AND created_at < ?`,
		appID, encTime(t))
	if err != nil {
		return fmt.Errorf("sqlite: delete old token keys of app %q: %w", appID, err)
	}
	return nil
}
