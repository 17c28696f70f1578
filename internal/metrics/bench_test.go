package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/passwordless-oss/server/internal/metrics"
)

// BenchmarkInstrumentHTTP is the cost metrics add to each request, against
// the handler alone (nil metrics).
func BenchmarkInstrumentHTTP(b *testing.B) {
	for name, m := range map[string]*metrics.Metrics{"off": nil, "on": metrics.New("bench")} {
		b.Run(name, func(b *testing.B) {
			h := m.InstrumentHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				metrics.SetRoute(r.Context(), "/signin/complete")
				m.Ceremony(metrics.Signin, true)
				w.WriteHeader(http.StatusOK)
			}))
			r := httptest.NewRequest("POST", "/signin/complete", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, r)
			}
		})
	}
}
