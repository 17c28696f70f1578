package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// ListAuthenticators returns the app's allow-list or block-list entries
// ordered by AAGUID.
func (s *Store) ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT aaguid, is_allowed, created_at FROM authenticators
		WHERE app_id = ? AND is_allowed = ? ORDER BY aaguid`, appID, isAllowed)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list authenticators of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.AuthenticatorEntry
	for rows.Next() {
		var (
			e         store.AuthenticatorEntry
			createdAt int64
		)
		if err := rows.Scan(&e.AAGUID, &e.IsAllowed, &createdAt); err != nil {
			return nil, fmt.Errorf("sqlite: list authenticators of app %q: %w", appID, err)
		}
		e.CreatedAt = decTime(createdAt)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list authenticators of app %q: %w", appID, err)
	}
	return list, nil
}

// PutAuthenticators upserts the AAGUIDs in one transaction: new ones are
// inserted with CreatedAt now, stored ones only get their IsAllowed.
func (s *Store) PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error {
	if len(aaguids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range aaguids {
			_, err := tx.ExecContext(ctx, `INSERT INTO authenticators (app_id, aaguid, is_allowed, created_at)
				VALUES (?, ?, ?, ?) ON CONFLICT (app_id, aaguid) DO UPDATE SET is_allowed = excluded.is_allowed`,
				appID, id, isAllowed, encTime(now))
			if err != nil {
				return fmt.Errorf("sqlite: put authenticator %q of app %q: %w", id, appID, err)
			}
		}
		return nil
	})
}

// RemoveAuthenticators deletes the entries with these AAGUIDs in one
// transaction; unknown ones are ignored.
func (s *Store) RemoveAuthenticators(ctx context.Context, appID string, aaguids []string) error {
	if len(aaguids) == 0 {
		return nil
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range aaguids {
			_, err := tx.ExecContext(ctx, `DELETE FROM authenticators WHERE app_id = ? AND aaguid = ?`, appID, id)
			if err != nil {
				return fmt.Errorf("sqlite: remove authenticator %q of app %q: %w", id, appID, err)
			}
		}
		return nil
	})
}
