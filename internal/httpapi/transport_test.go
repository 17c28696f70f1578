package httpapi_test

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/softauthn"
)

// TestPublicRateLimit runs the limiter on the environment's clock, which
// stands still unless advanced: on the wall clock a minute boundary could
// fall between the requests and reset the window.
func TestPublicRateLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on, withParts(func(c *httpapi.Config, p envParts) {
			c.PublicLimiter = ratelimit.New(3, time.Minute, p.now)
			c.ClientIPHeader = "X-Forwarded-For"
		}))
		from := func(ip string) http.Header {
			h := e.public()
			h.Set("X-Forwarded-For", ip+", 10.0.0.1")
			return h
		}
		for range 3 {
			e.do("POST", "/signin/begin", from("203.0.113.7"), clientBody(nil)).want(200)
		}
		r := e.do("POST", "/signin/begin", from("203.0.113.7"), clientBody(nil))
		r.wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded"})
		left := e.clock.Now().Truncate(time.Minute).Add(time.Minute).Sub(e.clock.Now())
		if got, want := r.header.Get("Retry-After"), retryAfter(left); got != want {
			t.Fatalf("Retry-After = %q, want %q", got, want)
		}
		// Another client is not affected, nor are backend endpoints.
		e.do("POST", "/signin/begin", from("203.0.113.8"), clientBody(nil)).want(200)
		e.do("GET", "/users/count", e.secret(), nil).want(200)
		// The next window opens again.
		e.clock.Advance(left)
		e.do("POST", "/signin/begin", from("203.0.113.7"), clientBody(nil)).want(200)
	})
}

// retryAfter is the Retry-After value for a wait of d: whole seconds,
// rounded up, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.FormatInt(max(int64(math.Ceil(d.Seconds())), 1), 10)
}

func TestAuthenticationDetails(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		tests := []struct {
			name   string
			path   string
			header http.Header
			detail string
		}{
			{"secret missing", "/users/count", nil, "A valid 'ApiSecret' header is required."},
			{"secret empty", "/users/count", http.Header{"ApiSecret": {""}}, "A valid 'ApiSecret' header is required."},
			{"secret wrong", "/users/count", http.Header{"ApiSecret": {e.app.APISecret1 + "invalid"}}, "The value of your 'ApiSecret' is not valid."},
			{"public key as secret", "/users/count", http.Header{"ApiSecret": {"test:public:123"}}, "Your ApiSecret header contained a public ApiKey instead of your 'ApiSecret'."},
			{"verify token as secret", "/users/count", http.Header{"ApiSecret": {"verify_123"}}, "A verify token was supplied instead of your 'ApiSecret'."},
			{"register token as secret", "/users/count", http.Header{"ApiSecret": {"register_13"}}, "A register token was supplied instead of your 'ApiSecret'."},
			{"random secret", "/users/count", http.Header{"ApiSecret": {"somethingrandom"}}, "We don't recognize the value you supplied for your 'ApiSecret'. It started with: 'somethingr'."},
			{"only ApiKey", "/users/count", http.Header{"ApiKey": {"something"}}, "A 'ApiKey' header was supplied when a 'ApiSecret' header should have been supplied."},
			{"secret as key", "/signin/begin", http.Header{"ApiKey": {"test:secret:123"}}, "Your ApiKey header contained a ApiSecret instead of your 'ApiKey'."},
			{"random key", "/signin/begin", http.Header{"ApiKey": {"somethingrandom"}}, "We don't recognize the value you supplied for your 'ApiKey'. It started with: 'somethingr'."},
			{"only ApiSecret", "/signin/begin", http.Header{"ApiSecret": {"something"}}, "A 'ApiSecret' header was supplied when a 'ApiKey' header should have been supplied."},
			{"secret of the app as key", "/signin/begin", http.Header{"ApiKey": {e.app.APISecret1}}, "Your ApiKey header contained a ApiSecret instead of your 'ApiKey'."},
			{"unknown app", "/signin/begin", http.Header{"ApiKey": {"nosuchapp:public:2e728aa5986f4ba8b073a5b28a939795"}}, "The value of your 'ApiKey' is not valid."},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				method := "GET"
				if strings.HasPrefix(tt.path, "/signin") {
					method = "POST"
				}
				scheme := "ApiSecret"
				if strings.HasPrefix(tt.path, "/signin") {
					scheme = "ApiKey"
				}
				r := e.do(method, tt.path, tt.header, nil)
				r.wantProblem(401, map[string]any{
					"type":   "https://docs.passwordless.dev/guide/errors.html#" + scheme,
					"title":  "A valid '" + scheme + "' header is required.",
					"detail": tt.detail,
				})
				if r.header.Get("WWW-Authenticate") != scheme {
					t.Fatalf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
				if _, has := r.json()["errorCode"]; has {
					t.Fatal("401 carries an errorCode member")
				}
			})
		}
	})
}

