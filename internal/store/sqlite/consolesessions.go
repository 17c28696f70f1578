package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

const consoleSessionColumns = `id, user_id, created_at, last_seen_at, expires_at, user_agent, address`

// AddConsoleSession inserts the session; a taken id changes no row.
func (s *Store) AddConsoleSession(ctx context.Context, cs store.ConsoleSession) error {
	n, err := s.execWrite(ctx, `INSERT INTO console_sessions (`+consoleSessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		cs.ID, cs.UserID, encTime(cs.CreatedAt), encTime(cs.LastSeenAt), encTime(cs.ExpiresAt), cs.UserAgent, cs.Address)
	if err != nil {
		return fmt.Errorf("sqlite: add console session: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: add console session: %w", store.ErrConflict)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanConsoleSession(row scanner) (store.ConsoleSession, error) {
	var (
		cs                     store.ConsoleSession
		created, seen, expires int64
	)
	if err := row.Scan(&cs.ID, &cs.UserID, &created, &seen, &expires, &cs.UserAgent, &cs.Address); err != nil {
		return cs, err
	}
	cs.CreatedAt, cs.LastSeenAt, cs.ExpiresAt = decTime(created), decTime(seen), decTime(expires)
	return cs, nil
}

// GetConsoleSession reads one session by its primary key.
func (s *Store) GetConsoleSession(ctx context.Context, id string) (store.ConsoleSession, error) {
	cs, err := scanConsoleSession(s.read.QueryRowContext(ctx,
		`SELECT `+consoleSessionColumns+` FROM console_sessions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return cs, fmt.Errorf("sqlite: get console session: %w", store.ErrNotFound)
	}
	if err != nil {
		return cs, fmt.Errorf("sqlite: get console session: %w", err)
	}
	return cs, nil
}

// TouchConsoleSession moves the session's last-seen and expiry times.
func (s *Store) TouchConsoleSession(ctx context.Context, id string, seen, expiresAt time.Time) error {
	n, err := s.execWrite(ctx, `UPDATE console_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`,
		encTime(seen), encTime(expiresAt), id)
	if err != nil {
		return fmt.Errorf("sqlite: touch console session: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: touch console session: %w", store.ErrNotFound)
	}
	return nil
}

// ListConsoleSessions reads the user's sessions from the user index.
func (s *Store) ListConsoleSessions(ctx context.Context, userID string) ([]store.ConsoleSession, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+consoleSessionColumns+` FROM console_sessions
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list console sessions: %w", err)
	}
	defer rows.Close()
	var list []store.ConsoleSession
	for rows.Next() {
		cs, err := scanConsoleSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list console sessions: %w", err)
		}
		list = append(list, cs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list console sessions: %w", err)
	}
	return list, nil
}

// DeleteConsoleSession removes one session, only if it is the user's.
func (s *Store) DeleteConsoleSession(ctx context.Context, userID, id string) error {
	n, err := s.execWrite(ctx, `DELETE FROM console_sessions WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("sqlite: delete console session: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: delete console session: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteConsoleSessions removes every session of the user.
func (s *Store) DeleteConsoleSessions(ctx context.Context, userID string) error {
	if _, err := s.execWrite(ctx, `DELETE FROM console_sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("sqlite: delete console sessions: %w", err)
	}
	return nil
}

// PurgeConsoleSessionsBefore is housekeeping across all administrators.
func (s *Store) PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.execWrite(ctx, `DELETE FROM console_sessions WHERE expires_at < ?`, encTime(t)); err != nil {
		return fmt.Errorf("sqlite: purge console sessions: %w", err)
	}
	return nil
}
