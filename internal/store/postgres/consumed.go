package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// ConsumeOnce records a single-use id. The primary key (app_id, id) makes
// the insert succeed exactly once across all connections and instances: a
// concurrent insert of the same key waits for the first one's transaction
// and then does nothing, which shows as zero affected rows.
func (s *Store) ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error {
	n, err := exec(ctx, s.pool, `INSERT INTO consumed (app_id, id, expires_at)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, appID, id, expiresAt)
	if err != nil {
		return fmt.Errorf("postgres: consume %q of app %q: %w", id, appID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: consume %q of app %q: %w", id, appID, store.ErrAlreadyUsed)
	}
	return nil
}

// PurgeConsumedBefore spans all apps by design: it is housekeeping for the
// whole database, run by a background job.
func (s *Store) PurgeConsumedBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM consumed WHERE expires_at < $1`, t); err != nil {
		return fmt.Errorf("postgres: purge consumed ids: %w", err)
	}
	return nil
}
