package httpapi_test

// The bad-input matrix: well over a thousand distinct malformed, mistyped,
// oversized, mis-authenticated and mutated requests over every route of
// routes.go. Every answer must be a 4xx problem document (or one of the
// documented successes, each probe naming its reason), never a 5xx, and a
// rejected request must leave the database as it was.
//
// Requests are served in-process (Server.ServeHTTP) so that a panic fails
// the test instead of being swallowed by net/http, and so that header
// values a Go client refuses to send (NUL, invalid UTF-8) still reach the
// handler. The database is watched through triggers that log every row
// written (see watch) and a separate read-only connection: PRAGMA
// data_version tells cheaply whether anything was committed, and only then
// is the change log read.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
)

// Documented successes a probe may end in (api-spec.md references).
const (
	passLenient     = "lenient binding: strings accept any JSON scalar, numbers accept numeric strings, unknown members are ignored, member names match case-insensitively (§1.2)"
	passOptional    = "absent or null optional member takes its default (§4)"
	passContentType = "Content-Type is a JSON media type with parameters or in another case, or a +json type (§1.2)"
	passPath        = "routes match case-insensitively and tolerate a trailing slash (§1.1)"
	passQuery       = "read-only GET: odd, repeated or unknown query parameters are read leniently (§1.2)"
	passBodyIgnored = "a body sent to a route that takes none is ignored"
	passPreflight   = "CORS preflight is answered 204 for any path (§1.4)"
	passUnsigned    = "authenticator data of a 'none' attestation is not signed, so changing it can still verify (§6.3)"
	passBase64      = "padded or standard-alphabet base64 that decodes to the same bytes is accepted (§1.2)"
	passUTF8        = "invalid UTF-8 inside a JSON string is read as U+FFFD, as System.Text.Json's lenient reader would store it"
	passFullBody    = "a body of exactly the 1 MiB limit is accepted"
	passOriginPath  = "the client data origin is compared as scheme://host[:port], so a path after it is ignored (go-webauthn)"
)

// probe is one request of the matrix.
type probe struct {
	name   string
	method string
	target string
	header http.Header
	body   []byte // nil: no body
	// pass names the documented success this request may end in; empty:
	// it must be rejected with a 4xx.
	pass string
}

type badInput struct {
	t        testing.TB
	h        http.Handler
	conn     *sql.Conn
	dataV    int64
	changeID int64
	sent     map[string]bool
	passed   map[string]int
	errors   int

	authn *softauthn.Authenticator
	main  apps.CreateResponse
	other apps.CreateResponse
	// keys of the main app beyond the initial ones
	lockedPublic, lockedSecret   string
	registerOnlyPub, regOnlySec  string
	otherTokens                  map[string]string // kind -> token of the other app
	staleVerify, registerTokenOK string
	staticBodies                 map[string]map[string]any
	users                        int
}

const (
	biOtherApp = "otherapp"
	biMgmtApp  = "mgmtapp"
	biNoApp    = "nosuchapp"
)

// newBadInput runs the matrix on SQLite, where every write is logged so
// that a rejected request that changed something is caught.
func newBadInput(t testing.TB) *badInput {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badinput.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	watch(t, path)
	ro, err := sql.Open("sqlite", (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(path),
		RawQuery: "mode=ro&_pragma=query_only(1)"}).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	conn, err := ro.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return newBadInputOn(t, st, conn)
}

// newBadInputOn builds the server of the matrix on st. conn reads the
// change log of a watched SQLite file; nil skips the "unchanged after a
// rejection" check (the other store runs the matrix for its answers).
func newBadInputOn(t testing.TB, st store.Store, conn *sql.Conn) *badInput {
	t.Helper()
	clk := &clock{t: time.Now().UTC()}
	sealer := token.NewSealer(st, clk.Now)
	configs := authconfig.New(st, clk.Now)
	md := mdstest.Metadata(t)
	attest := attestation.New(st, func() *mds.Metadata { return md }, clk.Now)
	passkeys := passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest, Now: clk.Now})
	mailer, err := mail.NewDirMailer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Config{
		Passkeys:      passkeys,
		Attestation:   attest,
		Apps:          apps.New(st, sealer, clk.Now),
		Users:         users.New(st),
		Configs:       configs,
		MagicLinks:    magiclink.New(st, passkeys, mailer, magiclink.Config{}, clk.Now),
		Events:        events.New(st, nil),
		Reports:       reports.New(st),
		Health:        st,
		ManagementKey: testManagementKey,
		Version:       "test",
		// The matrix sends hundreds of wrong management keys from one
		// address; the guessing limit would turn the valid requests
		// after them into 429s and hide what they test.
		ManagementFailures: ratelimit.NewSliding(0, time.Minute, nil),
	})

	b := &badInput{t: t, h: h, conn: conn, sent: map[string]bool{}, passed: map[string]int{}, authn: softauthn.New(),
		staticBodies: map[string]map[string]any{}}
	b.setup()
	return b
}

// setup creates the apps, keys, a user with a credential and aliases, and
// tokens of every kind from another app.
func (b *badInput) setup() {
	b.main = b.createApp("testapp")
	b.other = b.createApp(biOtherApp)
	b.createApp(biMgmtApp)
	m := mgmt()
	for _, id := range []string{"testapp", biOtherApp} {
		b.ok("POST", "/admin/apps/"+id+"/features", m, `{"eventLoggingIsEnabled":true,"eventLoggingRetentionPeriod":30,"magicLinkEmailMonthlyQuota":1000,"allowAttestation":true}`)
	}
	b.ok("POST", "/apps/features", b.sk(b.main.APISecret1), `{"enableManuallyGeneratedAuthenticationTokens":true,"enableMagicLinks":true}`)
	b.ok("POST", "/apps/features", b.sk(b.other.APISecret1), `{"enableManuallyGeneratedAuthenticationTokens":true}`)

	newKey := func(kind string, scopes string) string {
		var res map[string]string
		mustDecode(b.t, b.ok("POST", "/admin/apps/testapp/"+kind, m, `{"scopes":`+scopes+`}`), &res)
		for _, v := range res {
			if strings.HasPrefix(v, "testapp:") {
				return v
			}
		}
		b.t.Fatalf("no key in %v", res)
		return ""
	}
	b.registerOnlyPub = newKey("public-keys", "[0]")
	b.regOnlySec = newKey("secret-keys", "[0]")
	b.lockedPublic = newKey("public-keys", "[0,1]")
	b.lockedSecret = newKey("secret-keys", "[0,1]")
	for _, k := range []string{b.lockedPublic, b.lockedSecret} {
		b.ok("POST", "/admin/apps/testapp/api-keys/"+k[len(k)-4:]+"/lock", m, nil)
	}

	// u1 has a credential and an alias; the stale verify token was used.
	body := b.registerBody(b.main, "u1", nil)
	var v struct{ Token string }
	mustDecode(b.t, b.ok("POST", "/register/complete", b.pk(b.main.APIKey1), body), &v)
	b.ok("POST", "/signin/verify", b.sk(b.main.APISecret1), map[string]any{"token": v.Token})
	b.staleVerify = v.Token
	b.ok("POST", "/alias", b.sk(b.main.APISecret1), `{"userId":"u1","aliases":["u1@example.com"]}`)
	b.ok("POST", "/auth-configs/add", b.sk(b.main.APISecret1), `{"purpose":"bi-existing","performedBy":"bi"}`)

	// Tokens of every kind from the other app.
	b.otherTokens = map[string]string{}
	var rt struct{ Token string }
	mustDecode(b.t, b.ok("POST", "/register/token", b.sk(b.other.APISecret1), map[string]any{"userId": "o1", "username": "o"}), &rt)
	b.otherTokens["register"] = rt.Token
	rb := b.registerBody(b.other, "o2", nil)
	b.otherTokens["register session"] = string(rb["session"].(string))
	var begin beginResponse
	mustDecode(b.t, b.ok("POST", "/signin/begin", b.pk(b.other.APIKey1), clientBody(nil)), &begin)
	b.otherTokens["signin session"] = begin.Session
	var gt struct{ Token string }
	mustDecode(b.t, b.ok("POST", "/signin/generate-token", b.sk(b.other.APISecret1), `{"userId":"o1"}`), &gt)
	b.otherTokens["verify"] = gt.Token
	mustDecode(b.t, b.ok("POST", "/register/token", b.sk(b.main.APISecret1), map[string]any{"userId": "bi-begin", "username": "b"}), &rt)
	b.registerTokenOK = rt.Token
	b.rebase()
}

func (b *badInput) createApp(id string) apps.CreateResponse {
	var res apps.CreateResponse
	mustDecode(b.t, b.ok("POST", "/admin/apps/"+id+"/create", mgmt(), map[string]any{"adminEmail": "admin@example.com"}), &res)
	return res
}

func (b *badInput) pk(v string) http.Header { return http.Header{"Apikey": {v}} }
func (b *badInput) sk(v string) http.Header { return http.Header{"Apisecret": {v}} }

func mustDecode(t testing.TB, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

func jsonBody(body any) []byte {
	switch v := body.(type) {
	case nil:
		return nil
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	j, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return j
}

// serve runs one request in-process.
// ok is false if the target cannot even be parsed as a request line.
func (b *badInput) serve(method, target string, hdr http.Header, body []byte) (rec *httptest.ResponseRecorder, panicked any, ok bool) {
	if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: example.com\r\n\r\n"))); err != nil {
		return nil, nil, false
	}
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	rec = httptest.NewRecorder()
	func() {
		defer func() { panicked = recover() }()
		b.h.ServeHTTP(rec, req)
	}()
	return rec, panicked, true
}

// ok sends a setup request that must succeed and returns its body.
func (b *badInput) ok(method, path string, hdr http.Header, body any) []byte {
	b.t.Helper()
	raw := jsonBody(body)
	if raw != nil {
		hdr = hdr.Clone()
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/json")
		}
	}
	rec, p, _ := b.serve(method, path, hdr, raw)
	if rec == nil || p != nil || rec.Code >= 300 {
		b.t.Fatalf("setup %s %s: status %d, panic %v, body %s", method, path, rec.Code, p, rec.Body.Bytes())
	}
	b.rebase()
	return rec.Body.Bytes()
}

// registerBody runs /register/token and /register/begin for userID on app
// and returns the /register/complete body the authenticator produces.
func (b *badInput) registerBody(app apps.CreateResponse, userID string, opts []softauthn.CreateOption) map[string]any {
	if userID != "u1" {
		b.users++
		userID = fmt.Sprintf("%s-%d", userID, b.users)
	}
	var rt struct{ Token string }
	mustDecode(b.t, b.ok("POST", "/register/token", b.sk(app.APISecret1), map[string]any{"userId": userID, "username": "user"}), &rt)
	var begin beginResponse
	mustDecode(b.t, b.ok("POST", "/register/begin", b.pk(app.APIKey1), clientBody(map[string]any{"token": rt.Token})), &begin)
	a := b.authn
	if userID != "u1" {
		a = softauthn.New()
	}
	resp, _, err := a.Create(begin.Data, testOrigin, opts...)
	if err != nil {
		b.t.Fatal(err)
	}
	return clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp), "nickname": "laptop"})
}

// signinBody begins a sign-in for u1 on the main app and returns the
// /signin/complete body.
func (b *badInput) signinBody() map[string]any {
	var begin beginResponse
	mustDecode(b.t, b.ok("POST", "/signin/begin", b.pk(b.main.APIKey1), clientBody(map[string]any{"userId": "u1"})), &begin)
	resp, err := b.authn.Get(begin.Data, testOrigin)
	if err != nil {
		b.t.Fatal(err)
	}
	return clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})
}

// freshVerify mints an unused verify token for u1.
func (b *badInput) freshVerify() map[string]any {
	var gt struct{ Token string }
	mustDecode(b.t, b.ok("POST", "/signin/generate-token", b.sk(b.main.APISecret1), `{"userId":"u1"}`), &gt)
	return map[string]any{"token": gt.Token}
}

// Database watching.

func (b *badInput) dataVersion() int64 {
	if b.conn == nil {
		return 0
	}
	var v int64
	if err := b.conn.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
		b.t.Fatal(err)
	}
	return v
}

// watch installs triggers that log every row written to any table into
// bi_changes, except two kinds of rows a rejected request may add by
// design: rate-limit counters (a limit counts attempts, §11) and the audit
// events of rejected API keys (1003-1006, §2.4). The triggers run inside
// the store's own transactions, so a write that is rolled back leaves no
// log row either.
func watch(t testing.TB, path string) {
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(path),
		RawQuery: "_pragma=busy_timeout(5000)"}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE bi_changes (id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, op TEXT NOT NULL, row TEXT)"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('bi_changes', 'rate_limits')")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tb := range tables {
		var cols []string
		crow, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", tb)
		if err != nil {
			t.Fatal(err)
		}
		for crow.Next() {
			var n string
			crow.Scan(&n)
			cols = append(cols, n)
		}
		crow.Close()
		for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
			ref := "NEW"
			if op == "DELETE" {
				ref = "OLD"
			}
			var parts []string
			for _, c := range cols {
				parts = append(parts, "quote("+ref+"."+c+")")
			}
			when := ""
			if tb == "events" {
				when = " WHEN " + ref + ".type NOT IN (1003, 1004, 1005, 1006)"
			}
			q := fmt.Sprintf("CREATE TRIGGER bi_%s_%s AFTER %s ON %s%s BEGIN INSERT INTO bi_changes (tbl, op, row) VALUES ('%s', '%s', substr(%s, 1, 300)); END",
				tb, strings.ToLower(op), op, tb, when, tb, op, strings.Join(parts, " || ',' || "))
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// lastChange is the id of the newest change log row.
func (b *badInput) lastChange() int64 {
	if b.conn == nil {
		return 0
	}
	var v sql.NullInt64
	if err := b.conn.QueryRowContext(context.Background(), "SELECT max(id) FROM bi_changes").Scan(&v); err != nil {
		b.t.Fatal(err)
	}
	return v.Int64
}

// changesSince lists the logged changes after id.
func (b *badInput) changesSince(id int64) string {
	rows, err := b.conn.QueryContext(context.Background(), "SELECT tbl, op, row FROM bi_changes WHERE id > ? ORDER BY id LIMIT 5", id)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var tb, op string
		var row sql.NullString
		rows.Scan(&tb, &op, &row)
		out = append(out, fmt.Sprintf("%s %s %.200s", op, tb, row.String))
	}
	return strings.Join(out, "; ")
}

func (b *badInput) rebase() {
	b.dataV = b.dataVersion()
	b.changeID = b.lastChange()
}

