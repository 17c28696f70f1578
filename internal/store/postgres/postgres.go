// Package postgres implements store.Store on PostgreSQL through pgx's
// native interface and a pgxpool connection pool.
//
// Every uniqueness and single-use rule is enforced by the database itself
// (primary keys, INSERT ... ON CONFLICT, conditional UPDATE), so any number
// of server instances may share one database. Open brings the schema up to
// date with the embedded migrations; Migrate does only that, for a separate
// deployment step.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passwordless-oss/server/internal/store"
)

// Store is a store.Store backed by a PostgreSQL database.
type Store struct {
	pool *db
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url, applies pending migrations and
// returns a ready Store. url is a PostgreSQL connection URL or keyword/value
// string; besides the libpq parameters it accepts pgx's pool settings
// (pool_max_conns, pool_max_conn_lifetime, ...) and default_query_exec_mode
// (set it to "exec" behind a transaction-pooling proxy that does not support
// prepared statements).
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection string: %w", err)
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		configureConn(conn)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	_, err = migrate(ctx, conn.Conn())
	conn.Release()
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: newDB(pool)}, nil
}

// configureConn makes every timestamptz read come back in UTC, whatever the
// session's TimeZone or the process's local zone.
func configureConn(conn *pgx.Conn) {
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name:  "timestamptz",
		OID:   pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
}

// Ping checks that the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Degraded is always nil: PostgreSQL reports a full disk as an error of
// the request that meets it.
func (s *Store) Degraded() error { return nil }

// Close closes the pool, waiting for borrowed connections to come back.
func (s *Store) Close() error {
	s.pool.pool.Close()
	return nil
}

// querier is satisfied by *db and pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a READ COMMITTED transaction and commits if fn returns
// nil, else rolls back. The statements inside rely on row locks and
// ON CONFLICT for their guarantees, not on a stricter isolation level.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.pool.inTx(ctx, fn)
}

// exec runs a statement and returns how many rows it changed.
func exec(ctx context.Context, q querier, sql string, args ...any) (int64, error) {
	tag, err := q.Exec(ctx, sql, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// affectedOne turns the result of a statement addressing one row into an
// error: the statement's own error, or ErrNotFound if no row matched.
func affectedOne(what string, n int64, err error) error {
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: %s: %w", what, store.ErrNotFound)
	}
	return nil
}

// queryList runs a query and scans every row with scan. On the pool (not
// in a transaction) a read is retried as a whole (see db.run).
func queryList[T any](ctx context.Context, q querier, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	if d, ok := q.(*db); ok {
		return collect(ctx, d, scan, sql, args...)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
}

// scanString reads a one-column text row.
func scanString(row pgx.Row) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

// nonNilBytes keeps NOT NULL bytea columns from receiving NULL for a nil
// slice (pgx sends a nil slice as NULL).
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullIfEmptyBytes stores an empty optional bytea (the AAGUID) as NULL.
func nullIfEmptyBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nonNilStrings keeps NOT NULL text[] columns from receiving NULL.
func nonNilStrings(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// nilIfEmpty returns nil for an empty list, so nil and empty input read
// back the same (as in the SQLite store).
func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

// nullTime sends the zero time as NULL; the range queries read NULL as
// "unbounded".
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
