package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Plan bounds one load phase. Exactly one of Concurrency (closed loop: C
// workers back to back) or Rate (open loop: ceremonies started at R per
// second, at most MaxInFlight at once) drives it; it stops at whichever
// comes first of Requests ceremonies and Duration.
type Plan struct {
	Concurrency int
	Rate        float64
	MaxInFlight int
	Requests    int64
	Duration    time.Duration
}

// Ceremony runs one ceremony; n numbers it from 0 within the phase.
type Ceremony func(ctx context.Context, n int64) error

// Result is what a phase did.
type Result struct {
	Wall      time.Duration
	Started   int64
	Completed int64
	Failed    int64
	// FirstErrors holds up to 5 error messages, for diagnosis.
	FirstErrors []string
}

// Run executes the plan, recording each ceremony under op in rec, and
// prints a progress line to progress (nil: none) every second.
func Run(ctx context.Context, p Plan, rec *Recorder, op string, progress io.Writer, fn Ceremony) Result {
	if p.Duration <= 0 {
		p.Duration = 24 * time.Hour
	}
	if p.Requests <= 0 {
		p.Requests = 1 << 62
	}
	ctx, cancel := context.WithTimeout(ctx, p.Duration)
	defer cancel()

	var (
		issued  atomic.Int64
		errMu   sync.Mutex
		firstEr []string
	)
	one := func(n int64, scheduled time.Time) {
		err := fn(ctx, n)
		if ctx.Err() != nil && err != nil {
			// Cut off by the duration bound: neither a success nor a failure.
			return
		}
		rec.Observe(op, time.Since(scheduled), errClass(err))
		rec.ceremonyDone(err == nil)
		if err != nil {
			errMu.Lock()
			if len(firstEr) < 5 {
				firstEr = append(firstEr, err.Error())
			}
			errMu.Unlock()
		}
	}

	start := time.Now()
	startDone, startFailed := rec.done.Load(), rec.failed.Load()
	stopProgress := make(chan struct{})
	var progWG sync.WaitGroup
	if progress != nil {
		progWG.Add(1)
		go func() {
			defer progWG.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			last := startDone
			for {
				select {
				case <-stopProgress:
					fmt.Fprintln(progress)
					return
				case <-t.C:
					d := rec.done.Load()
					fmt.Fprintf(progress, "\r%6.1fs  %s: %d done (%d failed)  %.0f/s now   ",
						time.Since(start).Seconds(), op, d-startDone, rec.failed.Load()-startFailed, float64(d-last))
					last = d
				}
			}
		}()
	}

	var wg sync.WaitGroup
	if p.Rate > 0 {
		inflight := p.MaxInFlight
		if inflight <= 0 {
			inflight = 256
		}
		sem := make(chan struct{}, inflight)
		interval := time.Duration(float64(time.Second) / p.Rate)
	loop:
		for n := int64(0); n < p.Requests; n++ {
			scheduled := start.Add(time.Duration(n) * interval)
			if d := time.Until(scheduled); d > 0 {
				select {
				case <-ctx.Done():
					break loop
				case <-time.After(d):
				}
			}
			select {
			case <-ctx.Done():
				break loop
			case sem <- struct{}{}:
			}
			issued.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				// Latency counts from the scheduled start, so a server
				// that falls behind cannot hide its queueing.
				one(n, scheduled)
			}()
		}
	} else {
		c := max(1, p.Concurrency)
		for range c {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					n := issued.Add(1) - 1
					if n >= p.Requests {
						return
					}
					one(n, time.Now())
				}
			}()
		}
	}
	wg.Wait()
	wall := time.Since(start)
	close(stopProgress)
	progWG.Wait()
	return Result{
		Wall:        wall,
		Started:     min(issued.Load(), p.Requests),
		Completed:   rec.done.Load() - startDone,
		Failed:      rec.failed.Load() - startFailed,
		FirstErrors: firstEr,
	}
}
