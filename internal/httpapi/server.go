// Package httpapi is the HTTP transport: routing, the ApiKey / ApiSecret /
// ManagementKey headers, request decoding, CORS, security headers and the
// rendering of problems. Handlers decode, call a domain service and
// encode; the rules live in packages passkey and apps.
package httpapi

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/users"
)

// Config is what the transport needs.
type Config struct {
	Passkeys    *passkey.Service
	Apps        *apps.Service
	Users       *users.Service
	Configs     *authconfig.Service
	Attestation *attestation.Service
	MagicLinks  *magiclink.Service
	Events      *events.Service
	Reports     *reports.Service
	// Health answers /health/storage.
	Health        Health
	ManagementKey string
	Version       string
	// PublicLimiter limits public-endpoint requests per app and client IP
	// (nil: no limit).
	PublicLimiter *ratelimit.Limiter
	// ManagementFailures counts wrong ManagementKey headers per client IP
	// over a sliding window; an IP over its limit is refused whatever key
	// it sends, so the key cannot be guessed at speed (nil: 10 per minute).
	ManagementFailures *ratelimit.Sliding
	// ClientIPHeader names a trusted proxy header carrying the client IP.
	ClientIPHeader string
	// MaxInFlight bounds the requests handled at once; beyond it the server
	// answers 503 with Retry-After instead of queueing without limit
	// (0: no bound). Health checks are never refused.
	MaxInFlight int
	// MaxBodyMemory bounds the bytes of request bodies held in memory at
	// once, across all requests; beyond it the server answers 503 with
	// Retry-After (0: DefaultMaxBodyMemory).
	MaxBodyMemory int64
	// HSTS adds Strict-Transport-Security to every response.
	HSTS bool
	// Metrics records requests, ceremonies, verify tokens and rejections
	// (nil: none).
	Metrics *metrics.Metrics
	Log     *slog.Logger
}

// Health is what the storage health check asks of the storage (a
// store.Store offers both).
type Health interface {
	// Ping checks that the storage is reachable.
	Ping(ctx context.Context) error
	// Degraded says why writes are refused while reads work, or nil.
	Degraded() error
}

// Server is the API's http.Handler.
type Server struct {
	passkeys      *passkey.Service
	apps          *apps.Service
	users         *users.Service
	configs       *authconfig.Service
	attestation   *attestation.Service
	magicLinks    *magiclink.Service
	eventLog      *events.Service
	reports       *reports.Service
	health        Health
	managementKey [32]byte
	version       string
	limiter       *ratelimit.Limiter
	mgmtFailures  *ratelimit.Sliding
	inFlight      chan struct{}
	bodyBudget    *bodyBudget
	ipHeader      string
	hsts          bool
	metrics       *metrics.Metrics
	// instrumented is the server wrapped in the request metrics, used
	// instead of the server itself when metrics are on.
	instrumented http.Handler
	log          *slog.Logger
	mux          *http.ServeMux
	// endpoints lists every routed "METHOD /pattern", for the test that
	// holds the OpenAPI document to the route table.
	endpoints []string
}

// New builds the handler with every route registered.
func New(cfg Config) *Server {
	s := &Server{
		passkeys:      cfg.Passkeys,
		apps:          cfg.Apps,
		users:         cfg.Users,
		configs:       cfg.Configs,
		attestation:   cfg.Attestation,
		magicLinks:    cfg.MagicLinks,
		eventLog:      cfg.Events,
		reports:       cfg.Reports,
		health:        cfg.Health,
		managementKey: sha256.Sum256([]byte(cfg.ManagementKey)),
		version:       cfg.Version,
		limiter:       cfg.PublicLimiter,
		mgmtFailures:  cfg.ManagementFailures,
		ipHeader:      cfg.ClientIPHeader,
		hsts:          cfg.HSTS,
		metrics:       cfg.Metrics,
		log:           cfg.Log,
		mux:           http.NewServeMux(),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.mgmtFailures == nil {
		s.mgmtFailures = ratelimit.NewSliding(managementFailuresPerMinute, time.Minute, nil)
	}
	s.bodyBudget = newBodyBudget(cmp.Or(cfg.MaxBodyMemory, DefaultMaxBodyMemory))
	if cfg.MaxInFlight > 0 {
		s.inFlight = make(chan struct{}, cfg.MaxInFlight)
	}
	s.routes()
	if s.metrics != nil {
		s.instrumented = s.metrics.InstrumentHTTP(http.HandlerFunc(s.serveHTTP))
	}
	return s
}

// ServeHTTP answers a request, through the request metrics if they are on.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.instrumented != nil {
		s.instrumented.ServeHTTP(w, r)
		return
	}
	s.serveHTTP(w, r)
}

