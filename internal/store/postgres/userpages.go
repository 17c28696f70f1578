package postgres

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// userPageQuery is the query of ListUsers with the page's key range: $2 is
// the lower bound (exclusive after the last id of the previous page, or
// inclusive at a prefix), $4 the upper bound of a prefix. Each side is a
// range read of its (app_id, user_id) index that stops after $3 ids, so a
// deep page or a prefix costs what the first page does. The bounds are
// part of the query text rather than optional parameters: a condition such
// as "$4 IS NULL OR user_id < $4" would leave the end of the range to a
// filter, and a prefix with few users would read to the end of the app.
func userPageQuery(inclusive, bounded bool) string {
	cond := "user_id > $2"
	if inclusive {
		cond = "user_id >= $2"
	}
	if bounded {
		cond += " AND user_id < $4"
	}
	return `WITH ids AS (
			SELECT user_id FROM (
				SELECT DISTINCT user_id FROM credentials WHERE app_id = $1 AND ` + cond + ` ORDER BY user_id LIMIT $3
			) c
			UNION
			SELECT user_id FROM (
				SELECT DISTINCT user_id FROM aliases WHERE app_id = $1 AND ` + cond + ` ORDER BY user_id LIMIT $3
			) a
			ORDER BY user_id
			LIMIT $3
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
		ORDER BY ids.user_id`
}

// ListUsersPage returns one page of the user list; see userPageQuery.
func (s *Store) ListUsersPage(ctx context.Context, appID string, p store.UserPage) ([]store.UserSummary, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	// A stored user id is text: valid UTF-8 without NUL, and a bound that
	// is not cannot be sent. Such a bound never comes from a stored id, so
	// the page is empty.
	if !isText(p.Prefix) || !isText(p.After) {
		return nil, nil
	}
	after := p.After
	lower, inclusive := after, false
	if p.Prefix > after {
		lower, inclusive = p.Prefix, true
	}
	end, bounded := store.PrefixEnd(p.Prefix)
	if bounded && lower >= end {
		return nil, nil
	}
	args := []any{appID, lower, int64(p.Limit)}
	if bounded {
		args = append(args, end)
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
	}, userPageQuery(inclusive, bounded), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users page of app %q: %w", appID, err)
	}
	return users, nil
}

func isText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }
