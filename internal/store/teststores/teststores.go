// Package teststores opens fresh stores for the tests of the packages built
// on the store, so that behaviour that depends on the store runs on both.
//
// Those packages run every test that reads or writes stored state once per
// store (Each, Both). The exceptions keep SQLite and say why: tests that
// read the SQLite file itself, and the fuzz targets, since Go runs a
// target's f.Fuzz once, so a second store would take a second target;
// what PostgreSQL refuses and SQLite takes (NULs, bytes that are not
// UTF-8, long index entries) is covered on both stores by the bad-input
// matrix and the text tests of internal/httpapi.
package teststores

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// SQLite opens a store on a new file in t's temporary directory.
func SQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Postgres opens a store on a database of the test server that no other
// test uses while t runs and that holds no rows: a new one, or, in a
// package whose TestMain calls Main, one an earlier test of the package
// used, emptied again. Package pgtest decides whether t is skipped when
// there is no server.
func Postgres(t testing.TB) store.Store {
	t.Helper()
	srv := pgtest.Connect(t)
	var url string
	if reuse.on {
		url = reuse.take(t, srv)
	} else {
		url = srv.CreateDB(t)
		if err := noSyncCommit(t.Context(), srv, url); err != nil {
			t.Fatal(err)
		}
	}
	st, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Opener opens a fresh store for a test: SQLite or Postgres.
type Opener = func(testing.TB) store.Store

// Both names the openers of every store, for table-driven tests.
var Both = map[string]Opener{"sqlite": SQLite, "postgres": Postgres}

// Each runs f as one subtest per store, "sqlite" and then "postgres",
// each given the opener of that store.
func Each(t *testing.T, f func(t *testing.T, open Opener)) {
	t.Helper()
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) { f(t, Both[kind]) })
	}
}

// Main runs a package's tests; call it from TestMain. Creating and
// migrating a PostgreSQL database takes a good part of a second, more
// than most tests on it, so under Main a database whose test has ended is
// emptied (the rows of every table deleted) and given to the next test
// that asks for one, and all of them are dropped when the tests end.
func Main(m *testing.M) {
	reuse.on = true
	code := m.Run()
	if err := reuse.dropAll(); err != nil {
		fmt.Fprintln(os.Stderr, "teststores:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// reuse holds the databases of ended tests, under Main.
var reuse pool

type pool struct {
	on   bool // set by Main before any test runs
	mu   sync.Mutex
	idle []*database // emptied, waiting for a test
	all  []string    // names of every database made, to drop at the end
}

// database is a migrated database of the pool.
type database struct {
	name, url string
	// reusable: migrating it left every table empty, so emptying it
	// again makes it what a new one would be.
	reusable bool
}

// take returns the URL of an empty migrated database for t, given back
// to the pool when t ends.
func (p *pool) take(t testing.TB, srv *pgtest.Server) string {
	t.Helper()
	p.mu.Lock()
	var db *database
	if n := len(p.idle); n > 0 {
		db, p.idle = p.idle[n-1], p.idle[:n-1]
	}
	p.mu.Unlock()
	if db == nil {
		db = p.create(t, srv)
	}
	// Registered after pgtest.Connect's and before the store is opened,
	// so it runs after the store is closed, with srv still connected.
	t.Cleanup(func() { p.give(t, srv, db) })
	return db.url
}

// create makes and migrates a database.
func (p *pool) create(t testing.TB, srv *pgtest.Server) *database {
	t.Helper()
	ctx := t.Context()
	name, url, err := srv.NewDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.all = append(p.all, name)
	p.mu.Unlock()
	if err := noSyncCommit(ctx, srv, url); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	db := &database{name: name, url: url}
	full, err := db.tableWithRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db.reusable = full == ""; !db.reusable {
		t.Logf("teststores: migrations leave rows in %s; the database is not reused", full)
	}
	return db
}

// give empties db and returns it to the pool, or drops it if it is not
// reusable or cannot be emptied.
func (p *pool) give(t testing.TB, srv *pgtest.Server, db *database) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if db.reusable {
		err := db.clear(ctx)
		if err == nil {
			p.mu.Lock()
			p.idle = append(p.idle, db)
			p.mu.Unlock()
			return
		}
		t.Logf("teststores: database %s not reused: %v", db.name, err)
	}
	if err := srv.DropDB(ctx, db.name); err != nil {
		t.Log(err) // dropped again at the end
	}
}

// tables lists the tables and sequences of the database conn is on, but
// the record of applied migrations.
func tables(ctx context.Context, conn *pgx.Conn) (tables, sequences []string, err error) {
	rows, err := conn.Query(ctx, `SELECT quote_ident(relname), relkind = 'S' FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p', 'S')
			AND relname <> 'schema_migrations' AND NOT relispartition
		ORDER BY relname`)
	if err != nil {
		return nil, nil, err
	}
	var name string
	var isSequence bool
	_, err = pgx.ForEachRow(rows, []any{&name, &isSequence}, func() error {
		if isSequence {
			sequences = append(sequences, name)
		} else {
			tables = append(tables, name)
		}
		return nil
	})
	return tables, sequences, err
}

// tableWithRows names a table of db that holds rows, or is "".
func (db *database) tableWithRows(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	list, _, err := tables(ctx, conn)
	if err != nil {
		return "", err
	}
	for _, table := range list {
		var rows bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM `+table+`)`).Scan(&rows); err != nil {
			return "", err
		}
		if rows {
			return table, nil
		}
	}
	return "", nil
}

// clear deletes the rows of every table of db and restarts its sequences.
func (db *database) clear(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	list, sequences, err := tables(ctx, conn)
	if err != nil {
		return err
	}
	// A test's stray connection holding a lock makes this fail rather
	// than wait: the database is then not reused.
	if _, err := conn.Exec(ctx, `SET lock_timeout = '5s'`); err != nil {
		return err
	}
	// DELETE of the few rows a test writes is much faster than TRUNCATE,
	// which makes new files for every table and index. Foreign keys can
	// make one DELETE fail on rows of a table not yet emptied; TRUNCATE
	// ... CASCADE then does it.
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, table := range list {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table); err != nil {
				return err
			}
		}
		for _, seq := range sequences {
			if _, err := tx.Exec(ctx, `ALTER SEQUENCE `+seq+` RESTART`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(list) > 0 {
		_, err = conn.Exec(ctx, `TRUNCATE `+strings.Join(list, ", ")+` RESTART IDENTITY CASCADE`)
	}
	return err
}

// noSyncCommit lets commits on the database at url return before they
// reach the disk. A test's data never has to outlive a crash of the
// server, and on a busy machine waiting for the disk is most of the time
// a test on PostgreSQL takes. What other sessions see is unchanged.
func noSyncCommit(ctx context.Context, srv *pgtest.Server, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	return srv.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{cfg.Database}.Sanitize()+` SET synchronous_commit = off`)
}

// dropAll drops every database the pool made.
func (p *pool) dropAll() error {
	if len(p.all) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := pgtest.Dial(ctx)
	if err != nil {
		return err
	}
	defer srv.Close()
	var errs []string
	for _, name := range p.all {
		if err := srv.DropDB(ctx, name); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}
