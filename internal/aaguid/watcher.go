package aaguid

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/passwordless-oss/server/internal/filewatch"
)

// Watcher keeps the list of a file current. It reloads the file when its
// modification time or size changes, and keeps the list it has when a load
// fails, so a half-written or broken file never empties the names (see
// filewatch).
type Watcher struct {
	w *filewatch.Watcher[*List]
}

// NewWatcher returns a watcher of the list file at path. It holds no list
// until the first Check; call Check at start-up, then Run in a goroutine.
// log may be nil.
func NewWatcher(path string, log *slog.Logger) *Watcher {
	return &Watcher{filewatch.New(path, loadFile, filewatch.Options[*List]{
		Kept:     "aaguid: keeping the previous authenticator names",
		Loaded:   "aaguid: authenticator names loaded",
		Describe: func(l *List) []any { return []any{"entries", l.Len()} },
	}, log)}
}

func loadFile(path string) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Current returns the list loaded last (nil before the first good load,
// which a Directory treats as an empty list).
func (w *Watcher) Current() *List {
	l, _ := w.w.Current()
	return l
}

// Check loads the file if it changed since the last attempt and reports
// whether a new list was installed. On an error the current list stays,
// and the same file is not tried again until it changes.
func (w *Watcher) Check() (reloaded bool, err error) { return w.w.Check() }

// Run calls Check every interval until ctx is done, logging each load and
// each new error once.
func (w *Watcher) Run(ctx context.Context, interval time.Duration) { w.w.Run(ctx, interval) }
