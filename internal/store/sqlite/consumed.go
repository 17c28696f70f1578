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
	return consumeOnce(ctx, s.write, appID, id, expiresAt)
}

// consumeInTx consumes once, if not nil, inside tx, so that it stays
// unconsumed when the rest of the transaction rolls back.
func consumeInTx(ctx context.Context, tx *sql.Tx, appID string, once *store.Once) error {
	if once == nil {
		return nil
	}
	return consumeOnce(ctx, tx, appID, once.ID, once.ExpiresAt)
}

func consumeOnce(ctx context.Context, e execer, appID, id string, expiresAt time.Time) error {
	n, err := execAffected(ctx, e, `INSERT INTO consumed (app_id, id, expires_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, appID, id, encTime(expiresAt))
	if err != nil {
		return fmt.Errorf("sqlite: consume %q of app %q: %w", id, appID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: consume %q of app %q: %w", id, appID, store.ErrAlreadyUsed)
	}
	return nil
}

// PurgeConsumedBefore spans all apps by design: it is housekeeping for the
// whole database, run by a background job.
func (s *Store) PurgeConsumedBefore(ctx context.Context, t time.Time) error {
	if _, err := s.write.ExecContext(ctx, `DELETE FROM consumed WHERE expires_at < ?`, encTime(t)); err != nil {
		return fmt.Errorf("sqlite: purge consumed ids: %w", err)
	}
	return nil
}
