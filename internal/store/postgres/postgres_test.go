package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
	"github.com/passwordless-oss/server/internal/store/storetest"
)

// testServer connects to the PostgreSQL test server (see package pgtest).
func testServer(t testing.TB) *pgtest.Server { return pgtest.Connect(t) }

func openStore(t testing.TB, u string) *Store {
	t.Helper()
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the suite on one database: creating a database per
// subtest costs about half a second each (CREATE DATABASE syncs the new
// files), which for the suite's couple of hundred subtests is minutes.
// Instead every subtest empties all tables before it opens its Store. The
// subtests of the suite run one after another and each one's Store is
// closed by its cleanup before the next subtest starts, so no two of them
// ever share rows.
func TestConformance(t *testing.T) {
	srv := testServer(t)
	u := srv.CreateDB(t)
	openStore(t, u) // migrates
	reset := resetter(t, u)
	storetest.Run(t, func(t *testing.T) store.Store {
		reset(t)
		return openStore(t, u)
	})
}

// resetter returns a function that empties every table of the database at
// u but schema_migrations. It sends DELETE statements in one implicit
// transaction: on these tiny tables that is several times faster than
// TRUNCATE, which replaces and syncs every table's and index's files.
func resetter(t *testing.T, u string) func(t *testing.T) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rows, err := pool.Query(t.Context(), `SELECT quote_ident(tablename) FROM pg_tables
		WHERE schemaname = current_schema() AND tablename <> 'schema_migrations' ORDER BY tablename`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) == 0 {
		t.Fatal("no tables to reset")
	}
	stmt := "DELETE FROM " + strings.Join(tables, "; DELETE FROM ")
	return func(t *testing.T) {
		t.Helper()
		if _, err := pool.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("reset tables: %v", err)
		}
	}
}

// TestConcurrentMigrate starts two migrations on a fresh database at once:
// both succeed and every migration is applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	srv := testServer(t)
	u := srv.CreateDB(t)
	ctx := t.Context()
	want, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}

	const runs = 2
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errs    = make([]error, runs)
		applied = make([][]int, runs)
	)
	for i := range runs {
		wg.Go(func() {
			conn, err := pgx.Connect(ctx, u)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close(context.Background())
			<-start
			applied[i], errs[i] = migrate(ctx, conn)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent migrate: %v", err)
	}
	total := len(applied[0]) + len(applied[1])
	if total != len(want) || (len(applied[0]) != 0 && len(applied[1]) != 0) {
		t.Errorf("applied %v and %v, want all %d migrations applied by one run", applied[0], applied[1], len(want))
	}

	// Both exported entry points find nothing left to do.
	if err := Migrate(ctx, u); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	s := openStore(t, u)
	var rows, distinct int
	err = s.pool.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT applied_at) FROM schema_migrations`).Scan(&rows, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if rows != len(want) || distinct != 1 {
		t.Errorf("schema_migrations has %d rows with %d distinct times, want %d rows from one run", rows, distinct, len(want))
	}
}

// TestConcurrentMigrateExported races the exported Migrate calls, each with
// its own connection, as two processes starting at once would.
func TestConcurrentMigrateExported(t *testing.T) {
	srv := testServer(t)
	u := srv.CreateDB(t)
	var (
		wg   sync.WaitGroup
		errs = make([]error, 2)
	)
	for i := range errs {
		wg.Go(func() { errs[i] = Migrate(t.Context(), u) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	want, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, u)
	var n int
	if err := s.pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(want))
	}
}

// TestSharedDatabase runs the cross-instance rules on two pools over one
// database, as two server instances would have.
func TestSharedDatabase(t *testing.T) {
	srv := testServer(t)
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		u := srv.CreateDB(t)
		return openStore(t, u), openStore(t, u)
	})
}

// TestTimesComeBackInUTC reads through sessions whose TimeZone is not UTC.
func TestTimesComeBackInUTC(t *testing.T) {
	srv := testServer(t)
	base := srv.CreateDB(t)
	var zoned string
	if strings.Contains(base, "://") {
		parsed, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := parsed.Query()
		q.Set("timezone", "Asia/Tokyo")
		parsed.RawQuery = q.Encode()
		zoned = parsed.String()
	} else {
		zoned = base + " timezone=Asia/Tokyo"
	}
	s := openStore(t, zoned)
	ctx := t.Context()
	var tz string
	if err := s.pool.QueryRow(ctx, `SHOW TimeZone`).Scan(&tz); err != nil {
		t.Fatal(err)
	}
	if tz != "Asia/Tokyo" {
		t.Fatalf("session TimeZone = %q, want Asia/Tokyo", tz)
	}
	created := time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.FixedZone("CET", 3600))
	if err := s.CreateApp(ctx, store.App{ID: "app1", CreatedAt: created}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetApp(ctx, "app1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(created) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, created)
	}
	day := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := s.PutCredentialReport(ctx, "app1", store.CredentialReport{Date: day, Users: 1}); err != nil {
		t.Fatal(err)
	}
	reports, err := s.ListCredentialReports(ctx, "app1", day, day)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || !reports[0].Date.Equal(day) || reports[0].Date.Location() != time.UTC {
		t.Errorf("reports = %v, want one dated %v in UTC", reports, day)
	}
}
