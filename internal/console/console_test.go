package console

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/demo"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/singleuse"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

const (
	testOrigin = "https://console.example"
	testRPID   = "console.example"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestMain lets the package's tests on PostgreSQL reuse emptied databases
// (teststores.Main).
func TestMain(m *testing.M) { teststores.Main(m) }

// env is the API and the console on one test server, over a fresh
// database.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	console *Console
	store   store.Store
	apps    *apps.Service
	configs *authconfig.Service
	clock   *clock
	out     *bytes.Buffer
}

func newEnv(t *testing.T, open teststores.Opener, dev bool) *env {
	t.Helper()
	return newEnvURL(t, open, dev, testOrigin)
}

// newEnvURL is newEnv with another console URL ("" for none).
func newEnvURL(t *testing.T, open teststores.Opener, dev bool, publicURL string) *env {
	t.Helper()
	return newEnvStore(t, dev, publicURL, open(t), DemoClient{})
}

// newEnvStore is newEnvURL on a given store, with a demo client setting.
func newEnvStore(t *testing.T, dev bool, publicURL string, st store.Store, demoClient DemoClient) *env {
	t.Helper()
	ctx := context.Background()
	sealer := token.NewSealer(st, nil)
	// The apps service shares the console's clock, so tests can age an app
	// past the deletion rules' thresholds.
	clk := &clock{t: time.Now()}
	appSvc := apps.New(st, sealer, clk.Now)
	if dev {
		if _, err := appSvc.SeedDevApp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	configs := authconfig.New(st, nil)
	passkeys := passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs})
	api := httpapi.New(httpapi.Config{Passkeys: passkeys, Apps: appSvc, Users: users.New(st), Configs: configs,
		Events: events.New(st, nil), Reports: reports.New(st), Health: st, ManagementKey: "test-management-key-0123456789", Version: "test"})
	out := &bytes.Buffer{}
	c, err := New(ctx, Config{Apps: appSvc, Users: users.New(st), Configs: configs, Passkeys: passkeys, Tokens: sealer,
		Events: events.New(st, nil), Reports: reports.New(st), SingleUse: singleuse.New(st),
		Sessions: consolesession.New(st, DefaultIdleTimeout, DefaultMaxAge, clk.Now), Dev: dev, PublicURL: publicURL, DemoClient: demoClient, Out: out, Now: clk.Now, Authenticators: testAuthenticators(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Mount(api, c))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, console: c, store: st, apps: appSvc, configs: configs, clock: clk, out: out}
}

var setupPattern = regexp.MustCompile(`/console/setup\?token=(setup_[0-9a-f]+)`)

