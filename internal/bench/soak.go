package bench

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// A soak runs ceremonies for a long time at a steady load and samples, at
// a fixed interval, what must not grow without bound: the server's memory,
// the database's log, latency. Short benchmarks hide slow leaks; a soak
// shows the trend, and Verdicts says whether each series levels off.

// SoakSample is one sampling interval of a soak.
type SoakSample struct {
	At             time.Duration // since the soak started
	Ceremonies     int64         // completed without error in the interval
	Failed         int64         // failed in the interval
	PerSec         float64
	P50, P99       time.Duration
	CPUPerCeremony time.Duration // the server's CPU time per completed ceremony; 0 when unknown
	RSSBytes       int64         // the server's resident memory; 0 when unknown
	DBBytes        int64         // SQLite: the main file; PostgreSQL: the database
	WALBytes       int64         // SQLite: the -wal file; PostgreSQL: 0
	Conns          int           // PostgreSQL: connections to the database
}

// Sizer measures the database of a soak.
type Sizer interface {
	// Sizes returns the database size, its log size and the number of
	// connections to it (where the backend has these).
	Sizes(ctx context.Context) (db, wal int64, conns int, err error)
	Close()
}

// NewSizer returns the Sizer of a database setting of the server.
func NewSizer(ctx context.Context, database string) (Sizer, error) {
	if !IsPostgres(database) {
		return fileSizer(database), nil
	}
	conn, err := pgx.Connect(ctx, database)
	if err != nil {
		return nil, fmt.Errorf("connect to measure the database: %w", err)
	}
	return &pgSizer{conn: conn}, nil
}

type fileSizer string

func (f fileSizer) Sizes(context.Context) (db, wal int64, conns int, err error) {
	fi, err := os.Stat(string(f))
	if err != nil {
		return 0, 0, 0, err
	}
	db = fi.Size()
	if wi, err := os.Stat(string(f) + "-wal"); err == nil {
		wal = wi.Size()
	}
	return db, wal, 0, nil
}

func (fileSizer) Close() {}

type pgSizer struct{ conn *pgx.Conn }

func (p *pgSizer) Sizes(ctx context.Context) (db, wal int64, conns int, err error) {
	err = p.conn.QueryRow(ctx, `SELECT pg_database_size(current_database()),
		(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())`).Scan(&db, &conns)
	// This connection is one of them.
	return db, 0, conns - 1, err
}

func (p *pgSizer) Close() { p.conn.Close(context.Background()) }

// SoakPlan says how long and how hard to soak.
type SoakPlan struct {
	Duration    time.Duration
	Concurrency int           // ceremonies in flight (closed loop)
	Every       time.Duration // sampling interval
	ServerPID   int           // for RSS; 0 skips it
	Sizer       Sizer
	// Progress, if not nil, gets one line per sample.
	Progress io.Writer
}

