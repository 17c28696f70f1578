package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestMaxInFlight(t *testing.T) {
	s := New(Config{MaxInFlight: 1})
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

	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/anything", nil))
	var doc map[string]any
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		rec.Header().Get("Content-Type") != problemContentType || json.Unmarshal(rec.Body.Bytes(), &doc) != nil || doc["errorCode"] != "server_busy" {
		t.Fatalf("second request: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	// Health checks are never refused.
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/health/http", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("health check while busy: %d", rec.Code)
	}

	close(release)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocked request did not finish")
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/anything", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("after release: %d, want the 404 of an unknown path", rec.Code)
	}
}