func (e *env) setupSecret() string {
	e.t.Helper()
	m := setupPattern.FindStringSubmatch(e.out.String())
	if m == nil {
		e.t.Fatalf("no setup link printed:\n%s", e.out)
	}
	return m[1]
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// do sends a request without following redirects. body: url.Values (a
// form), nil, or anything else as JSON.
func (e *env) do(method, path string, body any, hdr http.Header, cookies ...*http.Cookie) resp {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	for _, c := range cookies {
		if c != nil {
			req.AddCookie(c)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (e *env) apiJSON(path, apiKey string, body any, out any) {
	e.t.Helper()
	r := e.do("POST", path, body, http.Header{"ApiKey": {apiKey}})
	if r.status != 200 {
		e.t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), out); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) consoleKey() string {
	k, err := e.console.publicKey(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// registerWith runs the browser part of a registration with a register
// token of appKey's app and returns the verify token.
func (e *env) registerWith(a *softauthn.Authenticator, appKey, registerToken string) string {
	e.t.Helper()
	var begin struct {
		Data    json.RawMessage `json:"data"`
		Session string          `json:"session"`
	}
	e.apiJSON("/register/begin", appKey, map[string]any{"token": registerToken, "origin": testOrigin, "rpid": testRPID}, &begin)
	response, _, err := a.Create(begin.Data, testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	var done struct{ Token string }
	e.apiJSON("/register/complete", appKey, map[string]any{"session": begin.Session, "response": json.RawMessage(response),
		"origin": testOrigin, "rpid": testRPID, "nickname": "test"}, &done)
	return done.Token
}

// signinWith runs a discoverable sign-in and returns the verify token.
func (e *env) signinWith(a *softauthn.Authenticator, appKey string) string {
	e.t.Helper()
	var begin struct {
		Data    json.RawMessage `json:"data"`
		Session string          `json:"session"`
	}
	e.apiJSON("/signin/begin", appKey, map[string]any{"origin": testOrigin, "rpid": testRPID}, &begin)
	response, err := a.Get(begin.Data, testOrigin)
	if err != nil {
		e.t.Fatal(err)
	}
	var done struct{ Token string }
	e.apiJSON("/signin/complete", appKey, map[string]any{"session": begin.Session, "response": json.RawMessage(response),
		"origin": testOrigin, "rpid": testRPID}, &done)
	return done.Token
}

// enrol registers an administrator with a setup secret or invitation and
// returns the finishing response.
func (e *env) enrol(a *softauthn.Authenticator, secret, name string, hdr http.Header) resp {
	e.t.Helper()
	r := e.do("POST", "/console/enrol/begin", map[string]string{"token": secret, "name": name}, nil)
	if r.status != 200 {
		return r
	}
	var begin beginResponse
	json.Unmarshal([]byte(r.body), &begin)
	verify := e.registerWith(a, e.consoleKey(), begin.RegisterToken)
	return e.do("POST", "/console/enrol/finish", url.Values{"secret": {secret}, "pending": {begin.Pending}, "token": {verify}}, hdr)
}

// admin bootstraps the first administrator and returns its session cookie
// and authenticator.
func (e *env) admin() (*http.Cookie, *softauthn.Authenticator) {
	e.t.Helper()
	a := softauthn.New()
	r := e.enrol(a, e.setupSecret(), "Ada", nil)
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	ck := r.cookie(cookieName)
	if ck == nil {
		e.t.Fatal("no session cookie")
	}
	return ck, a
}

// csrf reads the CSRF token from a page.
func (e *env) csrf(ck *http.Cookie) string {
	e.t.Helper()
	r := e.do("GET", "/console/apps", nil, nil, ck)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("no csrf token on the page: %d %s", r.status, r.body)
	}
	return m[1]
}

func TestSetupSessionCookieAndSingleUse(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		secret := e.setupSecret()
		a := softauthn.New()
		r := e.enrol(a, secret, "Ada", http.Header{"X-Forwarded-Proto": {"https"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/console/apps" {
			t.Fatalf("enrol: %d %s", r.status, r.body)
		}
		ck := r.cookie(cookieName)
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || !ck.Secure || ck.Path != "/console" || ck.MaxAge <= 0 {
			t.Fatalf("session cookie attributes: %+v", ck)
		}
		if r := e.do("GET", "/console/apps", nil, nil, ck); r.status != 200 || !strings.Contains(r.body, "Applications") {
			t.Fatalf("apps page: %d %s", r.status, r.body)
		}

		// The setup secret worked once; a second enrolment with it fails at
		// begin, and a second page view says so.
		if r := e.do("POST", "/console/enrol/begin", map[string]string{"token": secret, "name": "Eve"}, nil); r.status != 400 {
			t.Fatalf("second use of the setup secret: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/console/setup?token="+secret, nil, nil); r.status != 400 {
			t.Fatalf("setup page after use: %d", r.status)
		}
		admins, _ := e.console.admins(context.Background())
		if len(admins) != 1 || admins[0].Name != "Ada" {
			t.Fatalf("admins: %+v", admins)
		}

		// The console URL is https, so the cookie is Secure even though this
		// request came over plain HTTP without X-Forwarded-Proto.
		tok := e.signinWith(a, e.consoleKey())
		r = e.do("POST", "/console/signin", url.Values{"token": {tok}}, nil)
		if ck := r.cookie(cookieName); r.status != http.StatusSeeOther || ck == nil || !ck.Secure || !ck.HttpOnly {
			t.Fatalf("sign-in: %d %+v %s", r.status, ck, r.body)
		}
	})
}

// Behind a proxy with only PASSWORDLESS_CONSOLE_URL set, the browser's
// Origin is the URL's while the Host header is the upstream's (here the
// test server's 127.0.0.1:port), and no X-Forwarded-Proto arrives.
func TestConsoleURLBehindProxy(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		site := http.Header{"Origin": {testOrigin}}
		a := softauthn.New()
		r := e.do("POST", "/console/enrol/begin", map[string]string{"token": e.setupSecret(), "name": "Ada"}, site)
		var begin beginResponse
		if r.status != 200 || json.Unmarshal([]byte(r.body), &begin) != nil {
			t.Fatalf("enrol begin from the console URL's origin: %d %s", r.status, r.body)
		}
		verify := e.registerWith(a, e.consoleKey(), begin.RegisterToken)
		r = e.do("POST", "/console/enrol/finish", url.Values{"pending": {begin.Pending}, "token": {verify}}, site)
		ck := r.cookie(cookieName)
		if r.status != http.StatusSeeOther || ck == nil || !ck.Secure {
			t.Fatalf("enrol finish: %d %+v %s", r.status, ck, r.body)
		}
		r = e.do("POST", "/console/signin", url.Values{"token": {e.signinWith(a, e.consoleKey())}}, site)
		if ck := r.cookie(cookieName); r.status != http.StatusSeeOther || ck == nil || !ck.Secure {
			t.Fatalf("sign-in from the console URL's origin: %d %+v %s", r.status, ck, r.body)
		}
		csrf := e.csrf(ck)
		create := func(id string, hdr http.Header) int {
			return e.do("POST", "/console/apps", url.Values{"csrf": {csrf}, "id": {id}}, hdr, ck).status
		}
		if s := create("viaorigin", site); s != 200 {
			t.Fatalf("form post with the console URL's origin: %d", s)
		}
		if s := create("viareferer", http.Header{"Referer": {testOrigin + "/console/apps"}}); s != 200 {
			t.Fatalf("form post with the console URL as referer: %d", s)
		}
		// With the URL set, only its origin counts: not the Host header's, not
		// another scheme, not another host.
		for _, o := range []string{e.srv.URL, "http://console.example", "https://evil.example", "https://console.example.evil.example"} {
			if s := create("refused", http.Header{"Origin": {o}}); s != http.StatusForbidden {
				t.Errorf("form post with Origin %s: %d, want 403", o, s)
			}
		}
		if _, err := e.apps.Get(context.Background(), "refused"); err == nil {
			t.Error("a refused post created an app")
		}
	})
}

// Without a console URL the request decides: its Host for the origin
// check, TLS or X-Forwarded-Proto for the Secure attribute.
func TestNoConsoleURL(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnvURL(t, open, false, "")
		r := e.enrol(softauthn.New(), e.setupSecret(), "Ada", http.Header{"Origin": {e.srv.URL}})
		ck := r.cookie(cookieName)
		if r.status != http.StatusSeeOther || ck == nil || ck.Secure {
			t.Fatalf("enrol over plain HTTP: %d %+v %s", r.status, ck, r.body)
		}
		csrf := e.csrf(ck)
		post := func(hdr http.Header) resp {
			return e.do("POST", "/console/admins/invite", url.Values{"csrf": {csrf}}, hdr, ck)
		}
		if r := post(http.Header{"Origin": {e.srv.URL}}); r.status != 200 {
			t.Fatalf("same-host post: %d", r.status)
		}
		if r := post(http.Header{"Origin": {testOrigin}}); r.status != http.StatusForbidden {
			t.Fatalf("post from another host: %d", r.status)
		}
		r = e.do("POST", "/console/signout", url.Values{"csrf": {csrf}}, http.Header{"X-Forwarded-Proto": {"https"}}, ck)
		if c := r.cookie(cookieName); r.status != http.StatusSeeOther || c == nil || !c.Secure {
			t.Fatalf("sign-out behind a TLS proxy: %d %+v", r.status, c)
		}
	})
}

func TestSetupRaceSecondFinishFails(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		secret := e.setupSecret()
		// Two people begin with the same secret; only the first to finish
		// becomes an administrator, the other's passkey is removed.
		begin := func(name string) beginResponse {
			r := e.do("POST", "/console/enrol/begin", map[string]string{"token": secret, "name": name}, nil)
			var b beginResponse
			if r.status != 200 || json.Unmarshal([]byte(r.body), &b) != nil {
				t.Fatalf("begin: %d %s", r.status, r.body)
			}
			return b
		}
		b1, b2 := begin("Ada"), begin("Eve")
		v1 := e.registerWith(softauthn.New(), e.consoleKey(), b1.RegisterToken)
		v2 := e.registerWith(softauthn.New(), e.consoleKey(), b2.RegisterToken)
		if r := e.do("POST", "/console/enrol/finish", url.Values{"secret": {secret}, "pending": {b1.Pending}, "token": {v1}}, nil); r.status != http.StatusSeeOther {
			t.Fatalf("first finish: %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/console/enrol/finish", url.Values{"secret": {secret}, "pending": {b2.Pending}, "token": {v2}}, nil); r.status != 400 || r.cookie(cookieName) != nil {
			t.Fatalf("second finish: %d %s", r.status, r.body)
		}
		app, _ := e.store.GetApp(context.Background(), ConsoleAppID)
		list, _ := users.New(e.store).ListUsers(context.Background(), app)
		if len(list.Values) != 1 {
			t.Fatalf("console users after the race: %+v", list.Values)
		}
	})
}

func TestCSRF(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		token := e.csrf(ck)
		form := func(csrf string) url.Values {
			v := url.Values{"id": {"csrfapp"}, "adminEmail": {"a@example.com"}}
			if csrf != "" {
				v.Set("csrf", csrf)
			}
			return v
		}
		if r := e.do("POST", "/console/apps", form(""), nil, ck); r.status != http.StatusForbidden {
			t.Fatalf("without token: %d", r.status)
		}
		if r := e.do("POST", "/console/apps", form(strings.Repeat("0", len(token))), nil, ck); r.status != http.StatusForbidden {
			t.Fatalf("wrong token: %d", r.status)
		}
		if r := e.do("POST", "/console/apps", form(token), http.Header{"Origin": {"https://evil.example"}}, ck); r.status != http.StatusForbidden {
			t.Fatalf("cross-origin post: %d", r.status)
		}
		if _, err := e.store.GetApp(context.Background(), "csrfapp"); err == nil {
			t.Fatal("a refused post created the app")
		}
		r := e.do("POST", "/console/apps", form(token), nil, ck)
		if r.status != 200 || !strings.Contains(r.body, "csrfapp:secret:") {
			t.Fatalf("with token: %d %s", r.status, r.body)
		}
		// Without a session a post is refused too.
		if r := e.do("POST", "/console/apps", form(token), nil); r.status != http.StatusUnauthorized {
			t.Fatalf("without session: %d", r.status)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		// Activity within the idle timeout slides the expiry.
		e.clock.Advance(DefaultIdleTimeout - time.Hour)
		r := e.do("GET", "/console/apps", nil, nil, ck)
		if r.status != 200 {
			t.Fatalf("before the idle timeout: %d", r.status)
		}
		if fresh := r.cookie(cookieName); fresh == nil {
			t.Fatal("the session was not refreshed")
		} else {
			ck = fresh
		}
		e.clock.Advance(DefaultIdleTimeout - time.Hour)
		if r := e.do("GET", "/console/apps", nil, nil, ck); r.status != 200 {
			t.Fatalf("after a refresh: %d", r.status)
		}
		// Idle for longer than the timeout: back to the sign-in page.
		e.clock.Advance(DefaultIdleTimeout + time.Minute)
		r = e.do("GET", "/console/apps", nil, nil, ck)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/console/signin") {
			t.Fatalf("after the idle timeout: %d %s", r.status, r.header.Get("Location"))
		}
		if c := r.cookie(cookieName); c == nil || c.MaxAge >= 0 {
			t.Fatalf("the expired cookie was not cleared: %+v", c)
		}
	})
}