func TestScopes(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		var created struct{ APIKey string }
		e.do("POST", "/admin/apps/"+e.appID+"/secret-keys", mgmt(), `{"scopes":[1]}`).want(200).decode(&created)
		e.do("POST", "/register/token", http.Header{"ApiSecret": {created.APIKey}}, `{"userId":"u","username":"u"}`).
			wantProblem(403, map[string]any{"detail": "You are unable to access this resource because you do not have the required permissions. Required scopes: token_register"})
		// Endpoints without a scope accept any valid secret.
		e.do("GET", "/users/count", http.Header{"ApiSecret": {created.APIKey}}, nil).want(200)
		e.do("POST", "/admin/apps/"+e.appID+"/secret-keys", mgmt(), `{"scopes":[]}`).wantProblem(400, map[string]any{"errorCode": "create_api_key_scopes_required"})
		e.do("POST", "/admin/apps/"+e.appID+"/public-keys", mgmt(), `{"scopes":[7]}`).wantProblem(400, nil)
	})
}

func TestTransport(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		r := e.do("GET", "/health/http", nil, nil).want(200)
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self';", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "no-referrer", "Access-Control-Allow-Origin": "*",
		} {
			if got := r.header.Get(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if string(r.body) != "Healthy" {
			t.Fatalf("health body %q", r.body)
		}
		e.do("GET", "/health/storage", nil, nil).want(200)
		e.do("GET", "/health/version", nil, nil).want(200)
		e.do("GET", "/health/throw/api", nil, nil).wantProblem(400, map[string]any{"errorCode": "test_error"})
		// Unknown paths and methods carry a code and the status's definition
		// as their type, not a documentation link ending in a bare '#'.
		e.do("GET", "/no/such/path", http.Header{"ApiSecret": {"e=mc2trooper"}}, nil).wantProblem(404, map[string]any{
			"errorCode": "not_found", "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5"})
		e.do("GET", "/a/../users/count", e.secret(), nil).wantProblem(404, map[string]any{"errorCode": "not_found"})
		e.do("GET", "/register/token", e.secret(), nil).wantProblem(405, map[string]any{
			"errorCode": "method_not_allowed", "type": "https://tools.ietf.org/html/rfc9110#section-15.5.6"})
		// Routes match case-insensitively and with a trailing slash.
		e.do("GET", "/Users/Count/", e.secret(), nil).want(200)

		// Content types and bodies.
		hdr := e.secret()
		hdr.Set("Content-Type", "text/plain")
		e.do("POST", "/register/token", hdr, `{"userId":"u","username":"u"}`).wantProblem(415, nil)
		hdr.Set("Content-Type", "application/json; charset=utf-8")
		e.do("POST", "/register/token", hdr, `{"userId":"u","username":"u"}`).want(200)
		e.do("POST", "/register/token", e.secret(), "").wantProblem(400, nil)
		e.do("POST", "/register/token", e.secret(), `{"userId":"u","username":"u"} {}`).wantProblem(400, nil)
		e.do("POST", "/register/token", e.secret(), `{"userId":"u","username":`).wantProblem(400, nil)
		e.do("POST", "/register/token", e.secret(), `{"userId":"u","username":"u","discoverable":"yes"}`).wantProblem(400, nil)
		big := `{"userId":"u","username":"` + strings.Repeat("x", 2<<20) + `"}`
		e.do("POST", "/register/token", e.secret(), big).wantProblem(413, nil)
	})
}

