package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/passwordless-oss/server/internal/store"
)

// userPageQuery is listUsersQuery with the page's key range: ?2 is the
// lower bound (exclusive after the last id of the previous page, or
// inclusive at a prefix), ?4 the upper bound of a prefix. Each side is a
// range read of its (app_id, user_id) index that stops after ?3 ids, so a
// deep page or a prefix costs what the first page does. The bounds are
// part of the query text rather than optional parameters: a condition such
// as "?4 IS NULL OR user_id < ?4" would leave the end of the range to a
// filter, and a prefix with few users would read to the end of the app.
func userPageQuery(inclusive, bounded bool) string {
	cond := "user_id > ?2"
	if inclusive {
		cond = "user_id >= ?2"
	}
	if bounded {
		cond += " AND user_id < ?4"
	}
	return `WITH ids AS (
		SELECT user_id FROM (SELECT DISTINCT user_id FROM credentials
			WHERE app_id = ?1 AND ` + cond + ` ORDER BY user_id LIMIT ?3)
		UNION
		SELECT user_id FROM (SELECT DISTINCT user_id FROM aliases
			WHERE app_id = ?1 AND ` + cond + ` ORDER BY user_id LIMIT ?3)
	)
	SELECT ids.user_id,
		(SELECT COUNT(*) FROM credentials c WHERE c.app_id = ?1 AND c.user_id = ids.user_id),
		(SELECT MAX(c.last_used_at) FROM credentials c WHERE c.app_id = ?1 AND c.user_id = ids.user_id),
		(SELECT json_group_array(coalesce(a.plaintext, '') ORDER BY a.hash) FROM aliases a
			WHERE a.app_id = ?1 AND a.user_id = ids.user_id)
	FROM ids ORDER BY ids.user_id LIMIT ?3`
}

// ListUsersPage returns one page of the user list; see userPageQuery.
func (s *Store) ListUsersPage(ctx context.Context, appID string, p store.UserPage) ([]store.UserSummary, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	lower, inclusive := p.After, false
	if p.Prefix > p.After {
		lower, inclusive = p.Prefix, true
	}
	end, bounded := store.PrefixEnd(p.Prefix)
	if bounded && lower >= end {
		return nil, nil
	}
	args := []any{appID, lower, p.Limit}
	if bounded {
		args = append(args, end)
	}
	rows, err := s.read.QueryContext(ctx, userPageQuery(inclusive, bounded), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users page of app %q: %w", appID, err)
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
			return nil, fmt.Errorf("sqlite: list users page of app %q: %w", appID, err)
		}
		if u.AliasPlaintexts, err = decStrings(plaintexts); err != nil {
			return nil, fmt.Errorf("sqlite: list users page of app %q: %w", appID, err)
		}
		u.LastUsedAt = decTimePtr(lastUsed)
		list = append(list, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users page of app %q: %w", appID, err)
	}
	return list, nil
}
