package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// ListUsers merges the user ids of credentials and aliases. Each side
// contributes at most limit ids read in order from its (app_id, user_id)
// index, so the cost follows limit rather than the size of the app; the
// per-user figures are then looked up for the chosen ids only. A limit of
// zero or less returns no users.
func (s *Store) ListUsers(ctx context.Context, appID string, limit int) ([]store.UserSummary, error) {
	if limit <= 0 {
		return nil, nil
	}
	users, err := queryList(ctx, s.pool, func(row pgx.Row) (store.UserSummary, error) {
		var (
			u     store.UserSummary
			count int64
		)
		if err := row.Scan(&u.UserID, &count, &u.LastUsedAt, &u.AliasPlaintexts); err != nil {
			return store.UserSummary{}, err
		}
		u.CredentialsCount = int(count)
		u.AliasPlaintexts = nilIfEmpty(u.AliasPlaintexts)
		return u, nil
	}, `WITH ids AS (
			SELECT user_id FROM (
				SELECT DISTINCT user_id FROM credentials WHERE app_id = $1 ORDER BY user_id LIMIT $2
			) c
			UNION
			SELECT user_id FROM (
				SELECT DISTINCT user_id FROM aliases WHERE app_id = $1 ORDER BY user_id LIMIT $2
			) a
			ORDER BY user_id
			LIMIT $2
		)
		SELECT ids.user_id, c.n, c.last_used_at, COALESCE(a.plaintexts, '{}')
		FROM ids
		CROSS JOIN LATERAL (
			SELECT COUNT(*) AS n, MAX(last_used_at) AS last_used_at FROM credentials
			WHERE app_id = $1 AND user_id = ids.user_id
		) c
		CROSS JOIN LATERAL (
			SELECT array_agg(COALESCE(plaintext, '') ORDER BY hash) AS plaintexts FROM aliases
			WHERE app_id = $1 AND user_id = ids.user_id
		) a
		ORDER BY ids.user_id`, appID, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: list users of app %q: %w", appID, err)
	}
	return users, nil
}

// DeleteUser removes the user's credentials and aliases in one statement,
// which is atomic like a transaction.
func (s *Store) DeleteUser(ctx context.Context, appID, userID string) error {
	_, err := s.pool.Exec(ctx, `WITH creds AS (
			DELETE FROM credentials WHERE app_id = $1 AND user_id = $2
		)
		DELETE FROM aliases WHERE app_id = $1 AND user_id = $2`, appID, userID)
	if err != nil {
		return fmt.Errorf("postgres: delete user %q of app %q: %w", userID, appID, err)
	}
	return nil
}
