package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
)

const (
	testManagementKey = "test-management-key-0123456789"
	testOrigin        = "https://example.com"
	testRPID          = "example.com"
)

// clock is a settable test clock.
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

// env is a server on a fresh database with one app.
type env struct {
	t      *testing.T
	url    string
	store  store.Store
	clock  *clock
	app    apps.CreateResponse
	appID  string
	client *http.Client
}

// envOption changes how newEnv builds its server.
type envOption func(*envSetup)

// envSetup is what newEnv builds the server from; options change it.
type envSetup struct {
	// open opens the store (default: a fresh SQLite file).
	open   teststores.Opener
	deps   []func(*passkey.Deps)
	config []func(*httpapi.Config, envParts)
}

// envParts are the parts of the environment a configuration option may
// build on: its store and its settable clock.
type envParts struct {
	store store.Store
	now   func() time.Time
}

// onStore runs the environment on the store open opens
// (teststores.Postgres, or either of teststores.Both).
func onStore(open teststores.Opener) envOption {
	return func(s *envSetup) { s.open = open }
}

// withDeps changes the ceremony service's collaborators.
func withDeps(f func(*passkey.Deps)) envOption {
	return func(s *envSetup) { s.deps = append(s.deps, f) }
}

// withConfig changes the transport's configuration.
func withConfig(f func(*httpapi.Config)) envOption {
	return withParts(func(c *httpapi.Config, _ envParts) { f(c) })
}

// withParts changes the transport's configuration with parts built on the
// environment's store or clock.
func withParts(f func(*httpapi.Config, envParts)) envOption {
	return func(s *envSetup) { s.config = append(s.config, f) }
}

// eachStore runs f as one subtest per store ("sqlite", "postgres"), each
// given the option that builds its environment on a fresh database of
// that store. Every test whose outcome goes through stored state runs
// this way.
func eachStore(t *testing.T, f func(t *testing.T, on envOption)) {
	t.Helper()
	teststores.Each(t, func(t *testing.T, open teststores.Opener) { f(t, onStore(open)) })
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	setup := envSetup{open: teststores.SQLite}
	for _, o := range opts {
		o(&setup)
	}
	st := setup.open(t)
	clk := &clock{t: time.Now().UTC()}
	sealer := token.NewSealer(st, clk.Now)
	configs := authconfig.New(st, clk.Now)
	md := mdstest.Metadata(t)
	attest := attestation.New(st, func() *mds.Metadata { return md }, clk.Now)
	deps := passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest, Now: clk.Now}
	for _, f := range setup.deps {
		f(&deps)
	}
	cfg := httpapi.Config{
		Passkeys:      passkey.New(deps),
		Attestation:   attest,
		Apps:          apps.New(st, sealer, clk.Now),
		Users:         users.New(st),
		Configs:       configs,
		Events:        events.New(st, nil),
		Reports:       reports.New(st),
		Health:        st,
		ManagementKey: testManagementKey,
		Version:       "test",
	}
	for _, f := range setup.config {
		f(&cfg, envParts{store: st, now: clk.Now})
	}
	srv := httptest.NewServer(httpapi.New(cfg))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, store: st, clock: clk, client: srv.Client()}
	e.appID, e.app = e.createApp("testapp")
	return e
}

// in returns the env reporting to t, for use inside a subtest.
func (e *env) in(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func (e *env) createApp(id string) (string, apps.CreateResponse) {
	e.t.Helper()
	var res apps.CreateResponse
	r := e.do("POST", "/admin/apps/"+id+"/create", mgmt(), map[string]any{"adminEmail": "admin@example.com"})
	r.want(200).decode(&res)
	return id, res
}

// headers for each scheme.
func mgmt() http.Header { return http.Header{"ManagementKey": {testManagementKey}} }
func (e *env) public() http.Header {
	return http.Header{"ApiKey": {e.app.APIKey1}}
}
func (e *env) secret() http.Header {
	return http.Header{"ApiSecret": {e.app.APISecret1}}
}

// response is a captured HTTP response.
type response struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

// do sends body (nil: none; []byte or string: raw; else JSON) with hdr.
func (e *env) do(method, path string, hdr http.Header, body any) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	checkResponse(e.t, req, res, b)
	return &response{t: e.t, status: res.StatusCode, header: res.Header, body: b}
}

func (r *response) want(status int) *response {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

func (r *response) decode(v any) *response {
	r.t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		r.t.Fatalf("decode %s: %v", r.body, err)
	}
	return r
}

func (r *response) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	r.decode(&m)
	return m
}

// wantProblem checks a problem document's status, content type and
// members.
func (r *response) wantProblem(status int, members map[string]any) map[string]any {
	r.t.Helper()
	r.want(status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		r.t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		r.t.Fatalf("problem without Access-Control-Allow-Origin")
	}
	m := r.json()
	if m["status"] != float64(status) {
		r.t.Fatalf("status member %v, want %d", m["status"], status)
	}
	for k, want := range members {
		if got := m[k]; got != want {
			r.t.Fatalf("%s = %#v, want %#v (body %s)", k, got, want, r.body)
		}
	}
	return m
}

func (e *env) token(path string, hdr http.Header, body any) string {
	e.t.Helper()
	var res struct{ Token string }
	e.do("POST", path, hdr, body).want(200).decode(&res)
	return res.Token
}

// ceremony bodies as the official browser client sends them.
func clientBody(extra map[string]any) map[string]any {
	m := map[string]any{"RPID": testRPID, "Origin": testOrigin}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

type beginResponse struct {
	Data    json.RawMessage `json:"data"`
	Session string          `json:"session"`
}

// register runs register/token, begin and complete with the
// authenticator and returns the verify token.
func (e *env) register(a *softauthn.Authenticator, tokenBody map[string]any, opts ...softauthn.CreateOption) (verify string, cred *softauthn.Credential) {
	e.t.Helper()
	regToken := e.token("/register/token", e.secret(), tokenBody)
	var begin beginResponse
	e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
	resp, cred, err := a.Create(begin.Data, testOrigin, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	verify = e.token("/register/complete", e.public(), clientBody(map[string]any{
		"session": begin.Session, "response": json.RawMessage(resp), "nickname": "laptop",
	}))
	return verify, cred
}

// signinBody returns the complete body of a sign-in begun with beginBody.
func (e *env) signinBody(a *softauthn.Authenticator, beginBody map[string]any, opts ...softauthn.GetOption) map[string]any {
	e.t.Helper()
	var begin beginResponse
	e.do("POST", "/signin/begin", e.public(), clientBody(beginBody)).want(200).decode(&begin)
	resp, err := a.Get(begin.Data, testOrigin, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})
}

func (e *env) verify(tok string) map[string]any {
	e.t.Helper()
	return e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": tok}).want(200).json()
}
