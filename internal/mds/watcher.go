package mds

import (
	"context"
	"crypto/x509"
	"log/slog"
	"time"

	"github.com/passwordless-oss/server/internal/filewatch"
)

// Watcher keeps the BLOB of a file current: it re-loads the file when its
// modification time or size changes and keeps the last good BLOB when a
// load fails (see filewatch).
type Watcher struct {
	w *filewatch.Watcher[*Metadata]
}

// NewWatcher returns a watcher of the BLOB file at path, validated against
// root (nil: production root). It holds no BLOB until the first Check;
// call Check once at startup to load it and decide what a failure means,
// then Run in a goroutine. log may be nil (discard).
func NewWatcher(path string, root *x509.Certificate, now func() time.Time, log *slog.Logger) *Watcher {
	load := func(path string) (*Metadata, error) { return Load(path, root, now) }
	return &Watcher{filewatch.New(path, load, filewatch.Options[*Metadata]{
		Kept:   "mds: keeping the previous metadata blob",
		Loaded: "mds: metadata blob loaded",
		Describe: func(m *Metadata) []any {
			return []any{"number", m.Number(), "entries", m.Len(), "partial", m.Partial(),
				"nextUpdate", m.NextUpdate().Format(time.DateOnly)}
		},
		Missing: ErrNoBlob,
	}, log)}
}

// Current returns the BLOB loaded last (nil before the first good load).
// It is safe on a nil watcher and suits the func() *Metadata parameters of
// other packages.
func (w *Watcher) Current() *Metadata {
	if w == nil {
		return nil
	}
	m, _ := w.w.Current()
	return m
}

// Check loads the file if its modification time or size differ from those
// of the last attempt. It reports whether a new BLOB was installed; on an
// error the current BLOB stays. A file that failed to load is not tried
// again until it changes; a missing file is ErrNoBlob.
func (w *Watcher) Check() (reloaded bool, err error) { return w.w.Check() }

// Run calls Check every interval until ctx is done, logging loads and
// errors (each distinct error once in a row).
func (w *Watcher) Run(ctx context.Context, interval time.Duration) { w.w.Run(ctx, interval) }