// Soak runs fn in Concurrency loops for Duration and returns one sample
// per interval.
func Soak(ctx context.Context, p SoakPlan, fn Ceremony) []SoakSample {
	ctx, cancel := context.WithTimeout(ctx, p.Duration)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	var n atomic.Int64
	var wg sync.WaitGroup
	for range p.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				start := time.Now()
				err := fn(ctx, n.Add(1))
				d := time.Since(start)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}

	var samples []SoakSample
	start := time.Now()
	last := start
	var lastCPU time.Duration
	if p.ServerPID > 0 {
		lastCPU, _ = ProcCPU(p.ServerPID)
	}
	t := time.NewTicker(p.Every)
	defer t.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
		}
		now := time.Now()
		if done && now.Sub(last) < p.Every/2 {
			break // a sliver at the end says nothing
		}
		mu.Lock()
		interval := lat
		lat = make([]time.Duration, 0, len(interval))
		mu.Unlock()
		s := SoakSample{At: now.Sub(start), Ceremonies: int64(len(interval)), Failed: failed.Swap(0)}
		if el := now.Sub(last).Seconds(); el > 0 {
			s.PerSec = float64(len(interval)) / el
		}
		last = now
		if len(interval) > 0 {
			slices.Sort(interval)
			s.P50, s.P99 = pct(interval, 0.50), pct(interval, 0.99)
		}
		if p.ServerPID > 0 {
			s.RSSBytes, _, _ = ProcMemory(p.ServerPID)
			if cpu, err := ProcCPU(p.ServerPID); err == nil {
				if s.Ceremonies > 0 {
					s.CPUPerCeremony = (cpu - lastCPU) / time.Duration(s.Ceremonies)
				}
				lastCPU = cpu
			}
		}
		if p.Sizer != nil {
			s.DBBytes, s.WALBytes, s.Conns, _ = p.Sizer.Sizes(context.WithoutCancel(ctx))
		}
		samples = append(samples, s)
		if p.Progress != nil {
			fmt.Fprintf(p.Progress, "%7s %7.0f/s p99 %6.1f ms cpu %5.0f µs rss %6.1f MiB db %7.1f MiB wal %6.1f MiB conns %d failed %d\n",
				s.At.Round(time.Second), s.PerSec, ms(s.P99), us(s.CPUPerCeremony), mib(s.RSSBytes), mib(s.DBBytes), mib(s.WALBytes), s.Conns, s.Failed)
		}
	}
	wg.Wait()
	return samples
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// Series names a sampled quantity and how to judge it.
type Series struct {
	Name string
	Unit string
	// Value reads the series from a sample.
	Value func(SoakSample) float64
	// Checked series must level off; the others are shown only (the
	// database grows with the data a soak stores).
	Checked bool
	// Tolerance is the relative growth allowed between the early and the
	// late part of the soak, Slack an absolute allowance in Unit.
	Tolerance, Slack float64
}

// SoakSeries are the series of a soak, in chart order.
var SoakSeries = []Series{
	{Name: "throughput", Unit: "ceremonies/s", Value: func(s SoakSample) float64 { return s.PerSec }},
	{Name: "p99", Unit: "ms", Value: func(s SoakSample) float64 { return ms(s.P99) }, Checked: true, Tolerance: 0.5, Slack: 5},
	{Name: "server CPU per ceremony", Unit: "µs", Value: func(s SoakSample) float64 { return us(s.CPUPerCeremony) }, Checked: true, Tolerance: 0.25, Slack: 50},
	{Name: "rss", Unit: "MiB", Value: func(s SoakSample) float64 { return mib(s.RSSBytes) }, Checked: true, Tolerance: 0.10, Slack: 1},
	{Name: "wal", Unit: "MiB", Value: func(s SoakSample) float64 { return mib(s.WALBytes) }, Checked: true, Tolerance: 0.10, Slack: 8},
	{Name: "database", Unit: "MiB", Value: func(s SoakSample) float64 { return mib(s.DBBytes) }},
	{Name: "connections", Unit: "", Value: func(s SoakSample) float64 { return float64(s.Conns) }, Checked: true, Tolerance: 0, Slack: 2},
}

// Verdict is the judgement of one series.
type Verdict struct {
	Series
	Early, Late float64 // the statistic of the early and late windows
	Bounded     bool
	Text        string
}