// TestPreflight: a CORS preflight is answered on any path, before
// authentication, echoing what the browser asks for (api-spec.md §1.4).
// Unlike the original it also sends Access-Control-Max-Age, so that
// browsers cache the answer instead of asking before every call.
func TestPreflight(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		tests := []struct {
			name, path, method, headers string
		}{
			{"public endpoint", "/register/begin", "POST", "apikey,client-version,content-type"},
			{"backend endpoint, no key", "/users/delete", "POST", "apisecret,content-type"},
			{"management endpoint, no key", "/admin/apps/testapp", "DELETE", "managementkey"},
			{"unknown path", "/anything", "PUT", "x-custom"},
			{"no headers asked for", "/signin/complete", "POST", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hdr := http.Header{"Origin": {"http://localhost:5173"}, "Access-Control-Request-Method": {tt.method}}
				if tt.headers != "" {
					hdr.Set("Access-Control-Request-Headers", tt.headers)
				}
				r := e.in(t).do("OPTIONS", tt.path, hdr, nil).want(204)
				for k, want := range map[string]string{
					"Access-Control-Allow-Origin":  "*",
					"Access-Control-Allow-Methods": tt.method,
					"Access-Control-Allow-Headers": tt.headers,
					"Access-Control-Max-Age":       "7200",
					"Vary":                         "Access-Control-Request-Method, Access-Control-Request-Headers",
					"Content-Security-Policy":      "default-src 'self';",
					"X-Content-Type-Options":       "nosniff",
					"Referrer-Policy":              "no-referrer",
				} {
					if got := r.header.Get(k); got != want {
						t.Errorf("%s = %q, want %q", k, got, want)
					}
				}
				if len(r.body) != 0 {
					t.Errorf("preflight body %q, want none", r.body)
				}
			})
		}
		// OPTIONS without Access-Control-Request-Method is no preflight.
		e.do("OPTIONS", "/register/begin", nil, nil).wantProblem(405, map[string]any{"errorCode": "method_not_allowed"})
	})
}

func TestManagement(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		m := func(method, path string, body any) *response { return e.do(method, "/admin/apps/"+path, mgmt(), body) }
		m("POST", "a/create", `{}`).wantProblem(400, map[string]any{"title": "One or more validation errors occurred."})
		m("POST", "1abc/create", `{}`).wantProblem(400, nil)
		m("POST", e.appID+"/create", `{}`).wantProblem(409, map[string]any{"title": "accountName '" + e.appID + "' is not available"})
		if got := m("GET", e.appID+"/available", nil).want(200).json(); got["available"] != false {
			t.Fatalf("available = %v", got)
		}
		if got := m("GET", "freshname/available", nil).want(200).json(); got["available"] != true {
			t.Fatalf("available = %v", got)
		}
		e.do("POST", "/admin/apps/x1y/create", http.Header{"ManagementKey": {"wrong"}}, `{}`).
			wantProblem(401, map[string]any{"title": "A valid 'ManagementKey' header is required."})

		f := m("GET", e.appID+"/features", nil).want(200).json()
		for k, want := range map[string]any{"eventLoggingIsEnabled": false, "eventLoggingRetentionPeriod": float64(365), "maxUsers": nil,
			"allowAttestation": false, "isGenerateSignInTokenEndpointEnabled": true, "isMagicLinksEnabled": true, "developerLoggingEndsAt": nil, "magicLinkEmailMonthlyQuota": float64(0)} {
			if f[k] != want {
				t.Errorf("features %s = %#v, want %#v", k, f[k], want)
			}
		}
		m("POST", e.appID+"/features", `{"eventLoggingRetentionPeriod":366}`).wantProblem(400, nil)
		// Setting one member keeps the others: the quota alone leaves the
		// 365-day retention of creation as it was.
		m("POST", e.appID+"/features", `{"magicLinkEmailMonthlyQuota":100}`).want(204)
		f = m("GET", e.appID+"/features", nil).want(200).json()
		if f["magicLinkEmailMonthlyQuota"] != float64(100) || f["eventLoggingRetentionPeriod"] != float64(365) {
			t.Errorf("after setting only the quota: %v", f)
		}
		m("POST", e.appID+"/features", `{"eventLoggingRetentionPeriod":365,"maxUsers":5}`).want(204)
		m("POST", e.appID+"/features", `{"eventLoggingIsEnabled":true}`).want(204)
		f = m("GET", e.appID+"/features", nil).want(200).json()
		if f["magicLinkEmailMonthlyQuota"] != float64(100) || f["maxUsers"] != float64(5) || f["eventLoggingIsEnabled"] != true {
			t.Errorf("after setting only event logging: %v", f)
		}
		m("GET", "nosuchapp/features", nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})

		var keys []map[string]any
		m("GET", e.appID+"/api-keys", nil).want(200).decode(&keys)
		if len(keys) != 4 {
			t.Fatalf("keys = %v", keys)
		}
		for _, k := range keys {
			switch k["type"] {
			case float64(1):
				if !strings.Contains(k["apiKey"].(string), ":public:") {
					t.Errorf("public key shown as %v", k["apiKey"])
				}
			case float64(2):
				if k["apiKey"] != e.appID+":secret:"+strings.Repeat("*", 28)+k["id"].(string) {
					t.Errorf("secret not masked: %v", k["apiKey"])
				}
			default:
				t.Errorf("key type %v", k["type"])
			}
		}
		m("POST", e.appID+"/api-keys/zzzz/lock", nil).wantProblem(404, map[string]any{"errorCode": "api_key_not_found"})
		m("DELETE", e.appID+"/api-keys/zzzz", nil).wantProblem(404, map[string]any{"errorCode": "api_key_not_found"})

		// Maximum users.
		m("POST", e.appID+"/features", `{"maxUsers":1}`).want(204)
		e.do("POST", "/register/token", e.secret(), `{"userId":"u1","username":"a"}`).want(200)
	})
}

