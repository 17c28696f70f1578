package mds

import (
	"context"
	"crypto/x509"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher keeps the BLOB of a file current: it re-loads the file when its
// modification time or size changes and keeps the last good BLOB when a
// load fails.
type Watcher struct {
	path string
	root *x509.Certificate
	now  func() time.Time
	log  *slog.Logger

	cur atomic.Pointer[Metadata]

	mu      sync.Mutex
	seen    bool // modTime/size describe the last file a load was tried for
	modTime time.Time
	size    int64
	lastErr string
}

// NewWatcher returns a watcher of the BLOB file at path, validated against
// root (nil: production root). It holds no BLOB until the first Check;
// call Check once at startup to load it and decide what a failure means,
// then Run in a goroutine. log may be nil (discard).
func NewWatcher(path string, root *x509.Certificate, now func() time.Time, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{path: path, root: root, now: now, log: log}
}

// Current returns the BLOB loaded last (nil before the first good load).
// It is safe on a nil watcher and suits the func() *Metadata parameters of
// other packages.
func (w *Watcher) Current() *Metadata {
	if w == nil {
		return nil
	}
	return w.cur.Load()
}

// Check loads the file if its modification time or size differ from those
// of the last attempt. It reports whether a new BLOB was installed; on an
// error the current BLOB stays. A file that failed to load is not tried
// again until it changes.
func (w *Watcher) Check() (reloaded bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(w.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, ErrNoBlob
		}
		return false, err
	}
	if w.seen && fi.ModTime().Equal(w.modTime) && fi.Size() == w.size {
		return false, nil
	}
	w.seen, w.modTime, w.size = true, fi.ModTime(), fi.Size()
	m, err := Load(w.path, w.root, w.now)
	if err != nil {
		return false, err
	}
	w.cur.Store(m)
	return true, nil
}

// Run calls Check every interval until ctx is done, logging loads and
// errors (each distinct error once in a row).
func (w *Watcher) Run(ctx context.Context, interval time.Duration) {
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

func (w *Watcher) poll() {
	reloaded, err := w.Check()
	if err != nil {
		msg := err.Error()
		w.mu.Lock()
		repeat := msg == w.lastErr
		w.lastErr = msg
		w.mu.Unlock()
		if !repeat {
			w.log.Error("mds: keeping the previous metadata blob", "path", w.path, "error", err)
		}
		return
	}
	w.mu.Lock()
	w.lastErr = ""
	w.mu.Unlock()
	if reloaded {
		m := w.Current()
		w.log.Info("mds: metadata blob loaded", "path", w.path, "number", m.Number(),
			"entries", m.Len(), "partial", m.Partial(), "nextUpdate", m.NextUpdate().Format(time.DateOnly))
	}
}
