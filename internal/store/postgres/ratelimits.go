package postgres

import (
	"context"
	"fmt"
	"time"
)

// HitRateLimit counts one hit in one upsert: the first hit of a window
// inserts 1, every later one increments under the row's lock, so concurrent
// hits from any number of instances each see a distinct count. expires_at
// only ever moves later.
func (s *Store) HitRateLimit(ctx context.Context, key string, window, expiresAt time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `INSERT INTO rate_limits (key, window_start, count, expires_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (key, window_start) DO UPDATE SET
			count = rate_limits.count + 1,
			expires_at = GREATEST(rate_limits.expires_at, EXCLUDED.expires_at)
		RETURNING count`, key, window, expiresAt).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: hit rate limit %q: %w", key, err)
	}
	return n, nil
}

// PurgeRateLimitsBefore removes counters that expired before t.
func (s *Store) PurgeRateLimitsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM rate_limits WHERE expires_at < $1`, t); err != nil {
		return fmt.Errorf("postgres: purge rate limits: %w", err)
	}
	return nil
}
