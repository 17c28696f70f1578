// Package bench drives full WebAuthn ceremonies against a running server
// and reports throughput, latency percentiles, errors, the server's CPU
// time and memory, and the cost of one signature verification ("the
// floor") measured on the same machine.
package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Names of the measured operations: one per endpoint, one per ceremony.
const (
	OpRegisterToken    = "register/token"
	OpRegisterBegin    = "register/begin"
	OpRegisterComplete = "register/complete"
	OpSigninBegin      = "signin/begin"
	OpSigninComplete   = "signin/complete"
	OpSigninVerify     = "signin/verify"
	OpCeremonyRegister = "ceremony register"
	OpCeremonySignin   = "ceremony signin"
)

// opOrder is the order of rows in the table.
var opOrder = []string{
	OpRegisterToken, OpRegisterBegin, OpRegisterComplete,
	OpSigninBegin, OpSigninComplete, OpSigninVerify,
	OpCeremonyRegister, OpCeremonySignin,
}

// Recorder collects latencies and outcomes. It is safe for concurrent use.
type Recorder struct {
	mu  sync.Mutex
	ops map[string]*opSamples

	done   atomic.Int64 // ceremonies finished (ok or not)
	failed atomic.Int64 // ceremonies failed
}

type opSamples struct {
	lat    []time.Duration // successful calls only
	errors map[string]int  // by HTTP status ("transport", "check" for others)
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{ops: map[string]*opSamples{}} }

func (r *Recorder) get(op string) *opSamples {
	s := r.ops[op]
	if s == nil {
		s = &opSamples{errors: map[string]int{}}
		r.ops[op] = s
	}
	return s
}

// Observe records one call of op: its latency if it succeeded, else its
// error class.
func (r *Recorder) Observe(op string, d time.Duration, errClass string) {
	r.mu.Lock()
	s := r.get(op)
	if errClass == "" {
		s.lat = append(s.lat, d)
	} else {
		s.errors[errClass]++
	}
	r.mu.Unlock()
}

// ceremonyDone counts a finished ceremony for the progress line.
func (r *Recorder) ceremonyDone(ok bool) {
	r.done.Add(1)
	if !ok {
		r.failed.Add(1)
	}
}

// OpStats are the statistics of one operation.
type OpStats struct {
	Op         string         `json:"op"`
	OK         int            `json:"ok"`
	Errors     map[string]int `json:"errors,omitempty"`
	Throughput float64        `json:"throughputPerSec"` // successful calls per second
	P50Ms      float64        `json:"p50Ms"`
	P90Ms      float64        `json:"p90Ms"`
	P99Ms      float64        `json:"p99Ms"`
	MaxMs      float64        `json:"maxMs"`
	MeanMs     float64        `json:"meanMs"`
}

// Stats computes per-operation statistics over a measured wall time.
func (r *Recorder) Stats(wall time.Duration) []OpStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []OpStats
	names := make([]string, 0, len(r.ops))
	for n := range r.ops {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	for _, n := range names {
		s := r.ops[n]
		lat := slices.Clone(s.lat)
		slices.Sort(lat)
		st := OpStats{Op: n, OK: len(lat)}
		if len(s.errors) > 0 {
			st.Errors = s.errors
		}
		if wall > 0 {
			st.Throughput = float64(len(lat)) / wall.Seconds()
		}
		if len(lat) > 0 {
			var sum time.Duration
			for _, d := range lat {
				sum += d
			}
			st.MeanMs = ms(sum / time.Duration(len(lat)))
			st.P50Ms = ms(pct(lat, 0.50))
			st.P90Ms = ms(pct(lat, 0.90))
			st.P99Ms = ms(pct(lat, 0.99))
			st.MaxMs = ms(lat[len(lat)-1])
		}
		out = append(out, st)
	}
	return out
}

func rank(op string) int {
	if i := slices.Index(opOrder, op); i >= 0 {
		return i
	}
	return len(opOrder)
}

// pct is the nearest-rank percentile of sorted samples.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteTable prints the statistics as an aligned text table.
func WriteTable(w io.Writer, stats []OpStats) {
	fmt.Fprintf(w, "%-20s %9s %10s %8s %8s %8s %8s  %s\n", "operation", "ok", "per sec", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors")
	for _, s := range stats {
		fmt.Fprintf(w, "%-20s %9d %10.1f %8.2f %8.2f %8.2f %8.2f  %s\n",
			s.Op, s.OK, s.Throughput, s.P50Ms, s.P90Ms, s.P99Ms, s.MaxMs, formatErrors(s.Errors))
	}
}

func formatErrors(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return strings.Join(parts, " ")
}
