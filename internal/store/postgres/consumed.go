package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// ConsumeOnce records a single-use id. The primary key (app_id, id) makes
// the insert succeed exactly once across all connections and instances: a
// concurrent insert of the same key waits for the first one's transaction
// and then does nothing, which shows as zero affected rows.
func (s *Store) ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error {
	return consumeOnce(ctx, s.pool, appID, id, expiresAt)
}

// consumeInTx consumes once, if not nil, inside tx, so that it stays
// unconsumed when the rest of the transaction rolls back. A concurrent
// transaction consuming the same id waits on the inserted key until this one
// ends: it then gets ErrAlreadyUsed after a commit, or consumes the id
// itself after a rollback.
func consumeInTx(ctx context.Context, tx pgx.Tx, appID string, once *store.Once) error {
	if once == nil {
		return nil
	}
	return consumeOnce(ctx, tx, appID, once.ID, once.ExpiresAt)
}

func consumeOnce(ctx context.Context, q querier, appID, id string, expiresAt time.Time) error {
	n, err := exec(ctx, q, `INSERT INTO consumed (app_id, id, expires_at)
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
