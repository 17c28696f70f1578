package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

type planCheck struct {
	name, query, want string
	args              []any // default: "app1", "user-1"
}

// planChecks are the per-user and per-alias lookups whose plans must not
// depend on the size of the app, and the report snapshot's active-user
// count, which must read only the recently used entries.
var planChecks = []planCheck{
	{"ListCredentials", listCredentialsQuery, "USING INDEX credentials_user (app_id=? AND user_id=?)", nil},
	{"AliasOwner", aliasOwnerQuery, "USING PRIMARY KEY (app_id=? AND hash=?)", nil},
	{"ListAliases", `SELECT hash, plaintext FROM aliases WHERE app_id = ? AND user_id = ? ORDER BY hash`,
		"USING INDEX aliases_user (app_id=? AND user_id=?)", nil},
	{"replaceAliases delete", `DELETE FROM aliases WHERE app_id = ? AND user_id = ?`,
		"USING INDEX aliases_user (app_id=? AND user_id=?)", nil},
	activeUsersPlan,
}

var activeUsersPlan = planCheck{"CountActiveUsers", countActiveUsersQuery,
	"USING COVERING INDEX credentials_last_used (app_id=? AND last_used_at>?)",
	[]any{"app1", encTime(time.Now().Add(-24 * time.Hour))}}

// checkPlans runs EXPLAIN QUERY PLAN of planChecks on every connection of
// the read pool and on the write connection. Each connection first runs a
// real statement: only that makes it notice a changed schema (and reload
// the statistics); EXPLAIN alone plans with what the connection has.
func checkPlans(t *testing.T, s *Store, label string, checks []planCheck) {
	t.Helper()
	ctx := t.Context()
	var conns []*sql.Conn
	for range max(4, runtime.NumCPU()) {
		c, err := s.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	s.w.close() // the write connection is free from here on
	c, err := s.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conns = append(conns, c)

	for i, c := range conns {
		var n int
		if err := c.QueryRowContext(ctx, `SELECT COUNT(*) FROM apps`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		for _, pc := range checks {
			args := pc.args
			if args == nil {
				args = []any{"app1", "user-1"}
			}
			plan := explain(t, c, pc.query, args...)
			if !strings.Contains(plan, pc.want) {
				t.Errorf("%s, connection %d: %s plan is %q, want %q", label, i, pc.name, plan, pc.want)
			}
		}
	}
}

func explain(t *testing.T, c *sql.Conn, query string, args ...any) string {
	t.Helper()
	rows, err := c.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "; ")
}

const planSeeded = 50000

// seedAliases gives every credential owner of benchCreds(0, n) an alias.
func seedAliases(t *testing.T, s *Store, n int) {
	t.Helper()
	aliases := make([]store.UserAlias, 0, n/2)
	for u := range n / 2 {
		aliases = append(aliases, store.UserAlias{UserID: fmt.Sprintf("user-%d", u),
			Alias: store.Alias{Hash: fmt.Sprintf("hash-%08d", u)}})
	}
	if err := s.ImportAliases(t.Context(), "app1", aliases); err != nil {
		t.Fatal(err)
	}
}

// TestQueryPlansAfterImport seeds 50k credentials through the bulk import,
// as an import or the load generator does, and checks that the per-user
// lookups use their indexes on every connection, and again after a reopen.
func TestQueryPlansAfterImport(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 50k credentials")
	}
	path := filepath.Join(t.TempDir(), "seeded.db")
	s := seededStore(t, path)
	seedAliases(t, s, planSeeded)
	checkPlans(t, s, "after import", planChecks)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkPlans(t, openAt(t, path), "after reopen", planChecks)
}

// seededStore opens a store at path whose app1 holds planSeeded
// credentials, written by the bulk import.
func seededStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApp(t.Context(), store.App{ID: "app1", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	for from := 0; from < planSeeded; from += 5000 {
		if err := s.ImportCredentials(t.Context(), benchCreds("app1", from, 5000)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// growCredentials adds n credentials to app1 without the bulk import (as
// sign-ups do, one at a time), after warming every read connection up with
// the statistics the database had before.
func growCredentials(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := t.Context()
	if err := s.CreateApp(ctx, store.App{ID: "app1", CreatedAt: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	for range 2 * max(4, runtime.NumCPU()) {
		if _, err := s.ListCredentials(ctx, "app1", "user-1"); err != nil {
			t.Fatal(err)
		}
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for from := 0; from < n; from += importChunk {
			var args []any
			for _, c := range benchCreds("app1", from, importChunk) {
				args = append(args, credentialArgs(c)...)
			}
			if _, err := tx.ExecContext(ctx, credentialInsert(importChunk), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQueryPlansAfterPurge checks that the hourly PurgeConsumedBefore
// brings new statistics to every open connection.
func TestQueryPlansAfterPurge(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 50k credentials")
	}
	s := openTemp(t)
	s.w.maintainEvery = 1 << 40 // only the purge
	growCredentials(t, s, planSeeded)
	if err := s.PurgeConsumedBefore(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	checkPlans(t, s, "after purge", planChecks[:1])
}

// TestQueryPlansAfterWrites checks the committer's own refresh: a new
// database gets statistics once it has rows, without waiting for the
// hourly job.
func TestQueryPlansAfterWrites(t *testing.T) {
	s := openTemp(t)
	s.w.maintainEvery = 3
	growCredentials(t, s, 2000)
	for i := range 3 {
		if err := s.ConsumeOnce(t.Context(), "app1", fmt.Sprint(i), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	checkPlans(t, s, "after writes", planChecks[:1])
}

// TestQueryPlansAfterUpgrade opens a file analyzed before migration 0003
// added credentials_last_used: the report query must use the new index
// at once, not wait for the statistics to go stale.
func TestQueryPlansAfterUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 50k credentials")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	s := seededStore(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0003, analyzed as such.
	db, err := openWritePool(ctx, path, Options{MaxWAL: DefaultMaxWAL})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX credentials_last_used`, `DELETE FROM schema_migrations WHERE version = 3`,
		`DROP TABLE sqlite_stat1`, `ANALYZE`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	checkPlans(t, openAt(t, path), "after upgrade", []planCheck{activeUsersPlan})
}