func short(b []byte, n int) string {
	if len(b) > n {
		return fmt.Sprintf("%q…(%d bytes)", b[:n], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// send runs one probe and checks its answer and the database.
func (b *badInput) send(p probe) {
	b.t.Helper()
	key := p.method + " " + p.target + "\n" + fmt.Sprint(p.header) + "\n" + string(p.body)
	if b.sent[key] {
		return
	}
	b.sent[key] = true
	if _, ok := b.check(p); !ok {
		delete(b.sent, key)
	}
}

// check runs one probe and checks its answer and the database. It returns
// the status, and false if the request line could not be parsed (nothing
// was sent).
func (b *badInput) check(p probe) (int, bool) {
	b.t.Helper()
	rec, panicked, ok := b.serve(p.method, p.target, p.header, p.body)
	if !ok {
		return 0, false
	}
	status := rec.Code
	res := rec.Body.Bytes()
	fail := func(format string, args ...any) {
		b.t.Helper()
		b.errors++
		if b.errors > 60 {
			return
		}
		b.t.Errorf("%s: %s\n  request: %s %.300q\n  headers: %.400q\n  body: %s\n  answer: %d %q %s",
			p.name, fmt.Sprintf(format, args...), p.method, p.target, fmt.Sprint(p.header), short(p.body, 300),
			status, rec.Header().Get("Content-Type"), short(res, 400))
	}
	rejected := true
	switch {
	case panicked != nil:
		fail("handler panicked: %v", panicked)
	case status >= 500:
		fail("server error")
	case status >= 400:
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			fail("Content-Type %q, want application/problem+json", ct)
		}
		if rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			fail("missing CORS or security headers: %v", rec.Header())
		}
		var doc map[string]any
		if err := json.Unmarshal(res, &doc); err != nil {
			fail("problem body is not a JSON object: %v", err)
		} else if doc["status"] != float64(status) {
			fail("problem status member %v", doc["status"])
		} else if _, ok := doc["title"].(string); !ok {
			fail("problem without a title")
		}
	case status >= 200 && status < 300:
		rejected = false
		if p.pass == "" {
			fail("accepted a request that should have been rejected")
		} else {
			b.passed[p.pass]++
		}
	default:
		fail("unexpected status")
	}
	if v := b.dataVersion(); v != b.dataV {
		b.dataV = v
		if id := b.lastChange(); id != b.changeID {
			if rejected {
				fail("the database changed after a rejected request: %s", b.changesSince(b.changeID))
			}
			b.changeID = id
		}
	}
	return status, true
}

// The route table.

// Member kinds: they decide which mutations a route may accept.
const (
	kStr    = iota // optional wire.String
	kReqStr        // required string
	kEnum          // optional string with a closed set of values
	kToken         // a token or origin: only the exact value works
	kBool          // bool or *bool: strict JSON booleans
	kInt           // wire.Int
	kStrs          // []wire.String: items coerced like strings
	kStrictStrs
	kTime
	kRaw // json.RawMessage: the service decides
)

type member struct {
	name  string
	kind  int
	valid string // JSON text
	max   int    // for strings: longer values must be rejected (0: no limit)
}

type route struct {
	method, path string
	auth         string // "pk", "sk", "mk" or "" (anonymous)
	scope        string // "register", "login", "token_register", "token_verify"
	members      []member
	optional     bool // the body may be absent
	pass         bool // the base request succeeds
	query        string
	readOnly     bool
	fresh        func() map[string]any // a new valid body per probe (single-use sessions and tokens)
}

func (r route) body() bool { return r.members != nil || r.fresh != nil }

func str(s string) string { j, _ := json.Marshal(s); return string(j) }

func (b *badInput) routes() []route {
	// At begin the origin only has to be present: with an RP ID it is not
	// used otherwise (the completing request's origin is checked, §4).
	origin := []member{{"origin", kReqStr, str(testOrigin), 0}, {"rpid", kStr, str(testRPID), 0}}
	return []route{
		{method: "POST", path: "/register/begin", auth: "pk", scope: "register", pass: true,
			members: append([]member{{"token", kToken, str(b.registerTokenOK), 0}}, origin...)},
		{method: "POST", path: "/register/complete", auth: "pk", scope: "register", pass: true,
			fresh: func() map[string]any { return b.registerBody(b.main, "bi-reg", nil) }},
		{method: "POST", path: "/signin/begin", auth: "pk", scope: "login", pass: true,
			members: append([]member{{"userId", kStr, `"u1"`, 0}, {"alias", kStr, `""`, 0}, {"purpose", kStr, `"sign-in"`, 0}}, origin...)},
		{method: "POST", path: "/signin/complete", auth: "pk", scope: "login", pass: true, fresh: b.signinBody},

		{method: "POST", path: "/register/token", auth: "sk", scope: "token_register", pass: true, members: []member{
			{"userId", kReqStr, `"bi-user"`, 64}, {"username", kReqStr, `"alice"`, 0}, {"displayName", kStr, `"Alice"`, 0},
			{"attestation", kEnum, `"none"`, 0}, {"authenticatorType", kEnum, `"any"`, 0}, {"discoverable", kBool, `true`, 0},
			{"userVerification", kEnum, `"preferred"`, 0}, {"aliases", kStrs, `["bi@example.com"]`, 0}, {"aliasHashing", kBool, `false`, 0},
			{"hints", kStrs, `["client-device"]`, 0}, {"expiresAt", kTime, `"2099-01-01T00:00:00Z"`, 0}, {"tokenId", kStr, `"t1"`, 0},
			{"type", kStr, `"x"`, 0}}},
		{method: "POST", path: "/signin/verify", auth: "sk", scope: "token_verify", pass: true, fresh: b.freshVerify},
		{method: "POST", path: "/signin/generate-token", auth: "sk", scope: "token_verify", pass: true, members: []member{
			{"userId", kReqStr, `"u1"`, 0}, {"timeToLive", kInt, `120`, 0}, {"purpose", kStr, `"sign-in"`, 0}}},
		{method: "POST", path: "/alias", auth: "sk", pass: true, members: []member{
			{"userId", kReqStr, `"bi-alias"`, 64}, {"aliases", kStrs, `["bi-alias@example.com"]`, 0}, {"hashing", kBool, `false`, 0}}},
		{method: "GET", path: "/alias/list", auth: "sk", pass: true, readOnly: true, query: "userId=u1"},
		{method: "GET", path: "/credentials/list", auth: "sk", pass: true, readOnly: true, query: "userId=u1"},
		{method: "POST", path: "/credentials/list", auth: "sk", pass: true, members: []member{{"userId", kReqStr, `"u1"`, 0}}},
		{method: "POST", path: "/credentials/delete", auth: "sk", pass: true, members: []member{{"credentialId", kReqStr, `"AAECAwQFBgcICQ"`, 0}}},
		{method: "GET", path: "/users/list", auth: "sk", pass: true, readOnly: true},
		{method: "GET", path: "/users/count", auth: "sk", pass: true, readOnly: true},
		{method: "POST", path: "/users/delete", auth: "sk", pass: true, members: []member{{"userId", kReqStr, `"bi-nobody"`, 0}}},
		{method: "GET", path: "/auth-configs/list", auth: "sk", pass: true, readOnly: true, query: "purpose=sign-in"},
		{method: "POST", path: "/auth-configs/add", auth: "sk", pass: true, members: []member{
			{"purpose", kReqStr, `"bi-purpose"`, 0}, {"userVerificationRequirement", kEnum, `"preferred"`, 0},
			{"timeToLive", kRaw, `"00:02:00"`, 0}, {"hints", kStrs, `["security-key"]`, 0}, {"performedBy", kReqStr, `"bi"`, 0}}},
		{method: "POST", path: "/auth-configs", auth: "sk", pass: true, members: []member{
			{"purpose", kReqStr, `"bi-existing"`, 0}, {"userVerificationRequirement", kEnum, `"preferred"`, 0},
			{"timeToLive", kRaw, `"00:02:00"`, 0}, {"hints", kStrs, `[]`, 0}, {"performedBy", kReqStr, `"bi"`, 0}}},
		// Lenient mutations of /auth-configs/add above store purposes such
		// as "1" or "True", which this route may then delete.
		{method: "POST", path: "/auth-configs/delete", auth: "sk", pass: true, members: []member{
			{"purpose", kReqStr, `"bi-absent"`, 0}, {"performedBy", kReqStr, `"bi"`, 0}}},
		{method: "GET", path: "/events", auth: "sk", pass: true, readOnly: true, query: "pageNumber=1&numberOfResults=10"},
		{method: "POST", path: "/apps/features", auth: "sk", pass: true, members: []member{
			{"performedBy", kStr, `"bi"`, 0}, {"eventLoggingRetentionPeriod", kInt, `30`, 0},
			{"enableManuallyGeneratedAuthenticationTokens", kBool, `true`, 0}, {"enableMagicLinks", kBool, `true`, 0}}},
		{method: "POST", path: "/magic-links/send", auth: "sk", pass: true, members: []member{
			{"emailAddress", kReqStr, `"admin@example.com"`, 0}, {"urlTemplate", kReqStr, `"https://example.com/?t=$TOKEN"`, 0},
			{"userId", kReqStr, `"u1"`, 64}, {"timeToLive", kInt, `600`, 0}}},
		{method: "GET", path: "/reporting/credentials/periodic", auth: "sk", pass: true, readOnly: true, query: "from=2024-01-01&to=2024-12-31"},
		{method: "GET", path: "/reporting/active-users/periodic", auth: "sk", pass: true, readOnly: true, query: "from=2024-01-01&to=2024-12-31"},
		{method: "GET", path: "/authenticators/list", auth: "sk", pass: true, readOnly: true, query: "isAllowed=true"},
		{method: "POST", path: "/authenticators/add", auth: "sk", members: []member{
			{"aaGuids", kStrictStrs, `["00000000-0000-0000-0000-0000000000bb"]`, 0}, {"isAllowed", kBool, `true`, 0}}},
		{method: "POST", path: "/authenticators/remove", auth: "sk", pass: true, members: []member{
			{"aaGuids", kStrictStrs, `["00000000-0000-0000-0000-0000000000bb"]`, 0}}},

		{method: "GET", path: "/admin/apps/" + biMgmtApp + "/available", auth: "mk", pass: true, readOnly: true},
		{method: "POST", path: "/admin/apps/" + biMgmtApp + "/create", auth: "mk", optional: true, members: []member{
			{"adminEmail", kStr, `"a@example.com"`, 0}, {"eventLoggingIsEnabled", kBool, `true`, 0},
			{"eventLoggingRetentionPeriod", kInt, `30`, 0}, {"magicLinkEmailMonthlyQuota", kInt, `10`, 0},
			{"maxUsers", kInt, `10`, 0}, {"allowAttestation", kBool, `false`, 0}}},
		{method: "GET", path: "/admin/apps/" + biMgmtApp + "/features", auth: "mk", pass: true, readOnly: true},
		{method: "POST", path: "/admin/apps/" + biMgmtApp + "/features", auth: "mk", pass: true, members: []member{
			{"eventLoggingIsEnabled", kBool, `true`, 0}, {"eventLoggingRetentionPeriod", kInt, `30`, 0},
			{"magicLinkEmailMonthlyQuota", kInt, `10`, 0}, {"maxUsers", kInt, `10`, 0}, {"allowAttestation", kBool, `false`, 0},
			{"allowedOrigins", kStrictStrs, `["https://example.com"]`, 0}, {"allowedRpIds", kStrictStrs, `["example.com"]`, 0}}},
		{method: "POST", path: "/admin/apps/" + biNoApp + "/freeze", auth: "mk", pass: true},
		{method: "POST", path: "/admin/apps/" + biNoApp + "/unfreeze", auth: "mk", pass: true},
		{method: "POST", path: "/admin/apps/" + biNoApp + "/public-keys", auth: "mk", optional: true, members: []member{{"scopes", kInt, `[0]`, 0}}},
		{method: "POST", path: "/admin/apps/" + biNoApp + "/secret-keys", auth: "mk", optional: true, members: []member{{"scopes", kInt, `[0,1]`, 0}}},
		{method: "GET", path: "/admin/apps/" + biMgmtApp + "/api-keys", auth: "mk", pass: true, readOnly: true},
		{method: "POST", path: "/admin/apps/" + biMgmtApp + "/api-keys/zzzz/lock", auth: "mk"},
		{method: "POST", path: "/admin/apps/" + biMgmtApp + "/api-keys/zzzz/unlock", auth: "mk"},
		{method: "DELETE", path: "/admin/apps/" + biMgmtApp + "/api-keys/zzzz", auth: "mk"},
		{method: "GET", path: "/admin/apps/" + biMgmtApp + "/can-delete-immediately", auth: "mk", pass: true, readOnly: true},
		{method: "POST", path: "/admin/apps/" + biNoApp + "/mark-delete", auth: "mk", optional: true, members: []member{{"deletedBy", kStr, `"bi"`, 0}}},
		{method: "POST", path: "/admin/apps/" + biNoApp + "/cancel-delete", auth: "mk"},
		{method: "DELETE", path: "/admin/apps/" + biNoApp, auth: "mk"},
		{method: "GET", path: "/apps/list-pending-deletion", auth: "mk", pass: true, readOnly: true},
		{method: "GET", path: "/mds/attestation-types", auth: "mk", pass: true, readOnly: true},
		{method: "GET", path: "/mds/certification-statuses", auth: "mk", pass: true, readOnly: true},
		{method: "GET", path: "/mds/entries", auth: "mk", pass: true, readOnly: true, query: "attestationTypes=basic_full"},

		{method: "GET", path: "/health/http", pass: true, readOnly: true},
		{method: "GET", path: "/health/storage", pass: true, readOnly: true},
		{method: "GET", path: "/health/version", pass: true, readOnly: true},
		{method: "GET", path: "/health/throw/api", readOnly: true},
	}
}

// Probe construction.

// validHeader is the working authentication header of a route.
func (b *badInput) validHeader(r route) http.Header {
	switch r.auth {
	case "pk":
		return b.pk(b.main.APIKey1)
	case "sk":
		return b.sk(b.main.APISecret1)
	case "mk":
		return mgmt()
	}
	return http.Header{}
}

func withJSON(h http.Header) http.Header {
	h = h.Clone()
	h.Set("Content-Type", "application/json")
	return h
}

// baseBody is the route's valid body as JSON text, members in order.
func (b *badInput) baseBody(r route, fresh bool) ([]member, map[string]string) {
	vals := map[string]string{}
	if r.fresh != nil {
		var m map[string]any
		if fresh {
			m = r.fresh()
		} else {
			m = b.staticBodies[r.path]
			if m == nil {
				m = r.fresh()
				b.staticBodies[r.path] = m
			}
		}
		var ms []member
		for k, v := range m {
			j, _ := json.Marshal(v)
			vals[k] = string(j)
			kind, maxLen := kStr, 0
			switch k {
			case "session", "token", "Origin", "response":
				kind = kToken
			case "nickname":
				maxLen = 64
			}
			ms = append(ms, member{name: k, kind: kind, valid: string(j), max: maxLen})
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].name < ms[j].name })
		return ms, vals
	}
	for _, m := range r.members {
		vals[m.name] = m.valid
	}
	return r.members, vals
}

