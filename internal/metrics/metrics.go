// Package metrics owns the server's Prometheus registry and is the only
// package that uses the Prometheus library. The transport and the binary
// record through the typed methods here; the domain and store packages
// know nothing of it (a store reports its pools through the optional
// interfaces in package store, read at scrape time).
//
// A nil *Metrics is valid and records nothing: every method returns at
// once, and the wrappers (InstrumentHTTP, InstrumentStore, WrapMailer)
// return what they were given, so a server without metrics pays for none.
//
// No label ever holds a user id, alias, token, credential id, key or app
// id: every label value comes from a fixed set defined in this package or
// from the route table.
package metrics

import (
	"context"
	"net/http"
	"net/http/pprof"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "passwordless"

// Unmatched is the route label of requests that match no route, so that
// whatever paths clients send, the label takes a bounded set of values.
const Unmatched = "unmatched"

// Ceremony is a kind of WebAuthn ceremony.
type Ceremony string

const (
	Register Ceremony = "register"
	Signin   Ceremony = "signin"
)

// VerifyOutcome is the result of checking a verify token.
type VerifyOutcome string

const (
	VerifyOK      VerifyOutcome = "ok"
	VerifyUsed    VerifyOutcome = "used"    // verified before
	VerifyExpired VerifyOutcome = "expired" // genuine but past its lifetime
	VerifyInvalid VerifyOutcome = "invalid" // not a token of this app, or malformed
	VerifyError   VerifyOutcome = "error"   // the server failed to check it
)

// Limit names a bound whose breach refuses a request.
type Limit string

const (
	PublicRateLimit Limit = "public_rate_limit" // PASSWORDLESS_PUBLIC_RATE_LIMIT
	ManagementKey   Limit = "management_key"    // too many wrong ManagementKey headers from one client
	MagicLinkRate   Limit = "magic_link_rate"   // PASSWORDLESS_MAGIC_LINK_RATE_LIMIT
	MagicLinkQuota  Limit = "magic_link_quota"  // an app's monthly magic-link quota
	InFlight        Limit = "in_flight"         // PASSWORDLESS_MAX_IN_FLIGHT
	BodyMemory      Limit = "body_memory"       // PASSWORDLESS_MAX_BODY_MEMORY
)

var (
	ceremonies     = []Ceremony{Register, Signin}
	verifyOutcomes = []VerifyOutcome{VerifyOK, VerifyUsed, VerifyExpired, VerifyInvalid, VerifyError}
	limits         = []Limit{PublicRateLimit, ManagementKey, MagicLinkRate, MagicLinkQuota, InFlight, BodyMemory}
)

// Metrics records the server's metrics into its own registry.
type Metrics struct {
	reg *prometheus.Registry

	requests   *prometheus.CounterVec
	durations  *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	ceremonies *prometheus.CounterVec
	verify     *prometheus.CounterVec
	rejections *prometheus.CounterVec
	mails      *prometheus.CounterVec
	storeOps   *prometheus.HistogramVec
}

// New returns metrics with every series registered, including the
// standard Go runtime and process collectors and
// passwordless_build_info{version,goversion}.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being handled.",
		}),
		ceremonies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "ceremonies_total",
			Help: "Completed registration and sign-in ceremonies (POST /register/complete, /signin/complete), by kind and outcome.",
		}, []string{"kind", "outcome"}),
		verify: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "verify_tokens_total",
			Help: "Verify tokens checked by POST /signin/verify, by outcome.",
		}, []string{"outcome"}),
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rejections_total",
			Help: "Requests refused because a limit was reached, by limit.",
		}, []string{"limit"}),
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "magic_link_mails_total",
			Help: "Magic-link e-mails handed to the mail server (or mail directory), by outcome.",
		}, []string{"outcome"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "store_operation_duration_seconds",
			Help:    "Time taken by store operations, by operation (the store interface's method).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
		}, []string{"operation"}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "Always 1; the labels tell the server's version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo, m.requests, m.durations, m.inFlight, m.ceremonies, m.verify, m.rejections, m.mails, m.storeOps,
	)
	// Series of known label values exist from the start, at 0, so that
	// rates and alerts work before the first event.
	for _, c := range ceremonies {
		m.ceremonies.WithLabelValues(string(c), "ok")
		m.ceremonies.WithLabelValues(string(c), "failed")
	}
	for _, o := range verifyOutcomes {
		m.verify.WithLabelValues(string(o))
	}
	for _, l := range limits {
		m.rejections.WithLabelValues(string(l))
	}
	m.mails.WithLabelValues("sent")
	m.mails.WithLabelValues("failed")
	return m
}

// Ceremony records a completed ceremony.
func (m *Metrics) Ceremony(kind Ceremony, ok bool) {
	if m == nil {
		return
	}
	outcome := "failed"
	if ok {
		outcome = "ok"
	}
	m.ceremonies.WithLabelValues(string(kind), outcome).Inc()
}

// VerifyToken records the outcome of a verify token check.
func (m *Metrics) VerifyToken(outcome VerifyOutcome) {
	if m == nil {
		return
	}
	m.verify.WithLabelValues(string(outcome)).Inc()
}

// Rejected records a request refused by a limit.
func (m *Metrics) Rejected(limit Limit) {
	if m == nil {
		return
	}
	m.rejections.WithLabelValues(string(limit)).Inc()
}

// Handler serves the metrics at /metrics and, with pprof, Go's profiling
// handlers under /debug/pprof/. It belongs on a listener of its own that
// is not reachable from the internet: profiles reveal the program's
// internals and cost CPU.
func (m *Metrics) Handler(withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Gatherer gives tests the registry to read back.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.reg }

// routeKey is the context key of the *string that InstrumentHTTP puts into
// every request for the handler to fill in with SetRoute.
type routeKey struct{}

// SetRoute tells InstrumentHTTP the route pattern that the request
// matched. Without it, the request counts as Unmatched. route must come
// from a fixed set (the route table), never from the request.
func SetRoute(ctx context.Context, route string) {
	if p, ok := ctx.Value(routeKey{}).(*string); ok {
		*p = route
	}
}

func routeOf(ctx context.Context) string {
	if p, ok := ctx.Value(routeKey{}).(*string); ok {
		return *p
	}
	return Unmatched
}

// InstrumentHTTP counts and times the requests h answers, by the route
// that h reports with SetRoute, and tracks the requests in flight.
func (m *Metrics) InstrumentHTTP(h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	route := promhttp.WithLabelFromCtx("route", routeOf)
	counted := promhttp.InstrumentHandlerInFlight(m.inFlight,
		promhttp.InstrumentHandlerDuration(m.durations,
			promhttp.InstrumentHandlerCounter(m.requests, h, route), route))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := new(string)
		*p = Unmatched
		counted.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, p)))
	})
}

// InstrumentRoute is InstrumentHTTP for a handler whose requests all count
// under one route label, such as the admin console's "/console".
func (m *Metrics) InstrumentRoute(route string, h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return m.InstrumentHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), route)
		h.ServeHTTP(w, r)
	}))
}
