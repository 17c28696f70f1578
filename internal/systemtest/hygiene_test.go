package systemtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/softauthn"
)

// secrets collects the values the logs must never contain.
type secrets struct {
	mu     sync.Mutex
	values map[string]string // value -> what it is
}

func (s *secrets) add(what, value string) {
	if value == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[string]string{}
	}
	s.values[value] = what
}

// addKey adds an API secret and its random part.
func (s *secrets) addKey(what, key string) {
	s.add(what, key)
	if parts := strings.Split(key, ":"); len(parts) == 3 {
		s.add(what+" (random part)", parts[2])
	}
}

// addToken adds a token and its base64 part.
func (s *secrets) addToken(tok string) {
	for _, prefix := range []string{"register_", "session_", "verify_"} {
		if rest, ok := strings.CutPrefix(tok, prefix); ok {
			s.add(prefix+" token", tok)
			s.add(prefix+" token (base64 part)", rest)
			return
		}
	}
	s.add("token", tok)
}

var tokenPattern = regexp.MustCompile(`(?i)(register|session|verify)_[A-Za-z0-9_-]{16,}`)

// scanTokens records every token in a response body.
func (s *secrets) scanTokens(body []byte) {
	for _, tok := range tokenPattern.FindAllString(string(body), -1) {
		s.addToken(tok)
	}
}

// headerCheck records the responses seen and checks the headers every
// response must carry (api-spec.md §1.5, HSTS outside development).
type headerCheck struct {
	mu       sync.Mutex
	statuses map[int]int
	kinds    map[string]bool // Content-Type media types seen
	bad      []string
}

func (h *headerCheck) see(method, path string, r *response) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.statuses == nil {
		h.statuses, h.kinds = map[int]int{}, map[string]bool{}
	}
	h.statuses[r.status]++
	mt, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
	h.kinds[mt] = true
	want := map[string]string{
		"Content-Security-Policy":   "default-src 'self';",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"Strict-Transport-Security": "max-age=31536000",
	}
	for k, v := range want {
		if got := r.header.Values(k); len(got) != 1 || got[0] != v {
			h.bad = append(h.bad, fmt.Sprintf("%s %s -> %d: %s = %q, want %q", method, path, r.status, k, got, v))
		}
	}
	if v := r.header.Get("Server"); v != "" {
		h.bad = append(h.bad, fmt.Sprintf("%s %s -> %d: Server header %q", method, path, r.status, v))
	}
}

