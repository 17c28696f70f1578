package aaguid

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher keeps the list of a file current. It reloads the file when its
// modification time or size changes, and keeps the list it has when a load
// fails, so a half-written or broken file never empties the names.
type Watcher struct {
	path string
	log  *slog.Logger
	cur  atomic.Pointer[List]

	mu      sync.Mutex
	tried   bool // modTime and size are those of the last file tried
	modTime time.Time
	size    int64
	lastErr string
}

// NewWatcher returns a watcher of the list file at path. It holds no list
// until the first Check; call Check at start-up, then Run in a goroutine.
// log may be nil.
func NewWatcher(path string, log *slog.Logger) *Watcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Watcher{path: path, log: log}
}

// Current returns the list loaded last (nil before the first good load,
// which a Directory treats as an empty list).
func (w *Watcher) Current() *List { return w.cur.Load() }

// Check loads the file if it changed since the last attempt and reports
// whether a new list was installed. On an error the current list stays,
// and the same file is not tried again until it changes.
func (w *Watcher) Check() (reloaded bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(w.path)
	if err != nil {
		return false, err
	}
	if w.tried && fi.ModTime().Equal(w.modTime) && fi.Size() == w.size {
		return false, nil
	}
	w.tried, w.modTime, w.size = true, fi.ModTime(), fi.Size()
	data, err := os.ReadFile(w.path)
	if err != nil {
		return false, err
	}
	l, err := Parse(data)
	if err != nil {
		return false, err
	}
	w.cur.Store(l)
	return true, nil
}

// Run calls Check every interval until ctx is done, logging each load and
// each new error once.
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
	w.mu.Lock()
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	repeat := msg == w.lastErr
	w.lastErr = msg
	w.mu.Unlock()
	switch {
	case err != nil && !repeat:
		w.log.Error("aaguid: keeping the previous authenticator names", "path", w.path, "error", err)
	case reloaded:
		w.log.Info("aaguid: authenticator names loaded", "path", w.path, "entries", w.Current().Len())
	}
}