// encode writes members in order; a value of "\x00drop" omits the member
// and extra members are appended raw.
func encode(ms []member, vals map[string]string, extra string) []byte {
	var parts []string
	for _, m := range ms {
		v, ok := vals[m.name]
		if !ok {
			continue
		}
		parts = append(parts, str(m.name)+":"+v)
	}
	if extra != "" {
		parts = append(parts, extra)
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

func (b *badInput) target(r route, query string) string {
	if query == "" {
		return r.path
	}
	return r.path + "?" + query
}

// baseProbe is the route's valid request.
func (b *badInput) baseProbe(r route, name string, fresh bool) probe {
	p := probe{name: name, method: r.method, target: b.target(r, r.query), header: b.validHeader(r)}
	if r.body() {
		ms, vals := b.baseBody(r, fresh)
		p.body = encode(ms, vals, "")
		p.header = withJSON(p.header)
	}
	if r.pass {
		p.pass = "the valid request"
	}
	return p
}

func flipLast(s string) string {
	if s == "" {
		return "x"
	}
	c := s[len(s)-1]
	n := byte('a')
	if c == 'a' {
		n = 'b'
	}
	return s[:len(s)-1] + string(n)
}

func flipMiddle(s string) string {
	if len(s) < 2 {
		return s + "x"
	}
	i := len(s) / 2
	c := s[i]
	n := byte('A')
	if c == 'A' {
		n = 'B'
	}
	return s[:i] + string(n) + s[i+1:]
}

// authVariants are broken authentication headers for a scheme.
func (b *badInput) authVariants(r route) map[string]http.Header {
	out := map[string]http.Header{}
	add := func(name, header string, values ...string) {
		out[name] = http.Header{http.CanonicalHeaderKey(header): values}
	}
	var hdr, valid, otherHdr, otherValid string
	switch r.auth {
	case "pk":
		hdr, valid, otherHdr, otherValid = "ApiKey", b.main.APIKey1, "ApiSecret", b.main.APISecret1
	case "sk":
		hdr, valid, otherHdr, otherValid = "ApiSecret", b.main.APISecret1, "ApiKey", b.main.APIKey1
	case "mk":
		hdr, valid, otherHdr, otherValid = "ManagementKey", testManagementKey, "ApiSecret", b.main.APISecret1
	default:
		return out
	}
	out["no header"] = http.Header{}
	add("empty value", hdr, "")
	add("other scheme", otherHdr, otherValid)
	add("other scheme's value", hdr, otherValid)
	add("truncated", hdr, valid[:len(valid)-1])
	add("half", hdr, valid[:len(valid)/2])
	add("last char changed", hdr, flipLast(valid))
	add("middle char changed", hdr, flipMiddle(valid))
	add("upper case", hdr, strings.ToUpper(valid))
	add("NUL appended", hdr, valid+"\x00")
	add("invalid UTF-8", hdr, "\xff\xfe"+valid)
	add("10 KB", hdr, strings.Repeat("a", 10<<10))
	add("first of two values wrong", hdr, flipLast(valid), valid)
	add("Authorization instead", "Authorization", "Bearer "+valid)
	add("verify token", hdr, b.staleVerify)
	add("register token", hdr, b.registerTokenOK)
	if r.auth == "mk" {
		add("app secret", hdr, b.main.APISecret1)
		add("with spaces", hdr, " "+valid+" ")
		return out
	}
	kind := map[string]string{"pk": "public", "sk": "secret"}[r.auth]
	otherApp := b.other.APIKey1
	if r.auth == "sk" {
		otherApp = b.other.APISecret1
	}
	suffix := otherApp[strings.LastIndex(otherApp, ":")+1:]
	add("other app's key under this app id", hdr, "testapp:"+kind+":"+suffix)
	add("this key under the other app id", hdr, biOtherApp+valid[strings.Index(valid, ":"):])
	add("unknown app", hdr, biNoApp+":"+kind+":0123456789abcdef0123456789abcdef")
	add("no colon", hdr, strings.ReplaceAll(valid, ":", ""))
	add("colon only", hdr, ":")
	add("three chars", hdr, "abc")
	add("management key", hdr, testManagementKey)
	if r.auth == "pk" {
		add("locked key", hdr, b.lockedPublic)
		if r.scope == "login" {
			add("key without the scope", hdr, b.registerOnlyPub)
		}
	} else {
		add("locked key", hdr, b.lockedSecret)
		if r.scope == "token_verify" {
			add("key without the scope", hdr, b.regOnlySec)
		}
	}
	return out
}

var contentTypes = []struct {
	value string
	ok    bool
}{
	{"", false}, {"text/plain", false}, {"text/json", false}, {"application/x-www-form-urlencoded", false},
	{"multipart/form-data; boundary=x", false}, {"application/xml", false}, {"application/jsonx", false},
	{"application/json, text/plain", false}, {"application/json; =x", false}, {"json", false}, {"*/*", false},
	{"application/json\x00", false},
	{"application/json; charset=utf-8", true}, {"Application/JSON", true}, {"application/vnd.api+json", true},
	{"application/json;charset=UTF-8;foo=bar", true}, {"application/problem+json", true},
}

// genericBodies are whole-body mutations, each with whether a route whose
// valid request passes may accept it.
func genericBodies() []struct {
	name string
	body []byte
	pass string
} {
	type g = struct {
		name string
		body []byte
		pass string
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	deepObj := strings.Repeat(`{"a":`, 12000) + "1" + strings.Repeat("}", 12000)
	return []g{
		{"whitespace only", []byte(" \n\t "), ""},
		{"array", []byte(`[]`), ""},
		{"array of object", []byte(`[{}]`), ""},
		{"string", []byte(`"x"`), ""},
		{"number", []byte(`1`), ""},
		{"boolean", []byte(`true`), ""},
		{"open brace", []byte(`{`), ""},
		{"unterminated member", []byte(`{"a"`), ""},
		{"missing value", []byte(`{"a":}`), ""},
		{"trailing comma", []byte(`{"a":1,}`), ""},
		{"single quotes", []byte(`{'a':1}`), ""},
		{"bare key", []byte(`{a:1}`), ""},
		{"extra close", []byte(`{}}`), ""},
		{"two values", []byte(`{} {}`), ""},
		{"trailing garbage", []byte(`{}x`), ""},
		{"comment", []byte(`/*c*/{}`), ""},
		{"BOM", []byte("\xef\xbb\xbf{}"), ""},
		{"NaN", []byte(`{"a":NaN}`), ""},
		{"raw NUL", []byte("{\x00}"), ""},
		{"invalid UTF-8 outside strings", []byte("{\xff}"), ""},
		{"UTF-16", []byte("{\x00\"\x00a\x00\"\x00:\x001\x00}\x00"), ""},
		{"deeply nested arrays", []byte(deep), ""},
		{"deeply nested objects", []byte(deepObj), ""},
		{"huge string (> 1 MiB)", []byte(`{"x":"` + strings.Repeat("a", 1<<20) + `"}`), ""},
		{"huge whitespace (> 1 MiB)", append(bytes.Repeat([]byte(" "), 1<<20), "{}"...), ""},
		{"huge number", []byte(`{"x":` + strings.Repeat("9", 1<<20+10) + `}`), ""},
		{"form encoded", []byte(`userId=u1&username=a`), ""},
	}
}

// memberMutations returns the mutations of one member: JSON text (or
// "\x00drop" to omit it) and whether the route may still accept it.
func memberMutations(m member) []struct {
	name, raw string
	ok        bool
	pass      string
} {
	type mu = struct {
		name, raw string
		ok        bool
		pass      string
	}
	long := func(n int) string { return `"` + strings.Repeat("x", n) + `"` }
	isStrKind := m.kind == kStr || m.kind == kReqStr || m.kind == kEnum || m.kind == kToken
	var out []mu
	add := func(name, raw string, ok bool, pass string) { out = append(out, mu{name, raw, ok, pass}) }
	optionalOK := m.kind != kReqStr && m.kind != kToken
	add("missing", "\x00drop", optionalOK, passOptional)
	add("null", `null`, optionalOK, passOptional)
	for _, v := range []string{`1`, `-1`, `1.5`, `1e400`, `true`, `false`, `[]`, `["x"]`, `{}`, `{"a":1}`} {
		ok := false
		switch m.kind {
		case kStr, kReqStr, kRaw:
			ok = true // any scalar or raw text becomes the string
		case kBool:
			ok = v == `true` || v == `false`
		case kInt:
			ok = v == `1` || v == `-1`
		case kStrs:
			ok = v == `[]` || v == `["x"]`
		case kStrictStrs:
			ok = v == `[]` || v == `["x"]`
		}
		add("type "+v, v, ok, passLenient)
	}
	add("empty string", `""`, m.kind == kStr || m.kind == kEnum || m.kind == kRaw, passOptional)
	add("blank string", `"  "`, m.kind == kStr || m.kind == kRaw || m.kind == kReqStr, passLenient)
	add("numeric string", `"12"`, m.kind == kStr || m.kind == kReqStr || m.kind == kInt || m.kind == kRaw, passLenient)
	add("NUL in string", `"a\u0000b"`, false, "") // refused on every store: PostgreSQL cannot hold it
	add("invalid UTF-8 in string", "\"a\xff\xfeb\"", m.kind == kStr || m.kind == kReqStr || m.kind == kRaw, passUTF8)
	add("lone surrogate", `"\ud800"`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw, passUTF8)
	add("65 bytes", long(65), (isStrKind || m.kind == kRaw) && m.kind != kEnum && m.kind != kToken && (m.max == 0 || m.max >= 65), passLenient)
	add("251 chars", long(251), (isStrKind || m.kind == kRaw) && m.kind != kEnum && m.kind != kToken && m.max == 0, passLenient)
	add("100 KB", long(100<<10), (isStrKind || m.kind == kRaw) && m.kind != kEnum && m.kind != kToken && m.max == 0, passLenient)
	add("array of numbers", `[1,2]`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw || m.kind == kStrs, passLenient)
	add("array with null", `[null]`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw || m.kind == kStrs, passLenient)
	add("array with 251-char item", `[`+long(251)+`]`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw || m.kind == kStrictStrs, passLenient)
	add("5000 equal items", `[`+strings.TrimSuffix(strings.Repeat(`"a@example.com",`, 5000), ",")+`]`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw || m.kind == kStrs, passLenient)
	var distinct []string
	for i := range 5000 {
		distinct = append(distinct, fmt.Sprintf(`"a%d@example.com"`, i))
	}
	add("5000 distinct items", `[`+strings.Join(distinct, ",")+`]`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw, passLenient)
	add("nested arrays", `[[["x"]]]`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw || m.kind == kStrs, passLenient)
	add("date string", `"2024-01-01T00:00:00Z"`, m.kind == kStr || m.kind == kReqStr || m.kind == kRaw || m.kind == kTime, passLenient)
	add("duplicate member, second a number", m.valid+`,`+str(m.name)+`:7`, m.kind == kStr || m.kind == kReqStr || m.kind == kInt || m.kind == kRaw, passLenient)
	return out
}

func TestBadInputMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("long matrix")
	}
	runMatrix(t, newBadInput(t))
}

// TestBadInputMatrixPostgres sends the same requests to a server on
// PostgreSQL, which refuses some text SQLite takes (NULs, bytes that are
// not UTF-8, index rows over 2704 bytes): every answer must still be the
// same 4xx problem or documented success.
func TestBadInputMatrixPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("long matrix")
	}
	runMatrix(t, newBadInputOn(t, teststores.Postgres(t), nil))
}