// TestSecretsHygiene runs every kind of flow against a server logging at
// debug level, then checks that its output holds no API secret, no token,
// no management key, no plaintext of a hashed alias and no magic link, and
// that every response carried the security headers.
func TestSecretsHygiene(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{
		"PASSWORDLESS_LOG_LEVEL":             "debug",
		"PASSWORDLESS_PUBLIC_RATE_LIMIT":     "60",
		"PASSWORDLESS_MAGIC_LINK_RATE_LIMIT": "2",
	})
	var sec secrets
	var hc headerCheck
	s.onResponse = func(method, path string, r *response) {
		hc.see(method, path, r)
		sec.scanTokens(r.body)
	}
	s.start()
	ctx := context.Background()
	sec.add("management key", managementKey)

	// Apps and keys.
	a := s.createApp("hygiene")
	other := s.createApp("hygieneother")
	for _, k := range []string{a.APISecret1, a.APISecret2, other.APISecret1, other.APISecret2} {
		sec.addKey("API secret", k)
	}
	s.must(204, "POST", "/admin/apps/hygiene/features", mgmt(), `{"magicLinkEmailMonthlyQuota":100,"eventLoggingIsEnabled":true}`)
	s.must(200, "GET", "/admin/apps/hygiene/features", mgmt(), nil)
	s.must(204, "POST", "/apps/features", a.secret(), `{"enableManuallyGeneratedAuthenticationTokens":true,"enableMagicLinks":true}`)
	var created struct {
		APIKey string `json:"apiKey"`
	}
	if err := decodeInto(s.must(200, "POST", "/admin/apps/hygiene/secret-keys", mgmt(), `{"scopes":[0]}`), &created); err != nil {
		t.Fatal(err)
	}
	sec.addKey("API secret created later", created.APIKey)
	narrow := http.Header{"ApiSecret": {created.APIKey}}
	s.must(200, "GET", "/admin/apps/hygiene/api-keys", mgmt(), nil)
	s.must(200, "GET", "/admin/apps/hygiene/available", mgmt(), nil)

	c := ceremony{s: s, app: a}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	hashed := []string{"hashed-alice@example.com", "hashed-alice-2@example.com", "hashed-carol@example.com"}
	for _, h := range hashed {
		sec.add("plaintext of a hashed alias", h)
	}

	// Registrations: hashed aliases (explicit and by default), plaintext
	// aliases.
	alice, bob, carol := softauthn.New(), softauthn.New(), softauthn.New()
	regA, err := c.register(ctx, alice, map[string]any{"userId": "alice", "username": "alice", "aliases": []string{hashed[0]}, "aliasHashing": true})
	must(err)
	regB, err := c.register(ctx, bob, map[string]any{"userId": "bob", "username": "bob", "aliases": []string{"plain-bob@example.com"}, "aliasHashing": false})
	must(err)
	regC, err := c.register(ctx, carol, map[string]any{"userId": "carol", "username": "carol", "displayName": "Carol", "aliases": []string{hashed[2]}})
	must(err)
	for _, r := range []registration{regA, regB, regC} {
		_, err := c.verifyOK(ctx, r.verify)
		must(err)
	}
	// Verified twice: refused.
	if r, _ := c.verify(ctx, regA.verify); r == nil || r.status != 400 {
		t.Errorf("second verify of a register token: %v", r)
	}
	s.must(204, "POST", "/alias", a.secret(), map[string]any{"userId": "alice", "aliases": hashed[:2], "hashing": true})
	s.must(409, "POST", "/alias", a.secret(), map[string]any{"userId": "bob", "aliases": []string{hashed[1]}, "hashing": true})
	s.must(200, "GET", "/alias/list?userId=alice", a.secret(), nil)
	s.must(200, "GET", "/users/list", a.secret(), nil)
	s.must(200, "GET", "/users/count", a.secret(), nil)
	s.must(200, "GET", "/credentials/list?userId=alice", a.secret(), nil)
	s.must(200, "POST", "/credentials/list", a.secret(), `{"userId":"bob"}`)

	// Sign-ins: by hashed alias, by plaintext alias, by user id,
	// discoverable; each verified.
	for _, tc := range []struct {
		auth  *softauthn.Authenticator
		begin map[string]any
	}{
		{alice, map[string]any{"alias": hashed[1]}},
		{bob, map[string]any{"alias": "plain-bob@example.com"}},
		{carol, map[string]any{"userId": "carol", "purpose": "step-up"}},
		{carol, map[string]any{}},
	} {
		tok, _, err := c.signin(ctx, tc.auth, tc.begin)
		must(err)
		_, err = c.verifyOK(ctx, tok)
		must(err)
	}
	// A sign-in by an unknown hashed alias.
	s.must(200, "POST", "/signin/begin", a.public(), clientBody(map[string]any{"alias": "hashed-nobody@example.com"}))
	sec.add("alias plaintext sent at sign-in", "hashed-nobody@example.com")

	// generate-token.
	gen, err := c.token(ctx, "/signin/generate-token", a.secret(), map[string]any{"userId": "alice", "timeToLive": 60})
	must(err)
	_, err = c.verifyOK(ctx, gen)
	must(err)

	// Magic links, sent until the rate limit of 2 refuses one. The
	// 5-minute window is aligned to the clock and a boundary may fall
	// between the sends, so up to 2×2+1 are needed to see the 429.
	recipient := "magic-user@example.net"
	sent, limitedML := 0, false
	for i := 0; i < 2*2+1 && !limitedML; i++ {
		r, err := s.do(ctx, "POST", "/magic-links/send", a.secret(), map[string]any{
			"emailAddress": recipient, "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "alice",
		})
		must(err)
		switch r.status {
		case 204:
			sent++
		case 429:
			limitedML = true
		default:
			t.Fatalf("magic link %d: %s", i+1, r)
		}
	}
	if !limitedML || sent < 2 {
		t.Fatalf("%d magic links sent and no 429 from the rate limit of 2", sent)
	}
	links := magicLinks(t, filepath.Join(s.dir, "mail"))
	if len(links) != sent {
		t.Fatalf("%d magic links in the mail directory, want %d", len(links), sent)
	}
	for i, link := range links {
		sec.add("magic-link URL", link)
		tok := tokenPattern.FindString(link)
		sec.addToken(tok)
		if i == 0 {
			_, err := c.verifyOK(ctx, tok)
			must(err)
		}
	}

	// Bad tokens.
	good, err := c.token(ctx, "/signin/generate-token", a.secret(), map[string]any{"userId": "bob"})
	must(err)
	tampered := good[:len(good)/2] + flip(good[len(good)/2]) + good[len(good)/2+1:]
	sec.addToken(tampered)
	otherTok, err := ceremony{s: s, app: other}.token(ctx, "/register/token", other.secret(), map[string]any{"userId": "x", "username": "x"})
	must(err)
	for name, body := range map[string]any{
		"tampered":          map[string]any{"token": tampered},
		"wrong kind":        map[string]any{"token": regA.regToken},
		"not base64":        map[string]any{"token": "verify_!!!!"},
		"missing":           map[string]any{},
		"other app's token": map[string]any{"token": otherTok},
	} {
		r, err := s.do(ctx, "POST", "/signin/verify", a.secret(), body)
		if err != nil || r.status != 400 {
			t.Errorf("verify with a %s token: %v %v", name, r, err)
		}
	}
	s.must(400, "POST", "/register/begin", a.public(), clientBody(map[string]any{"token": good}))
	s.must(400, "POST", "/register/begin", a.public(), clientBody(map[string]any{"token": "register_" + strings.Repeat("A", 40)}))
	sec.addToken("register_" + strings.Repeat("A", 40))

	// A registration whose session is tampered with, and one whose
	// attestation is for another origin; a sign-in with a bad signature.
	_, begin, err := c.registerBegin(ctx, map[string]any{"userId": "dave", "username": "dave", "aliases": []string{"hashed-dave@example.com"}})
	must(err)
	sec.add("plaintext of a hashed alias", "hashed-dave@example.com")
	dave := softauthn.New()
	resp, _, err := dave.Create(begin.Data, testOrigin)
	must(err)
	badSession := begin.Session[:len(begin.Session)-3] + flip(begin.Session[len(begin.Session)-3]) + begin.Session[len(begin.Session)-2:]
	sec.addToken(badSession)
	s.must(400, "POST", "/register/complete", a.public(), clientBody(map[string]any{"session": badSession, "response": json.RawMessage(resp)}))
	evilResp, _, err := softauthn.New().Create(begin.Data, "https://evil.example")
	must(err)
	s.must(400, "POST", "/register/complete", a.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(evilResp)}))
	// A failed attempt does not use the session up; a replay of the
	// successful one is refused.
	s.must(200, "POST", "/register/complete", a.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
	s.must(400, "POST", "/register/complete", a.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))

	r := s.must(200, "POST", "/signin/begin", a.public(), clientBody(map[string]any{"userId": "alice"}))
	var sb beginResponse
	must(decodeInto(r, &sb))
	as, _, err := alice.GetAssertion(sb.Data, testOrigin)
	must(err)
	as.Signature[len(as.Signature)-1] ^= 0xff
	asJSON, err := json.Marshal(as)
	must(err)
	s.must(400, "POST", "/signin/complete", a.public(), clientBody(map[string]any{"session": sb.Session, "response": json.RawMessage(asJSON)}))

	// Wrong and misplaced keys.
	wrongSecret := a.APISecret1[:len(a.APISecret1)-8] + flip(a.APISecret1[len(a.APISecret1)-8]) + a.APISecret1[len(a.APISecret1)-7:]
	for name, hdr := range map[string]http.Header{
		"wrong secret":            {"ApiSecret": {wrongSecret}},
		"public key as secret":    {"ApiSecret": {a.APIKey1}},
		"verify token as secret":  {"ApiSecret": {good}},
		"other app's secret":      {"ApiSecret": {"nosuchapp" + strings.TrimPrefix(a.APISecret1, "hygiene")}},
		"secret in ApiKey header": {"ApiKey": {a.APISecret1}},
		"no key":                  {},
	} {
		if r, err := s.do(ctx, "GET", "/users/count", hdr, nil); err != nil || r.status != 401 {
			t.Errorf("%s: %v %v", name, r, err)
		}
	}
	for name, hdr := range map[string]http.Header{
		"secret as public key":        {"ApiKey": {a.APISecret1}},
		"wrong public key":            {"ApiKey": {a.APIKey1[:len(a.APIKey1)-6] + "ffffff"}},
		"ApiSecret on a public route": {"ApiSecret": {a.APISecret1}},
	} {
		if r, err := s.do(ctx, "POST", "/signin/begin", hdr, clientBody(nil)); err != nil || r.status != 401 {
			t.Errorf("%s: %v %v", name, r, err)
		}
	}
	for _, k := range []string{managementKey[:len(managementKey)-1] + "x", a.APISecret1, ""} {
		s.must(401, "GET", "/admin/apps/hygiene/api-keys", http.Header{"ManagementKey": {k}}, nil)
	}
	// A key without the endpoint's scope.
	s.must(403, "POST", "/signin/verify", narrow, map[string]any{"token": good})
	s.must(200, "POST", "/register/token", narrow, map[string]any{"userId": "erin", "username": "erin"})

	// Locked keys.
	for _, k := range []string{a.APISecret2, a.APIKey2} {
		s.must(204, "POST", "/admin/apps/hygiene/api-keys/"+k[len(k)-4:]+"/lock", mgmt(), nil)
	}
	s.must(401, "GET", "/users/count", http.Header{"ApiSecret": {a.APISecret2}}, nil)
	s.must(401, "POST", "/signin/begin", http.Header{"ApiKey": {a.APIKey2}}, clientBody(nil))
	for _, k := range []string{a.APISecret2, a.APIKey2} {
		s.must(204, "POST", "/admin/apps/hygiene/api-keys/"+k[len(k)-4:]+"/unlock", mgmt(), nil)
	}
	s.must(200, "GET", "/users/count", http.Header{"ApiSecret": {a.APISecret2}}, nil)

	// The other response kinds: 404, 405, 413, 415, preflight, root,
	// the test error, events, health, public rate limit.
	s.must(404, "GET", "/no/such/endpoint", nil, nil)
	s.must(404, "POST", "/admin/apps/nosuchapp/api-keys/abcd/lock", mgmt(), nil)
	s.must(405, "GET", "/register/token", a.secret(), nil)
	s.must(413, "POST", "/register/token", a.secret(), `{"userId":"`+strings.Repeat("x", maxBodyBytes)+`"}`)
	s.must(415, "POST", "/register/token", http.Header{"ApiSecret": {a.APISecret1}, "Content-Type": {"text/plain"}}, `{"userId":"u"}`)
	s.must(400, "POST", "/register/token", a.secret(), `{"userId":`)
	s.must(204, "OPTIONS", "/signin/begin", http.Header{"Origin": {testOrigin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"apikey,content-type"}}, nil)
	s.must(200, "GET", "/", nil, nil)
	s.must(400, "GET", "/health/throw/api", nil, nil)
	s.must(200, "GET", "/health/storage", nil, nil)
	s.must(200, "GET", "/health/version", nil, nil)
	s.must(200, "GET", "/events?pageNumber=1", a.secret(), nil)
	s.must(200, "GET", "/auth-configs/list", a.secret(), nil)
	s.must(204, "POST", "/credentials/delete", a.secret(), map[string]any{"credentialId": base64.RawURLEncoding.EncodeToString(regB.cred.ID)})
	s.must(200, "POST", "/users/delete", a.secret(), `{"userId":"bob"}`)
	// The per-minute window is aligned to the clock; a boundary may fall
	// during the loop, so 2×60+1 requests are needed to be sure of a 429.
	limited := false
	for i := 0; i < 2*60+1 && !limited; i++ {
		r, err := s.do(ctx, "POST", "/signin/begin", other.public(), clientBody(nil))
		must(err)
		limited = r.status == 429
	}
	if !limited {
		t.Error("the public rate limit of 60 per minute was not reached in 121 requests")
	}

	if code := s.terminate(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}

	// The logs.
	logs := s.logText()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatal("no debug lines in the log: the check would prove nothing")
	}
	var leaks []string
	for v, what := range sec.values {
		if strings.Contains(logs, v) {
			leaks = append(leaks, fmt.Sprintf("%s %q", what, v))
		}
	}
	for _, m := range tokenPattern.FindAllString(logs, -1) {
		leaks = append(leaks, fmt.Sprintf("something token-like %q", m))
	}
	if m := regexp.MustCompile(`:secret:[0-9a-f]{6,}`).FindString(logs); m != "" {
		leaks = append(leaks, fmt.Sprintf("something secret-like %q", m))
	}
	if strings.Contains(logs, recipient) {
		leaks = append(leaks, "the magic-link recipient address")
	}
	sort.Strings(leaks)
	for _, l := range leaks {
		t.Errorf("the server log contains %s", l)
	}
	t.Logf("checked %d secret values against %d bytes of log", len(sec.values), len(logs))

	// The headers.
	for _, b := range hc.bad {
		t.Error(b)
	}
	var seen []int
	for st := range hc.statuses {
		seen = append(seen, st)
	}
	slices.Sort(seen)
	for _, want := range []int{200, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429} {
		if hc.statuses[want] == 0 {
			t.Errorf("no response with status %d was checked", want)
		}
	}
	t.Logf("security headers checked on %d responses, statuses %v, content types %v", total(hc.statuses), seen, keys(hc.kinds))
}

// flip returns another base64url character than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

var linkPattern = regexp.MustCompile(`https://example\.com/login\?token=[A-Za-z0-9_-]+`)

// magicLinks returns the links of the .eml files written by the server.
func magicLinks(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mailtest.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		link := linkPattern.FindString(m.Text)
		if link == "" {
			t.Fatalf("no link in %s", m.Text)
		}
		links = append(links, link)
	}
	return links
}

func total(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