func TestSessionMaxAgeAndSignout(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, a := e.admin()
		for e.clock.Now().Before(time.Now().Add(DefaultMaxAge - DefaultIdleTimeout)) {
			e.clock.Advance(DefaultIdleTimeout / 2)
			r := e.do("GET", "/console/apps", nil, nil, ck)
			if r.status != 200 {
				t.Fatalf("within the maximum age: %d", r.status)
			}
			if c := r.cookie(cookieName); c != nil {
				ck = c
			}
		}
		e.clock.Advance(DefaultIdleTimeout)
		if r := e.do("GET", "/console/apps", nil, nil, ck); r.status != http.StatusSeeOther {
			t.Fatalf("beyond the maximum age: %d", r.status)
		}

		// Sign in again, sign out: the old cookie no longer works.
		r := e.do("POST", "/console/signin", url.Values{"token": {e.signinWith(a, e.consoleKey())}}, nil)
		ck = r.cookie(cookieName)
		if r.status != http.StatusSeeOther || ck == nil {
			t.Fatalf("sign-in: %d %s", r.status, r.body)
		}
		csrf := e.csrf(ck)
		if r := e.do("POST", "/console/signout", url.Values{"csrf": {csrf}}, nil, ck); r.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", r.status)
		}
		if r := e.do("GET", "/console/apps", nil, nil, ck); r.status != http.StatusSeeOther {
			t.Fatalf("after sign-out: %d", r.status)
		}
	})
}

