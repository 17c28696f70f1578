package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit.
//
// With synchronous=FULL every COMMIT waits for an fsync, and SQLite has a
// single writer, so committing each write on its own caps the store at one
// write per fsync. Instead every write of the Store is a job handed to one
// committer goroutine, the only user of the write connection. The committer
// opens a transaction (BEGIN IMMEDIATE) for the first waiting job, runs it
// inside a SAVEPOINT, then runs the jobs already queued behind it the same
// way, and finally commits once: one fsync for the whole batch. While it
// waits for that fsync, new jobs queue up and form the next batch, so the
// batch size follows the load and a lone write is not delayed.
//
// The rules that keep the contract of store.Store intact:
//
//   - A job that returns an error is rolled back to its savepoint, so it
//     leaves no trace and does not affect the other jobs of its batch.
//   - A job sees the writes of the earlier jobs of its batch (same
//     connection, same transaction), exactly as if they had been committed
//     before it ran; the order of jobs is the order of their transactions.
//   - Results are delivered only after COMMIT has returned: a job reported
//     as done is durable. If COMMIT (or anything that spoils the
//     transaction) fails, every job of the batch gets the error, including
//     those that had failed on their own, since their outcome could have
//     depended on writes that are now gone.
//   - A caller whose ctx ends stops waiting. A job whose ctx has ended
//     before it runs is skipped, and one whose ctx ends while it runs is
//     rolled back to its savepoint. Once its savepoint is released the job
//     commits with its batch even if the caller has gone: that caller saw
//     ctx.Err(), the same uncertainty as a reply lost after a commit.
//   - Jobs run their statements with a ctx that cannot be cancelled.
//     Interrupting a statement (what the driver does when a ctx ends) makes
//     SQLite roll back the whole transaction, which would take the other
//     jobs of the batch with it.

// Batch bounds: a batch stops taking queued jobs when it holds maxBatchJobs
// or has been open for maxBatchAge, so a long queue cannot stretch the
// latency of the jobs at its head.
const (
	maxBatchJobs = 128
	maxBatchAge  = 4 * time.Millisecond
)

// errClosed is returned for writes submitted after Close.
var errClosed = errors.New("sqlite: store is closed")

// txFunc is the body of a write job. ctx is the caller's context without
// its cancellation; tx is the batch's transaction, to be used for every
// statement of the job.
type txFunc func(ctx context.Context, tx *sql.Tx) error

type job struct {
	ctx  context.Context
	fn   txFunc
	done chan jobResult // buffered: the committer never blocks on it

	// Set by the committer.
	err      error
	panicked bool
	panicVal any
}

type jobResult struct {
	err      error
	panicked bool
	panicVal any
}

type committer struct {
	db    *sql.DB
	stmts *writeStmts
	queue chan *job

	// Batch bounds; maxBatchJobs and maxBatchAge except in tests.
	maxJobs int
	maxAge  time.Duration
	// Successful COMMITs and the jobs they held.
	commits, committedJobs atomic.Int64

	// maintain, if not nil, runs as a job of its own after every
	// maintainEvery committed jobs; its error is dropped.
	maintain      txFunc
	maintainEvery int64
	maintainedAt  int64 // committedJobs when maintain last ran

	// afterBatch, if not nil, runs after every batch, while no write
	// transaction is open (it keeps the log within its bound).
	afterBatch func()

	mu      sync.RWMutex // guards closed against sends on queue
	closed  bool
	stopped chan struct{}

	// holds carries work that must run while no write transaction is
	// open (see hold).
	holds chan holdRequest

	batch []*job // reused between batches; only the committer touches it
}

func newCommitter(db *sql.DB, stmts *writeStmts, maintain txFunc, maintainEvery int64) *committer {
	c := &committer{
		db:            db,
		stmts:         stmts,
		queue:         make(chan *job, 4*maxBatchJobs),
		maxJobs:       maxBatchJobs,
		maxAge:        maxBatchAge,
		maintain:      maintain,
		maintainEvery: maintainEvery,
		stopped:       make(chan struct{}),
		holds:         make(chan holdRequest),
		batch:         make([]*job, 0, maxBatchJobs),
	}
	go c.run()
	return c
}