// TestRouteCase: route literals match in any letter case and with a
// trailing slash, but path parameters keep the case they were sent in,
// so an upper-case app id meets the id rule instead of being lower-cased
// into another app's id.
func TestRouteCase(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		// A key id (its last four hex digits) that changes when upper-cased.
		keyWithLetter := ""
		for range 50 {
			var created struct{ APIKey string }
			e.do("POST", "/admin/apps/"+e.appID+"/public-keys", mgmt(), `{"scopes":[0]}`).want(200).decode(&created)
			if id := created.APIKey[len(created.APIKey)-4:]; strings.ContainsAny(id, "abcdef") {
				keyWithLetter = id
				break
			}
		}
		if keyWithLetter == "" {
			t.Fatal("50 new keys had no letter in their id")
		}
		tests := []struct {
			name, method, path string
			body               any
			status             int
			members            map[string]any // of the JSON answer
		}{
			{"upper-case id is refused at creation", "POST", "/admin/apps/MyApp2/create", `{}`, 400,
				map[string]any{"title": "One or more validation errors occurred."}},
			{"so no lower-case app was created", "GET", "/admin/apps/myapp2/available", nil, 200, map[string]any{"available": true}},
			{"upper-case id is refused by availability", "GET", "/admin/apps/" + strings.ToUpper(e.appID) + "/available", nil, 400,
				map[string]any{"title": "One or more validation errors occurred."}},
			{"literals in any case, trailing slash", "POST", "/ADMIN/Apps/myapp3/CREATE/", `{}`, 200, nil},
			{"the app has the id as sent", "GET", "/admin/apps/myapp3/available", nil, 200, map[string]any{"available": false}},
			{"availability in any case", "GET", "/Admin/APPS/" + e.appID + "/Available/", nil, 200, map[string]any{"available": false}},
			{"key ids keep their case", "POST", "/admin/apps/" + e.appID + "/api-keys/" + strings.ToUpper(keyWithLetter) + "/lock", nil, 404,
				map[string]any{"errorCode": "api_key_not_found"}},
			{"key routes in any case", "POST", "/admin/apps/" + e.appID + "/API-KEYS/" + keyWithLetter + "/Lock", nil, 204, nil},
			{"other routes in any case", "GET", "/USERS/count/", nil, 200, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hdr := mgmt()
				if strings.HasPrefix(strings.ToLower(tt.path), "/users") {
					hdr = e.secret()
				}
				r := e.in(t).do(tt.method, tt.path, hdr, tt.body).want(tt.status)
				if tt.status == 400 {
					if errs, _ := r.json()["errors"].(map[string]any); errs["appId"] == nil {
						t.Fatalf("400 without an appId validation error: %s", r.body)
					}
				}
				for k, want := range tt.members {
					if got := r.json()[k]; got != want {
						t.Fatalf("%s = %#v, want %#v (body %s)", k, got, want, r.body)
					}
				}
			})
		}
	})
}

func TestDeletionLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		m := func(method, path string, body any) *response { return e.do(method, "/admin/apps/"+path, mgmt(), body) }
		// A new app can go at once.
		if got := m("GET", e.appID+"/can-delete-immediately", nil).want(200); string(got.body) != "true" {
			t.Fatalf("can-delete-immediately = %s", got.body)
		}
		m("DELETE", e.appID, nil).wantProblem(400, map[string]any{"errorCode": "app_not_pending_deletion", "title": "App was not scheduled for deletion."})

		// An older app with users is scheduled a month out, and its keys lock.
		e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "alice"})
		e.clock.Advance(4 * 24 * time.Hour)
		res := m("POST", e.appID+"/mark-delete", `{"deletedBy":"ops@example.com"}`).want(200).json()
		if res["isDeleted"] != false || res["adminEmails"].([]any)[0] != "admin@example.com" {
			t.Fatalf("mark-delete = %v", res)
		}
		m("POST", e.appID+"/mark-delete", `{}`).wantProblem(400, map[string]any{"errorCode": "app_pending_deletion"})
		e.do("GET", "/users/count", e.secret(), nil).want(401)
		m("DELETE", e.appID, nil).wantProblem(400, map[string]any{"title": "App cannot be deleted yet."})
		var due []string
		e.do("GET", "/apps/list-pending-deletion", mgmt(), nil).want(200).decode(&due)
		if len(due) != 0 {
			t.Fatalf("pending deletion too early: %v", due)
		}
		e.clock.Advance(32 * 24 * time.Hour)
		e.do("GET", "/apps/list-pending-deletion", mgmt(), nil).want(200).decode(&due)
		if len(due) != 1 || due[0] != e.appID {
			t.Fatalf("pending deletion = %v", due)
		}
		m("DELETE", e.appID, nil).want(200)
		m("GET", e.appID+"/can-delete-immediately", nil).wantProblem(400, map[string]any{"errorCode": "app_not_found"})
		if got := m("GET", e.appID+"/available", nil).want(200).json(); got["available"] != true {
			t.Fatal("deleted app id is not available again")
		}

		// Cancelling unlocks the keys again.
		e.appID, e.app = e.createApp("otherapp")
		e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "alice"})
		e.clock.Advance(4 * 24 * time.Hour)
		m("POST", e.appID+"/mark-delete", `{}`).want(200)
		e.do("GET", "/users/count", e.secret(), nil).want(401)
		m("POST", e.appID+"/cancel-delete", nil).want(200)
		e.do("GET", "/users/count", e.secret(), nil).want(200)
		m("DELETE", e.appID, nil).wantProblem(400, map[string]any{"title": "App was not scheduled for deletion."})
	})
}

// TestManagementKeyGuessing: after 10 wrong keys in a minute a client gets
// 429 for every management request, the right key included, so guessing
// gets no answers; other clients are unaffected, and a new minute resets.
func TestManagementKeyGuessing(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		e := newEnv(t, on, withConfig(func(c *httpapi.Config) {
			c.ManagementFailures = ratelimit.NewSliding(10, time.Minute, func() time.Time { return now })
			c.ClientIPHeader = "X-Forwarded-For"
		}))
		from := func(ip, key string) http.Header {
			return http.Header{"X-Forwarded-For": {ip}, "ManagementKey": {key}}
		}
		const path = "/apps/list-pending-deletion"
		for i := range 10 {
			e.do("GET", path, from("203.0.113.7", fmt.Sprintf("guess-%d", i)), nil).want(401)
		}
		r := e.do("GET", path, from("203.0.113.7", "guess-10"), nil)
		r.wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded"})
		if r.header.Get("Retry-After") != "60" {
			t.Fatalf("Retry-After = %q, want 60", r.header.Get("Retry-After"))
		}
		e.do("GET", path, from("203.0.113.7", testManagementKey), nil).want(429)
		e.do("GET", path, from("2001:db8:1:2::99", testManagementKey), nil).want(200)
		e.do("GET", path, from("203.0.113.8", testManagementKey), nil).want(200)
		// Right keys do not count as failures.
		for range 20 {
			e.do("GET", path, from("203.0.113.8", testManagementKey), nil).want(200)
		}
		now = now.Add(time.Minute)
		e.do("GET", path, from("203.0.113.7", testManagementKey), nil).want(200)
	})
}