// serveHTTP applies the cross-cutting behaviour of every response, then
// routes.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s.setCommonHeaders(w.Header())
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if s.metrics != nil {
			_, route := s.routePath(trimTrailingSlash(r.URL.Path))
			metrics.SetRoute(r.Context(), route)
		}
		s.preflight(w, r)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			s.answerPanic(rec, r, v)
		}
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	}()
	s.serve(rec, w, r)
}

// setCommonHeaders sets the headers every response carries.
func (s *Server) setCommonHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self';")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if s.hsts {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	// Every origin may call the API (api-spec.md §1.4); the browser client
	// needs the header on errors too to read them.
	h.Set("Access-Control-Allow-Origin", "*")
}

// serve checks the path, reads the body, takes an in-flight slot and
// routes. conn is the server's own ResponseWriter: the body limit needs
// it to close the connection after an oversized body.
func (s *Server) serve(w http.ResponseWriter, conn http.ResponseWriter, r *http.Request) {
	r.URL.Path = trimTrailingSlash(r.URL.Path)
	r.URL.RawPath = ""
	if path.Clean(r.URL.Path) != r.URL.Path || r.URL.Path != storable(r.URL.Path) {
		// Dot segments and doubled slashes name no endpoint; answering them
		// (or redirecting, as ServeMux would) invites path confusion. Nor
		// does a path that is not UTF-8 or holds a NUL: its parameters
		// could not even be looked up in PostgreSQL.
		s.writeError(w, r, problem.NoEndpoint("There is no endpoint at this path."))
		return
	}
	var route string
	r.URL.Path, route = s.routePath(r.URL.Path)
	if s.metrics != nil {
		metrics.SetRoute(r.Context(), route)
	}
	// Read the body before taking a slot, so that slow uploads cannot hold
	// the in-flight capacity.
	held, err := s.readBody(conn, r)
	defer s.bodyBudget.give(held)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.inFlight != nil && !strings.HasPrefix(r.URL.Path, "/health/") {
		select {
		case s.inFlight <- struct{}{}:
			defer func() { <-s.inFlight }()
		default:
			s.metrics.Rejected(metrics.InFlight)
			s.writeError(w, r, serverBusy())
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// serverBusy is the answer when a bound on the server's capacity is
// reached: the client should retry shortly.
func serverBusy() *problem.Problem {
	return &problem.Problem{
		Status: http.StatusServiceUnavailable, Code: "server_busy", Title: "The server is busy. Try again shortly.",
		Header: http.Header{"Retry-After": {"1"}},
	}
}

// answerPanic turns a handler's panic into the 500 problem of any other
// unexpected failure, so that the client gets a readable answer and the
// server goes on serving. The log gets the stack and only the panic
// value's type, or a runtime error's own message: a value passed to
// panic may hold request data such as a token.
func (s *Server) answerPanic(w *statusRecorder, r *http.Request, v any) {
	if v == http.ErrAbortHandler {
		panic(v) // a deliberate abort: net/http closes the connection quietly
	}
	cause := fmt.Errorf("panic: %s\n%s", describePanic(v), debug.Stack())
	if w.status != 0 {
		// Part of the answer is out; a problem can no longer replace it,
		// and cutting the connection tells the client it is incomplete.
		s.log.Error("request failed after its answer began", "method", r.Method, "path", r.URL.Path, "status", w.status, "err", cause)
		panic(http.ErrAbortHandler)
	}
	h := w.Header()
	clear(h) // whatever the handler set was meant for another answer
	s.setCommonHeaders(h)
	s.writeError(w, r, problem.Internal(cause))
}

// describePanic names a panic value without showing data it may carry.
func describePanic(v any) string {
	if err, ok := v.(runtime.Error); ok {
		return err.Error()
	}
	return fmt.Sprintf("a value of type %T", v)
}

// preflight answers a CORS preflight for any path, before authentication,
// echoing what the browser asks for.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "7200")
	h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
	w.WriteHeader(http.StatusNoContent)
}

// trimTrailingSlash tolerates a trailing slash, as the original's routing
// does.
func trimTrailingSlash(p string) string {
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		p = "/"
	}
	return p
}

// routePath makes route literals match case-insensitively, as the
// original's routing does, while path parameters keep their case: it
// finds the route the lower-cased path matches and writes that route's
// literal segments over the path's, so that /Admin/Apps/MyApp/Create
// reaches the create route with the app id "MyApp", which the id rule
// then refuses, instead of creating "myapp". Paths that match no route
// are left as sent. It also returns the route's pattern, the route label
// of the request metrics: metrics.Unmatched for a path of no route, so
// that the label's values are bounded whatever clients send.
func (s *Server) routePath(p string) (routed, route string) {
	lower := strings.ToLower(p)
	_, pattern := s.mux.Handler(&http.Request{Method: http.MethodGet, URL: &url.URL{Path: lower}})
	if pattern == "" || pattern == "/" {
		if p == "/" {
			return p, "/"
		}
		return p, metrics.Unmatched
	}
	literals := strings.Split(pattern, "/")
	segments := strings.Split(p, "/")
	if len(literals) != len(segments) {
		return lower, pattern // not reached: routes have no multi-segment wildcards
	}
	for i, lit := range literals {
		if !strings.HasPrefix(lit, "{") {
			segments[i] = lit
		}
	}
	return strings.Join(segments, "/"), pattern
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// managementFailuresPerMinute is how many wrong ManagementKey headers one
// client IP may send in any 60 seconds before its management requests are
// refused unchecked, until the oldest of them is a minute old.
const managementFailuresPerMinute = 10

// checkManagementKey compares the header with the configured key in
// constant time (hashes make the comparison length-independent), then
// decides and counts the attempt in one step: a client IP that sent too
// many wrong keys within the last minute is refused whatever it sent, so
// that even the right key gets no answer from it, and concurrent guesses
// cannot all be compared before the first of them is counted.
func (s *Server) checkManagementKey(r *http.Request) error {
	v := r.Header.Get("ManagementKey")
	got := sha256.Sum256([]byte(v))
	wrong := v == "" || subtle.ConstantTimeCompare(got[:], s.managementKey[:]) != 1
	if ok, retry := s.mgmtFailures.Attempt(s.clientKey(r), wrong); !ok {
		s.metrics.Rejected(metrics.ManagementKey)
		return tooManyRequests(retry)
	}
	if wrong {
		return &problem.Problem{
			Status: http.StatusUnauthorized,
			Type:   problem.DocsBase + "ManagementKey",
			Title:  "A valid 'ManagementKey' header is required.",
			NoCode: true,
			Header: http.Header{"Www-Authenticate": {"ManagementKey"}},
		}
	}
	return nil
}

// clientIP is the request's client address: the configured proxy header's
// first entry when it holds a valid IP, else the connection's address.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	if s.ipHeader != "" {
		if v := r.Header.Get(s.ipHeader); v != "" {
			first, _, _ := strings.Cut(v, ",")
			if ip, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return ip.Unmap()
			}
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// rateKey is the limiter key of a public request: the app id the ApiKey
// names, if it is a well-formed app id (anything else shares one bucket,
// so junk headers cannot create keys at will), and the client.
func (s *Server) rateKey(r *http.Request) string {
	appID, _, _ := strings.Cut(r.Header.Get("ApiKey"), ":")
	if apps.ValidateAppID(appID) != nil {
		appID = "-"
	}
	return appID + "|" + s.clientKey(r)
}

// clientKey names the client for rate limits: its address, IPv6 clients by
// their /64 since one host usually holds a whole /64.
func (s *Server) clientKey(r *http.Request) string {
	ip := s.clientIP(r)
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

func (s *Server) checkPublicRate(r *http.Request) error {
	if ok, retry := s.limiter.Allow(s.rateKey(r)); !ok {
		s.metrics.Rejected(metrics.PublicRateLimit)
		return tooManyRequests(retry)
	}
	return nil
}

// tooManyRequests is the 429 problem of the in-memory limits.
func tooManyRequests(retry time.Duration) *problem.Problem {
	return &problem.Problem{
		Status: http.StatusTooManyRequests,
		Code:   "rate_limit_exceeded",
		Title:  "Too many requests. Try again later.",
		Header: http.Header{"Retry-After": {strconv.Itoa(int(math.Ceil(retry.Seconds())))}},
	}
}
