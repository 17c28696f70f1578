package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints off the commit path, and a log that stays bounded.
//
// In WAL mode SQLite copies the log back into the database file (a
// checkpoint) by default from inside the COMMIT that takes the log past
// 1000 pages. That COMMIT then waits for the checkpoint's writes and for
// its sync of the database file, and with group commit every write queued
// behind it waits too. On a large file, where the pages a checkpoint
// writes are spread out, that sync took up to a second on a virtual disk,
// stalling every sign-in for as long.
//
// So the write connection runs with wal_autocheckpoint(0), and a goroutine
// with a connection of its own runs a PASSIVE checkpoint every
// checkpointEvery. A PASSIVE checkpoint blocks neither the writer nor
// readers; it copies what no reader still needs, and does the expensive
// part (writing scattered pages and syncing the database file) while
// writes go on.
//
// PASSIVE checkpoints alone never let the log start over under steady
// load: SQLite restarts the log only when a write begins after a
// checkpoint has copied all of it, and the writer keeps appending while
// the checkpoint runs. The log then grows by every page written, without
// end. So once the log passes restartAt, the checkpointer catches up with
// one or two more PASSIVE passes (each copies what was appended during
// the previous one), then asks the committer to hold the next batch
// between two transactions and runs a TRUNCATE checkpoint: it copies the
// few frames left, syncs, waits (briefly, see readerWait) for readers
// still reading old frames, and empties the log file. Writes wait only
// for that short step, never for the bulk copy and its sync. Durability is
// unchanged: a commit is durable once the log is synced, checkpoint or not.

// checkpointEvery is the interval between background checkpoints: short
// enough that the log stays a few MiB at the highest write rates measured,
// long enough that an idle server does not notice.
const checkpointEvery = 250 * time.Millisecond

// checkpointSoon is the shortest interval, taken when the log grows so
// fast that it would pass restartAt before the next regular tick.
const checkpointSoon = 10 * time.Millisecond

// DefaultMaxWAL is the default bound of the write-ahead log file.
const DefaultMaxWAL = 64 << 20

// minMaxWAL is the smallest bound accepted: below it the log would be
// restarted several times a second under load.
const minMaxWAL = 4 << 20

// catchUpFrames: a restart is attempted only once fewer frames than this
// are left to copy, so the writer waits for a few hundred pages at most.
const catchUpFrames = 512

// Reader waits of the restart step, while writes are held: short while
// the log is under its bound (a long reader just defers the restart), up
// to a second once the log has reached it, to keep the bound.
const (
	readerWaitShort = 20 * time.Millisecond
	readerWaitLong  = time.Second
)

// statsLogEvery is how often the log state is reported at debug level.
const statsLogEvery = 10 * time.Second

// WALStats describes the write-ahead log and the checkpoints that keep it
// bounded, for logs and metrics.
type WALStats struct {
	WALBytes      int64 // size of the -wal file now
	DatabaseBytes int64 // size of the main database file now
	MaxWALBytes   int64 // the configured bound

	Checkpoints  int64 // background checkpoints run
	FramesCopied int64 // log frames those checkpoints copied into the database file
	Busy         int64 // checkpoints that could not copy everything because of readers
	Restarts     int64 // times the log was emptied
	RestartBusy  int64 // restart attempts deferred because readers held old frames
	Failures     int64 // checkpoints that returned an error

	// HeldWrites is the total time writes were held for restarts, and
	// MaxHeldWrite the longest single hold.
	HeldWrites   time.Duration
	MaxHeldWrite time.Duration
}

type checkpointer struct {
	db       *sql.DB
	path     string
	pageSize int64
	maxWAL   int64
	// restartAt is the log size past which the log is emptied.
	restartAt int64
	// hold runs fn while no write transaction is open; it reports false
	// when the writer has stopped. Set before the first tick.
	hold func(fn func()) bool
	log  *slog.Logger
	// lastFrames is the log's length at the previous tick; lastTick and
	// lastBytes when and how long (in bytes) it was after that tick.
	lastFrames int64
	lastTick   time.Time
	lastBytes  int64

	stop   chan struct{}
	done   chan struct{}
	closed sync.Once

	checkpoints, copied, busy, restarts, restartBusy, failures atomic.Int64
	heldNanos, maxHeldNanos                                    atomic.Int64
}

