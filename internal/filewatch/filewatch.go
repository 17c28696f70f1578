// Package filewatch keeps a value loaded from a file current while the
// server runs, for files operators replace in place (the FIDO metadata
// BLOB, the list of authenticator names).
package filewatch

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher loads its file again when the file's modification time or size
// changes, and keeps the last good value when a load fails, so that a
// half-written or broken file never replaces a good one. A file that
// failed to load is not tried again until it changes.
type Watcher[T any] struct {
	path string
	load func(path string) (T, error)
	log  *slog.Logger
	opts Options[T]

	cur atomic.Pointer[T]

	mu      sync.Mutex
	tried   bool // modTime and size are those of the last file tried
	modTime time.Time
	size    int64
	lastErr string
}

// Options say what Run logs: Kept (at error level, with the error) when a
// load fails, Loaded (at info level, with the attributes Describe returns)
// when a new value is installed; and Missing, if not nil, is the error of
// Check when the file does not exist.
type Options[T any] struct {
	Kept, Loaded string
	Describe     func(T) []any
	Missing      error
}

// New returns a watcher of the file at path, read by load. It holds no
// value until the first Check: call Check at start-up to decide what a
// failure then means, and Run in a goroutine. log may be nil.
func New[T any](path string, load func(path string) (T, error), opts Options[T], log *slog.Logger) *Watcher[T] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher[T]{path: path, load: load, opts: opts, log: log}
}

// Current returns the value loaded last, and false before the first good
// load.
func (w *Watcher[T]) Current() (T, bool) {
	if v := w.cur.Load(); v != nil {
		return *v, true
	}
	var zero T
	return zero, false
}

// Check loads the file if it changed since the last attempt and reports
// whether a new value was installed. On an error the current value stays.
// A missing file is Options.Missing, or an error wrapping fs.ErrNotExist.
func (w *Watcher[T]) Check() (reloaded bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(w.path)
	if errors.Is(err, fs.ErrNotExist) && w.opts.Missing != nil {
		return false, w.opts.Missing
	}
	if err != nil {
		return false, err
	}
	if w.tried && fi.ModTime().Equal(w.modTime) && fi.Size() == w.size {
		return false, nil
	}
	w.tried, w.modTime, w.size = true, fi.ModTime(), fi.Size()
	v, err := w.load(w.path)
	if err != nil {
		return false, err
	}
	w.cur.Store(&v)
	return true, nil
}

// Run calls Check every interval until ctx is done, logging each load and
// each distinct error once in a row.
func (w *Watcher[T]) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.poll()
		}
	}
}

func (w *Watcher[T]) poll() {
	reloaded, err := w.Check()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	w.mu.Lock()
	repeat := msg == w.lastErr
	w.lastErr = msg
	w.mu.Unlock()
	switch {
	case err != nil && !repeat:
		w.log.Error(w.opts.Kept, "path", w.path, "error", err)
	case reloaded:
		v, _ := w.Current()
		attrs := []any{"path", w.path}
		if w.opts.Describe != nil {
			attrs = append(attrs, w.opts.Describe(v)...)
		}
		w.log.Info(w.opts.Loaded, attrs...)
	}
}
