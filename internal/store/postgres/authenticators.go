package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

// ListAuthenticators returns the app's allow-list or block-list entries
// ordered by AAGUID.
func (s *Store) ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error) {
	list, err := queryList(ctx, s.pool, func(row pgx.Row) (store.AuthenticatorEntry, error) {
		var e store.AuthenticatorEntry
		err := row.Scan(&e.AAGUID, &e.IsAllowed, &e.CreatedAt)
		return e, err
	}, `SELECT aaguid, is_allowed, created_at FROM authenticators
		WHERE app_id = $1 AND is_allowed = $2 ORDER BY aaguid`, appID, isAllowed)
	if err != nil {
		return nil, fmt.Errorf("postgres: list authenticators of app %q: %w", appID, err)
	}
	return list, nil
}

// PutAuthenticators upserts the entries in one statement, keeping
// created_at of existing ones. DISTINCT removes repeated AAGUIDs, which
// ON CONFLICT DO UPDATE could not touch twice in one statement.
func (s *Store) PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error {
	if len(aaguids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO authenticators (app_id, aaguid, is_allowed, created_at)
		SELECT DISTINCT $1::text, g, $3::boolean, $4::timestamptz FROM unnest($2::text[]) AS u(g)
		ON CONFLICT (app_id, aaguid) DO UPDATE SET is_allowed = EXCLUDED.is_allowed`,
		appID, aaguids, isAllowed, now)
	if err != nil {
		return fmt.Errorf("postgres: put authenticators of app %q: %w", appID, err)
	}
	return nil
}

// RemoveAuthenticators deletes the entries with these AAGUIDs.
func (s *Store) RemoveAuthenticators(ctx context.Context, appID string, aaguids []string) error {
	if len(aaguids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM authenticators WHERE app_id = $1 AND aaguid = ANY($2)`,
		appID, aaguids)
	if err != nil {
		return fmt.Errorf("postgres: remove authenticators of app %q: %w", appID, err)
	}
	return nil
}
