package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Prepared statements of the hot paths.
//
// The driver compiles the SQL text of every unprepared call again
// (sqlite3_prepare_v2: parsing and planning), which showed as about a sixth
// of the server's CPU under sign-in load. These statements are prepared once
// per Store; database/sql prepares each on every connection it runs on and
// keeps it there, so the read pool compiles each at most once per
// connection. Write statements are prepared on the write pool and bound to
// a batch's transaction with tx.StmtContext, which reuses the connection's
// compiled statement. SQLite re-prepares a statement by itself when the
// schema or the statistics change.

// readStmts run on the read pool.
type readStmts struct {
	getAPIKey       *sql.Stmt
	getApp          *sql.Stmt
	getCredential   *sql.Stmt
	listCredentials *sql.Stmt
	aliasOwner      *sql.Stmt
	getAuthConfig   *sql.Stmt
}

// writeStmts run inside the committer's transactions.
type writeStmts struct {
	savepoint  *sql.Stmt
	release    *sql.Stmt
	rollbackTo *sql.Stmt

	consume         *sql.Stmt
	addCredential   *sql.Stmt
	recordUse       *sql.Stmt
	credentialFound *sql.Stmt
	touchAuthConfig *sql.Stmt
	hitRateLimit    *sql.Stmt
	deleteAliases   *sql.Stmt
	insertAlias     *sql.Stmt
}

const (
	getAPIKeyQuery = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE app_id = ? AND id = ?`

	getAppQuery = `SELECT ` + appColumns + ` FROM apps WHERE id = ?`

	getCredentialQuery = `SELECT ` + credentialColumns + ` FROM credentials
		WHERE app_id = ? AND credential_id = ?`

	listCredentialsQuery = `SELECT ` + credentialColumns + ` FROM credentials
		WHERE app_id = ? AND user_id = ? ORDER BY created_at, credential_id`

	aliasOwnerQuery = `SELECT user_id FROM aliases WHERE app_id = ? AND hash = ?`

	getAuthConfigQuery = `SELECT ` + authConfigColumns + ` FROM auth_configs
		WHERE app_id = ? AND purpose = ?`

	// One savepoint name serves every job: a job's savepoint is released
	// (or rolled back to and released) before the next job starts.
	savepointQuery  = `SAVEPOINT job`
	releaseQuery    = `RELEASE job`
	rollbackToQuery = `ROLLBACK TO job`

	consumeQuery = `INSERT INTO consumed (app_id, id, expires_at)
		VALUES (?, ?, ?) ON CONFLICT DO NOTHING`

	recordUseQuery = `UPDATE credentials SET
		sign_count = max(sign_count, ?1), last_used_at = ?2, device = ?3, country = ?4,
		backup_eligible = ?7, backup_state = ?8
		WHERE app_id = ?5 AND credential_id = ?6 AND (?1 = 0 OR sign_count < ?1)`

	credentialFoundQuery = `SELECT 1 FROM credentials WHERE app_id = ? AND credential_id = ?`

	touchAuthConfigQuery = authConfigInsert + ` ON CONFLICT (app_id, purpose) DO UPDATE SET
		last_used_on = excluded.last_used_on`

	hitRateLimitQuery = `INSERT INTO rate_limits (key, window_start, count, expires_at)
		VALUES (?, ?, 1, ?) ON CONFLICT (key, window_start) DO UPDATE SET
		count = count + 1, expires_at = max(expires_at, excluded.expires_at)
		RETURNING count`
	deleteAliasesQuery = `DELETE FROM aliases WHERE app_id = ? AND user_id = ?`
	insertAliasQuery   = `INSERT INTO aliases (app_id, hash, user_id, plaintext)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

type stmtDef struct {
	dst   **sql.Stmt
	query string
}

func (s *readStmts) defs() []stmtDef {
	return []stmtDef{
		{&s.getAPIKey, getAPIKeyQuery},
		{&s.getApp, getAppQuery},
		{&s.getCredential, getCredentialQuery},
		{&s.listCredentials, listCredentialsQuery},
		{&s.aliasOwner, aliasOwnerQuery},
		{&s.getAuthConfig, getAuthConfigQuery},
	}
}

func (s *writeStmts) defs() []stmtDef {
	return []stmtDef{
		{&s.savepoint, savepointQuery},
		{&s.release, releaseQuery},
		{&s.rollbackTo, rollbackToQuery},
		{&s.consume, consumeQuery},
		{&s.addCredential, credentialInsert(1)},
		{&s.recordUse, recordUseQuery},
		{&s.credentialFound, credentialFoundQuery},
		{&s.touchAuthConfig, touchAuthConfigQuery},
		{&s.hitRateLimit, hitRateLimitQuery},
		{&s.deleteAliases, deleteAliasesQuery},
		{&s.insertAlias, insertAliasQuery},
	}
}

// prepareAll prepares every definition on db; on an error it closes those
// prepared so far.
func prepareAll(ctx context.Context, db *sql.DB, defs []stmtDef) error {
	for i, d := range defs {
		st, err := db.PrepareContext(ctx, d.query)
		if err != nil {
			closeStmts(defs[:i])
			return fmt.Errorf("sqlite: prepare %q: %w", d.query, err)
		}
		*d.dst = st
	}
	return nil
}

// closeStmts closes the prepared statements of defs and clears them.
func closeStmts(defs []stmtDef) error {
	var errs []error
	for _, d := range defs {
		if *d.dst != nil {
			errs = append(errs, (*d.dst).Close())
			*d.dst = nil
		}
	}
	return errors.Join(errs...)
}
