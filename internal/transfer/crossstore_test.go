package transfer

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

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
	"github.com/passwordless-oss/server/internal/store/postgres"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
)

// The PostgreSQL part follows the rule of package pgtest.
const (
	testMgmtKey = "test-management-key-0123456789"
	testOrigin  = "https://example.com"
	testRPID    = "example.com"
)

// freshPostgres creates an empty database, dropped when t ends (see
// package pgtest for the skip rule), and returns its connection string.
func freshPostgres(t *testing.T) string { return pgtest.Connect(t).CreateDB(t) }

// server is the HTTP API on st, wired as the command wires it.
type server struct {
	t   *testing.T
	url string
	c   *http.Client
}

func startServer(t *testing.T, st store.Store) *server {
	t.Helper()
	sealer := token.NewSealer(st, nil)
	configs := authconfig.New(st, nil)
	attest := attestation.New(st, func() *mds.Metadata { return nil }, nil)
	h := httpapi.New(httpapi.Config{
		Passkeys:      passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest}),
		Attestation:   attest,
		Apps:          apps.New(st, sealer, nil),
		Users:         users.New(st),
		Configs:       configs,
		Events:        events.New(st, nil),
		Reports:       reports.New(st),
		Health:        st,
		ManagementKey: testMgmtKey,
		Version:       "test",
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{t: t, url: srv.URL, c: srv.Client()}
}

// post sends body as JSON and decodes a 200 answer into out.
func (s *server) post(path string, hdr http.Header, body, out any) {
	s.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", s.url+path, bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header = hdr.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		s.t.Fatalf("POST %s: status %d: %s", path, res.StatusCode, rb)
	}
	if out != nil {
		if err := json.Unmarshal(rb, out); err != nil {
			s.t.Fatalf("POST %s: decode %s: %v", path, rb, err)
		}
	}
}

type ceremony struct {
	Data    json.RawMessage `json:"data"`
	Session string          `json:"session"`
}

type keys struct{ public, secret http.Header }

func (s *server) register(k keys, a *softauthn.Authenticator, userID string, aliases ...string) {
	s.t.Helper()
	var tok struct{ Token string }
	s.post("/register/token", k.secret, map[string]any{"userId": userID, "username": userID, "aliases": aliases}, &tok)
	var begin ceremony
	s.post("/register/begin", k.public, map[string]any{"token": tok.Token, "RPID": testRPID, "Origin": testOrigin}, &begin)
	resp, _, err := a.Create(begin.Data, testOrigin)
	if err != nil {
		s.t.Fatal(err)
	}
	s.post("/register/complete", k.public, map[string]any{"session": begin.Session, "response": json.RawMessage(resp),
		"nickname": "laptop", "RPID": testRPID, "Origin": testOrigin}, &tok)
}

// signIn runs a sign-in begun with begin and returns the verify token.
func (s *server) signIn(k keys, a *softauthn.Authenticator, begin map[string]any) string {
	s.t.Helper()
	begin["RPID"], begin["Origin"] = testRPID, testOrigin
	var c ceremony
	s.post("/signin/begin", k.public, begin, &c)
	resp, err := a.Get(c.Data, testOrigin)
	if err != nil {
		s.t.Fatal(err)
	}
	var tok struct{ Token string }
	s.post("/signin/complete", k.public, map[string]any{"session": c.Session, "response": json.RawMessage(resp),
		"RPID": testRPID, "Origin": testOrigin}, &tok)
	return tok.Token
}

// verify checks that tok opens for userID with the secret.
func (s *server) verify(k keys, tok, userID string) {
	s.t.Helper()
	var v struct {
		Success bool   `json:"success"`
		UserID  string `json:"userId"`
	}
	s.post("/signin/verify", k.secret, map[string]any{"token": tok}, &v)
	if !v.Success || v.UserID != userID {
		s.t.Fatalf("verify: success %v, user %q, want %q", v.Success, v.UserID, userID)
	}
}

// TestMoveSQLiteToPostgres registers two users on a SQLite-backed server,
// exports the app to a file, imports it into a fresh PostgreSQL database
// and signs the same users in on a server backed by that database.
func TestMoveSQLiteToPostgres(t *testing.T) {
	ctx := t.Context()
	pgURL := freshPostgres(t)

	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	old := startServer(t, lite)
	var created apps.CreateResponse
	old.post("/admin/apps/moving/create", http.Header{"ManagementKey": {testMgmtKey}},
		map[string]any{"adminEmail": "admin@example.com"}, &created)
	k := keys{public: http.Header{"ApiKey": {created.APIKey1}}, secret: http.Header{"ApiSecret": {created.APISecret1}}}

	alice, bob := softauthn.New(), softauthn.New()
	old.register(k, alice, "user-alice", "alice@example.com")
	old.register(k, bob, "user-bob")
	old.verify(k, old.signIn(k, alice, map[string]any{"alias": "alice@example.com"}), "user-alice")
	// Minted before the move, verified after it.
	pending := old.signIn(k, bob, map[string]any{"userId": "user-bob"})

	file := filepath.Join(t.TempDir(), "moving.jsonl")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := Export(ctx, lite, "moving", f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	exported, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(exported, []byte(created.APISecret1)) || bytes.Contains(exported, []byte(created.APISecret2)) {
		t.Fatal("the export holds a plaintext secret")
	}

	pg, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	in, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	appID, err := Import(ctx, pg, in)
	if err != nil {
		t.Fatal(err)
	}
	if appID != "moving" {
		t.Fatalf("imported %q", appID)
	}
	var again bytes.Buffer
	if err := Export(ctx, pg, "moving", &again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), exported) {
		t.Errorf("PostgreSQL exports differently:\n%s\nwant\n%s", again.Bytes(), exported)
	}

	moved := startServer(t, pg)
	// The secret from app creation (stored as a hash in the export)
	// authenticates, and the token minted on SQLite opens.
	moved.verify(k, pending, "user-bob")
	// Both users sign in with the authenticators they registered, whose
	// counters have moved on since.
	moved.verify(k, moved.signIn(k, alice, map[string]any{"alias": "alice@example.com"}), "user-alice")
	moved.verify(k, moved.signIn(k, bob, map[string]any{"userId": "user-bob"}), "user-bob")
	moved.verify(k, moved.signIn(k, alice, map[string]any{}), "user-alice")
	// The second secret works too.
	k2 := keys{public: http.Header{"ApiKey": {created.APIKey2}}, secret: http.Header{"ApiSecret": {created.APISecret2}}}
	moved.verify(k2, moved.signIn(k2, bob, map[string]any{}), "user-bob")
}
