package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
)

const credentialColumns = `app_id, credential_id, user_id, user_handle, public_key, sign_count,
	attestation_fmt, aaguid, created_at, last_used_at, rp_id, origin, country, device,
	nickname, backup_eligible, backup_state, discoverable, transports`

// AddCredential consumes once (if not nil), stores the credential and, if
// aliases is not empty, replaces the user's aliases, all in one
// transaction: a refused write leaves once unconsumed.
func (s *Store) AddCredential(ctx context.Context, c store.Credential, aliases []store.Alias, once *store.Once) error {
	if err := store.CheckUserID(c.UserID); err != nil {
		return fmt.Errorf("postgres: add credential to app %q: %w", c.AppID, err)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := consumeInTx(ctx, tx, c.AppID, once); err != nil {
			return err
		}
		if err := insertCredential(ctx, tx, c); err != nil {
			return err
		}
		if len(aliases) == 0 {
			return nil
		}
		return replaceAliases(ctx, tx, c.AppID, c.UserID, aliases)
	})
}

func insertCredential(ctx context.Context, q querier, c store.Credential) error {
	n, err := exec(ctx, q, `INSERT INTO credentials (`+credentialColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT DO NOTHING`,
		c.AppID, nonNilBytes(c.ID), c.UserID, nonNilBytes(c.UserHandle), nonNilBytes(c.PublicKey),
		int64(c.SignCount), c.AttestationFmt, nullIfEmptyBytes(c.AAGUID),
		c.CreatedAt, c.LastUsedAt, c.RPID, c.Origin, c.Country, c.Device,
		c.Nickname, c.BackupEligible, c.BackupState, c.Discoverable, nonNilStrings(c.Transports))
	if err != nil {
		return fmt.Errorf("postgres: add credential of app %q: %w", c.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: add credential of app %q: %w", c.AppID, store.ErrConflict)
	}
	return nil
}

// GetCredential returns one credential of the app.
func (s *Store) GetCredential(ctx context.Context, appID string, credentialID []byte) (store.Credential, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE app_id = $1 AND credential_id = $2`, appID, nonNilBytes(credentialID))
	c, err := scanCredential(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Credential{}, fmt.Errorf("postgres: get credential of app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return store.Credential{}, fmt.Errorf("postgres: get credential of app %q: %w", appID, err)
	}
	return c, nil
}

// ListCredentials returns the user's credentials, oldest first.
func (s *Store) ListCredentials(ctx context.Context, appID, userID string) ([]store.Credential, error) {
	list, err := queryList(ctx, s.pool, scanCredential, `SELECT `+credentialColumns+` FROM credentials
		WHERE app_id = $1 AND user_id = $2 ORDER BY created_at, credential_id`, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list credentials of app %q: %w", appID, err)
	}
	return list, nil
}

func scanCredential(row pgx.Row) (store.Credential, error) {
	var (
		c         store.Credential
		signCount int64
	)
	err := row.Scan(&c.AppID, &c.ID, &c.UserID, &c.UserHandle, &c.PublicKey, &signCount,
		&c.AttestationFmt, &c.AAGUID, &c.CreatedAt, &c.LastUsedAt, &c.RPID, &c.Origin, &c.Country, &c.Device,
		&c.Nickname, &c.BackupEligible, &c.BackupState, &c.Discoverable, &c.Transports)
	if err != nil {
		return store.Credential{}, err
	}
	c.SignCount = uint32(signCount)
	c.Transports = nilIfEmpty(c.Transports)
	return c, nil
}

// RecordCredentialUse applies a sign-in with one conditional UPDATE, so two
// concurrent sign-ins cannot both pass the counter check: the second waits
// for the first's row lock and then re-checks its condition against the
// updated row. A reported counter of 0 (authenticator without a counter) is
// accepted but never lowers the stored value.
//
// The same statement also tells why no row was updated: the EXISTS
// subquery sees the row as it was when the statement started, so "not
// updated but present" is a counter regression and "absent" is not found.
//
// With a once, the statement runs in a transaction after the insert that
// consumes it; a refused sign-in rolls both back, leaving once unconsumed.
// Without one it runs alone.
func (s *Store) RecordCredentialUse(ctx context.Context, appID string, credentialID []byte, use store.CredentialUse, once *store.Once) error {
	if once == nil {
		return recordUse(ctx, s.pool, appID, credentialID, use)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := consumeInTx(ctx, tx, appID, once); err != nil {
			return err
		}
		return recordUse(ctx, tx, appID, credentialID, use)
	})
}

func recordUse(ctx context.Context, q querier, appID string, credentialID []byte, use store.CredentialUse) error {
	var updated, exists bool
	err := q.QueryRow(ctx, `WITH used AS (
			UPDATE credentials SET
				sign_count = GREATEST(sign_count, $1::bigint), last_used_at = $2, device = $3, country = $4,
				backup_eligible = $7, backup_state = $8
			WHERE app_id = $5 AND credential_id = $6 AND ($1::bigint = 0 OR sign_count < $1::bigint)
			RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM used),
			EXISTS (SELECT 1 FROM credentials WHERE app_id = $5 AND credential_id = $6)`,
		int64(use.SignCount), use.LastUsedAt, use.Device, use.Country, appID, nonNilBytes(credentialID),
		use.BackupEligible, use.BackupState,
	).Scan(&updated, &exists)
	switch {
	case err != nil:
		return fmt.Errorf("postgres: record use of credential of app %q: %w", appID, err)
	case updated:
		return nil
	case exists:
		return fmt.Errorf("postgres: record use of credential of app %q: %w", appID, store.ErrCounterRegression)
	default:
		return fmt.Errorf("postgres: record use of credential of app %q: %w", appID, store.ErrNotFound)
	}
}

// CountUsers counts the distinct users owning credentials in the app.
func (s *Store) CountUsers(ctx context.Context, appID string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx,
		`SELECT COUNT(DISTINCT user_id) FROM credentials WHERE app_id = $1`, appID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count users of app %q: %w", appID, err)
	}
	return n, nil
}

// countActiveUsersQuery reads the entries of the app used at or after
// since from the credentials_last_used index.
const countActiveUsersQuery = `SELECT COUNT(DISTINCT user_id) FROM credentials
	WHERE app_id = $1 AND last_used_at >= $2`

// CountActiveUsers counts the distinct users with a credential used at or
// after since.
func (s *Store) CountActiveUsers(ctx context.Context, appID string, since time.Time) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, countActiveUsersQuery, appID, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count active users of app %q: %w", appID, err)
	}
	return n, nil
}

// CountCredentials counts the app's credentials.
func (s *Store) CountCredentials(ctx context.Context, appID string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM credentials WHERE app_id = $1`, appID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count credentials of app %q: %w", appID, err)
	}
	return n, nil
}

// DeleteCredential removes one credential and returns its owner.
func (s *Store) DeleteCredential(ctx context.Context, appID string, credentialID []byte) (string, error) {
	var userID string
	err := s.pool.QueryRow(ctx, `DELETE FROM credentials WHERE app_id = $1 AND credential_id = $2
		RETURNING user_id`, appID, nonNilBytes(credentialID)).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: delete credential of app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: delete credential of app %q: %w", appID, err)
	}
	return userID, nil
}
