package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// ListTokenKeys returns the app's token keys, newest first.
func (s *Store) ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error) {
	keys, err := queryList(ctx, s.pool, func(row pgx.Row) (store.TokenKey, error) {
		k := store.TokenKey{AppID: appID}
		var id int64
		if err := row.Scan(&id, &k.Material, &k.CreatedAt); err != nil {
			return store.TokenKey{}, err
		}
		k.ID = uint32(id)
		return k, nil
	}, `SELECT id, material, created_at FROM token_keys
		WHERE app_id = $1 ORDER BY created_at DESC, id DESC`, appID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list token keys of app %q: %w", appID, err)
	}
	return keys, nil
}

// GetTokenKey returns one token key of the app (a primary-key read).
func (s *Store) GetTokenKey(ctx context.Context, appID string, id uint32) (store.TokenKey, error) {
	k := store.TokenKey{AppID: appID, ID: id}
	err := s.pool.QueryRow(ctx, `SELECT material, created_at FROM token_keys
		WHERE app_id = $1 AND id = $2`, appID, int64(id)).Scan(&k.Material, &k.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.TokenKey{}, fmt.Errorf("postgres: get token key %d of app %q: %w", id, appID, store.ErrNotFound)
	}
	if err != nil {
		return store.TokenKey{}, fmt.Errorf("postgres: get token key %d of app %q: %w", id, appID, err)
	}
	return k, nil
}

// AddTokenKey stores one token key.
func (s *Store) AddTokenKey(ctx context.Context, key store.TokenKey) error {
	n, err := exec(ctx, s.pool, `INSERT INTO token_keys (app_id, id, material, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		key.AppID, int64(key.ID), nonNilBytes(key.Material), key.CreatedAt)
	if err != nil {
		return fmt.Errorf("postgres: add token key %d of app %q: %w", key.ID, key.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: add token key %d of app %q: %w", key.ID, key.AppID, store.ErrConflict)
	}
	return nil
}

// DeleteTokenKeysCreatedBefore removes the app's keys older than t.
func (s *Store) DeleteTokenKeysCreatedBefore(ctx context.Context, appID string, t time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM token_keys WHERE app_id = $1 AND created_at < $2`, appID, t)
	if err != nil {
		return fmt.Errorf("postgres: delete old token keys of app %q: %w", appID, err)
	}
	return nil
}
