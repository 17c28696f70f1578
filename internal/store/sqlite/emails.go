package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// AddDispatchedEmail records a sent e-mail. Ids are unique across apps; a
// stored id is reported as ErrConflict.
func (s *Store) AddDispatchedEmail(ctx context.Context, e store.DispatchedEmail) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertDispatchedEmail(ctx, tx, e)
	})
}

func insertDispatchedEmail(ctx context.Context, ex execer, e store.DispatchedEmail) error {
	n, err := execAffected(ctx, ex, `INSERT INTO dispatched_emails
		(id, app_id, created_at, user_id, email_address, link_template)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ID, e.AppID, encTime(e.CreatedAt), e.UserID, e.EmailAddress, e.LinkTemplate)
	if err != nil {
		return fmt.Errorf("sqlite: add dispatched e-mail %q of app %q: %w", e.ID, e.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: add dispatched e-mail %q of app %q: %w", e.ID, e.AppID, store.ErrConflict)
	}
	return nil
}

// ReserveDispatchedEmail counts the app's records since since and inserts e
// in one write transaction. Write transactions start with BEGIN IMMEDIATE,
// which takes the database's write lock before the count, so no other
// writer (on this Store's single write connection or in another process
// sharing the file) can insert between the count and the insert.
func (s *Store) ReserveDispatchedEmail(ctx context.Context, e store.DispatchedEmail, since time.Time, limit int64) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int64
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dispatched_emails
			WHERE app_id = ? AND created_at >= ?`, e.AppID, encTime(since)).Scan(&n)
		if err != nil {
			return fmt.Errorf("sqlite: reserve dispatched e-mail of app %q: %w", e.AppID, err)
		}
		if n >= limit {
			return fmt.Errorf("sqlite: reserve dispatched e-mail of app %q: %w", e.AppID, store.ErrQuotaExceeded)
		}
		return insertDispatchedEmail(ctx, tx, e)
	})
}

// DeleteDispatchedEmail removes one record of the app.
func (s *Store) DeleteDispatchedEmail(ctx context.Context, appID, id string) error {
	n, err := s.execWrite(ctx, `DELETE FROM dispatched_emails WHERE app_id = ? AND id = ?`, appID, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete dispatched e-mail %q of app %q: %w", id, appID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: delete dispatched e-mail %q of app %q: %w", id, appID, store.ErrNotFound)
	}
	return nil
}

// CountDispatchedEmailsSince counts the app's e-mails sent at or after t.
func (s *Store) CountDispatchedEmailsSince(ctx context.Context, appID string, t time.Time) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM dispatched_emails
		WHERE app_id = ? AND created_at >= ?`, appID, encTime(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count dispatched e-mails of app %q: %w", appID, err)
	}
	return n, nil
}

// PurgeDispatchedEmailsBefore spans all apps by design: it is housekeeping
// run by a background job.
func (s *Store) PurgeDispatchedEmailsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.execWrite(ctx, `DELETE FROM dispatched_emails WHERE created_at < ?`, encTime(t)); err != nil {
		return fmt.Errorf("sqlite: purge dispatched e-mails: %w", err)
	}
	return nil
}
