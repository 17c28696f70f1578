package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passwordless-oss/server/internal/store"
)

// acquireTimeout bounds the wait for a pooled connection. Past it the pool
// is exhausted (or the database does not take connections) and the request
// fails with store.ErrUnavailable, which the API answers 503 with
// Retry-After, instead of queueing for as long as the client waits.
const acquireTimeout = 5 * time.Second

// resetInterval is the least time between two resets of the pool after a
// dropped connection (see db.dropped).
const resetInterval = time.Second

// db is the pool as the store uses it. Every statement runs on a
// connection it acquires itself, so that a failure can be judged by the
// state of that connection: errors that mean the database is out of reach
// (the connection was lost, the server is shutting down or starting up,
// refuses connections, or no connection was free in time) wrap
// store.ErrUnavailable. A read that failed on a dropped connection is run
// once more on a fresh one; a write only when pgx knows it was never sent,
// since otherwise its outcome is unknown.
type db struct {
	pool           *pgxpool.Pool
	acquireTimeout time.Duration
	// lastReset is when the pool was last reset (Unix nanoseconds).
	lastReset atomic.Int64
}

func newDB(pool *pgxpool.Pool) *db {
	return &db{pool: pool, acquireTimeout: acquireTimeout}
}

// Exec runs a statement that may write.
func (d *db) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := d.run(ctx, false, func(c *pgxpool.Conn) error {
		var err error
		tag, err = c.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// QueryRow runs the statement when its row is scanned, so that a failure
// of a read can be retried there.
func (d *db) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return &row{d: d, ctx: ctx, sql: sql, args: args}
}

type row struct {
	d    *db
	ctx  context.Context
	sql  string
	args []any
}

func (r *row) Scan(dest ...any) error {
	return r.d.run(r.ctx, isRead(r.sql), func(c *pgxpool.Conn) error {
		return c.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	})
}

// Query runs a statement whose rows the caller reads; the connection goes
// back to the pool when the rows are closed. A failure while reading is
// classified but not retried (the caller may have used some rows):
// queryList retries whole reads.
func (d *db) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		err = d.classify(ctx, c, err)
		c.Release()
		return nil, err
	}
	return &connRows{Rows: rows, d: d, ctx: ctx, conn: c}, nil
}

// collect runs a read and returns all its rows, retrying it as run does.
func collect[T any](ctx context.Context, d *db, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	var list []T
	err := d.run(ctx, isRead(sql), func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
		return err
	})
	return list, err
}

// inTx runs fn in a transaction on one connection. It is retried only
// when pgx reports that the failing statement was never sent: the
// transaction then did not commit.
func (d *db) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return d.run(ctx, false, func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, fn)
	})
}

// Ping checks that a connection can be had and answers.
func (d *db) Ping(ctx context.Context) error {
	return d.run(ctx, false, func(c *pgxpool.Conn) error { return c.Ping(ctx) })
}

// run acquires a connection, runs fn on it and classifies its error. A
// read (read true) that failed because its connection dropped, and any
// statement pgx reports as never sent, runs once more on a fresh
// connection.
func (d *db) run(ctx context.Context, read bool, fn func(c *pgxpool.Conn) error) error {
	retry, err := d.runOnce(ctx, read, fn)
	if retry {
		_, err = d.runOnce(ctx, read, fn)
	}
	return err
}

// runOnce runs fn on a connection of its own and reports whether a
// failure may be retried: fn ran (so the pool had a connection to give),
// the caller still waits, and either nothing was sent or the statement
// was a read whose connection dropped.
func (d *db) runOnce(ctx context.Context, read bool, fn func(c *pgxpool.Conn) error) (retry bool, err error) {
	c, err := d.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer c.Release()
	if err = fn(c); err == nil {
		return false, nil
	}
	if ctx.Err() != nil {
		return false, err
	}
	dropped := c.Conn().IsClosed()
	if dropped {
		d.dropped()
	}
	return (read && dropped) || pgconn.SafeToRetry(err), d.classify(ctx, c, err)
}

// acquire takes a connection from the pool, waiting at most
// d.acquireTimeout. Failing that is the database's unavailability, unless
// the caller gave up first.
func (d *db) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, d.acquireTimeout)
	defer cancel()
	c, err := d.pool.Acquire(actx)
	if err == nil {
		return c, nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, err
	}
	return nil, fmt.Errorf("%w: acquire a connection: %w", store.ErrUnavailable, err)
}

// dropped resets the pool after a connection was lost: a server restart or
// a network failure drops every connection, and without a reset each idle
// one would fail one more request before the pool noticed. Resets are
// spaced by resetInterval, since the connections made after one are new.
func (d *db) dropped() {
	now := time.Now().UnixNano()
	last := d.lastReset.Load()
	if now-last < int64(resetInterval) || !d.lastReset.CompareAndSwap(last, now) {
		return
	}
	d.pool.Reset()
}

// classify wraps err in store.ErrUnavailable when it means the database is
// out of reach rather than that the statement failed: see unavailable, and
// a connection that closed under a statement the caller had not given up
// on.
func (d *db) classify(ctx context.Context, c *pgxpool.Conn, err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil {
		return err
	}
	if diskFull(err) {
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	}
	if unavailable(err) || (c != nil && c.Conn().IsClosed()) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// diskFull reports whether the server refused a write because its disk is
// full (SQLSTATE 53100): the transaction was rolled back, reads go on.
func diskFull(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "53100"
}

// unavailable reports whether err says the database cannot be used right
// now: a failure to connect, a statement pgx never sent (its connection
// was already broken), a connection exception (SQLSTATE class 08), an
// administrator or crash shutdown of the server (57P01, 57P02), a server
// that cannot take connections yet (57P03), or one with no connection
// slots left (53300).
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var connectErr *pgconn.ConnectError
	return errors.As(err, &connectErr) || pgconn.SafeToRetry(err)
}

// isRead reports whether a statement only reads: a SELECT that takes no
// row locks. Only those are retried after an unknown outcome.
func isRead(sql string) bool {
	s := strings.ToUpper(strings.TrimSpace(sql))
	return strings.HasPrefix(s, "SELECT") && !strings.Contains(s, " FOR UPDATE") && !strings.Contains(s, " FOR SHARE")
}

// connRows are rows that give their connection back when closed and
// classify the error that ended them.
type connRows struct {
	pgx.Rows
	d    *db
	ctx  context.Context
	conn *pgxpool.Conn
	// lost is whether the connection had closed when the rows ended.
	lost bool
}

func (r *connRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *connRows) Err() error {
	err := r.Rows.Err()
	if err == nil || errors.Is(err, store.ErrUnavailable) || r.ctx.Err() != nil {
		return err
	}
	if diskFull(err) {
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	}
	if unavailable(err) || r.lost {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func (r *connRows) Close() {
	r.Rows.Close()
	if r.conn != nil {
		r.lost = r.conn.Conn().IsClosed()
		r.conn.Release()
		r.conn = nil
	}
}