func runMatrix(t *testing.T, b *badInput) {
	start := time.Now()
	routes := b.routes()

	// Every route of the table exists, and the table covers routes.go.
	for _, r := range routes {
		p := b.baseProbe(r, "valid request", true)
		if !r.pass {
			p.pass = ""
		}
		b.send(p)
	}

	allMethods := []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "get"}
	allowed := map[string][]string{}
	for _, r := range routes {
		allowed[r.path] = append(allowed[r.path], r.method)
	}
	for _, r := range routes {
		// Wrong methods, with and without authentication.
		for _, m := range allMethods {
			if slices.Contains(allowed[r.path], m) {
				continue
			}
			p := b.baseProbe(r, "wrong method "+m, false)
			p.method, p.pass = m, ""
			b.send(p)
			p.header = http.Header{}
			b.send(p)
		}
		// CORS preflight is a documented success on every path.
		b.send(probe{name: "preflight", method: "OPTIONS", target: r.path, pass: passPreflight,
			header: http.Header{"Access-Control-Request-Method": {r.method}, "Origin": {"https://evil.example"}}})

		// Broken authentication.
		for name, h := range b.authVariants(r) {
			p := b.baseProbe(r, "auth: "+name, false)
			if r.body() {
				h = withJSON(h)
			}
			p.header, p.pass = h, ""
			b.send(p)
		}

		// Paths.
		for _, v := range []struct{ suffix, pass string }{{"/", passPath}, {"/extra", ""}, {"/%00", ""}, {"/..", ""}, {"/./", ""}, {"//x", ""},
			{"%20", ""}, {"/%ff%fe", ""}, {";x=1", ""}, {"/" + strings.Repeat("a", 5000), ""}} {
			p := b.baseProbe(r, "path "+v.suffix, v.pass != "" && r.pass)
			p.target = strings.Replace(p.target, r.path, r.path+v.suffix, 1)
			if v.pass == "" || !r.pass {
				p.pass = ""
			} else {
				p.pass = v.pass
			}
			b.send(p)
		}
		p := b.baseProbe(r, "upper-case path", r.pass)
		p.target = strings.Replace(p.target, r.path, strings.ToUpper(r.path), 1)
		if r.pass {
			p.pass = passPath
		}
		b.send(p)

		if r.readOnly {
			b.queries(r)
			if r.method == "GET" && r.pass {
				p := b.baseProbe(r, "body on GET", false)
				p.body, p.header, p.pass = []byte(`{"userId":1`), withJSON(p.header), passBodyIgnored
				b.send(p)
			}
			continue
		}
		if !r.body() {
			p := b.baseProbe(r, "unexpected body", false)
			p.body, p.header = []byte(`{"x":`), withJSON(p.header)
			b.send(p)
			for _, q := range []string{"appId=testapp", "x=%zz", strings.Repeat("a=1&", 2000)} {
				p := b.baseProbe(r, "query on a mutating route", false)
				p.target += "?" + q
				b.send(p)
			}
			continue
		}
		b.bodies(r)
	}
	b.ceremonyBlobs()
	b.tokens()

	t.Logf("%d distinct requests in %v", len(b.sent), time.Since(start).Round(time.Millisecond))
	reasons := make([]string, 0, len(b.passed))
	for k := range b.passed {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	for _, k := range reasons {
		t.Logf("documented success x%d: %s", b.passed[k], k)
	}
	if len(b.sent) < 1000 {
		t.Fatalf("only %d distinct requests", len(b.sent))
	}
	if b.errors > 60 {
		t.Fatalf("%d failures in all (first 60 shown)", b.errors)
	}
}

