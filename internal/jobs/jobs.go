// Package jobs runs the server's periodic maintenance: report snapshots,
// event retention, and purging of expired single-use records, rate-limit
// counters, ended console sessions and old dispatched-mail records. Every
// job is idempotent, so each instance of a multi-instance deployment may
// run them.
package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/store"
)

// dispatchedEmailRetention is how long magic-link mail records are kept
// (beyond the 30-day quota window).
const dispatchedEmailRetention = 50 * 24 * time.Hour

// RunOnce runs every job once. The steps are independent, so a failing
// one does not keep the others from running (a snapshot error must not
// leave expired records for another hour); the errors are joined.
func RunOnce(ctx context.Context, st store.Store, now time.Time) error {
	steps := []struct {
		name string
		run  func() error
	}{
		{"reports", func() error { return reports.Snapshot(ctx, st, now) }},
		{"event retention", func() error { return events.PurgeExpired(ctx, st, now) }},
		{"consumed tokens", func() error { return st.PurgeConsumedBefore(ctx, now) }},
		{"rate limits", func() error { return st.PurgeRateLimitsBefore(ctx, now) }},
		{"dispatched e-mail", func() error { return st.PurgeDispatchedEmailsBefore(ctx, now.Add(-dispatchedEmailRetention)) }},
		{"console sessions", func() error { return consolesession.Purge(ctx, st, now) }},
	}
	var errs []error
	for _, s := range steps {
		if err := s.run(); err != nil {
			errs = append(errs, &stepError{step: s.name, err: err})
		}
	}
	return errors.Join(errs...)
}

type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return "jobs: " + e.step + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// Run runs the jobs at start and then every interval until ctx ends.
func Run(ctx context.Context, st store.Store, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := RunOnce(ctx, st, time.Now()); err != nil && ctx.Err() == nil {
			log.Error("maintenance failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
