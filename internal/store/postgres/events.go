package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// AddEvents stores a batch of events (of any apps) with one INSERT in a
// transaction. Event ids are unique across apps: ON CONFLICT DO NOTHING
// skips an id that is stored already (or repeated within the batch), and
// fewer rows than events means a conflict, which rolls the whole batch back.
func (s *Store) AddEvents(ctx context.Context, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	var (
		ids, appIDs, messages, performedBy, subjects, apiKeyIDs []string
		performedAt                                             []time.Time
		types, severities                                       []int64
	)
	for _, e := range events {
		ids = append(ids, e.ID)
		appIDs = append(appIDs, e.AppID)
		performedAt = append(performedAt, e.PerformedAt)
		types = append(types, int64(e.Type))
		messages = append(messages, e.Message)
		severities = append(severities, int64(e.Severity))
		performedBy = append(performedBy, e.PerformedBy)
		subjects = append(subjects, e.Subject)
		apiKeyIDs = append(apiKeyIDs, e.APIKeyID)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		n, err := exec(ctx, tx, `INSERT INTO events
				(id, app_id, performed_at, type, message, severity, performed_by, subject, api_key_id)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::integer[], $5::text[],
				$6::integer[], $7::text[], $8::text[], $9::text[])
			ON CONFLICT DO NOTHING`,
			ids, appIDs, performedAt, types, messages, severities, performedBy, subjects, apiKeyIDs)
		if err != nil {
			return fmt.Errorf("postgres: add %d events: %w", len(events), err)
		}
		if n != int64(len(events)) {
			return fmt.Errorf("postgres: add %d events: %w", len(events), store.ErrConflict)
		}
		return nil
	})
}

// ListEvents returns one page of the app's events, newest first, and the
// app's total count, both from one statement (one snapshot). The page is
// read in the order of the (app_id, performed_at DESC, id DESC) index, so
// its cost grows with offset+limit; only the total has to count all of the
// app's events. A
// negative offset counts as 0; a limit of zero or less returns only the
// total.
func (s *Store) ListEvents(ctx context.Context, appID string, offset, limit int) ([]store.Event, int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.total, e.id, e.performed_at, e.type, e.message,
			e.severity, e.performed_by, e.subject, e.api_key_id
		FROM (SELECT COUNT(*) AS total FROM events WHERE app_id = $1) t
		LEFT JOIN LATERAL (
			SELECT * FROM events WHERE app_id = $1
			ORDER BY performed_at DESC, id DESC
			OFFSET $2 LIMIT $3
		) e ON true
		ORDER BY e.performed_at DESC, e.id DESC`, appID, int64(max(offset, 0)), int64(max(limit, 0)))
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list events of app %q: %w", appID, err)
	}
	defer rows.Close()
	var (
		total  int64
		events []store.Event
	)
	for rows.Next() {
		var (
			id, message, performedBy, subject, apiKeyID *string
			performedAt                                 *time.Time
			typ, severity                               *int32
		)
		err := rows.Scan(&total, &id, &performedAt, &typ, &message, &severity, &performedBy, &subject, &apiKeyID)
		if err != nil {
			return nil, 0, fmt.Errorf("postgres: list events of app %q: %w", appID, err)
		}
		if id == nil {
			continue // the page is empty; only the total came back
		}
		events = append(events, store.Event{
			ID:          *id,
			AppID:       appID,
			PerformedAt: *performedAt,
			Type:        int(*typ),
			Message:     *message,
			Severity:    int(*severity),
			PerformedBy: *performedBy,
			Subject:     *subject,
			APIKeyID:    *apiKeyID,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("postgres: list events of app %q: %w", appID, err)
	}
	return events, total, nil
}

// DeleteEventsBefore removes the app's events performed before t.
func (s *Store) DeleteEventsBefore(ctx context.Context, appID string, t time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM events WHERE app_id = $1 AND performed_at < $2`, appID, t)
	if err != nil {
		return fmt.Errorf("postgres: delete old events of app %q: %w", appID, err)
	}
	return nil
}

// AddDispatchedEmail records a sent e-mail. Ids are unique across apps;
// a taken id is a conflict and leaves the stored record as it is.
func (s *Store) AddDispatchedEmail(ctx context.Context, e store.DispatchedEmail) error {
	return insertDispatchedEmail(ctx, s.pool, e)
}

func insertDispatchedEmail(ctx context.Context, q querier, e store.DispatchedEmail) error {
	n, err := exec(ctx, q, `INSERT INTO dispatched_emails
			(id, app_id, created_at, user_id, email_address, link_template)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		e.ID, e.AppID, e.CreatedAt, e.UserID, e.EmailAddress, e.LinkTemplate)
	if err != nil {
		return fmt.Errorf("postgres: add dispatched e-mail of app %q: %w", e.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: add dispatched e-mail of app %q: %w", e.AppID, store.ErrConflict)
	}
	return nil
}

// ReserveDispatchedEmail counts the app's records since since and inserts e
// in one transaction that first takes a transaction-level advisory lock on a
// key derived from the app id. Every reservation of the app, on any
// connection or instance, queues on that lock, and under READ COMMITTED the
// count (a new statement, a new snapshot) sees every reservation committed
// by the previous holders, which released the lock only after their commit
// became visible. Other apps hash to other keys and are not held up (barring
// a rare hash collision, which only serialises two apps).
func (s *Store) ReserveDispatchedEmail(ctx context.Context, e store.DispatchedEmail, since time.Time, limit int64) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('dispatched:' || $1::text, 0))`, e.AppID)
		if err != nil {
			return fmt.Errorf("postgres: reserve dispatched e-mail of app %q: lock: %w", e.AppID, err)
		}
		var n int64
		err = tx.QueryRow(ctx, `SELECT COUNT(*) FROM dispatched_emails
			WHERE app_id = $1 AND created_at >= $2`, e.AppID, since).Scan(&n)
		if err != nil {
			return fmt.Errorf("postgres: reserve dispatched e-mail of app %q: %w", e.AppID, err)
		}
		if n >= limit {
			return fmt.Errorf("postgres: reserve dispatched e-mail of app %q: %w", e.AppID, store.ErrQuotaExceeded)
		}
		return insertDispatchedEmail(ctx, tx, e)
	})
}

// DeleteDispatchedEmail removes one record of the app.
func (s *Store) DeleteDispatchedEmail(ctx context.Context, appID, id string) error {
	n, err := exec(ctx, s.pool, `DELETE FROM dispatched_emails WHERE app_id = $1 AND id = $2`, appID, id)
	return affectedOne(fmt.Sprintf("delete dispatched e-mail %q of app %q", id, appID), n, err)
}

// CountDispatchedEmailsSince counts the app's e-mails sent at or after t.
func (s *Store) CountDispatchedEmailsSince(ctx context.Context, appID string, t time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM dispatched_emails
		WHERE app_id = $1 AND created_at >= $2`, appID, t).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count dispatched e-mails of app %q: %w", appID, err)
	}
	return n, nil
}

// PurgeDispatchedEmailsBefore spans all apps by design: it is housekeeping
// run by a background job.
func (s *Store) PurgeDispatchedEmailsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM dispatched_emails WHERE created_at < $1`, t); err != nil {
		return fmt.Errorf("postgres: purge dispatched e-mails: %w", err)
	}
	return nil
}
