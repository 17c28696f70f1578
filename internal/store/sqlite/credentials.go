package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
		return fmt.Errorf("sqlite: add credential to app %q: %w", c.AppID, err)
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.consumeInTx(ctx, tx, c.AppID, once); err != nil {
			return err
		}
		if err := s.insertCredential(ctx, tx, c); err != nil {
			return err
		}
		if len(aliases) == 0 {
			return nil
		}
		return s.replaceAliases(ctx, tx, c.AppID, c.UserID, aliases)
	})
}

func (s *Store) insertCredential(ctx context.Context, tx *sql.Tx, c store.Credential) error {
	n, err := stmtAffected(ctx, tx, s.ws.addCredential, credentialArgs(c)...)
	if err != nil {
		return fmt.Errorf("sqlite: add credential of app %q: %w", c.AppID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: add credential of app %q: %w", c.AppID, store.ErrConflict)
	}
	return nil
}

// GetCredential returns one credential of the app.
func (s *Store) GetCredential(ctx context.Context, appID string, credentialID []byte) (store.Credential, error) {
	row := s.rs.getCredential.QueryRowContext(ctx, appID, nonNilBytes(credentialID))
	c, err := scanCredential(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Credential{}, fmt.Errorf("sqlite: get credential of app %q: %w", appID, store.ErrNotFound)
	}
	if err != nil {
		return store.Credential{}, fmt.Errorf("sqlite: get credential of app %q: %w", appID, err)
	}
	return c, nil
}

// ListCredentials returns the user's credentials, oldest first.
func (s *Store) ListCredentials(ctx context.Context, appID, userID string) ([]store.Credential, error) {
	rows, err := s.rs.listCredentials.QueryContext(ctx, appID, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list credentials of app %q: %w", appID, err)
	}
	defer rows.Close()
	var list []store.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list credentials of app %q: %w", appID, err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list credentials of app %q: %w", appID, err)
	}
	return list, nil
}

func scanCredential(row rowScanner) (store.Credential, error) {
	var (
		c                   store.Credential
		signCount           int64
		createdAt, lastUsed int64
		discoverable        sql.NullBool
		transports          string
	)
	err := row.Scan(&c.AppID, &c.ID, &c.UserID, &c.UserHandle, &c.PublicKey, &signCount,
		&c.AttestationFmt, &c.AAGUID, &createdAt, &lastUsed, &c.RPID, &c.Origin, &c.Country, &c.Device,
		&c.Nickname, &c.BackupEligible, &c.BackupState, &discoverable, &transports)
	if err != nil {
		return store.Credential{}, err
	}
	if c.Transports, err = decStrings(transports); err != nil {
		return store.Credential{}, err
	}
	c.SignCount = uint32(signCount)
	c.CreatedAt = decTime(createdAt)
	c.LastUsedAt = decTime(lastUsed)
	c.Discoverable = decBoolPtr(discoverable)
	return c, nil
}

// RecordCredentialUse consumes once (if not nil) and applies a sign-in
// with one conditional UPDATE, in one transaction, so two concurrent
// sign-ins cannot both pass the counter check and a refused sign-in leaves
// once unconsumed. A reported counter of 0 (authenticator without a
// counter) is accepted but never lowers the stored value: otherwise one
// zero would re-open the window for counters an earlier sign-in already
// used.
func (s *Store) RecordCredentialUse(ctx context.Context, appID string, credentialID []byte, use store.CredentialUse, once *store.Once) error {
	id := nonNilBytes(credentialID)
	newCount := int64(use.SignCount)
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.consumeInTx(ctx, tx, appID, once); err != nil {
			return err
		}
		n, err := stmtAffected(ctx, tx, s.ws.recordUse,
			newCount, encTime(use.LastUsedAt), use.Device, use.Country, appID, id,
			use.BackupEligible, use.BackupState)
		if err != nil {
			return fmt.Errorf("sqlite: record use of credential of app %q: %w", appID, err)
		}
		if n > 0 {
			return nil
		}
		return s.whyNoUse(ctx, tx, appID, id)
	})
}

// SignIn reads the credential from the read pool and runs check there, so
// that signature checks run in parallel, then records the use through the
// committer. A concurrent sign-in with the same credential may raise the
// counter in between; the conditional update then reports
// ErrCounterRegression.
func (s *Store) SignIn(ctx context.Context, appID string, credentialID []byte, once *store.Once, check func(store.Credential) (store.CredentialUse, error)) (store.Credential, error) {
	cred, err := s.GetCredential(ctx, appID, credentialID)
	if err != nil {
		return cred, err
	}
	use, err := check(cred)
	if err != nil {
		return cred, err
	}
	return cred, s.RecordCredentialUse(ctx, appID, credentialID, use, once)
}

// whyNoUse tells a missing credential from a counter regression after the
// conditional update matched no row. It reads through the same transaction,
// so it sees the row the update saw.
func (s *Store) whyNoUse(ctx context.Context, tx *sql.Tx, appID string, id []byte) error {
	var one int
	err := tx.StmtContext(ctx, s.ws.credentialFound).QueryRowContext(ctx, appID, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: record use of credential of app %q: %w", appID, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlite: record use of credential of app %q: %w", appID, err)
	default:
		return fmt.Errorf("sqlite: record use of credential of app %q: %w", appID, store.ErrCounterRegression)
	}
}

// CountUsers counts the distinct users owning credentials in the app.
func (s *Store) CountUsers(ctx context.Context, appID string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx,
		`SELECT COUNT(DISTINCT user_id) FROM credentials WHERE app_id = ?`, appID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count users of app %q: %w", appID, err)
	}
	return n, nil
}
