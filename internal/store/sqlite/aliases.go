package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/passwordless-oss/server/internal/store"
)

// ReplaceAliases replaces the user's whole alias set in one transaction.
func (s *Store) ReplaceAliases(ctx context.Context, appID, userID string, aliases []store.Alias) error {
	if err := store.CheckUserID(userID); err != nil {
		return fmt.Errorf("sqlite: replace aliases of app %q: %w", appID, err)
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.replaceAliases(ctx, tx, appID, userID, aliases)
	})
}

// replaceAliases deletes the user's aliases and inserts the new set. After
// the delete, a hash that cannot be inserted belongs to another user; the
// caller's transaction is then rolled back, so nothing changes. Input
// hashes are deduplicated first, or a repeated hash would look like a
// conflict with itself.
func (s *Store) replaceAliases(ctx context.Context, tx *sql.Tx, appID, userID string, aliases []store.Alias) error {
	if _, err := stmtAffected(ctx, tx, s.ws.deleteAliases, appID, userID); err != nil {
		return fmt.Errorf("sqlite: replace aliases of user %q of app %q: %w", userID, appID, err)
	}
	for _, a := range dedupeAliases(aliases) {
		n, err := stmtAffected(ctx, tx, s.ws.insertAlias, appID, a.Hash, userID, nullIfEmpty(a.Plaintext))
		if err != nil {
			return fmt.Errorf("sqlite: replace aliases of user %q of app %q: %w", userID, appID, err)
		}
		if n == 0 {
			return fmt.Errorf("sqlite: replace aliases of user %q of app %q: %w", userID, appID, store.ErrAliasConflict)
		}
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
	err := s.rs.aliasOwner.QueryRowContext(ctx, appID, hash).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: alias owner in app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: alias owner in app %q: %w", appID, err)
	}
	return userID, nil
}

// ListAliases returns the user's aliases ordered by hash.
func (s *Store) ListAliases(ctx context.Context, appID, userID string) ([]store.Alias, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT hash, plaintext FROM aliases
		WHERE app_id = ? AND user_id = ? ORDER BY hash`, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list aliases of user %q of app %q: %w", userID, appID, err)
	}
	defer rows.Close()
	var list []store.Alias
	for rows.Next() {
		var (
			a         store.Alias
			plaintext sql.NullString
		)
		if err := rows.Scan(&a.Hash, &plaintext); err != nil {
			return nil, fmt.Errorf("sqlite: list aliases of user %q of app %q: %w", userID, appID, err)
		}
		a.Plaintext = plaintext.String
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list aliases of user %q of app %q: %w", userID, appID, err)
	}
	return list, nil
}