// queries probes the query strings of a read-only GET route.
func (b *badInput) queries(r route) {
	name, _, _ := strings.Cut(r.query, "=")
	if name == "" {
		name = "x"
	}
	for _, q := range []string{
		"", name + "=", name, name + "=%zz", name + "=%", name + "=%00", name + "=%ff%fe", "%zz=1", "=", "&&&", "?",
		name + "=a&" + name + "=b", strings.ToLower(name) + "=a&" + strings.ToUpper(name) + "=b", name + "=" + strings.Repeat("a", 100<<10),
		name + "=1;x=2", name + "=" + url.QueryEscape("\x00\u202e"), strings.Repeat("x=1&", 5000), r.query + "&" + r.query,
		name + "=-1", name + "=0", name + "=99999999999999999999", name + "=1e3", name + "=0x10", name + "=%201", name + "=TRUE", name + "=maybe",
		"from=2024-13-45", "from=0000-01-01&to=9999-12-31", "from=2024-12-31&to=2024-01-01", "to=2024-01-01T00:00:00Z",
		"pageNumber=1&numberOfResults=0", "pageNumber=1&numberOfResults=-5", "pageNumber=1&numberOfResults=1000000",
		"pageNumber=1&numberOfResults=99999999999999999999", "pageNumber=2147483648&numberOfResults=2147483647",
		"pageNumber=-2147483648", "pageNumber=9223372036854775807&numberOfResults=9223372036854775807",
		"isAllowed=1", "isAllowed=", "purpose=" + strings.Repeat("p", 300), "purpose=%00",
		"attestationTypes=" + strings.Repeat("basic_full&attestationTypes=x", 500), "certificationStatuses=%ff",
	} {
		p := b.baseProbe(r, "query "+short([]byte(q), 40), false)
		p.target = r.path
		if q != "" {
			p.target += "?" + q
		}
		if _, err := url.ParseRequestURI(p.target); err != nil {
			continue
		}
		p.pass = passQuery
		b.send(p)
	}
}

// bodies probes the request body of a route.
func (b *badInput) bodies(r route) {
	hdr := b.validHeader(r)
	// Content types.
	for _, ct := range contentTypes {
		fresh := ct.ok && r.pass
		p := b.baseProbe(r, "Content-Type "+ct.value, fresh)
		p.header = hdr.Clone()
		if ct.value != "" {
			p.header.Set("Content-Type", ct.value)
		}
		p.pass = ""
		if fresh {
			p.pass = passContentType
		}
		b.send(p)
	}
	p := b.baseProbe(r, "two Content-Type values, first not JSON", false)
	p.header = hdr.Clone()
	p.header["Content-Type"] = []string{"text/plain", "application/json"}
	p.pass = ""
	b.send(p)

	// No body, with and without a content type.
	for _, h := range []http.Header{hdr, withJSON(hdr)} {
		pass := ""
		if r.optional && r.pass {
			pass = passOptional
		}
		b.send(probe{name: "no body", method: r.method, target: r.path, header: h, pass: pass})
		b.send(probe{name: "empty body", method: r.method, target: r.path, header: h, body: []byte{}, pass: pass})
	}
	for _, g := range genericBodies() {
		b.send(probe{name: "body: " + g.name, method: r.method, target: r.path, header: withJSON(hdr), body: g.body, pass: g.pass})
	}
	// null and {} are the zero request: fine where the valid request is.
	for _, z := range []string{`null`, `{}`, `{"unknownMember":1}`} {
		p := b.baseProbe(r, "zero request "+z, false)
		p.body = []byte(z)
		p.pass = ""
		if r.pass {
			p.pass = passOptional
		}
		if r.fresh != nil {
			p.pass = ""
		}
		b.send(p)
	}
	// The valid body padded to exactly the limit, and one byte over.
	for _, n := range []int{1 << 20, 1<<20 + 1} {
		p := b.baseProbe(r, fmt.Sprintf("valid body padded to %d bytes", n), n == 1<<20 && r.pass)
		p.body = append(p.body, bytes.Repeat([]byte(" "), n-len(p.body))...)
		if n == 1<<20 && r.pass {
			p.pass = passFullBody
		} else {
			p.pass = ""
		}
		b.send(p)
	}
	// Extra members and member-name case.
	for _, extra := range []string{`"extra":1`, `"extra":{"nested":[1,2,{"a":null}]}`, `"":null`, `"\u0000":"x"`} {
		fresh := r.pass
		ms, vals := b.baseBody(r, fresh)
		p := probe{name: "extra member " + extra, method: r.method, target: r.path, header: withJSON(hdr), body: encode(ms, vals, extra)}
		if fresh {
			p.pass = passLenient
		}
		b.send(p)
	}
	{
		ms, vals := b.baseBody(r, r.pass)
		upper := make([]member, len(ms))
		uvals := map[string]string{}
		for i, m := range ms {
			upper[i] = m
			upper[i].name = strings.ToUpper(m.name)
			uvals[upper[i].name] = vals[m.name]
		}
		p := probe{name: "upper-case member names", method: r.method, target: r.path, header: withJSON(hdr), body: encode(upper, uvals, "")}
		if r.pass {
			p.pass = passLenient
		}
		b.send(p)
	}

	// Member mutations.
	ms, _ := b.baseBody(r, false)
	for _, m := range ms {
		for _, mu := range memberMutations(m) {
			fresh := mu.ok && r.pass
			bms, vals := b.baseBody(r, fresh)
			if mu.raw == "\x00drop" {
				delete(vals, m.name)
			} else {
				vals[m.name] = mu.raw
			}
			p := probe{name: fmt.Sprintf("member %s: %s", m.name, mu.name), method: r.method, target: r.path, header: withJSON(hdr), body: encode(bms, vals, "")}
			if fresh {
				p.pass = mu.pass
			}
			b.send(p)
		}
	}
}