func TestSigninRefusesTamperedAndNonAdmin(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		e.admin()
		if r := e.do("POST", "/console/signin", url.Values{"token": {"verify_nonsense"}}, nil); r.status != http.StatusUnauthorized || r.cookie(cookieName) != nil {
			t.Fatalf("bad token: %d", r.status)
		}
		// A user of the console app that never finished enrolment is not an
		// administrator.
		app, _ := e.store.GetApp(context.Background(), ConsoleAppID)
		ps := passkey.New(passkey.Deps{Store: e.store, Tokens: token.NewSealer(e.store, nil), Configs: authconfig.New(e.store, nil)})
		uid, un := "stray", "stray"
		tok, err := ps.RegisterToken(context.Background(), app, passkey.RegisterTokenRequest{UserID: ptrWire(uid), Username: ptrWire(un)})
		if err != nil {
			t.Fatal(err)
		}
		a := softauthn.New()
		e.registerWith(a, e.consoleKey(), tok.Token)
		r := e.do("POST", "/console/signin", url.Values{"token": {e.signinWith(a, e.consoleKey())}}, nil)
		if r.status != http.StatusForbidden || r.cookie(cookieName) != nil {
			t.Fatalf("non-admin sign-in: %d", r.status)
		}
	})
}

func TestInvitation(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {e.csrf(ck)}}, nil, ck)
		m := regexp.MustCompile(`/console/invite\?token=([^<\s"]+)`).FindStringSubmatch(r.body)
		if r.status != 200 || m == nil {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		inv, _ := url.QueryUnescape(m[1])
		if r := e.do("GET", "/console/invite?token="+url.QueryEscape(inv), nil, nil); r.status != 200 || !strings.Contains(r.body, "invited by Ada") {
			t.Fatalf("invite page: %d %s", r.status, r.body)
		}
		if r := e.enrol(softauthn.New(), inv, "Grace", nil); r.status != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", r.status, r.body)
		}
		if r := e.enrol(softauthn.New(), inv, "Mallory", nil); r.status != 400 {
			t.Fatalf("second use of an invitation: %d %s", r.status, r.body)
		}
		admins, _ := e.console.admins(context.Background())
		if len(admins) != 2 {
			t.Fatalf("admins: %+v", admins)
		}
		// Expired invitations are refused.
		r = e.do("POST", "/console/admins/invite", url.Values{"csrf": {e.csrf(ck)}}, nil, ck)
		m = regexp.MustCompile(`/console/invite\?token=([^<\s"]+)`).FindStringSubmatch(r.body)
		e.clock.Advance(DefaultInviteTTL + time.Minute)
		inv, _ = url.QueryUnescape(m[1])
		if r := e.do("POST", "/console/enrol/begin", map[string]string{"token": inv, "name": "Late"}, nil); r.status != 400 {
			t.Fatalf("expired invitation: %d", r.status)
		}
	})
}

