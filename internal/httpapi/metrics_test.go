package httpapi_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/metrics/metricstest"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/softauthn"
)

// withMetrics records the environment's metrics into m.
func withMetrics(m *metrics.Metrics) envOption {
	return withConfig(func(c *httpapi.Config) { c.Metrics = m })
}

// counter reads one series of m, for the tests below.
func counter(t *testing.T, m *metrics.Metrics, name string, labels ...string) float64 {
	t.Helper()
	return metricstest.Value(t, m.Gatherer(), "passwordless_"+name, labels...)
}

// TestCeremonyMetrics runs ceremonies through the real server with a
// software authenticator and checks that each moves the counters it
// should, and only those.
func TestCeremonyMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		m := metrics.New("test")
		e := newEnv(t, on, withMetrics(m))
		a := softauthn.New()

		regVerify, _ := e.register(a, map[string]any{"userId": "user-1", "username": "alice"})
		e.verify(regVerify)
		signinVerify := e.token("/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "user-1"}))
		e.verify(signinVerify)
		// The same token again, a forged one and an expired one.
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": signinVerify}).want(400)
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": "verify_forged"}).want(400)
		expiring := e.token("/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "user-1"}))
		e.clock.Advance(10 * time.Minute)
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": expiring}).want(403)
		// A sign-in whose session was used already fails.
		body := e.signinBody(a, map[string]any{"userId": "user-1"})
		e.do("POST", "/signin/complete", e.public(), body).want(200)
		e.do("POST", "/signin/complete", e.public(), body).want(400)

		for _, c := range []struct {
			name   string
			labels []string
			want   float64
		}{
			{"ceremonies_total", []string{"kind", "register", "outcome", "ok"}, 1},
			{"ceremonies_total", []string{"kind", "register", "outcome", "failed"}, 0},
			{"ceremonies_total", []string{"kind", "signin", "outcome", "ok"}, 3},
			{"ceremonies_total", []string{"kind", "signin", "outcome", "failed"}, 1},
			{"verify_tokens_total", []string{"outcome", "ok"}, 2},
			{"verify_tokens_total", []string{"outcome", "used"}, 1},
			{"verify_tokens_total", []string{"outcome", "invalid"}, 1},
			{"verify_tokens_total", []string{"outcome", "expired"}, 1},
			{"verify_tokens_total", []string{"outcome", "error"}, 0},
			{"http_requests_total", []string{"route", "/signin/verify", "method", "post", "code", "200"}, 2},
			{"http_requests_total", []string{"route", "/signin/verify", "method", "post", "code", "400"}, 2},
			{"http_requests_total", []string{"route", "/signin/verify", "method", "post", "code", "403"}, 1},
			{"http_requests_total", []string{"route", "/register/complete", "method", "post", "code", "200"}, 1},
			{"http_requests_total", []string{"route", "/admin/apps/{appId}/create", "method", "post", "code", "200"}, 1},
			{"http_request_duration_seconds", []string{"route", "/signin/begin"}, 3},
			{"http_requests_in_flight", nil, 0},
		} {
			if got := counter(t, m, c.name, c.labels...); got != c.want {
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
			}
		}
		// No label holds a user id, app id, token or key.
		for _, route := range metricstest.LabelValues(t, m.Gatherer(), "passwordless_http_requests_total", "route") {
			for _, secret := range []string{"user-1", "alice", e.appID, signinVerify, e.app.APIKey1} {
				if strings.Contains(route, secret) {
					t.Errorf("route label %q holds %q", route, secret)
				}
			}
		}
	})
}

