package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// HitRateLimit counts one hit with a single upsert in a write job;
// RETURNING yields the count this very hit produced, so concurrent hits
// each see a distinct count. A later hit may extend the counter's expiry
// but never shortens it.
func (s *Store) HitRateLimit(ctx context.Context, key string, window, expiresAt time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.StmtContext(ctx, s.ws.hitRateLimit).QueryRowContext(ctx,
			key, encTime(window), encTime(expiresAt)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: hit rate limit %q: %w", key, err)
	}
	return n, nil
}

// PurgeRateLimitsBefore spans all keys by design: it is housekeeping run
// by a background job.
func (s *Store) PurgeRateLimitsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.execWrite(ctx, `DELETE FROM rate_limits WHERE expires_at < ?`, encTime(t)); err != nil {
		return fmt.Errorf("sqlite: purge rate limits: %w", err)
	}
	return nil
}