const passTokenPrefix = "the token prefix is matched case-insensitively (§3.1)"

// b64 flavours of the same bytes.
var b64Flavours = []struct {
	name string
	enc  *base64.Encoding
}{
	{"standard padded", base64.StdEncoding}, {"standard unpadded", base64.RawStdEncoding}, {"url padded", base64.URLEncoding},
}

// blobMutation changes a decoded WebAuthn response; it returns the probe
// name suffix and the documented success it may end in.
type blobMutation struct {
	name string
	pass string
	f    func(resp map[string]any)
}

func inner(resp map[string]any) map[string]any { return resp["response"].(map[string]any) }

func decodeB64URL(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		panic(err)
	}
	return b
}

// bytesMutations returns mutations of one base64url member of the inner
// response (or of the outer object when outer is set).
func bytesMutations(member string, outer bool, signed bool) []blobMutation {
	get := func(resp map[string]any) map[string]any {
		if outer {
			return resp
		}
		return inner(resp)
	}
	set := func(resp map[string]any, v any) { get(resp)[member] = v }
	raw := func(resp map[string]any) []byte { return decodeB64URL(get(resp)[member].(string)) }
	enc := base64.RawURLEncoding.EncodeToString
	flipPass := ""
	if !signed {
		flipPass = passUnsigned
	}
	var out []blobMutation
	add := func(name, pass string, f func(resp map[string]any)) {
		out = append(out, blobMutation{member + ": " + name, pass, f})
	}
	add("missing", "", func(r map[string]any) { delete(get(r), member) })
	add("null", "", func(r map[string]any) { set(r, nil) })
	add("empty", "", func(r map[string]any) { set(r, "") })
	add("number", "", func(r map[string]any) { set(r, 12) })
	add("array of bytes", "", func(r map[string]any) { set(r, []int{1, 2, 3}) })
	add("object", "", func(r map[string]any) { set(r, map[string]any{"a": 1}) })
	add("not base64", "", func(r map[string]any) { set(r, "!!!$$$") })
	add("base64 with a space", "", func(r map[string]any) { s := get(r)[member].(string); set(r, s[:4]+" "+s[4:]) })
	add("one byte", "", func(r map[string]any) { set(r, enc(raw(r)[:1])) })
	add("truncated by one byte", "", func(r map[string]any) { b := raw(r); set(r, enc(b[:len(b)-1])) })
	add("truncated to half", "", func(r map[string]any) { b := raw(r); set(r, enc(b[:len(b)/2])) })
	add("one byte appended", flipPass, func(r map[string]any) { set(r, enc(append(raw(r), 0))) })
	add("1 MiB of bytes", "", func(r map[string]any) { set(r, enc(make([]byte, 700<<10))) })
	for _, frac := range []int{0, 1, 2, 5, 10, 25, 33, 37, 50, 60, 75, 90, 99} {
		add(fmt.Sprintf("byte at %d%% flipped", frac), flipPass, func(r map[string]any) {
			b := append([]byte(nil), raw(r)...)
			i := len(b) * frac / 100
			if i >= len(b) {
				i = len(b) - 1
			}
			b[i] ^= 0x41
			set(r, enc(b))
		})
	}
	for _, fl := range b64Flavours {
		add("base64 "+fl.name, passBase64, func(r map[string]any) { set(r, fl.enc.EncodeToString(raw(r))) })
	}
	return out
}

// clientDataMutations rewrite the client data JSON.
func clientDataMutations() []blobMutation {
	var out []blobMutation
	edit := func(name string, f func(cd map[string]any)) {
		out = append(out, blobMutation{"clientDataJSON: " + name, "", func(r map[string]any) {
			var cd map[string]any
			if err := json.Unmarshal(decodeB64URL(inner(r)["clientDataJSON"].(string)), &cd); err != nil {
				panic(err)
			}
			f(cd)
			j, _ := json.Marshal(cd)
			inner(r)["clientDataJSON"] = base64.RawURLEncoding.EncodeToString(j)
		}})
	}
	edit("type swapped", func(cd map[string]any) {
		if cd["type"] == "webauthn.create" {
			cd["type"] = "webauthn.get"
		} else {
			cd["type"] = "webauthn.create"
		}
	})
	edit("type missing", func(cd map[string]any) { delete(cd, "type") })
	edit("challenge changed", func(cd map[string]any) { cd["challenge"] = flipMiddle(cd["challenge"].(string)) })
	edit("challenge missing", func(cd map[string]any) { delete(cd, "challenge") })
	edit("challenge a number", func(cd map[string]any) { cd["challenge"] = 1 })
	edit("challenge standard base64", func(cd map[string]any) {
		cd["challenge"] = base64.StdEncoding.EncodeToString(decodeB64URL(cd["challenge"].(string))) + "+/"
	})
	edit("origin of another site", func(cd map[string]any) { cd["origin"] = "https://evil.example" })
	out = append(out, blobMutation{"clientDataJSON: origin with a path", passOriginPath, func(r map[string]any) {
		var cd map[string]any
		json.Unmarshal(decodeB64URL(inner(r)["clientDataJSON"].(string)), &cd)
		cd["origin"] = testOrigin + "/x"
		j, _ := json.Marshal(cd)
		inner(r)["clientDataJSON"] = base64.RawURLEncoding.EncodeToString(j)
	}})
	edit("origin of another port", func(cd map[string]any) { cd["origin"] = testOrigin + ":8443" })
	edit("origin missing", func(cd map[string]any) { delete(cd, "origin") })
	edit("origin NUL", func(cd map[string]any) { cd["origin"] = testOrigin + "\x00" })
	edit("everything null", func(cd map[string]any) {
		for k := range cd {
			cd[k] = nil
		}
	})
	out = append(out, blobMutation{"clientDataJSON: not JSON", "", func(r map[string]any) {
		inner(r)["clientDataJSON"] = base64.RawURLEncoding.EncodeToString([]byte("not json"))
	}}, blobMutation{"clientDataJSON: invalid UTF-8", "", func(r map[string]any) {
		inner(r)["clientDataJSON"] = base64.RawURLEncoding.EncodeToString([]byte("{\"type\":\"\xff\"}"))
	}})
	return out
}

// shapeMutations change the structure of the PublicKeyCredential.
func shapeMutations(extraPass string) []blobMutation {
	set := func(k string, v any) func(map[string]any) { return func(r map[string]any) { r[k] = v } }
	return []blobMutation{
		{"type other", "", set("type", "public-key2")},
		{"type missing", "", func(r map[string]any) { delete(r, "type") }},
		{"type number", "", set("type", 1)},
		{"id differs from rawId", "", func(r map[string]any) { r["id"] = flipMiddle(r["id"].(string)) }},
		{"rawId differs from id", "", func(r map[string]any) { r["rawId"] = flipMiddle(r["rawId"].(string)) }},
		{"id and rawId missing", "", func(r map[string]any) { delete(r, "id"); delete(r, "rawId") }},
		{"response missing", "", func(r map[string]any) { delete(r, "response") }},
		{"response a string", "", set("response", "x")},
		{"response an array", "", set("response", []any{})},
		{"response empty", "", set("response", map[string]any{})},
		{"clientExtensionResults a string", extraPass, set("clientExtensionResults", "x")},
		{"clientExtensionResults credProps wrong", extraPass, set("clientExtensionResults", map[string]any{"credProps": map[string]any{"rk": "yes"}})},
		{"authenticatorAttachment junk", extraPass, set("authenticatorAttachment", "junk")},
		{"extra member", passLenient, set("extra", []any{1, nil})},
	}
}

// sendCeremony sends body with the response replaced by mutated JSON.
func (b *badInput) sendCeremony(path, name string, body map[string]any, mut blobMutation) {
	var resp map[string]any
	if err := json.Unmarshal(body["response"].(json.RawMessage), &resp); err != nil {
		b.t.Fatal(err)
	}
	mut.f(resp)
	body["response"] = resp
	b.send(probe{name: name + mut.name, method: "POST", target: path, header: withJSON(b.pk(b.main.APIKey1)), body: jsonBody(body), pass: mut.pass})
}

