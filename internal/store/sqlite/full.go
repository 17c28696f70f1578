package sqlite

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/passwordless-oss/server/internal/store"
)

// A full disk (or a database at its max_page_count) makes SQLite refuse
// the write with SQLITE_FULL and roll the transaction back: nothing is
// half-written, and reads go on. The Store reports such failures as
// store.ErrFull, so that the transport can answer 503 with Retry-After
// rather than 500, and remembers them for Degraded until a write succeeds
// again.

// degradedFor is how long a refused write keeps the Store degraded when
// no write is tried after it (an idle server whose disk was freed).
const degradedFor = 30 * time.Second

// fullness tracks refused and successful writes, in Unix nanoseconds.
type fullness struct {
	lastFull, lastOK atomic.Int64
}

// observe records the outcome of a write and returns its error, marked as
// store.ErrFull when the database could not grow.
func (f *fullness) observe(err error) error {
	now := time.Now().UnixNano()
	switch {
	case err == nil:
		f.lastOK.Store(now)
	case isFull(err):
		f.lastFull.Store(now)
		return fmt.Errorf("%w: %w", store.ErrFull, err)
	}
	return err
}

// degraded returns store.ErrFull while the last write that met a full
// database is newer than the last write that succeeded, and recent.
func (f *fullness) degraded() error {
	full := f.lastFull.Load()
	if full == 0 || full <= f.lastOK.Load() || time.Since(time.Unix(0, full)) > degradedFor {
		return nil
	}
	return fmt.Errorf("%w: writes are refused since %s", store.ErrFull, time.Unix(0, full).UTC().Format(time.RFC3339))
}

// isFull reports whether err is SQLite's SQLITE_FULL, extended or not.
func isFull(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_FULL
}

// Degraded reports store.ErrFull while writes are refused for lack of
// space, see fullness.
func (s *Store) Degraded() error { return s.full.degraded() }
