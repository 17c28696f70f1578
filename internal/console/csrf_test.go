package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/users"
)

// preSession are the state-changing routes that run before a session
// exists, so there is no CSRF token to check; they are checked by origin
// only. A new route belongs here only for the same reason.
var preSession = []string{
	"POST " + Prefix + "/signin",
	"POST " + Prefix + "/enrol/begin",
	"POST " + Prefix + "/enrol/finish",
}

// TestEveryStateChangingRouteIsProtected walks every route of the console
// that is not a GET and sends it a request that would succeed with a
// valid token: without the token, and with it from another origin. Each
// must be refused with 403 and change nothing. A route added without the
// protection fails here.
func TestEveryStateChangingRouteIsProtected(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, a := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}, "eventLogging": {"on"}}, 200)
		e.addUser("shop", "u1")
		e.post(ck, csrf, "/console/apps/shop/auth-configs/add", url.Values{"purpose": {"walk"}, "userVerification": {"preferred"}}, http.StatusSeeOther)
		keys, _ := e.apps.ListKeys(context.Background(), "shop")
		app, _ := e.apps.Get(context.Background(), "shop")
		creds, _ := users.New(e.store).ListCredentials(context.Background(), app, "u1")

		// Everything a handler could want, so a handler that skipped the check
		// would act rather than fail on a missing field.
		wildcards := strings.NewReplacer("{app}", "shop", "{key}", keys[0].ID, "{action}", "delete")
		form := url.Values{
			"id": {"walkapp"}, "adminEmail": {"w@example.com"}, "confirm": {"shop"}, "kind": {"secret"},
			"userId": {"u1"}, "credentialId": {creds.Values[0].Descriptor.ID}, "purpose": {"walk"},
			"eventLoggingRetentionPeriod": {"7"}, "magicLinkEmailMonthlyQuota": {"1"}, "allowedOrigins": {"https://evil.example"},
			"token": {e.signinWith(a, e.consoleKey())}, "next": {"/console/apps"},
		}
		before := e.state()

		var walked []string
		for _, pattern := range e.console.patterns {
			method, path, ok := strings.Cut(pattern, " ")
			if !ok {
				// A pattern without a method takes every method; only the
				// catch-all 404 may be one.
				if pattern != Prefix+"/" {
					t.Errorf("route %q has no method: give it one so this test can judge it", pattern)
				}
				continue
			}
			if method == http.MethodGet || method == http.MethodHead {
				continue
			}
			walked = append(walked, pattern)
			target := wildcards.Replace(path)
			if strings.Contains(target, "{") {
				t.Errorf("%s: the test does not know a wildcard of %s", pattern, target)
				continue
			}
			if strings.HasPrefix(path, Prefix+"/demo/") {
				target += "?app=shop"
			}
			send := func(token string, hdr http.Header) resp {
				hdr = hdr.Clone()
				if hdr == nil {
					hdr = http.Header{}
				}
				var body any
				if strings.Contains(path, "/api/") || strings.HasSuffix(path, "/enrol/begin") {
					body = map[string]string{"username": "walker", "name": "Walker", "token": form.Get("token")}
					if token != "" {
						hdr.Set("X-CSRF-Token", token)
					}
				} else {
					f := url.Values{}
					for k, v := range form {
						f[k] = v
					}
					if token != "" {
						f.Set("csrf", token)
					}
					body = f
				}
				return e.do(method, target, body, hdr, ck)
			}
			if !slices.Contains(preSession, pattern) {
				if r := send("", nil); r.status != http.StatusForbidden {
					t.Errorf("%s without a CSRF token: %d, want 403", pattern, r.status)
				}
				if r := send(strings.Repeat("0", len(csrf)), nil); r.status != http.StatusForbidden {
					t.Errorf("%s with a wrong CSRF token: %d, want 403", pattern, r.status)
				}
			}
			for _, o := range []http.Header{
				{"Origin": {"https://evil.example"}},
				{"Origin": {"null"}},
				{"Referer": {"https://evil.example/console/apps"}},
			} {
				if r := send(csrf, o); r.status != http.StatusForbidden || r.cookie(cookieName) != nil && r.cookie(cookieName).MaxAge > 0 {
					t.Errorf("%s with the token, cross-origin %v: %d, want 403 and no session", pattern, o, r.status)
				}
			}
		}
		if after := e.state(); after != before {
			t.Errorf("refused requests changed the console's data:\nbefore %s\nafter  %s", before, after)
		}
		// The walk must have found the routes; a change to how routes are
		// registered must not make it walk nothing.
		for _, want := range []string{"POST /console/apps", "POST /console/apps/{app}/delete", "POST /console/apps/{app}/keys/{key}/{action}",
			"POST /console/admins/delete", "POST /console/demo/api/verify", "POST /console/signin", "POST /console/signout"} {
			if !slices.Contains(walked, want) {
				t.Errorf("the walk missed %s (walked %v)", want, walked)
			}
		}
		// The positive control: the same kind of request with the token and
		// the console's own origin goes through.
		e.post(ck, csrf, "/console/apps/shop/keys/"+keys[0].ID+"/lock", url.Values{}, http.StatusSeeOther)
	})
}

// post sends a console form with the CSRF token from the console's origin
// and checks the status.
func (e *env) post(ck *http.Cookie, csrf, path string, form url.Values, want int) resp {
	e.t.Helper()
	form.Set("csrf", csrf)
	r := e.do("POST", path, form, http.Header{"Origin": {testOrigin}}, ck)
	if r.status != want {
		e.t.Fatalf("POST %s: %d, want %d\n%s", path, r.status, want, r.body)
	}
	return r
}

// state is the console's data as JSON: apps, keys, users, passkeys,
// sign-in purposes, features and administrators.
func (e *env) state() string {
	e.t.Helper()
	ctx := context.Background()
	list, err := e.apps.List(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]any{}
	for _, app := range list {
		keys, _ := e.apps.ListKeys(ctx, app.ID)
		us, _ := users.New(e.store).ListUsers(ctx, app)
		cfgs, _ := e.configs.List(ctx, app.ID, nil)
		f, _ := e.apps.Features(ctx, app.ID)
		out[app.ID] = []any{app.DeleteAt, app.Features, keys, us, purposes(cfgs), f}
	}
	admins, _ := e.console.admins(ctx)
	out["admins"] = admins
	b, _ := json.Marshal(out)
	return string(b)
}

func purposes(l authconfig.ListResponse) []string {
	var out []string
	for _, c := range l.Configurations {
		out = append(out, c.Purpose+"/"+c.UserVerificationRequirement)
	}
	return out
}