// openCheckpointer opens the connection of background checkpoints of the
// database at path. start begins them.
func openCheckpointer(ctx context.Context, path string, maxWAL int64) (*checkpointer, error) {
	params := url.Values{}
	// synchronous(FULL) from commonPragmas: the connection that runs a
	// checkpoint decides whether it syncs the database file.
	params["_pragma"] = commonPragmas
	db, err := openOneConn(ctx, path, params, "checkpoints")
	if err != nil {
		return nil, err
	}
	var pageSize int64
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: page size: %w", err)
	}
	return &checkpointer{
		db: db, path: path, pageSize: pageSize, maxWAL: maxWAL, restartAt: maxWAL / 4,
		log: slog.Default(), stop: make(chan struct{}), done: make(chan struct{}),
	}, nil
}

// start runs the checkpoints in the background; hold is the committer's.
func (c *checkpointer) start(hold func(fn func()) bool) {
	c.hold = hold
	go c.run()
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTimer(checkpointEvery)
	defer t.Stop()
	lastLog := time.Now()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		t.Reset(c.nextTick(c.tick(context.Background())))
		if time.Since(lastLog) >= statsLogEvery && c.log.Enabled(context.Background(), slog.LevelDebug) {
			lastLog = time.Now()
			c.logStats()
		}
	}
}

// nextTick is the wait before the next tick: the regular interval, or
// less when at the growth rate of the last interval the log would be
// more than half-way to restartAt by then.
func (c *checkpointer) nextTick(walBytes int64) time.Duration {
	now := time.Now()
	elapsed := now.Sub(c.lastTick)
	grown := walBytes - c.lastBytes
	c.lastTick, c.lastBytes = now, walBytes
	if elapsed <= 0 || grown <= 0 {
		return checkpointEvery
	}
	room := max(c.restartAt/2-walBytes, 0)
	next := time.Duration(float64(room) / float64(grown) * float64(elapsed))
	return min(max(next, checkpointSoon), checkpointEvery)
}

// tick runs one PASSIVE checkpoint and, when the log has grown past
// restartAt, starts it over; an idle log is emptied. It returns the size
// of the log in use afterwards.
func (c *checkpointer) tick(ctx context.Context) (walBytes int64) {
	logFrames, copied, err := c.passive(ctx)
	if err != nil {
		c.log.Warn("sqlite: background checkpoint failed; the log keeps growing until one succeeds", "err", err)
		return 0
	}
	idle := logFrames == c.lastFrames
	c.lastFrames = logFrames
	if c.walBytes(logFrames) < c.restartAt {
		if idle && logFrames > 0 && copied == logFrames {
			// Nothing was written since the last tick and all of it is
			// copied: give the file's space back (after a burst).
			c.restart(ctx, "TRUNCATE", readerWaitShort, 0)
		}
		return c.walBytes(logFrames)
	}
	for pass := 0; pass < 3 && logFrames-copied > catchUpFrames; pass++ {
		if logFrames, copied, err = c.passive(ctx); err != nil {
			c.log.Warn("sqlite: background checkpoint failed", "err", err)
			return c.walBytes(logFrames)
		}
	}
	wait := readerWaitShort
	if c.walBytes(logFrames) >= c.maxWAL {
		wait = readerWaitLong
	}
	// RESTART rather than TRUNCATE under load: the writer then reuses the
	// file's blocks, which syncs faster than growing a file.
	if c.restart(ctx, "RESTART", wait, logFrames-copied) {
		c.lastFrames = 0
		return 0
	}
	return c.walBytes(logFrames)
}

// passive runs one PASSIVE checkpoint and returns the frames in the log
// and how many of them are now in the database file.
func (c *checkpointer) passive(ctx context.Context) (logFrames, copied int64, err error) {
	var busy int
	err = c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied)
	if err != nil {
		c.failures.Add(1)
		return 0, 0, fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	c.checkpoints.Add(1)
	c.copied.Add(copied)
	if logFrames > copied {
		c.busy.Add(1)
	}
	return logFrames, copied, nil
}

// restart runs a RESTART or TRUNCATE checkpoint (mode) while the
// committer holds writes, so that the next write starts the log over (and
// with TRUNCATE, the file is emptied). Readers still on old frames are
// waited for up to wait; past it the restart is deferred to a later tick.
// left is the number of frames still to copy, for the log. It reports
// whether the log was started over.
func (c *checkpointer) restart(ctx context.Context, mode string, wait time.Duration, left int64) bool {
	return c.restartHolding(ctx, c.hold, mode, wait, left)
}

