package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

const consoleSessionColumns = `id, user_id, created_at, last_seen_at, expires_at, user_agent, address`

// AddConsoleSession inserts the session; a taken id changes no row.
func (s *Store) AddConsoleSession(ctx context.Context, cs store.ConsoleSession) error {
	n, err := exec(ctx, s.pool, `INSERT INTO console_sessions (`+consoleSessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		cs.ID, cs.UserID, cs.CreatedAt, cs.LastSeenAt, cs.ExpiresAt, cs.UserAgent, cs.Address)
	if err != nil {
		return fmt.Errorf("postgres: add console session: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: add console session: %w", store.ErrConflict)
	}
	return nil
}

func scanConsoleSession(row pgx.Row) (store.ConsoleSession, error) {
	var cs store.ConsoleSession
	err := row.Scan(&cs.ID, &cs.UserID, &cs.CreatedAt, &cs.LastSeenAt, &cs.ExpiresAt, &cs.UserAgent, &cs.Address)
	cs.CreatedAt, cs.LastSeenAt, cs.ExpiresAt = cs.CreatedAt.UTC(), cs.LastSeenAt.UTC(), cs.ExpiresAt.UTC()
	return cs, err
}

// GetConsoleSession reads one session by its primary key.
func (s *Store) GetConsoleSession(ctx context.Context, id string) (store.ConsoleSession, error) {
	cs, err := scanConsoleSession(s.pool.QueryRow(ctx,
		`SELECT `+consoleSessionColumns+` FROM console_sessions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return cs, fmt.Errorf("postgres: get console session: %w", store.ErrNotFound)
	}
	if err != nil {
		return cs, fmt.Errorf("postgres: get console session: %w", err)
	}
	return cs, nil
}

// TouchConsoleSession moves the session's last-seen and expiry times.
func (s *Store) TouchConsoleSession(ctx context.Context, id string, seen, expiresAt time.Time) error {
	n, err := exec(ctx, s.pool, `UPDATE console_sessions SET last_seen_at = $2, expires_at = $3 WHERE id = $1`,
		id, seen, expiresAt)
	return affectedOne("touch console session", n, err)
}

// ListConsoleSessions reads the user's sessions from the user index.
func (s *Store) ListConsoleSessions(ctx context.Context, userID string) ([]store.ConsoleSession, error) {
	list, err := queryList(ctx, s.pool, scanConsoleSession, `SELECT `+consoleSessionColumns+`
		FROM console_sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list console sessions: %w", err)
	}
	return list, nil
}

// DeleteConsoleSession removes one session, only if it is the user's.
func (s *Store) DeleteConsoleSession(ctx context.Context, userID, id string) error {
	n, err := exec(ctx, s.pool, `DELETE FROM console_sessions WHERE id = $1 AND user_id = $2`, id, userID)
	return affectedOne("delete console session", n, err)
}

// DeleteConsoleSessions removes every session of the user.
func (s *Store) DeleteConsoleSessions(ctx context.Context, userID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("postgres: delete console sessions: %w", err)
	}
	return nil
}

// PurgeConsoleSessionsBefore is housekeeping across all administrators.
func (s *Store) PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at < $1`, t); err != nil {
		return fmt.Errorf("postgres: purge console sessions: %w", err)
	}
	return nil
}
