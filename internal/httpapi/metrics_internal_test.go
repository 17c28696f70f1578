package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/metrics/metricstest"
)

// TestInFlightMetrics: the gauge counts the request being handled, and a
// request refused for want of a slot counts as an in_flight rejection.
func TestInFlightMetrics(t *testing.T) {
	m := metrics.New("test")
	s := New(Config{MaxInFlight: 1, Metrics: m})
	entered, release := make(chan struct{}), make(chan struct{})
	s.mux.HandleFunc("/block", func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/block", nil))
	}()
	<-entered
	value := func(name string, labels ...string) float64 {
		return metricstest.Value(t, m.Gatherer(), "passwordless_"+name, labels...)
	}
	if got := value("http_requests_in_flight"); got != 1 {
		t.Errorf("in flight while one request blocks = %v, want 1", got)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/users/count", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("second request: %d", rec.Code)
	}
	close(release)
	<-done
	if got := value("rejections_total", "limit", "in_flight"); got != 1 {
		t.Errorf("in_flight rejections = %v, want 1", got)
	}
	if got := value("http_requests_total", "route", "/users/count", "code", "503"); got != 1 {
		t.Errorf("refused request counted %v times under its route, want 1", got)
	}
	if got := value("http_requests_in_flight"); got != 0 {
		t.Errorf("in flight after both ended = %v, want 0", got)
	}
}