// TestUnknownPathsShareOneLabel: whatever paths and methods clients send,
// the label values stay those of the route table.
func TestUnknownPathsShareOneLabel(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		m := metrics.New("test")
		e := newEnv(t, on, withMetrics(m))
		e.do("GET", "/health/http", nil, nil).want(200)
		const name = "passwordless_http_requests_total"
		series := metricstest.Series(t, m.Gatherer(), name)
		before := counter(t, m, "http_requests_total", "route", metrics.Unmatched)

		methods := []string{"GET", "POST", "DELETE", "PROPFIND", "X-" + fmt.Sprint(rand.Int())}
		for i := range 1000 {
			path := fmt.Sprintf("/%x/%x", rand.Uint64(), rand.Uint64())
			if i%3 == 0 {
				path = "/admin/apps/x/" + fmt.Sprint(rand.Int()) // under a route's prefix, yet no route
			}
			e.do(methods[i%len(methods)], path, nil, nil).want(404)
		}

		if got := counter(t, m, "http_requests_total", "route", metrics.Unmatched); got != before+1000 {
			t.Errorf("unmatched requests = %v, want %v", got, before+1000)
		}
		routes := metricstest.LabelValues(t, m.Gatherer(), name, "route")
		if !slices.Equal(routes, []string{"/admin/apps/{appId}/create", "/health/http", metrics.Unmatched}) {
			t.Errorf("route labels = %v", routes)
		}
		methodLabels := metricstest.LabelValues(t, m.Gatherer(), name, "method")
		if !slices.Equal(methodLabels, []string{"delete", "get", "post", "unknown"}) {
			t.Errorf("method labels = %v", methodLabels)
		}
		// One new series per method of the unmatched route, and no more.
		if got := metricstest.Series(t, m.Gatherer(), name); got > series+len(methods) {
			t.Errorf("%d series after the unknown paths, %d before", got, series)
		}
	})
}

// TestRejectionMetrics: each limit counts its refusals under its own label.
func TestRejectionMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		m := metrics.New("test")
		smtp := mailtest.NewServer(t)
		e := newEnv(t, on, withMetrics(m), withParts(func(c *httpapi.Config, p envParts) {
			c.PublicLimiter = ratelimit.New(1, time.Minute, p.now)
			c.ManagementFailures = ratelimit.NewSliding(2, time.Minute, p.now)
			mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLSPolicy: mail.TLSNone, From: "no-reply@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			c.MagicLinks = magiclink.New(p.store, c.Passkeys, m.WrapMailer(mailer), magiclink.Config{RateLimit: 2, RateWindow: time.Hour}, p.now)
		}))

		e.do("POST", "/signin/begin", e.public(), clientBody(nil)).want(200)
		e.do("POST", "/signin/begin", e.public(), clientBody(nil)).want(429)

		// Quota 1, rate 2: the second link is over the quota, the third over
		// the rate. (The quota of an app younger than 30 days is scaled down.)
		e.clock.Advance(31 * 24 * time.Hour)
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":1}`).want(204)
		e.do("POST", "/apps/features", e.secret(), `{"enableMagicLinks":true}`).want(204)
		e.sendLink("admin@example.com").want(204)
		e.sendLink("admin@example.com").wantProblem(429, map[string]any{"errorCode": "magic_link_email_quota_exceeded"})
		e.sendLink("admin@example.com").wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded"})

		// Last, as it locks this client out of the management endpoints.
		wrong := http.Header{"ManagementKey": {"wrong-key-0123456789"}}
		for range 2 {
			e.do("GET", "/apps/list-pending-deletion", wrong, nil).want(401)
		}
		e.do("GET", "/apps/list-pending-deletion", wrong, nil).want(429)

		for limit, want := range map[metrics.Limit]float64{
			metrics.PublicRateLimit: 1, metrics.ManagementKey: 1, metrics.MagicLinkQuota: 1, metrics.MagicLinkRate: 1,
			metrics.InFlight: 0, metrics.BodyMemory: 0,
		} {
			if got := counter(t, m, "rejections_total", "limit", string(limit)); got != want {
				t.Errorf("rejections_total{limit=%q} = %v, want %v", limit, got, want)
			}
		}
		if got := counter(t, m, "magic_link_mails_total", "outcome", "sent"); got != 1 {
			t.Errorf("magic-link mails sent = %v, want 1", got)
		}
	})
}
