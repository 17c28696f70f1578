package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// ReplaceAliases replaces the user's whole alias set in one transaction.
func (s *Store) ReplaceAliases(ctx context.Context, appID, userID string, aliases []store.Alias) error {
	if err := store.CheckUserID(userID); err != nil {
		return fmt.Errorf("postgres: replace aliases of app %q: %w", appID, err)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		return replaceAliases(ctx, tx, appID, userID, aliases)
	})
}

// replaceAliases deletes the user's aliases and inserts the new set with
// ON CONFLICT DO NOTHING. After the delete, a hash that is not inserted
// belongs to another user (a concurrent insert of the same hash waits for
// the other transaction and is then skipped too); the caller's transaction
// is rolled back on the returned error, so nothing changes. Input hashes are
// deduplicated first, or a repeated hash would look like a conflict with
// itself.
func replaceAliases(ctx context.Context, tx pgx.Tx, appID, userID string, aliases []store.Alias) error {
	_, err := tx.Exec(ctx, `DELETE FROM aliases WHERE app_id = $1 AND user_id = $2`, appID, userID)
	if err != nil {
		return fmt.Errorf("postgres: replace aliases of user %q of app %q: %w", userID, appID, err)
	}
	list := dedupeAliases(aliases)
	if len(list) == 0 {
		return nil
	}
	hashes := make([]string, len(list))
	plaintexts := make([]string, len(list))
	for i, a := range list {
		hashes[i], plaintexts[i] = a.Hash, a.Plaintext
	}
	n, err := exec(ctx, tx, `INSERT INTO aliases (app_id, hash, user_id, plaintext)
		SELECT $1, h, $2, NULLIF(p, '') FROM unnest($3::text[], $4::text[]) AS a(h, p)
		ON CONFLICT DO NOTHING`, appID, userID, hashes, plaintexts)
	if err != nil {
		return fmt.Errorf("postgres: replace aliases of user %q of app %q: %w", userID, appID, err)
	}
	if n != int64(len(list)) {
		return fmt.Errorf("postgres: replace aliases of user %q of app %q: %w", userID, appID, store.ErrAliasConflict)
	}
	return nil
}

// dedupeAliases keeps the first occurrence of each hash.
func dedupeAliases(aliases []store.Alias) []store.Alias {
	seen := make(map[string]bool, len(aliases))
	out := make([]store.Alias, 0, len(aliases))
	for _, a := range aliases {
		if !seen[a.Hash] {
			seen[a.Hash] = true
			out = append(out, a)
		}
	}
	return out
}

// AliasOwner returns the user owning the alias hash.
func (s *Store) AliasOwner(ctx context.Context, appID, hash string) (string, error) {
	var userID string
	err := s.pool.QueryRow(ctx,
		`SELECT user_id FROM aliases WHERE app_id = $1 AND hash = $2`, appID, hash).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: alias owner in app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: alias owner in app %q: %w", appID, err)
	}
	return userID, nil
}

// ListAliases returns the user's aliases ordered by the bytes of the hash
// (the column's "C" collation).
func (s *Store) ListAliases(ctx context.Context, appID, userID string) ([]store.Alias, error) {
	list, err := queryList(ctx, s.pool, func(row pgx.Row) (store.Alias, error) {
		var a store.Alias
		err := row.Scan(&a.Hash, &a.Plaintext)
		return a, err
	}, `SELECT hash, COALESCE(plaintext, '') FROM aliases
		WHERE app_id = $1 AND user_id = $2 ORDER BY hash`, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list aliases of user %q of app %q: %w", userID, appID, err)
	}
	return list, nil
}