func TestPagesRenderForAdmin(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		if r := e.do("POST", "/console/apps", url.Values{"csrf": {csrf}, "id": {"shop"}, "eventLogging": {"on"}}, nil, ck); r.status != 200 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		// A user with a passkey, registered through the API.
		app, _ := e.store.GetApp(context.Background(), "shop")
		ps := passkey.New(passkey.Deps{Store: e.store, Tokens: token.NewSealer(e.store, nil), Configs: authconfig.New(e.store, nil)})
		tok, err := ps.RegisterToken(context.Background(), app, passkey.RegisterTokenRequest{UserID: ptrWire("u1"), Username: ptrWire("ada@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := e.console.appPublicKey(context.Background(), "shop", false)
		e.registerWith(softauthn.New(), key, tok.Token)

		pages := map[string]string{
			"/console/apps":                   "shop",
			"/console/apps?check=shop":        "is taken",
			"/console/apps/shop":              "shop:public:",
			"/console/apps/shop/keys":         "shop:secret:***",
			"/console/apps/shop/users":        "u1",
			"/console/apps/shop/user?id=u1":   "Delete passkey",
			"/console/apps/shop/auth-configs": "step-up",
			"/console/apps/shop/features":     "Magic links",
			"/console/apps/shop/events":       "AdminApiKeysEnumerated",
			"/console/apps/shop/usage":        "<svg id=\"credentials-chart\"",
			"/console/admins":                 "Ada",
		}
		for path, want := range pages {
			r := e.do("GET", path, nil, nil, ck)
			if r.status != 200 || !strings.Contains(r.body, want) {
				t.Errorf("GET %s: %d, want %q in\n%s", path, r.status, want, r.body)
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("GET %s: CSP %q", path, csp)
			}
		}
		if r := e.do("GET", "/console/apps/"+ConsoleAppID, nil, nil, ck); r.status != 404 {
			t.Errorf("console app page: %d", r.status)
		}
		if r := e.do("GET", "/console/apps/nosuchapp/keys", nil, nil, ck); r.status != 404 || !strings.Contains(r.body, "There is no app nosuchapp") {
			t.Errorf("unknown app page: %d %s", r.status, r.body)
		}

		// Lock a key, toggle a feature, delete the passkey.
		keys, _ := e.apps.ListKeys(context.Background(), "shop")
		if r := e.do("POST", "/console/apps/shop/keys/"+keys[0].ID+"/lock", url.Values{"csrf": {csrf}}, nil, ck); r.status != http.StatusSeeOther {
			t.Fatalf("lock: %d %s", r.status, r.body)
		}
		if k, _ := e.apps.ListKeys(context.Background(), "shop"); !k[0].IsLocked {
			t.Fatal("key not locked")
		}
		// As a browser sends it: each checkbox's hidden "off", then "on" if ticked.
		f := url.Values{"csrf": {csrf}, "eventLogging": {"off", "on"}, "eventLoggingRetentionPeriod": {"30"}, "magicLinkEmailMonthlyQuota": {"5"},
			"magicLinks": {"off"}, "generateTokens": {"off", "on"}, "allowAttestation": {"off"}, "allowedOrigins": {"https://shop.example\n"}}
		if r := e.do("POST", "/console/apps/shop/features", f, nil, ck); r.status != http.StatusSeeOther {
			t.Fatalf("features: %d %s", r.status, r.body)
		}
		app, _ = e.store.GetApp(context.Background(), "shop")
		if app.Features.MagicLinksEnabled || app.Features.MagicLinkMonthlyQuota != 5 || len(app.Features.AllowedOrigins) != 1 {
			t.Fatalf("features after save: %+v", app.Features)
		}
		creds, _ := users.New(e.store).ListCredentials(context.Background(), app, "u1")
		if r := e.do("POST", "/console/apps/shop/credentials/delete", url.Values{"csrf": {csrf}, "userId": {"u1"},
			"credentialId": {creds.Values[0].Descriptor.ID}}, nil, ck); r.status != http.StatusSeeOther {
			t.Fatalf("delete passkey: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/console/apps/shop/events?type=AdminMagicLinksDisabled", nil, nil, ck); !strings.Contains(r.body, "Ada disabled magic links") {
			t.Fatalf("filtered events: %s", r.body)
		}
	})
}

func TestDemoAccess(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		dev := newEnv(t, open, true)
		r := dev.do("GET", "/console/demo/api/config", nil, nil)
		if r.status != 200 || !strings.Contains(r.body, apps.DevPublicKey) {
			t.Fatalf("dev demo config: %d %s", r.status, r.body)
		}
		r = dev.do("POST", "/console/demo/api/register-token", map[string]string{"username": "ada"}, nil)
		var tok passkey.TokenResponse
		if r.status != 200 || json.Unmarshal([]byte(r.body), &tok) != nil {
			t.Fatalf("dev register token: %d %s", r.status, r.body)
		}
		verify := dev.registerWith(softauthn.New(), apps.DevPublicKey, tok.Token)
		r = dev.do("POST", "/console/demo/api/verify", map[string]string{"token": verify}, nil)
		if r.status != 200 || !strings.Contains(r.body, `"success":true`) {
			t.Fatalf("dev verify: %d %s", r.status, r.body)
		}
		// The demo page may run the official client from its pinned CDN URL,
		// and nothing else from elsewhere; the console's pages may not.
		r = dev.do("GET", "/console/demo/", nil, nil)
		if r.status != 200 || !strings.Contains(r.body, "Passkey demo") {
			t.Fatalf("demo page: %d", r.status)
		}
		wantCSP := "script-src 'self' " + demo.ClientScriptURL + ";"
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, wantCSP) || strings.Count(csp, "https://") != 1 {
			t.Fatalf("demo page CSP %q; want %q and no other origin", csp, wantCSP)
		}
		for _, p := range []string{"/console/signin", "/console/demo/demo.js", "/console/demo/api/config"} {
			if csp := dev.do("GET", p, nil, nil).header.Get("Content-Security-Policy"); strings.Contains(csp, "https://") {
				t.Errorf("%s CSP allows another origin: %q", p, csp)
			}
		}

		// Without development mode, and for other apps, the demo needs a
		// session and the CSRF token.
		prod := newEnv(t, open, false)
		if r := prod.do("GET", "/console/demo/api/config?app=test", nil, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("prod demo without session: %d", r.status)
		}
		ck, _ := prod.admin()
		csrf := prod.csrf(ck)
		prod.do("POST", "/console/apps", url.Values{"csrf": {csrf}, "id": {"shop"}}, nil, ck)
		if r := prod.do("POST", "/console/demo/api/register-token?app=shop", map[string]string{"username": "x"}, nil, ck); r.status != http.StatusForbidden {
			t.Fatalf("demo post without csrf: %d", r.status)
		}
		if r := prod.do("POST", "/console/demo/api/register-token?app=shop", map[string]string{"username": "x"},
			http.Header{"X-Csrf-Token": {csrf}}, ck); r.status != 200 {
			t.Fatalf("demo post with csrf: %d %s", r.status, r.body)
		}
	})
}

