package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints off the commit path.
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
// checkpointEvery. A PASSIVE checkpoint blocks neither the writer, which
// keeps appending to the log, nor readers; it copies what no reader still
// needs. The writer starts the log over once a checkpoint has copied all
// of it, and journal_size_limit then shrinks the file. Durability is
// unchanged: a commit is durable once the log is synced, checkpoint or not.

// checkpointEvery is the interval between background checkpoints: short
// enough that the log stays a few MiB at the highest write rates measured,
// long enough that an idle server does not notice.
const checkpointEvery = 250 * time.Millisecond

// walSizeLimit is what journal_size_limit shrinks the log file to once the
// writer has started it over.
const walSizeLimit = 64 << 20

type checkpointer struct {
	db     *sql.DB
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once
	// copied counts the log frames background checkpoints have found in
	// the database file, summed over runs (for tests).
	copied atomic.Int64
}

// openCheckpointer starts background checkpoints of the database at path.
func openCheckpointer(ctx context.Context, path string) (*checkpointer, error) {
	params := url.Values{}
	// synchronous(FULL) from commonPragmas: the connection that runs a
	// checkpoint decides whether it syncs the database file.
	params["_pragma"] = commonPragmas
	db, err := openOneConn(ctx, path, params, "checkpoints")
	if err != nil {
		return nil, err
	}
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			_, copied, err := c.checkpoint(context.Background())
			if err != nil {
				slog.Warn("sqlite: background checkpoint failed; the log keeps growing until one succeeds", "err", err)
			}
			c.copied.Add(int64(copied))
		}
	}
}

// checkpoint runs one PASSIVE checkpoint and returns the frames in the log
// and how many of them are now in the database file.
func (c *checkpointer) checkpoint(ctx context.Context) (logFrames, copied int, err error) {
	var busy int
	err = c.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &copied)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlite: checkpoint: %w", err)
	}
	return logFrames, copied, nil
}

// close stops the goroutine and closes its connection, before the writer
// closes: the last connection to close checkpoints the whole log.
func (c *checkpointer) close() error {
	var err error
	c.closed.Do(func() {
		close(c.stop)
		<-c.done
		err = c.db.Close()
	})
	return err
}
