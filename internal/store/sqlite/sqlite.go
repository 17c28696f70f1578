// Package sqlite implements store.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go).
//
// SQLite allows one writer at a time. To avoid "database is locked" errors
// under concurrent load, the Store keeps two connection pools on the same
// file: a write pool limited to a single connection, whose transactions
// start with BEGIN IMMEDIATE, and a read pool of several query-only
// connections. In WAL mode readers never block the writer or each other, so
// reads proceed in parallel. Every write is a job for one committer
// goroutine, the only user of the write connection, which runs the jobs
// waiting at the same time in one transaction and commits them with a
// single fsync (group commit, see commit.go). busy_timeout covers the
// remaining case of several processes sharing one file.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/passwordless-oss/server/internal/store"
)

// Store is a store.Store backed by one SQLite file.
type Store struct {
	write *sql.DB // exactly one connection: SQLite's single writer
	read  *sql.DB // query-only connections for concurrent reads

	rs *readStmts  // prepared on read
	ws *writeStmts // prepared on write
	w  *committer  // runs every write on write
	cp *checkpointer

	full fullness

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Pragmas applied to every connection.
//
// synchronous=FULL: in WAL mode NORMAL may lose the last transactions on a
// power failure. A registration acknowledged to the client must not vanish
// (the user would hold a passkey the server no longer knows), so every
// commit is synced to disk at the cost of some write latency.
var commonPragmas = []string{
	"busy_timeout(5000)",
	"foreign_keys(1)",
	"synchronous(FULL)",
}

// Options tune a Store; the zero value means the defaults.
type Options struct {
	// MaxWAL bounds the write-ahead log file in bytes (DefaultMaxWAL when
	// 0, at least 4 MiB): the log is emptied once it passes a quarter of
	// it, and writes wait briefly for readers once it reaches it.
	MaxWAL int64
	// MaxPages, when not 0, caps the database file at this many pages
	// (SQLite's max_page_count). Past it writes fail as on a full disk.
	MaxPages int64
}

// Open opens or creates the database file at path with the default
// options, brings its schema up to date and returns a ready Store.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenOptions(ctx, path, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.MaxWAL == 0 {
		opts.MaxWAL = DefaultMaxWAL
	}
	if opts.MaxWAL < minMaxWAL {
		return nil, fmt.Errorf("sqlite: a write-ahead log bound of %d bytes is below the minimum of %d", opts.MaxWAL, minMaxWAL)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: resolve path: %w", err)
	}
	write, err := openWritePool(ctx, abs, opts)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	if err := initStats(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := openReadPool(ctx, abs)
	if err != nil {
		write.Close()
		return nil, err
	}
	s := &Store{write: write, read: read, rs: &readStmts{}, ws: &writeStmts{}}
	if err := prepareAll(ctx, read, s.rs.defs()); err != nil {
		s.closePools()
		return nil, err
	}
	if err := prepareAll(ctx, write, s.ws.defs()); err != nil {
		s.closePools()
		return nil, err
	}
	if s.cp, err = openCheckpointer(ctx, abs, opts.MaxWAL); err != nil {
		s.closePools()
		return nil, err
	}
	s.w = newCommitter(write, s.ws, refreshStats, statsEvery)
	s.w.afterBatch = s.cp.keepBound
	s.cp.start(s.w.hold)
	return s, nil
}

// WALStats reports the write-ahead log's size and its checkpoints.
func (s *Store) WALStats() WALStats { return s.cp.stats() }

func openWritePool(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	params := url.Values{}
	params.Set("_txlock", "immediate")
	// analysis_limit bounds the rows ANALYZE (see stats.go) reads per
	// index, so it stays fast on large files. temp_store(MEMORY) keeps the
	// statement journals of the committer's savepoints in memory; on disk
	// they made a bulk import about a third slower.
	// wal_autocheckpoint(0) and journal_size_limit: see checkpoint.go.
	pragmas := []string{"journal_mode(WAL)", "temp_store(MEMORY)",
		fmt.Sprintf("analysis_limit(%d)", analysisLimit), "wal_autocheckpoint(0)",
		fmt.Sprintf("journal_size_limit(%d)", opts.MaxWAL)}
	if opts.MaxPages > 0 {
		pragmas = append(pragmas, fmt.Sprintf("max_page_count(%d)", opts.MaxPages))
	}
	params["_pragma"] = append(pragmas, commonPragmas...)
	return openOneConn(ctx, path, params, "writes")
}

// openOneConn opens a pool of exactly one connection that stays open:
// reopening would re-run the pragmas and drop SQLite's page cache.
func openOneConn(ctx context.Context, path string, params url.Values, purpose string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, params))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s for %s: %w", path, purpose, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s for %s: %w", path, purpose, err)
	}
	return db, nil
}

func openReadPool(ctx context.Context, path string) (*sql.DB, error) {
	params := url.Values{}
	// query_only makes an accidental write through this pool fail loudly
	// instead of competing with the write pool for the lock.
	params["_pragma"] = append([]string{"query_only(1)"}, commonPragmas...)
	db, err := sql.Open("sqlite", dsn(path, params))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open read pool: %w", err)
	}
	n := max(4, runtime.NumCPU())
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	return db, nil
}

// dsn builds a "file:" URI so that any character in the path is escaped
// and cannot be mistaken for the start of the parameter list.
func dsn(path string, params url.Values) string {
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(path), RawQuery: params.Encode()}
	return u.String()
}

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close stops the committer after the writes already submitted, updates
// the planner statistics if they are stale, and closes both pools. Writes
// submitted afterwards fail. The writer goes last so that its final close
// can checkpoint the WAL into the main file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.w.close()
		s.closeErr = errors.Join(refreshStatsDB(context.Background(), s.write), s.cp.close(), s.closePools())
	})
	return s.closeErr
}

// closePools closes the prepared statements and both pools.
func (s *Store) closePools() error {
	return errors.Join(closeStmts(s.rs.defs()), closeStmts(s.ws.defs()), s.read.Close(), s.write.Close())
}

// inTx runs fn as a job of the committer: in a write transaction (BEGIN
// IMMEDIATE through the DSN's _txlock), within a savepoint that is rolled
// back if fn returns an error. It returns once the transaction holding fn
// has committed, or failed. fn must use the ctx and tx it is given for
// every statement; see commit.go for why ctx cannot be cancelled. fn may
// run after inTx has returned ctx.Err(), so a caller must not read what fn
// sets unless inTx returned nil.
func (s *Store) inTx(ctx context.Context, fn txFunc) error {
	return s.full.observe(s.w.do(ctx, fn))
}

// execWrite runs one statement as a write job and returns how many rows it
// changed.
func (s *Store) execWrite(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		n, err = execAffected(ctx, tx, query, args...)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// execAffected runs a statement and returns how many rows it changed.
func execAffected(ctx context.Context, e execer, query string, args ...any) (int64, error) {
	res, err := e.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// stmtAffected runs a prepared write statement in tx and returns how many
// rows it changed.
func stmtAffected(ctx context.Context, tx *sql.Tx, st *sql.Stmt, args ...any) (int64, error) {
	res, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// execer is satisfied by *sql.DB and *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// rowScanner is satisfied by *sql.Row and *sql.Rows.
type rowScanner interface {
	Scan(dest ...any) error
}
