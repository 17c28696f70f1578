package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// ConsumeOnce records a single-use id. The primary key (app_id, id) makes
// the insert succeed exactly once; ON CONFLICT DO NOTHING turns every later
// attempt into zero affected rows instead of an error to decode.
func (s *Store) ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.consumeOnce(ctx, tx, appID, id, expiresAt)
	})
}

// consumeInTx consumes once, if not nil, inside tx, so that it stays
// unconsumed when the rest of the transaction rolls back.
func (s *Store) consumeInTx(ctx context.Context, tx *sql.Tx, appID string, once *store.Once) error {
	if once == nil {
		return nil
	}
	return s.consumeOnce(ctx, tx, appID, once.ID, once.ExpiresAt)
}

func (s *Store) consumeOnce(ctx context.Context, tx *sql.Tx, appID, id string, expiresAt time.Time) error {
	n, err := stmtAffected(ctx, tx, s.ws.consume, appID, id, encTime(expiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: consume %q of app %q: %w", id, appID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: consume %q of app %q: %w", id, appID, store.ErrAlreadyUsed)
	}
	return nil
}

// PurgeConsumedBefore spans all apps by design: it is housekeeping for the
// whole database, run by a background job (hourly). It also refreshes the
// planner statistics of tables that have grown or shrunk a lot since they
// were last analyzed (see stats.go), in a job of its own after the purge,
// so a failed refresh cannot undo the purge.
func (s *Store) PurgeConsumedBefore(ctx context.Context, t time.Time) error {
	if _, err := s.execWrite(ctx, `DELETE FROM consumed WHERE expires_at < ?`, encTime(t)); err != nil {
		return fmt.Errorf("sqlite: purge consumed ids: %w", err)
	}
	return s.refreshStatsJob(ctx)
}