// ceremonyBlobs mutates valid /register/complete and /signin/complete
// bodies from real ceremonies, one fresh ceremony per probe.
func (b *badInput) ceremonyBlobs() {
	var reg []blobMutation
	reg = append(reg, bytesMutations("attestationObject", false, false)...)
	reg = append(reg, bytesMutations("clientDataJSON", false, false)...) // hashed into no signature with 'none'
	reg = append(reg, bytesMutations("rawId", true, true)...)
	reg = append(reg, clientDataMutations()...)
	reg = append(reg, shapeMutations(passLenient)...)
	reg = append(reg,
		blobMutation{"transports wrong type", passLenient, func(r map[string]any) { inner(r)["transports"] = "usb" }},
		blobMutation{"transports unknown", passLenient, func(r map[string]any) { inner(r)["transports"] = []any{"carrier-pigeon", 1} }},
	)
	for _, m := range reg {
		if strings.HasPrefix(m.name, "rawId: base64") {
			continue // id and rawId must agree; covered by the shape mutations
		}
		b.sendCeremony("/register/complete", "register blob ", b.registerBody(b.main, "bi-blob", nil), m)
	}

	var sig []blobMutation
	sig = append(sig, bytesMutations("authenticatorData", false, true)...)
	sig = append(sig, bytesMutations("signature", false, true)...)
	sig = append(sig, bytesMutations("clientDataJSON", false, true)...)
	sig = append(sig, clientDataMutations()...)
	sig = append(sig, shapeMutations(passLenient)...)
	sig = append(sig,
		blobMutation{"userHandle of another user", "", func(r map[string]any) {
			inner(r)["userHandle"] = base64.RawURLEncoding.EncodeToString([]byte("u2"))
		}},
		blobMutation{"userHandle not base64", "", func(r map[string]any) { inner(r)["userHandle"] = "!!" }},
		blobMutation{"userHandle a number", "", func(r map[string]any) { inner(r)["userHandle"] = 5 }},
		blobMutation{"userHandle empty", passOptional, func(r map[string]any) { inner(r)["userHandle"] = "" }},
		blobMutation{"userHandle null", passOptional, func(r map[string]any) { inner(r)["userHandle"] = nil }},
		blobMutation{"unknown credential id", "", func(r map[string]any) {
			id := base64.RawURLEncoding.EncodeToString([]byte("no such credential"))
			r["id"], r["rawId"] = id, id
		}},
		blobMutation{"id and rawId in standard base64", passBase64, func(r map[string]any) {
			id := base64.StdEncoding.EncodeToString(decodeB64URL(r["id"].(string)))
			r["id"], r["rawId"] = id, id
		}},
	)
	for _, m := range sig {
		b.sendCeremony("/signin/complete", "signin blob ", b.signinBody(), m)
	}

	// The origin member of the completing request.
	for _, o := range []any{"https://evil.example", "", nil, "not a url", "https://example.com:99999", "javascript:alert(1)", 7, "https://" + strings.Repeat("a", 5000) + ".com"} {
		for _, path := range []string{"/register/complete", "/signin/complete"} {
			body := b.signinBody()
			if path == "/register/complete" {
				body = b.registerBody(b.main, "bi-origin", nil)
			}
			body["Origin"] = o
			b.send(probe{name: fmt.Sprintf("completing origin %v", o), method: "POST", target: path, header: withJSON(b.pk(b.main.APIKey1)), body: jsonBody(body)})
		}
	}
	// A register/complete body sent to signin/complete and back.
	b.send(probe{name: "register body at signin/complete", method: "POST", target: "/signin/complete", header: withJSON(b.pk(b.main.APIKey1)), body: jsonBody(b.registerBody(b.main, "bi-swap", nil))})
	b.send(probe{name: "signin body at register/complete", method: "POST", target: "/register/complete", header: withJSON(b.pk(b.main.APIKey1)), body: jsonBody(b.signinBody())})
}

// tokenVariants returns broken versions of a valid token.
func tokenVariants(valid string) map[string]struct {
	value string
	pass  string
} {
	type v = struct {
		value string
		pass  string
	}
	prefix, rest, _ := strings.Cut(valid, "_")
	std := strings.NewReplacer("-", "+", "_", "/").Replace(rest)
	return map[string]v{
		"truncated by one":    {valid[:len(valid)-1], ""},
		"truncated to half":   {valid[:len(valid)/2], ""},
		"prefix only":         {prefix + "_", ""},
		"no prefix":           {rest, ""},
		"last char changed":   {flipLast(valid), ""},
		"middle char changed": {flipMiddle(valid), ""},
		"char appended":       {valid + "A", ""},
		"padded":              {valid + "==", passBase64},
		"standard alphabet":   {prefix + "_" + std, ""},
		"upper-case prefix":   {strings.ToUpper(prefix) + "_" + rest, passTokenPrefix},
		"not base64":          {prefix + "_!!!!", ""},
		"NUL inside":          {valid[:20] + "\x00" + valid[21:], ""},
		"10 KB":               {prefix + "_" + strings.Repeat("A", 10<<10), ""},
		"other prefix":        {map[string]string{"register": "verify", "verify": "session", "session": "register"}[prefix] + "_" + rest, ""},
	}
}

// tokens probes every token-carrying member with broken and foreign
// tokens.
func (b *badInput) tokens() {
	pub, sec := withJSON(b.pk(b.main.APIKey1)), withJSON(b.sk(b.main.APISecret1))
	regSession := b.registerBody(b.main, "bi-tok", nil)["session"].(string)
	signSession := b.signinBody()["session"].(string)
	type site struct {
		path, member string
		hdr          http.Header
		valid        string
		fresh        func() map[string]any
		foreign      []string
	}
	sites := []site{
		{"/register/begin", "token", pub, b.registerTokenOK, func() map[string]any { return clientBody(map[string]any{"token": b.registerTokenOK}) },
			[]string{b.otherTokens["register"], regSession, b.staleVerify, b.otherTokens["verify"]}},
		{"/register/complete", "session", pub, regSession, func() map[string]any { return b.registerBody(b.main, "bi-tok", nil) },
			[]string{b.otherTokens["register session"], signSession, b.registerTokenOK, b.staleVerify, b.otherTokens["signin session"]}},
		{"/signin/complete", "session", pub, signSession, b.signinBody,
			[]string{b.otherTokens["signin session"], regSession, b.registerTokenOK, b.staleVerify, b.otherTokens["register session"]}},
		{"/signin/verify", "token", sec, b.staleVerify, b.freshVerify,
			[]string{b.staleVerify, b.otherTokens["verify"], signSession, b.registerTokenOK, b.otherTokens["register"]}},
	}
	for _, s := range sites {
		for name, v := range tokenVariants(s.fresh()[s.member].(string)) {
			body := s.fresh()
			tok := body[s.member].(string)
			if v.pass == "" {
				tok = v.value
			} else {
				// apply the same transformation to this body's own token
				tok = tokenVariants(tok)[name].value
			}
			body[s.member] = tok
			b.send(probe{name: "token " + s.path + " " + name, method: "POST", target: s.path, header: s.hdr, body: jsonBody(body), pass: v.pass})
		}
		for i, f := range s.foreign {
			body := s.fresh()
			body[s.member] = f
			b.send(probe{name: fmt.Sprintf("token %s foreign #%d", s.path, i), method: "POST", target: s.path, header: s.hdr, body: jsonBody(body)})
		}
	}
	// A register/begin token is not consumed by begin, so the same token
	// used at another app must still fail there.
	b.send(probe{name: "register token at the other app", method: "POST", target: "/register/begin", header: withJSON(b.pk(b.other.APIKey1)),
		body: jsonBody(clientBody(map[string]any{"token": b.registerTokenOK}))})
	b.send(probe{name: "verify token at the other app", method: "POST", target: "/signin/verify", header: withJSON(b.sk(b.other.APISecret1)),
		body: jsonBody(b.freshVerify())})
	b.send(probe{name: "signin session at the other app", method: "POST", target: "/signin/complete", header: withJSON(b.pk(b.other.APIKey1)),
		body: jsonBody(b.signinBody())})

	// Credential ids in /credentials/delete in every base64 flavour of a
	// real credential id: only unknown ids may "succeed" (deleting nothing).
	for _, id := range []string{"+/+/", "////", "a", "ab=", "a===", "%%%", "\x00", "YQ==", "YWJj+w==", "YWJj_w", strings.Repeat("A", 100<<10), " AAAA ", "AA AA"} {
		b.send(probe{name: "credentialId " + short([]byte(id), 20), method: "POST", target: "/credentials/delete", header: sec,
			body: jsonBody(map[string]any{"credentialId": id}), pass: "deleting an unknown credential id succeeds (api-spec.md §4.2)"})
	}
}
