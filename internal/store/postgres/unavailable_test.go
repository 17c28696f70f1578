package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
)

func TestUnavailableErrors(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true}, // admin_shutdown
		{&pgconn.PgError{Code: "57P02"}, true}, // crash_shutdown
		{&pgconn.PgError{Code: "57P03"}, true}, // cannot_connect_now
		{&pgconn.PgError{Code: "53300"}, true}, // too_many_connections
		{&pgconn.PgError{Code: "08006"}, true}, // connection_failure
		{&pgconn.PgError{Code: "08001"}, true},
		{fmt.Errorf("postgres: x: %w", &pgconn.PgError{Code: "57P01"}), true},
		{&pgconn.ConnectError{}, true},
		{&pgconn.PgError{Code: "23505"}, false}, // unique_violation
		{&pgconn.PgError{Code: "57014"}, false}, // query_canceled
		{&pgconn.PgError{Code: "40001"}, false}, // serialization_failure
		{pgx.ErrNoRows, false},
		{errors.New("something else"), false},
		{context.Canceled, false},
	}
	for _, tt := range tests {
		if got := unavailable(tt.err); got != tt.want {
			t.Errorf("unavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestDiskFullIsStoreFull: PostgreSQL's disk_full is the store's ErrFull,
// answered 503 storage_full like a full SQLite disk.
func TestDiskFullIsStoreFull(t *testing.T) {
	d := &db{}
	err := d.classify(context.Background(), nil, fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100"}))
	if !errors.Is(err, store.ErrFull) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("disk_full classified as %v; want store.ErrFull", err)
	}
	if err := d.classify(context.Background(), nil, &pgconn.PgError{Code: "23505"}); errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("unique_violation classified as %v", err)
	}
}

func TestIsRead(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", true},
		{"\n\t select id FROM apps", true},
		{"SELECT id FROM apps WHERE id = $1 FOR UPDATE", false},
		{"SELECT id FROM apps FOR SHARE", false},
		{"INSERT INTO t VALUES (1) RETURNING id", false},
		{"DELETE FROM credentials WHERE app_id = $1 RETURNING user_id", false},
		{"WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", false},
	}
	for _, tt := range tests {
		if got := isRead(tt.sql); got != tt.want {
			t.Errorf("isRead(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}

// warm fills the pool with connections that have just been used, so that
// the pool does not ping them before handing them out again (it pings
// connections idle for over a second).
func warm(t *testing.T, s *Store) {
	t.Helper()
	var wg sync.WaitGroup
	for range int(s.pool.pool.Config().MaxConns) {
		wg.Go(func() {
			var n int
			if err := s.pool.QueryRow(t.Context(), `SELECT 1 FROM pg_sleep(0.05)`).Scan(&n); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// terminateAll ends every connection to the test database but the
// admin's, as a database restart or a failover does, and waits until they
// are gone.
func terminateAll(t *testing.T, srv *pgtest.Server, dbName string) {
	t.Helper()
	err := srv.Exec(t.Context(), `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
		WHERE datname = '`+dbName+`' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
}

// TestDroppedConnections: after every connection of the pool was ended
// by the server, a read succeeds (retried once on a fresh connection), a
// write fails with ErrUnavailable (its outcome was unknown, so it is not
// retried), and the next write succeeds.
func TestDroppedConnections(t *testing.T) {
	srv := testServer(t)
	u := srv.CreateDB(t)
	s := openStore(t, u)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.CreateApp(ctx, store.App{ID: "app1", CreatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}
	var dbName string
	if err := s.pool.QueryRow(ctx, `SELECT current_database()`).Scan(&dbName); err != nil {
		t.Fatal(err)
	}

	// Each round waits until the pool may be reset again, so that every
	// round starts from connections that all dropped.
	dropAll := func() {
		time.Sleep(resetInterval + 100*time.Millisecond)
		warm(t, s)
		terminateAll(t, srv, dbName)
	}
	dropAll()
	if _, err := s.GetApp(ctx, "app1"); err != nil {
		t.Fatalf("read after the connections dropped: %v", err)
	}
	dropAll()
	if ids, err := s.ListAppIDs(ctx); err != nil || len(ids) != 1 {
		t.Fatalf("list after the connections dropped: %v %v", ids, err)
	}
	if got := s.pool.pool.Stat().AcquiredConns(); got != 0 {
		t.Errorf("%d connections still acquired", got)
	}
	dropAll()
	err := s.ConsumeOnce(ctx, "app1", "once-1", now.Add(time.Hour))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write on a dropped connection: %v, want ErrUnavailable", err)
	}
	if errors.Is(err, store.ErrAlreadyUsed) {
		t.Fatalf("write on a dropped connection: %v", err)
	}
	if err := s.ConsumeOnce(ctx, "app1", "once-2", now.Add(time.Hour)); err != nil {
		t.Fatalf("write after the pool recovered: %v", err)
	}
}

// TestPoolExhaustedIsUnavailable: when no connection becomes free in
// time, a request fails with ErrUnavailable instead of waiting for as long
// as its client does; a caller that gave up gets its own error.
func TestPoolExhaustedIsUnavailable(t *testing.T) {
	srv := testServer(t)
	s := openStore(t, srv.CreateDB(t)+"&pool_max_conns=1")
	s.pool.acquireTimeout = 200 * time.Millisecond
	held, err := s.pool.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	start := time.Now()
	if _, err := s.GetApp(t.Context(), "app1"); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("read with the pool exhausted: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the read waited %v", d)
	}
	if err := s.ConsumeOnce(t.Context(), "app1", "x", time.Now()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write with the pool exhausted: %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.GetApp(ctx, "app1"); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("read with a canceled context: %v, want the cancellation only", err)
	}
}

// TestStoppedDatabase: while the database is down, reads and writes fail
// with ErrUnavailable; once it is back, the same store works again.
func TestStoppedDatabase(t *testing.T) {
	c := pgtest.StartCluster(t)
	s := openStore(t, c.URL)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.CreateApp(ctx, store.App{ID: "app1", CreatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}
	warm(t, s)
	c.Stop()
	for i := range 3 {
		if _, err := s.GetApp(ctx, "app1"); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("read %d while stopped: %v, want ErrUnavailable", i, err)
		}
		if err := s.ConsumeOnce(ctx, "app1", fmt.Sprint("down-", i), now.Add(time.Hour)); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("write %d while stopped: %v, want ErrUnavailable", i, err)
		}
	}
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("ping while stopped: %v, want ErrUnavailable", err)
	}
	c.Start()
	if _, err := s.GetApp(ctx, "app1"); err != nil {
		t.Fatalf("read after the restart: %v", err)
	}
	if err := s.ConsumeOnce(ctx, "app1", "up", now.Add(time.Hour)); err != nil {
		t.Fatalf("write after the restart: %v", err)
	}
}
