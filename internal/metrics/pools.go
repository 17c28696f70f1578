package metrics

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passwordless-oss/server/internal/store"
)

// The pool series have the same names on SQLite and PostgreSQL, so one
// dashboard serves both; client_golang's database/sql collector would
// cover only SQLite, under other names.
var (
	poolMaxDesc = prometheus.NewDesc(namespace+"_db_pool_max_connections",
		"Most connections the pool opens (0: no limit).", []string{"pool"}, nil)
	poolConnsDesc = prometheus.NewDesc(namespace+"_db_pool_connections",
		"Open connections of the pool, by state (in_use, idle).", []string{"pool", "state"}, nil)
	poolWaitsDesc = prometheus.NewDesc(namespace+"_db_pool_waits_total",
		"Requests for a connection that had to wait for one.", []string{"pool"}, nil)
	poolWaitDesc = prometheus.NewDesc(namespace+"_db_pool_wait_seconds_total",
		"Total time spent waiting for a connection.", []string{"pool"}, nil)
)

// statName is what a store.Stat's name must look like.
var statName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// storeCollector reads a store's figures at scrape time. It describes no
// fixed set of series (an unchecked collector), since a store's further
// figures are its own.
type storeCollector struct{ st store.Store }

func (storeCollector) Describe(chan<- *prometheus.Desc) {}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	if r, ok := c.st.(store.PoolReporter); ok {
		for _, p := range r.PoolStats() {
			ch <- prometheus.MustNewConstMetric(poolMaxDesc, prometheus.GaugeValue, float64(p.MaxOpen), p.Pool)
			ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(p.InUse), p.Pool, "in_use")
			ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(p.Idle), p.Pool, "idle")
			ch <- prometheus.MustNewConstMetric(poolWaitsDesc, prometheus.CounterValue, float64(p.Waits), p.Pool)
			ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, p.WaitDuration.Seconds(), p.Pool)
		}
	}
	if r, ok := c.st.(store.StatsReporter); ok {
		for _, s := range r.Stats() {
			ch <- statMetric(s)
		}
	}
}

// statMetric exports a store.Stat as passwordless_store_<name>. A
// malformed name makes the scrape report an error rather than publish it.
func statMetric(s store.Stat) prometheus.Metric {
	desc := prometheus.NewDesc(namespace+"_store_"+s.Name, s.Help, nil, nil)
	if !statName.MatchString(s.Name) {
		return prometheus.NewInvalidMetric(desc, errBadStatName(s.Name))
	}
	kind := prometheus.GaugeValue
	if s.Counter {
		kind = prometheus.CounterValue
	}
	return prometheus.MustNewConstMetric(desc, kind, s.Value)
}

type errBadStatName string

func (e errBadStatName) Error() string {
	return "store stat name " + string(e) + " is not lower snake case"
}