func TestMountAndSettings(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		if r := e.do("GET", "/health/http", nil, nil); r.status != 200 {
			t.Fatalf("API behind the mount: %d", r.status)
		}
		if r := e.do("GET", "/console", nil, nil); r.status != http.StatusSeeOther {
			t.Fatalf("/console: %d", r.status)
		}
		if r := e.do("GET", "/consolex", nil, nil); r.status != 404 || !strings.Contains(r.header.Get("Content-Type"), "problem") {
			t.Fatalf("/consolex should reach the API: %d %s", r.status, r.header.Get("Content-Type"))
		}
		env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
		if on, u, err := Settings(env(nil)); !on || u != "" || err != nil {
			t.Fatal("defaults")
		}
		if on, _, _ := Settings(env(map[string]string{"PASSWORDLESS_CONSOLE": "false"})); on {
			t.Fatal("PASSWORDLESS_CONSOLE=false")
		}
		if _, _, err := Settings(env(map[string]string{"PASSWORDLESS_CONSOLE_URL": "ftp://x"})); err == nil {
			t.Fatal("bad URL accepted")
		}
		if _, u, _ := Settings(env(map[string]string{"PASSWORDLESS_CONSOLE_URL": "https://a.example/"})); u != "https://a.example" {
			t.Fatalf("url %q", u)
		}
	})
}

