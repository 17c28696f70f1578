package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/passwordless-oss/server/internal/store"
)

// importChunk is the number of rows per multi-row INSERT of an import.
// SQLite binds at most 32766 parameters per statement; a credential row
// takes 19.
const importChunk = 500

// ListCredentialsPage returns up to limit of the app's credentials whose id
// sorts after after, ordered by id. BLOBs compare with memcmp, which is byte
// order. A nil after starts at the beginning; a non-nil empty one still
// skips a credential with an empty id.
func (s *Store) ListCredentialsPage(ctx context.Context, appID string, after []byte, limit int) ([]store.Credential, error) {
	if limit <= 0 {
		return nil, nil
	}
	query := `SELECT ` + credentialColumns + ` FROM credentials WHERE app_id = ?`
	args := []any{appID}
	if after != nil {
		query += ` AND credential_id > ?`
		args = append(args, after)
	}
	query += ` ORDER BY credential_id LIMIT ?`
	args = append(args, limit)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list credentials page of app %q: %w", appID, err)
	}
	defer rows.Close()
	list := make([]store.Credential, 0, min(limit, 1000))
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list credentials page of app %q: %w", appID, err)
		}
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list credentials page of app %q: %w", appID, err)
	}
	return list, nil
}

// ImportCredentials inserts the credentials with multi-row INSERTs in one
// transaction. Every statement ends in ON CONFLICT DO NOTHING, so a taken
// id (or one repeated in the input) shows as fewer rows changed than sent;
// the transaction is then rolled back. A bulk import is what makes tables
// grow by orders of magnitude at once, so the planner statistics are
// refreshed in the same transaction (see stats.go).
func (s *Store) ImportCredentials(ctx context.Context, creds []store.Credential) error {
	if len(creds) == 0 {
		return nil
	}
	for _, c := range creds {
		if err := store.CheckUserID(c.UserID); err != nil {
			return fmt.Errorf("sqlite: import credentials: %w", err)
		}
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var full *sql.Stmt
		if len(creds) >= importChunk {
			var err error
			full, err = tx.PrepareContext(ctx, credentialInsert(importChunk))
			if err != nil {
				return fmt.Errorf("sqlite: import credentials: %w", err)
			}
			defer full.Close()
		}
		args := make([]any, 0, importChunk*19)
		for start := 0; start < len(creds); start += importChunk {
			chunk := creds[start:min(start+importChunk, len(creds))]
			args = args[:0]
			for _, c := range chunk {
				args = append(args, credentialArgs(c)...)
			}
			var (
				res sql.Result
				err error
			)
			if len(chunk) == importChunk {
				res, err = full.ExecContext(ctx, args...)
			} else {
				res, err = tx.ExecContext(ctx, credentialInsert(len(chunk)), args...)
			}
			if err != nil {
				return fmt.Errorf("sqlite: import credentials: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("sqlite: import credentials: %w", err)
			}
			if n != int64(len(chunk)) {
				return fmt.Errorf("sqlite: import credentials: %d of %d ids taken: %w",
					int64(len(chunk))-n, len(chunk), store.ErrConflict)
			}
		}
		return refreshStats(ctx, tx)
	})
}

// credentialInsert returns an INSERT of n credential rows.
func credentialInsert(n int) string {
	const row = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	var b strings.Builder
	b.Grow(len(credentialColumns) + n*(len(row)+2) + 64)
	b.WriteString(`INSERT INTO credentials (` + credentialColumns + `) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(` ON CONFLICT DO NOTHING`)
	return b.String()
}

// credentialArgs returns the values of credentialColumns, in order.
func credentialArgs(c store.Credential) []any {
	return []any{c.AppID, nonNilBytes(c.ID), c.UserID, nonNilBytes(c.UserHandle), nonNilBytes(c.PublicKey),
		int64(c.SignCount), c.AttestationFmt, nullIfEmptyBytes(c.AAGUID),
		encTime(c.CreatedAt), encTime(c.LastUsedAt), c.RPID, c.Origin, c.Country, c.Device,
		c.Nickname, c.BackupEligible, c.BackupState, encBoolPtr(c.Discoverable), encStrings(c.Transports)}
}

// ListAliasesPage returns up to limit of the app's aliases whose hash sorts
// after after, ordered by hash (BINARY collation: byte order).
func (s *Store) ListAliasesPage(ctx context.Context, appID, after string, limit int) ([]store.UserAlias, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx, `SELECT user_id, hash, plaintext FROM aliases
		WHERE app_id = ? AND hash > ? ORDER BY hash LIMIT ?`, appID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list aliases page of app %q: %w", appID, err)
	}
	defer rows.Close()
	list := make([]store.UserAlias, 0, min(limit, 1000))
	for rows.Next() {
		var (
			a         store.UserAlias
			plaintext sql.NullString
		)
		if err := rows.Scan(&a.UserID, &a.Hash, &plaintext); err != nil {
			return nil, fmt.Errorf("sqlite: list aliases page of app %q: %w", appID, err)
		}
		a.Plaintext = plaintext.String
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list aliases page of app %q: %w", appID, err)
	}
	return list, nil
}

// ImportAliases inserts the aliases with multi-row INSERTs in one
// transaction; a hash that is taken (or repeated in the input) rolls all
// of it back. The planner statistics are refreshed as for
// ImportCredentials.
func (s *Store) ImportAliases(ctx context.Context, appID string, aliases []store.UserAlias) error {
	if len(aliases) == 0 {
		return nil
	}
	for _, a := range aliases {
		if err := store.CheckUserID(a.UserID); err != nil {
			return fmt.Errorf("sqlite: import aliases of app %q: %w", appID, err)
		}
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		args := make([]any, 0, importChunk*4)
		for start := 0; start < len(aliases); start += importChunk {
			chunk := aliases[start:min(start+importChunk, len(aliases))]
			args = args[:0]
			for _, a := range chunk {
				args = append(args, appID, a.Hash, a.UserID, nullIfEmpty(a.Plaintext))
			}
			query := `INSERT INTO aliases (app_id, hash, user_id, plaintext) VALUES ` +
				strings.Repeat(`(?, ?, ?, ?), `, len(chunk)-1) + `(?, ?, ?, ?) ON CONFLICT DO NOTHING`
			n, err := execAffected(ctx, tx, query, args...)
			if err != nil {
				return fmt.Errorf("sqlite: import aliases of app %q: %w", appID, err)
			}
			if n != int64(len(chunk)) {
				return fmt.Errorf("sqlite: import aliases of app %q: %d of %d hashes taken: %w",
					appID, int64(len(chunk))-n, len(chunk), store.ErrAliasConflict)
			}
		}
		return refreshStats(ctx, tx)
	})
}
