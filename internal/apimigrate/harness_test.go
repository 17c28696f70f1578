package apimigrate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apimigrate"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
)

const (
	managementKey = "test-management-key-0123456789"
	origin        = "https://example.com"
	rpID          = "example.com"
)

// server is one of our servers in this process, on its own store.
type server struct {
	url   string
	store store.Store
	http  *http.Client
}

// newServer serves the API on st; wrap, when not nil, wraps its handler
// (to make a source flaky or count its requests).
func newServer(t *testing.T, st store.Store, wrap func(http.Handler) http.Handler) *server {
	t.Helper()
	sealer := token.NewSealer(st, nil)
	configs := authconfig.New(st, nil)
	attest := attestation.New(st, func() *mds.Metadata { return nil }, nil)
	var h http.Handler = httpapi.New(httpapi.Config{
		Passkeys:      passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest}),
		Attestation:   attest,
		Apps:          apps.New(st, sealer, nil),
		Users:         users.New(st),
		Configs:       configs,
		Events:        events.New(st, nil),
		Reports:       reports.New(st),
		Health:        st,
		ManagementKey: managementKey,
		Version:       "test",
	})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{url: srv.URL, store: st, http: srv.Client()}
}

// app is an app on a server with its keys.
type app struct {
	t      *testing.T
	s      *server
	id     string
	public string
	secret string
}

func (s *server) createApp(t *testing.T, id string, body map[string]any) *app {
	t.Helper()
	var res apps.CreateResponse
	status, raw := s.do(t, "POST", "/admin/apps/"+id+"/create", http.Header{"ManagementKey": {managementKey}}, body)
	if status != 200 {
		t.Fatalf("create app: %d %s", status, raw)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	return &app{t: t, s: s, id: id, public: res.APIKey1, secret: res.APISecret1}
}

func (s *server) do(t *testing.T, method, path string, hdr http.Header, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func (a *app) private(method, path string, body any) (int, []byte) {
	a.t.Helper()
	return a.s.do(a.t, method, path, http.Header{"ApiSecret": {a.secret}}, body)
}

func (a *app) mustPrivate(method, path string, body any, v any) {
	a.t.Helper()
	status, raw := a.private(method, path, body)
	if status/100 != 2 {
		a.t.Fatalf("%s %s: %d %s", method, path, status, raw)
	}
	if v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}

func (a *app) public2(path string, body map[string]any, v any) (int, []byte) {
	a.t.Helper()
	body["RPID"], body["Origin"] = rpID, origin
	status, raw := a.s.do(a.t, "POST", path, http.Header{"ApiKey": {a.public}}, body)
	if status == 200 && v != nil {
		if err := json.Unmarshal(raw, v); err != nil {
			a.t.Fatal(err)
		}
	}
	return status, raw
}

type begun struct {
	Data    json.RawMessage `json:"data"`
	Session string          `json:"session"`
}

// register runs a registration ceremony for userID with the
// authenticator; aliases are stored hashed unless plaintext.
func (a *app) register(auth *softauthn.Authenticator, userID string, aliases []string, plaintext bool) {
	a.t.Helper()
	var tok struct{ Token string }
	a.mustPrivate("POST", "/register/token", map[string]any{"userId": userID, "username": userID,
		"aliases": aliases, "aliasHashing": !plaintext}, &tok)
	var b begun
	if status, raw := a.public2("/register/begin", map[string]any{"token": tok.Token}, &b); status != 200 {
		a.t.Fatalf("register/begin: %d %s", status, raw)
	}
	resp, _, err := auth.Create(b.Data, origin)
	if err != nil {
		a.t.Fatal(err)
	}
	if status, raw := a.public2("/register/complete", map[string]any{"session": b.Session, "response": json.RawMessage(resp), "nickname": "laptop"}, nil); status != 200 {
		a.t.Fatalf("register/complete: %d %s", status, raw)
	}
}

// signIn runs a sign-in ceremony begun with begin and returns the status
// of /signin/complete and, on success, the verified token's content.
func (a *app) signIn(auth *softauthn.Authenticator, begin map[string]any, opts ...softauthn.GetOption) (int, map[string]any) {
	a.t.Helper()
	var b begun
	if status, raw := a.public2("/signin/begin", begin, &b); status != 200 {
		a.t.Fatalf("signin/begin: %d %s", status, raw)
	}
	resp, err := auth.Get(b.Data, origin, opts...)
	if err != nil {
		a.t.Fatalf("authenticator: %v", err)
	}
	var tok struct{ Token string }
	status, _ := a.public2("/signin/complete", map[string]any{"session": b.Session, "response": json.RawMessage(resp)}, &tok)
	if status != 200 {
		return status, nil
	}
	var v map[string]any
	a.mustPrivate("POST", "/signin/verify", map[string]any{"token": tok.Token}, &v)
	return status, v
}

// imported is the app created on the target, with the keys the run printed.
func imported(t *testing.T, target *server, id, out string) *app {
	t.Helper()
	pub := regexp.MustCompile(`ApiKey:\s+(\S+)`).FindStringSubmatch(out)
	sec := regexp.MustCompile(`ApiSecret:\s+(\S+)`).FindStringSubmatch(out)
	if pub == nil || sec == nil {
		t.Fatalf("no keys in the output:\n%s", out)
	}
	return &app{t: t, s: target, id: id, public: pub[1], secret: sec[1]}
}

// fastRetry keeps retrying tests quick.
var fastRetry = apimigrate.Retry{Attempts: 4, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Second}

// runImport imports from the source app into the target store.
func runImport(ctx context.Context, t *testing.T, src *app, st store.Store, edit func(*apimigrate.Options)) (*apimigrate.Summary, string, string, error) {
	t.Helper()
	var out, progress bytes.Buffer
	opt := apimigrate.Options{SourceURL: src.s.url, Secret: src.secret, Out: &out, Progress: &progress,
		Retry: fastRetry, RequestTimeout: 5 * time.Second, ProgressInterval: time.Nanosecond}
	if edit != nil {
		edit(&opt)
	}
	sum, err := apimigrate.Run(ctx, st, opt)
	return sum, out.String(), progress.String(), err
}

func bothTargets() map[string]func(testing.TB) store.Store { return teststores.Both }

func contains(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not contain %q:\n%s", what, p, s)
		}
	}
}