// Verdicts judges each series after warm-up (the first fifth of the
// samples): a checked series is bounded when the largest value of the last
// third is at most the largest of the middle third plus the tolerance.
// Comparing maxima suits saw-tooth series such as a log that is emptied
// again and again; p99 compares medians, since single intervals spike.
// limits, in the series' units by name, are absolute bounds no sample may
// pass (the log's configured bound, say).
func Verdicts(samples []SoakSample, limits map[string]float64) []Verdict {
	var out []Verdict
	warm := samples[min(len(samples)/5, len(samples)):]
	third := len(warm) / 3
	for _, s := range SoakSeries {
		v := Verdict{Series: s, Bounded: true}
		if third == 0 {
			v.Text = "too few samples to judge"
			out = append(out, v)
			continue
		}
		stat := maxOf
		if s.Name != "rss" && s.Name != "wal" && s.Name != "database" && s.Name != "connections" {
			stat = medianOf // single intervals spike
		}
		v.Early = stat(warm[third:2*third], s.Value)
		v.Late = stat(warm[2*third:], s.Value)
		early, late := medianOf(warm[third:2*third], perSec), medianOf(warm[2*third:], perSec)
		limit, limited := limits[s.Name]
		switch {
		case limited && maxOf(samples, s.Value) > limit:
			v.Bounded = false
			v.Text = fmt.Sprintf("OVER ITS BOUND: up to %.1f %s, bound %.1f", maxOf(samples, s.Value), s.Unit, limit)
		case s.Name == "p99" && (late < early*0.8 || late > early*1.25):
			// With a fixed concurrency, latency follows throughput: when
			// other work on the machine changed it, they cannot be compared.
			v.Text = fmt.Sprintf("%.1f → %.1f %s, not judged: throughput changed from %.0f to %.0f/s", v.Early, v.Late, s.Unit, early, late)
		case !s.Checked:
			v.Text = fmt.Sprintf("%.1f → %.1f %s (not judged)", v.Early, v.Late, s.Unit)
		case v.Late <= v.Early*(1+s.Tolerance)+s.Slack:
			v.Text = fmt.Sprintf("bounded: %.1f → %.1f %s", v.Early, v.Late, s.Unit)
		default:
			v.Bounded = false
			v.Text = fmt.Sprintf("GROWS: %.1f → %.1f %s (allowed %.1f)", v.Early, v.Late, s.Unit, v.Early*(1+s.Tolerance)+s.Slack)
		}
		out = append(out, v)
	}
	return out
}

func perSec(s SoakSample) float64 { return s.PerSec }

func maxOf(ss []SoakSample, f func(SoakSample) float64) float64 {
	var m float64
	for _, s := range ss {
		m = max(m, f(s))
	}
	return m
}

func medianOf(ss []SoakSample, f func(SoakSample) float64) float64 {
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = f(s)
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// WriteSoakCSV writes the samples with a header row.
func WriteSoakCSV(w io.Writer, samples []SoakSample) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"seconds", "ceremonies", "failed", "per_sec", "p50_ms", "p99_ms", "server_cpu_us_per_ceremony", "rss_bytes", "db_bytes", "wal_bytes", "connections"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, s := range samples {
		cw.Write([]string{f(s.At.Seconds()), i(s.Ceremonies), i(s.Failed), f(s.PerSec), f(ms(s.P50)), f(ms(s.P99)), f(us(s.CPUPerCeremony)),
			i(s.RSSBytes), i(s.DBBytes), i(s.WALBytes), strconv.Itoa(s.Conns)})
	}
	cw.Flush()
	return cw.Error()
}

// ReadSoakCSV reads samples written by WriteSoakCSV, to judge and draw a
// soak again.
func ReadSoakCSV(r io.Reader) ([]SoakSample, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("soak CSV: no header")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	num := func(row []string, name string) float64 {
		i, ok := col[name]
		if !ok || i >= len(row) {
			return 0
		}
		v, _ := strconv.ParseFloat(row[i], 64)
		return v
	}
	dur := func(v, unit float64) time.Duration { return time.Duration(v * unit) }
	var out []SoakSample
	for _, row := range rows[1:] {
		out = append(out, SoakSample{
			At:             dur(num(row, "seconds"), float64(time.Second)),
			Ceremonies:     int64(num(row, "ceremonies")),
			Failed:         int64(num(row, "failed")),
			PerSec:         num(row, "per_sec"),
			P50:            dur(num(row, "p50_ms"), float64(time.Millisecond)),
			P99:            dur(num(row, "p99_ms"), float64(time.Millisecond)),
			CPUPerCeremony: dur(num(row, "server_cpu_us_per_ceremony"), float64(time.Microsecond)),
			RSSBytes:       int64(num(row, "rss_bytes")),
			DBBytes:        int64(num(row, "db_bytes")),
			WALBytes:       int64(num(row, "wal_bytes")),
			Conns:          int(num(row, "connections")),
		})
	}
	return out, nil
}