// boundSlack is how close to its bound the log file may come before the
// committer itself empties it: room for the frames of the next batch.
func (c *checkpointer) boundSlack() int64 { return c.maxWAL / 4 }

// keepBound runs in the committer between two batches. The background
// ticks keep the log well under its bound; when they fall behind (a
// machine too busy to run them in time, a burst of writes faster than a
// tick, readers that deferred their restarts) and the log file comes
// within boundSlack of the bound, the committer copies the log and
// empties the file before the next batch, waiting up to readerWaitLong for
// readers, so that writes do not carry the log past its bound. It checks
// the file's size, which never falls below the log in use; TRUNCATE (not
// RESTART) makes the size drop again.
func (c *checkpointer) keepBound() {
	if fileSize(c.path+"-wal") < c.maxWAL-c.boundSlack() {
		return
	}
	ctx := context.Background()
	logFrames, copied, err := c.passive(ctx)
	if err != nil {
		c.log.Warn("sqlite: checkpoint at the log's bound failed", "err", err)
		return
	}
	holding := func(fn func()) bool { fn(); return true } // this is the committer
	c.restartHolding(ctx, holding, "TRUNCATE", readerWaitLong, logFrames-copied)
}

func (c *checkpointer) restartHolding(ctx context.Context, hold func(func()) bool, mode string, wait time.Duration, left int64) bool {
	var busy, logFrames, copied int64
	var err error
	var held time.Duration
	ran := hold(func() {
		start := time.Now()
		defer func() { held = time.Since(start) }()
		if _, err = c.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, wait.Milliseconds())); err != nil {
			return
		}
		err = c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &logFrames, &copied)
	})
	if !ran {
		return false
	}
	c.heldNanos.Add(int64(held))
	for {
		m := c.maxHeldNanos.Load()
		if int64(held) <= m || c.maxHeldNanos.CompareAndSwap(m, int64(held)) {
			break
		}
	}
	switch {
	case err != nil:
		c.failures.Add(1)
		c.log.Warn("sqlite: restarting the write-ahead log failed", "err", err)
	case busy != 0:
		c.restartBusy.Add(1)
		c.log.Debug("sqlite: write-ahead log restart deferred: readers hold old frames", "mode", mode, "held", held, "framesLeft", left)
	default:
		c.restarts.Add(1)
		c.log.Debug("sqlite: write-ahead log restarted", "mode", mode, "held", held, "framesLeft", left)
		return true
	}
	return false
}

// walBytes is the size of a log of n frames.
func (c *checkpointer) walBytes(frames int64) int64 {
	const walHeader, frameHeader = 32, 24
	return walHeader + frames*(c.pageSize+frameHeader)
}

func (c *checkpointer) stats() WALStats {
	return WALStats{
		WALBytes:      fileSize(c.path + "-wal"),
		DatabaseBytes: fileSize(c.path),
		MaxWALBytes:   c.maxWAL,
		Checkpoints:   c.checkpoints.Load(),
		FramesCopied:  c.copied.Load(),
		Busy:          c.busy.Load(),
		Restarts:      c.restarts.Load(),
		RestartBusy:   c.restartBusy.Load(),
		Failures:      c.failures.Load(),
		HeldWrites:    time.Duration(c.heldNanos.Load()),
		MaxHeldWrite:  time.Duration(c.maxHeldNanos.Load()),
	}
}

func (c *checkpointer) logStats() {
	s := c.stats()
	c.log.Debug("sqlite: write-ahead log", "walBytes", s.WALBytes, "databaseBytes", s.DatabaseBytes,
		"checkpoints", s.Checkpoints, "framesCopied", s.FramesCopied, "busy", s.Busy,
		"restarts", s.Restarts, "restartsDeferred", s.RestartBusy, "failures", s.Failures,
		"writesHeld", s.HeldWrites, "longestHold", s.MaxHeldWrite)
}

// fileSize is the size of the file at path, 0 if it does not exist.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// close stops the goroutine and closes its connection, before the writer
// closes: the last connection to close checkpoints the whole log.
func (c *checkpointer) close() error {
	var err error
	c.closed.Do(func() {
		close(c.stop)
		if c.hold != nil {
			<-c.done
		}
		err = c.db.Close()
	})
	return err
}
