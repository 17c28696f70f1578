package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/aaguid"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
	passwordless "github.com/passwordless-oss/server/sdk/go"
)

const (
	managementKey = "sdk-test-management-key-0123456789"
	origin        = "https://example.com"
	rpID          = "example.com"
)

// namedAAGUID is an authenticator the server's name list knows.
const (
	namedAAGUID  = "6f1c2a0e-3b7d-4c55-9e21-8a4f0d9b7c31"
	namedProduct = "Acme Passkeys"
)

// TestMain lets the package's tests on PostgreSQL reuse emptied databases
// (teststores.Main).
func TestMain(m *testing.M) { teststores.Main(m) }

// env is the real API handler on a fresh store, with one app and a
// client of the SDK holding its secret.
type env struct {
	t      *testing.T
	url    string
	store  store.Store
	smtp   *mailtest.Server
	appID  string
	keys   apps.CreateResponse
	client *passwordless.Client
}

func newEnv(t *testing.T, open teststores.Opener) *env {
	t.Helper()
	st := open(t)
	now := func() time.Time { return time.Now().UTC() }
	sealer := token.NewSealer(st, now)
	configs := authconfig.New(st, now)
	md := mdstest.Metadata(t)
	metadata := func() *mds.Metadata { return md }
	attest := attestation.New(st, metadata, now)
	passkeys := passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest, Now: now})
	names, err := aaguid.Parse([]byte(`{"` + namedAAGUID + `":{"name":"` + namedProduct + `"}}`))
	if err != nil {
		t.Fatal(err)
	}
	directory := aaguid.NewDirectory(func() *aaguid.List { return names }, metadata)
	smtp := mailtest.NewServer(t)
	mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLSPolicy: mail.TLSNone, From: "no-reply@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	handler := httpapi.New(httpapi.Config{
		Passkeys:      passkeys,
		MagicLinks:    magiclink.New(st, passkeys, mailer, magiclink.Config{}, now),
		Attestation:   attest,
		Apps:          apps.New(st, sealer, now),
		Users:         users.New(st).WithAuthenticatorNames(directory.Name),
		Configs:       configs,
		Events:        events.New(st, nil),
		Reports:       reports.New(st),
		Health:        st,
		ManagementKey: managementKey,
		Version:       "test",
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL, store: st, smtp: smtp, appID: "sdkapp"}
	e.manage("POST", "/admin/apps/"+e.appID+"/create", map[string]any{"adminEmail": "admin@example.com"}, &e.keys)
	e.client = passwordless.New(e.keys.APISecret1, passwordless.WithBaseURL(srv.URL), passwordless.WithHTTPClient(srv.Client()))
	return e
}

// manage calls a management endpoint, which the SDK does not cover.
func (e *env) manage(method, path string, body, out any) {
	e.t.Helper()
	e.raw(method, path, http.Header{"ManagementKey": {managementKey}}, body, out)
}

// raw sends a JSON request and wants a 2xx answer.
func (e *env) raw(method, path string, hdr http.Header, body, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header = hdr.Clone()
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		e.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			e.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// features sets management features of the app.
func (e *env) features(f map[string]any) {
	e.t.Helper()
	e.manage("POST", "/admin/apps/"+e.appID+"/features", f, nil)
}

type beginResponse struct {
	Data    json.RawMessage `json:"data"`
	Session string          `json:"session"`
}

// public calls a browser (ApiKey) endpoint as the official browser client
// does, and returns its answer.
func (e *env) public(path string, body map[string]any, out any) {
	e.t.Helper()
	body["Origin"], body["RPID"] = origin, rpID
	e.raw("POST", path, http.Header{"ApiKey": {e.keys.APIKey1}}, body, out)
}

// register runs a registration with the register token and authenticator
// a, as the browser would, and returns the verify token.
func (e *env) register(registerToken string, a *softauthn.Authenticator) string {
	e.t.Helper()
	var begin beginResponse
	e.public("/register/begin", map[string]any{"token": registerToken}, &begin)
	resp, _, err := a.Create(begin.Data, origin)
	if err != nil {
		e.t.Fatal(err)
	}
	var done struct{ Token string }
	e.public("/register/complete", map[string]any{"session": begin.Session, "response": json.RawMessage(resp), "nickname": "laptop"}, &done)
	return done.Token
}

// signin runs a sign-in for userID with a and returns the verify token.
func (e *env) signin(userID string, a *softauthn.Authenticator) string {
	e.t.Helper()
	var begin beginResponse
	e.public("/signin/begin", map[string]any{"userId": userID}, &begin)
	resp, err := a.Get(begin.Data, origin)
	if err != nil {
		e.t.Fatal(err)
	}
	var done struct{ Token string }
	e.public("/signin/complete", map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}, &done)
	return done.Token
}

// registerUser gives userID a passkey of authenticator a through the SDK
// and the browser endpoints.
func (e *env) registerUser(userID string, a *softauthn.Authenticator) {
	e.t.Helper()
	tok, err := e.client.CreateRegisterToken(context.Background(), passwordless.RegisterOptions{UserID: userID, Username: userID + "@example.com"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.register(tok, a)
}