// do submits fn and waits for its result (see the rules above).
func (c *committer) do(ctx context.Context, fn txFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &job{ctx: ctx, fn: fn, done: make(chan jobResult, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	select {
	case c.queue <- j:
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	c.mu.RUnlock()
	select {
	case r := <-j.done:
		if r.panicked {
			panic(r.panicVal)
		}
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops accepting jobs, lets the committer finish every job queued
// so far, and waits for it to exit.
func (c *committer) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.queue)
	}
	c.mu.Unlock()
	<-c.stopped
}

// holdRequest is a function to run between two batches.
type holdRequest struct {
	fn   func()
	done chan struct{}
}

// hold runs fn in the committer's goroutine between two batches, so that
// no write transaction of the Store is open while it runs; writes
// submitted meanwhile wait in the queue. It reports false, without running
// fn, once the committer has stopped.
func (c *committer) hold(fn func()) bool {
	req := holdRequest{fn: fn, done: make(chan struct{})}
	select {
	case c.holds <- req:
	case <-c.stopped:
		return false
	}
	<-req.done
	return true
}

func (c *committer) run() {
	defer close(c.stopped)
	for {
		select {
		case j, ok := <-c.queue:
			if !ok {
				return
			}
			c.runBatch(j)
			if c.afterBatch != nil {
				c.afterBatch()
			}
			if n := c.committedJobs.Load(); c.maintain != nil && n-c.maintainedAt >= c.maintainEvery {
				c.maintainedAt = n
				c.runBatch(&job{ctx: context.Background(), fn: c.maintain, done: make(chan jobResult, 1)})
			}
		case req := <-c.holds:
			req.fn()
			close(req.done)
		}
	}
}

// runBatch runs first and the jobs queued behind it in one transaction and
// delivers their results.
func (c *committer) runBatch(first *job) {
	batch := c.batch[:0]
	defer func() {
		for i, j := range batch {
			j.done <- jobResult{err: j.err, panicked: j.panicked, panicVal: j.panicVal}
			batch[i] = nil
		}
		c.batch = batch[:0]
	}()
	batch = append(batch, first)
	if first.ctx.Err() != nil {
		// Skip it before paying for a transaction.
		first.err = first.ctx.Err()
		return
	}

	ctx := context.Background()
	start := time.Now()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		first.err = fmt.Errorf("sqlite: begin: %w", err)
		return
	}
	savepoint := tx.StmtContext(ctx, c.stmts.savepoint)
	release := tx.StmtContext(ctx, c.stmts.release)
	rollbackTo := tx.StmtContext(ctx, c.stmts.rollbackTo)

	j := first
	for {
		if err := c.runJob(tx, j, savepoint, release, rollbackTo); err != nil {
			// The transaction can no longer be trusted: drop all of it.
			tx.Rollback()
			abortBatch(batch, err)
			return
		}
		if len(batch) >= c.maxJobs || time.Since(start) >= c.maxAge {
			break
		}
		var ok bool
		select {
		case j, ok = <-c.queue:
		default:
		}
		if !ok { // queue empty, or closed and drained
			break
		}
		batch = append(batch, j)
	}

	if err := tx.Commit(); err != nil {
		abortBatch(batch, fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	c.commits.Add(1)
	c.committedJobs.Add(int64(len(batch)))
}

// runJob runs j inside a savepoint of tx and records its outcome in j. It
// returns an error only when the savepoint itself could not be set,
// released or rolled back to, or the job panicked: the state of tx is then
// unknown.
func (c *committer) runJob(tx *sql.Tx, j *job, savepoint, release, rollbackTo *sql.Stmt) (fatal error) {
	if err := j.ctx.Err(); err != nil {
		j.err = err
		return nil
	}
	ctx := context.WithoutCancel(j.ctx)
	if _, err := savepoint.ExecContext(ctx); err != nil {
		j.err = fmt.Errorf("sqlite: savepoint: %w", err)
		return j.err
	}
	if err := callJob(ctx, tx, j); err != nil {
		return err
	}
	if j.err == nil && j.ctx.Err() != nil {
		// The caller has gone: do not commit what it no longer waits for.
		j.err = j.ctx.Err()
	}
	if j.err != nil {
		if _, err := rollbackTo.ExecContext(ctx); err != nil {
			// SQLite may have rolled the whole transaction back after the
			// job's error (SQLITE_FULL does): keep that cause visible.
			return fmt.Errorf("sqlite: rollback to savepoint after %w: %w", j.err, err)
		}
	}
	if _, err := release.ExecContext(ctx); err != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return nil
}

// callJob runs the job's function, turning a panic into a fatal error for
// the batch; the panic is raised again in the caller's goroutine.
func callJob(ctx context.Context, tx *sql.Tx, j *job) (fatal error) {
	defer func() {
		if v := recover(); v != nil {
			j.panicked, j.panicVal = true, v
			fatal = fmt.Errorf("sqlite: write job panicked: %v", v)
		}
	}()
	j.err = j.fn(ctx, tx)
	return nil
}

// abortBatch replaces the outcome of every job of a batch that was not
// committed. A panicking job keeps its panic.
func abortBatch(batch []*job, err error) {
	for _, j := range batch {
		if !j.panicked {
			j.err = err
		}
	}
}
