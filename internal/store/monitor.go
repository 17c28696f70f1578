package store

import "time"

// Optional interfaces a Store may implement so that its internals can be
// monitored (package metrics exports them). They keep the backends free of
// any monitoring library: a backend reports plain numbers when asked, at
// scrape time, and costs nothing in between.

// PoolStats describes one connection pool of a backend at one moment.
type PoolStats struct {
	// Pool names the pool within the backend, such as "read" or "write".
	Pool string
	// MaxOpen is the most connections the pool opens (0: no limit).
	MaxOpen int
	// InUse and Idle are the open connections, busy and waiting for work.
	InUse, Idle int
	// Waits counts, since the pool opened, the requests for a connection
	// that had to wait for one; WaitDuration is their total wait.
	Waits        int64
	WaitDuration time.Duration
}

// PoolReporter is implemented by a Store that can describe its connection
// pools.
type PoolReporter interface {
	PoolStats() []PoolStats
}

// Stat is one further figure a backend reports, such as the size of its
// write-ahead log. It is exported as passwordless_store_<Name>.
type Stat struct {
	// Name is lower snake case ([a-z0-9_]) and unique within the backend;
	// a counter's name ends in _total.
	Name string
	// Help says what the figure means, in one sentence.
	Help string
	// Counter marks a figure that only grows (else it is a gauge).
	Counter bool
	Value   float64
}

// StatsReporter is implemented by a Store that reports further figures.
type StatsReporter interface {
	Stats() []Stat
}
