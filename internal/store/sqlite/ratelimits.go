package sqlite

import (
	"context"
	"fmt"
	"time"
)

// HitRateLimit counts one hit with a single upsert on the write
// connection; RETURNING yields the count this very hit produced, so
// concurrent hits each see a distinct count. A later hit may extend the
// counter's expiry but never shortens it.
func (s *Store) HitRateLimit(ctx context.Context, key string, window, expiresAt time.Time) (int64, error) {
	var n int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO rate_limits (key, window_start, count, expires_at)
		VALUES (?, ?, 1, ?) ON CONFLICT (key, window_start) DO UPDATE SET
		count = count + 1, expires_at = max(expires_at, excluded.expires_at)
		RETURNING count`, key, encTime(window), encTime(expiresAt)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: hit rate limit %q: %w", key, err)
	}
	return n, nil
}

// PurgeRateLimitsBefore spans all keys by design: it is housekeeping run
// by a background job.
func (s *Store) PurgeRateLimitsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM rate_limits WHERE expires_at < ?`, encTime(t)); err != nil {
		return fmt.Errorf("sqlite: purge rate limits: %w", err)
	}
	return nil
}
