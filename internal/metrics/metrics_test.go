package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/metrics/metricstest"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

// TestHandler: /metrics serves the text format with the build info and
// the standard collectors; the profiles only when asked for.
func TestHandler(t *testing.T) {
	m := metrics.New("1.2.3")
	code, body := get(t, m.Handler(false), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	for _, want := range []string{
		`passwordless_build_info{goversion="go`, `version="1.2.3"} 1`,
		"go_goroutines ", "process_cpu_seconds_total ",
		`passwordless_rejections_total{limit="public_rate_limit"} 0`,
		`passwordless_ceremonies_total{kind="signin",outcome="failed"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	for _, tt := range []struct {
		pprof bool
		want  int
	}{{false, http.StatusNotFound}, {true, http.StatusOK}} {
		h := m.Handler(tt.pprof)
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap"} {
			if code, _ := get(t, h, path); code != tt.want {
				t.Errorf("pprof %v: GET %s = %d, want %d", tt.pprof, path, code, tt.want)
			}
		}
	}
}

// TestNilMetrics: a nil *Metrics records nothing and wraps nothing.
func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.Ceremony(metrics.Signin, true)
	m.VerifyToken(metrics.VerifyOK)
	m.Rejected(metrics.InFlight)
	h := http.NotFoundHandler()
	if got := m.InstrumentHTTP(h); reflect.ValueOf(got).Pointer() != reflect.ValueOf(h).Pointer() {
		t.Error("InstrumentHTTP wrapped the handler")
	}
	st := teststores.SQLite(t)
	if m.InstrumentStore(st) != st {
		t.Error("InstrumentStore wrapped the store")
	}
	var mailer mail.Mailer = &fakeMailer{}
	if m.WrapMailer(mailer) != mailer {
		t.Error("WrapMailer wrapped the mailer")
	}
}

// TestInstrumentHTTP: the route label is what the handler reports, or
// "unmatched"; methods outside the standard set share one label.
func TestInstrumentHTTP(t *testing.T) {
	m := metrics.New("test")
	h := m.InstrumentHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/known" {
			metrics.SetRoute(r.Context(), "/known")
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	for _, method := range []string{"GET", "BREW", "WHEN"} {
		for _, path := range []string{"/known", "/unknown"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
		}
	}
	console := m.InstrumentRoute("/console", http.NotFoundHandler())
	console.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/console/anything", nil))

	g := m.Gatherer()
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"route", "/known", "method", "get", "code", "418"}, 1},
		{[]string{"route", "/known", "method", "unknown", "code", "418"}, 2},
		{[]string{"route", metrics.Unmatched}, 3},
		{[]string{"route", "/console", "method", "get", "code", "404"}, 1},
	} {
		if got := metricstest.Value(t, g, "passwordless_http_requests_total", c.labels...); got != c.want {
			t.Errorf("requests %v = %v, want %v", c.labels, got, c.want)
		}
	}
	if got := metricstest.Value(t, g, "passwordless_http_request_duration_seconds", "route", "/known"); got != 3 {
		t.Errorf("durations of /known = %v, want 3", got)
	}
}

// panicStore panics in every method, so that the test below can tell a
// method timedStore times (the deferred observation runs while the panic
// unwinds) from one it passes through untimed.
type panicStore struct{ store.Store }

// TestTimedStoreTimesEveryMethod calls each method of the store
// interface through InstrumentStore and checks that each was timed under
// its own name.
func TestTimedStoreTimesEveryMethod(t *testing.T) {
	m := metrics.New("test")
	st := m.InstrumentStore(panicStore{})
	v := reflect.ValueOf(st)
	typ := reflect.TypeFor[store.Store]()
	for i := range typ.NumMethod() {
		method := typ.Method(i)
		fn := v.MethodByName(method.Name)
		args := make([]reflect.Value, fn.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(fn.Type().In(j))
		}
		func() {
			defer func() { _ = recover() }()
			fn.Call(args)
		}()
		if got := metricstest.Value(t, m.Gatherer(), "passwordless_store_operation_duration_seconds", "operation", method.Name); got != 1 {
			t.Errorf("%s timed %v times, want 1: add it to store.go", method.Name, got)
		}
	}
}

// reportingStore reports pools and further figures.
type reportingStore struct {
	store.Store
	stats []store.Stat
}

func (reportingStore) PoolStats() []store.PoolStats {
	return []store.PoolStats{{Pool: "read", MaxOpen: 8, InUse: 3, Idle: 2, Waits: 5, WaitDuration: 1500 * time.Millisecond}}
}

func (s reportingStore) Stats() []store.Stat { return s.stats }

func TestStoreCollector(t *testing.T) {
	m := metrics.New("test")
	m.InstrumentStore(reportingStore{stats: []store.Stat{
		{Name: "wal_bytes", Help: "Size of the WAL.", Value: 4096},
		{Name: "checkpoints_total", Help: "Checkpoints run.", Counter: true, Value: 7},
	}})
	g := m.Gatherer()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"passwordless_db_pool_max_connections", []string{"pool", "read"}, 8},
		{"passwordless_db_pool_connections", []string{"pool", "read", "state", "in_use"}, 3},
		{"passwordless_db_pool_connections", []string{"pool", "read", "state", "idle"}, 2},
		{"passwordless_db_pool_waits_total", []string{"pool", "read"}, 5},
		{"passwordless_db_pool_wait_seconds_total", []string{"pool", "read"}, 1.5},
		{"passwordless_store_wal_bytes", nil, 4096},
		{"passwordless_store_checkpoints_total", nil, 7},
	} {
		if got := metricstest.Value(t, g, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	bad := metrics.New("test")
	bad.InstrumentStore(reportingStore{stats: []store.Stat{{Name: "WAL-Bytes", Help: "x"}}})
	if _, err := bad.Gatherer().Gather(); err == nil || !strings.Contains(err.Error(), "WAL-Bytes") {
		t.Errorf("a malformed stat name gathered with error %v", err)
	}
}

// TestRealStoresReportPools: both backends report their pools.
func TestRealStoresReportPools(t *testing.T) {
	for name, open := range teststores.Both {
		t.Run(name, func(t *testing.T) {
			m := metrics.New("test")
			st := m.InstrumentStore(open(t))
			if err := st.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
			pools := metricstest.LabelValues(t, m.Gatherer(), "passwordless_db_pool_max_connections", "pool")
			if len(pools) == 0 {
				t.Fatal("no pool reported")
			}
			if got := metricstest.Value(t, m.Gatherer(), "passwordless_store_operation_duration_seconds", "operation", "Ping"); got != 1 {
				t.Errorf("Ping timed %v times", got)
			}
		})
	}
}

type fakeMailer struct{ fail bool }

func (f *fakeMailer) Send(context.Context, mail.Message) error {
	if f.fail {
		return errors.New("refused")
	}
	return nil
}

func TestWrapMailer(t *testing.T) {
	m := metrics.New("test")
	ok, failing := m.WrapMailer(&fakeMailer{}), m.WrapMailer(&fakeMailer{fail: true})
	ok.Send(context.Background(), mail.Message{})
	ok.Send(context.Background(), mail.Message{})
	if failing.Send(context.Background(), mail.Message{}) == nil {
		t.Fatal("the wrapper swallowed the error")
	}
	for outcome, want := range map[string]float64{"sent": 2, "failed": 1} {
		if got := metricstest.Value(t, m.Gatherer(), "passwordless_magic_link_mails_total", "outcome", outcome); got != want {
			t.Errorf("mails %s = %v, want %v", outcome, got, want)
		}
	}
}
