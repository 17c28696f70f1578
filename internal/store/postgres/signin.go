package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passwordless-oss/server/internal/store"
)

// SignIn runs a sign-in as one transaction in two round trips: the first
// begins it and reads the credential FOR UPDATE, check runs while the row
// is locked, and the second records the use, consumes once and commits.
// Concurrent sign-ins with one credential therefore apply in turn, each
// checking the counter the previous one stored. A refused sign-in rolls
// back, leaving once unconsumed.
func (s *Store) SignIn(ctx context.Context, appID string, credentialID []byte, once *store.Once, check func(store.Credential) (store.CredentialUse, error)) (store.Credential, error) {
	var cred store.Credential
	id := nonNilBytes(credentialID)
	err := s.pool.run(ctx, false, func(c *pgxpool.Conn) error {
		var err error
		cred, err = signIn(ctx, c, appID, id, once, check)
		return err
	})
	var refused *refusal
	if errors.As(err, &refused) {
		return cred, refused.err
	}
	if err != nil {
		return cred, fmt.Errorf("postgres: sign in with credential of app %q: %w", appID, err)
	}
	return cred, nil
}

// refusal carries an error of check through db.run untouched: it is the
// caller's answer, not a database failure to classify or retry.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

const lockCredential = `SELECT ` + credentialColumns + ` FROM credentials
	WHERE app_id = $1 AND credential_id = $2 FOR UPDATE`

// recordSignIn updates the locked credential; recordSignInOnce also
// consumes the session id, in the same statement, and updates only if the
// id was not consumed before.
const (
	recordSignIn = `UPDATE credentials SET
		sign_count = GREATEST(sign_count, $3::bigint), last_used_at = $4, device = $5, country = $6,
		backup_eligible = $7, backup_state = $8
	WHERE app_id = $1 AND credential_id = $2`
	recordSignInOnce = `WITH once AS (
		INSERT INTO consumed (app_id, id, expires_at) VALUES ($1, $9, $10)
		ON CONFLICT DO NOTHING RETURNING 1
	)
	UPDATE credentials SET
		sign_count = GREATEST(sign_count, $3::bigint), last_used_at = $4, device = $5, country = $6,
		backup_eligible = $7, backup_state = $8
	WHERE app_id = $1 AND credential_id = $2 AND EXISTS (SELECT 1 FROM once)`
)

func signIn(ctx context.Context, c *pgxpool.Conn, appID string, id []byte, once *store.Once, check func(store.Credential) (store.CredentialUse, error)) (cred store.Credential, err error) {
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(lockCredential, appID, id)
	br := c.SendBatch(ctx, b)
	_, err = br.Exec()
	if err == nil {
		cred, err = scanCredential(br.QueryRow())
	}
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	// From here the connection may be inside the transaction: end it
	// unless it committed.
	committed := false
	defer func() {
		if !committed && !c.Conn().IsClosed() {
			if _, rbErr := c.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rbErr != nil && err == nil {
				err = rbErr
			}
		}
	}()
	if errors.Is(err, pgx.ErrNoRows) {
		return cred, &refusal{fmt.Errorf("postgres: sign in with credential of app %q: %w", appID, store.ErrNotFound)}
	}
	if err != nil {
		return cred, err
	}
	use, err := check(cred)
	if err != nil {
		return cred, &refusal{err}
	}
	if use.SignCount != 0 && use.SignCount <= cred.SignCount {
		// check accepted a counter that did not grow: keep the stored one,
		// as RecordCredentialUse's conditional update would refuse it.
		return cred, &refusal{fmt.Errorf("postgres: sign in with credential of app %q: %w", appID, store.ErrCounterRegression)}
	}
	args := []any{appID, id, int64(use.SignCount), use.LastUsedAt, use.Device, use.Country,
		use.BackupEligible, use.BackupState}
	b = &pgx.Batch{}
	if once != nil {
		b.Queue(recordSignInOnce, append(args, once.ID, once.ExpiresAt)...)
	} else {
		b.Queue(recordSignIn, args...)
	}
	b.Queue("COMMIT")
	br = c.SendBatch(ctx, b)
	tag, err := br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if closeErr := br.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return cred, err
	}
	committed = true
	if tag.RowsAffected() == 0 {
		return cred, &refusal{fmt.Errorf("postgres: sign in with credential of app %q: %w", appID, store.ErrAlreadyUsed)}
	}
	return cred, nil
}