func ptrWire(s string) *wire.String { v := wire.String(s); return &v }

// TestTextOnly: addresses, forms and demo names that are not text (a NUL,
// bytes that are not UTF-8) are refused before they reach a store, which
// in PostgreSQL's case could not even look them up.
func TestTextOnly(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, true)
		ck, _ := e.admin()
		token := e.csrf(ck)
		for _, path := range []string{"/console/apps?q=%00", "/console/apps?q=%FF", "/console/apps/te%00st"} {
			if r := e.do("GET", path, nil, nil, ck); r.status != http.StatusBadRequest {
				t.Errorf("GET %s: %d, want 400", path, r.status)
			}
		}
		for _, bad := range []string{"a\x00b", "a\xffb"} {
			form := url.Values{"id": {"textapp"}, "adminEmail": {bad}, "csrf": {token}}
			if r := e.do("POST", "/console/apps", form, nil, ck); r.status != http.StatusBadRequest {
				t.Errorf("form value %q: %d, want 400", bad, r.status)
			}
		}
		// (JSON carries no bytes that are not UTF-8: decoding makes them U+FFFD.)
		if r := e.do("POST", "/console/demo/api/register-token", map[string]string{"username": "a\x00b"}, nil); r.status != http.StatusBadRequest {
			t.Errorf("demo username with a NUL: %d, want 400", r.status)
		}
		if _, err := e.store.GetApp(context.Background(), "textapp"); err == nil {
			t.Fatal("a refused form created the app")
		}
		if r := e.do("GET", "/console/apps?q=ok", nil, nil, ck); r.status != http.StatusOK {
			t.Fatalf("ordinary query: %d", r.status)
		}
	})
}
