package httpapi_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/ratelimit"
)

// TestManagementKeyGuessingAcrossMinuteBoundary: ten wrong keys just
// before a full minute and ten more just after it: the second ten are
// refused unchecked (the right key too), since the limit holds over any 60
// seconds, not per clock minute. The client gets an answer again once its
// first failure is a minute old, for one more guess only.
func TestManagementKeyGuessingAcrossMinuteBoundary(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		var mu sync.Mutex
		now := time.Date(2026, 1, 1, 12, 0, 59, 500e6, time.UTC)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		e := newEnv(t, on, withConfig(func(c *httpapi.Config) {
			c.ManagementFailures = ratelimit.NewSliding(10, time.Minute, clock)
			c.ClientIPHeader = "X-Forwarded-For"
		}))
		from := func(key string) http.Header {
			return http.Header{"X-Forwarded-For": {"203.0.113.7"}, "ManagementKey": {key}}
		}
		const path = "/apps/list-pending-deletion"
		for i := range 10 {
			e.do("GET", path, from(fmt.Sprintf("guess-%d", i)), nil).want(401)
			advance(10 * time.Millisecond)
		}
		advance(900 * time.Millisecond) // 12:01:00.5
		for i := range 10 {
			r := e.do("GET", path, from(fmt.Sprintf("guess-%d", 10+i)), nil)
			r.wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded"})
			if got := r.header.Get("Retry-After"); got != "59" {
				t.Fatalf("Retry-After %q, want 59", got)
			}
		}
		e.do("GET", path, from(testManagementKey), nil).want(429)
		advance(59 * time.Second) // only the first failure is a minute old
		e.do("GET", path, from("guess-20"), nil).want(401)
		e.do("GET", path, from(testManagementKey), nil).want(429)
		advance(time.Minute)
		e.do("GET", path, from(testManagementKey), nil).want(200)
	})
}
