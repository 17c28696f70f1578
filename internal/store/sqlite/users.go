package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// DeleteCredential removes one credential with a single DELETE ...
// RETURNING, so the owner reported is the owner of the row removed.
func (s *Store) DeleteCredential(ctx context.Context, appID string, credentialID []byte) (string, error) {
	var userID string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM credentials
			WHERE app_id = ? AND credential_id = ? RETURNING user_id`,
			appID, nonNilBytes(credentialID)).Scan(&userID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: delete credential of app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: delete credential of app %q: %w", appID, err)
	}
	return userID, nil
}

// listUsersQuery picks the first ?2 user ids of the union of credential
// owners and alias owners; each side is limited on its own first, which
// cannot drop any of the overall first ?2 and lets both use their
// (app_id, user_id) index. The aggregates are then looked up per user.
const listUsersQuery = `WITH ids AS (
		SELECT user_id FROM (SELECT DISTINCT user_id FROM credentials
			WHERE app_id = ?1 ORDER BY user_id LIMIT ?2)
		UNION
		SELECT user_id FROM (SELECT DISTINCT user_id FROM aliases
			WHERE app_id = ?1 ORDER BY user_id LIMIT ?2)
	)
	SELECT ids.user_id,
		(SELECT COUNT(*) FROM credentials c WHERE c.app_id = ?1 AND c.user_id = ids.user_id),
		(SELECT MAX(c.last_used_at) FROM credentials c WHERE c.app_id = ?1 AND c.user_id = ids.user_id),
		(SELECT json_group_array(coalesce(a.plaintext, '') ORDER BY a.hash) FROM aliases a
			WHERE a.app_id = ?1 AND a.user_id = ids.user_id)
	FROM ids ORDER BY ids.user_id LIMIT ?2`

// ListUsers returns up to limit users owning credentials and/or aliases,
// ordered by user id. Alias plaintexts are listed in hash order, "" for
// hashed aliases. A limit of zero or less returns no users.
func (s *Store) ListUsers(ctx context.Context, appID string, limit int) ([]store.UserSummary, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, listUsersQuery, appID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.UserSummary
	for rows.Next() {
		var (
			u          store.UserSummary
			lastUsed   sql.NullInt64
			plaintexts string
		)
		if err := rows.Scan(&u.UserID, &u.CredentialsCount, &lastUsed, &plaintexts); err != nil {
			return nil, fmt.Errorf("sqlite: list users of app %q: %w", appID, err)
		}
		if u.AliasPlaintexts, err = decStrings(plaintexts); err != nil {
			return nil, fmt.Errorf("sqlite: list users of app %q: %w", appID, err)
		}
		u.LastUsedAt = decTimePtr(lastUsed)
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users of app %q: %w", appID, err)
	}
	return list, nil
}

// DeleteUser removes the user's credentials and aliases in one
// transaction.
func (s *Store) DeleteUser(ctx context.Context, appID, userID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, table := range []string{"credentials", "aliases"} {
			_, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE app_id = ? AND user_id = ?`, appID, userID)
			if err != nil {
				return fmt.Errorf("sqlite: delete user %q of app %q: %s: %w", userID, appID, table, err)
			}
		}
		return nil
	})
}

// countActiveUsersQuery reads only the credentials_last_used index: the
// entries of the app used at or after since.
const countActiveUsersQuery = `SELECT COUNT(DISTINCT user_id) FROM credentials
	WHERE app_id = ? AND last_used_at >= ?`

// CountActiveUsers counts the distinct users with a credential used at or
// after since.
func (s *Store) CountActiveUsers(ctx context.Context, appID string, since time.Time) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, countActiveUsersQuery, appID, encTime(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count active users of app %q: %w", appID, err)
	}
	return n, nil
}

// CountCredentials counts the app's credentials.
func (s *Store) CountCredentials(ctx context.Context, appID string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM credentials WHERE app_id = ?`, appID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count credentials of app %q: %w", appID, err)
	}
	return n, nil
}
