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
)

// dispatchedEmailRetention is how long magic-link mail records are kept
// (beyond the 30-day quota window).
const dispatchedEmailRetention = 50 * 24 * time.Hour

// Store is the part of store.Store the purges use; the report snapshots
// and the event retention go through their services.
type Store interface {
	PurgeConsumedBefore(ctx context.Context, t time.Time) error
	PurgeRateLimitsBefore(ctx context.Context, t time.Time) error
	PurgeDispatchedEmailsBefore(ctx context.Context, t time.Time) error
	PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error
}

// Jobs runs the maintenance jobs.
type Jobs struct {
	store   Store
	reports *reports.Service
	events  *events.Service
}

// New returns the jobs over st and the two services.
func New(st Store, rep *reports.Service, ev *events.Service) *Jobs {
	return &Jobs{store: st, reports: rep, events: ev}
}

// RunOnce runs every job once. The steps are independent, so a failing
// one does not keep the others from running (a snapshot error must not
// leave expired records for another hour); the errors are joined.
func (j *Jobs) RunOnce(ctx context.Context, now time.Time) error {
	steps := []struct {
		name string
		run  func() error
	}{
		{"reports", func() error { return j.reports.Snapshot(ctx, now) }},
		{"event retention", func() error { return j.events.PurgeExpired(ctx, now) }},
		{"consumed tokens", func() error { return j.store.PurgeConsumedBefore(ctx, now) }},
		{"rate limits", func() error { return j.store.PurgeRateLimitsBefore(ctx, now) }},
		{"dispatched e-mail", func() error { return j.store.PurgeDispatchedEmailsBefore(ctx, now.Add(-dispatchedEmailRetention)) }},
		{"console sessions", func() error { return consolesession.Purge(ctx, j.store, now) }},
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
func (j *Jobs) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := j.RunOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Error("maintenance failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
