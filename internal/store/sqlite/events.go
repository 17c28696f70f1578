package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

const eventColumns = `id, app_id, performed_at, type, message, severity, performed_by, subject, api_key_id`

// AddEvents stores a batch of events, of any apps, in one transaction. Event
// ids are unique across apps; an id stored before is reported as
// ErrConflict and nothing of the batch is written.
func (s *Store) AddEvents(ctx context.Context, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, e := range events {
			n, err := execAffected(ctx, tx, `INSERT INTO events (`+eventColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				e.ID, e.AppID, encTime(e.PerformedAt), e.Type, e.Message, e.Severity,
				e.PerformedBy, e.Subject, e.APIKeyID)
			if err != nil {
				return fmt.Errorf("sqlite: add event %q of app %q: %w", e.ID, e.AppID, err)
			}
			if n == 0 {
				return fmt.Errorf("sqlite: add event %q of app %q: %w", e.ID, e.AppID, store.ErrConflict)
			}
		}
		return nil
	})
}

// ListEvents returns one page of the app's events, newest first, and the
// app's total. Both queries run in one read transaction, so the page and
// the total come from the same snapshot. A negative offset counts as 0; a
// limit of zero or less returns only the total.
func (s *Store) ListEvents(ctx context.Context, appID string, offset, limit int) ([]store.Event, int64, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list events of app %q: begin: %w", appID, err)
	}
	defer tx.Rollback() // read-only: nothing to commit

	var total int64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE app_id = ?`, appID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count events of app %q: %w", appID, err)
	}
	if limit <= 0 || total == 0 {
		return nil, total, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE app_id = ?
		ORDER BY performed_at DESC, id DESC LIMIT ? OFFSET ?`, appID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list events of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.Event
	for rows.Next() {
		var (
			e           store.Event
			performedAt int64
		)
		err := rows.Scan(&e.ID, &e.AppID, &performedAt, &e.Type, &e.Message, &e.Severity,
			&e.PerformedBy, &e.Subject, &e.APIKeyID)
		if err != nil {
			return nil, 0, fmt.Errorf("sqlite: list events of app %q: %w", appID, err)
		}
		e.PerformedAt = decTime(performedAt)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlite: list events of app %q: %w", appID, err)
	}
	return list, total, nil
}

// DeleteEventsBefore removes the app's events performed before t.
func (s *Store) DeleteEventsBefore(ctx context.Context, appID string, t time.Time) error {
	_, err := s.execWrite(ctx, `DELETE FROM events WHERE app_id = ? AND performed_at < ?`,
		appID, encTime(t))
	if err != nil {
		return fmt.Errorf("sqlite: delete old events of app %q: %w", appID, err)
	}
	return nil
}
