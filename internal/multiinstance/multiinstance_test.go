package multiinstance_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
)

// The tests need a PostgreSQL server on which they may create and drop
// databases; package pgtest says which and when they are skipped.
const (
	managementKey = "multi-instance-management-key-0123456789"
	origin        = "https://example.com"
	rpID          = "example.com"
)

// TestInstances builds the server binary once and runs the subtests
// against it.
func TestInstances(t *testing.T) {
	pg := pgtest.Connect(t)
	bin := buildBinary(t)

	t.Run("SharedDatabase", func(t *testing.T) {
		db := pg.CreateDB(t)
		mailDir := t.TempDir()
		env := map[string]string{"PASSWORDLESS_MAIL_DIR": mailDir}
		a := startInstance(t, bin, "A", db, env)
		b := startInstance(t, bin, "B", db, env)

		t.Run("CeremoniesAcrossInstances", func(t *testing.T) { testCeremonies(t, a, b) })
		t.Run("VerifyTokenOnceUnderConcurrency", func(t *testing.T) { testConcurrentVerify(t, a, b) })
		t.Run("SigninSessionOnceUnderConcurrency", func(t *testing.T) { testConcurrentSigninComplete(t, a, b) })
		t.Run("MagicLinkRateLimitAcrossInstances", func(t *testing.T) { testMagicLinkRateLimit(t, a, b, mailDir) })
		t.Run("TokenKeyRotationAcrossInstances", func(t *testing.T) { testKeyRotation(t, a, b, db) })
	})

	t.Run("ConcurrentMigrate", func(t *testing.T) {
		db := pg.CreateDB(t)
		var wg sync.WaitGroup
		outs := make([][]byte, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(bin, "migrate", "--database", db)
				cmd.Env = childEnv(nil)
				outs[i], errs[i] = cmd.CombinedOutput()
			}()
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Errorf("migrate #%d: %v\n%s", i+1, errs[i], outs[i])
			} else if !strings.Contains(string(outs[i]), "the database schema is up to date") {
				t.Errorf("migrate #%d printed %q", i+1, outs[i])
			}
		}
		if t.Failed() {
			return
		}
		srv := startInstance(t, bin, "M", db, nil)
		app := createApp(t, srv, "migrated")
		srv.do(t, "GET", "/health/storage", nil, nil).want(t, 200)
		srv.do(t, "GET", "/users/count", secret(app), nil).want(t, 200)
	})
}

// testCeremonies runs registrations and sign-ins whose steps alternate
// between the instances, and verifies each verify token on the instance
// that did not mint it.
func testCeremonies(t *testing.T, a, b *instance) {
	app := createApp(t, a, "ceremonies")
	auth := softauthn.New()

	// A register token minted on A begins on B; B's session completes on A.
	regToken := a.token(t, "/register/token", secret(app), map[string]any{"userId": "u1", "username": "alice"})
	var begin beginResponse
	b.do(t, "POST", "/register/begin", public(app), clientBody(map[string]any{"token": regToken})).want(t, 200).decode(t, &begin)
	verify1 := completeRegistration(t, a, app, auth, begin)

	// A verify token minted on A verifies on B, exactly once.
	v := b.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": verify1}).want(t, 200).json(t)
	if v["type"] != "passkey_register" || v["userId"] != "u1" || v["success"] != true {
		t.Fatalf("verify on B = %v", v)
	}
	b.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": verify1}).wantProblem(t, 400, "invalid_token")
	a.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": verify1}).wantProblem(t, 400, "invalid_token")

	// A registration session begun on A completes on B.
	regToken = b.token(t, "/register/token", secret(app), map[string]any{"userId": "u2", "username": "bob"})
	a.do(t, "POST", "/register/begin", public(app), clientBody(map[string]any{"token": regToken})).want(t, 200).decode(t, &begin)
	verify2 := completeRegistration(t, b, app, auth, begin)
	v = a.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": verify2}).want(t, 200).json(t)
	if v["type"] != "passkey_register" || v["userId"] != "u2" {
		t.Fatalf("verify on A = %v", v)
	}
	b.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": verify2}).wantProblem(t, 400, "invalid_token")

	// A sign-in begun on B completes on A; its token verifies on B once.
	tok := a.token(t, "/signin/complete", public(app), signinBody(t, b, app, auth, map[string]any{"userId": "u1"}))
	v = b.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": tok}).want(t, 200).json(t)
	if v["type"] != "passkey_signin" || v["userId"] != "u1" || v["origin"] != origin || v["rpId"] != rpID {
		t.Fatalf("sign-in verify on B = %v", v)
	}
	b.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": tok}).wantProblem(t, 400, "invalid_token")
	a.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": tok}).wantProblem(t, 400, "invalid_token")

	// And the other way round.
	tok = b.token(t, "/signin/complete", public(app), signinBody(t, a, app, auth, map[string]any{"userId": "u2"}))
	v = a.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": tok}).want(t, 200).json(t)
	if v["type"] != "passkey_signin" || v["userId"] != "u2" {
		t.Fatalf("sign-in verify on A = %v", v)
	}
}

// testConcurrentVerify sends one verify token 100 times at once, split
// across both instances: exactly one request succeeds.
func testConcurrentVerify(t *testing.T, a, b *instance) {
	app := createApp(t, a, "concurrentverify")
	auth := softauthn.New()
	register(t, a, app, auth, "u1")
	tok := b.token(t, "/signin/complete", public(app), signinBody(t, a, app, auth, map[string]any{"userId": "u1"}))

	results := concurrently(100, func(i int) *response {
		return pick(i, a, b).send("POST", "/signin/verify", secret(app), map[string]any{"token": tok})
	})
	checkExactlyOnce(t, results)
}

// testConcurrentSigninComplete completes one sign-in session 50 times at
// once, split across both instances: exactly one request succeeds.
func testConcurrentSigninComplete(t *testing.T, a, b *instance) {
	app := createApp(t, a, "concurrentsignin")
	auth := softauthn.New()
	// A counter that stays 0 (as synced passkeys report) passes the
	// signature-counter check every time, so only the session's single use
	// can reject the repeats.
	auth.CounterStep = 0
	register(t, a, app, auth, "u1")
	body := signinBody(t, a, app, auth, map[string]any{"userId": "u1"})

	results := concurrently(50, func(i int) *response {
		return pick(i, a, b).send("POST", "/signin/complete", public(app), body)
	})
	winner := checkExactlyOnce(t, results)
	if winner == nil {
		return
	}
	var res struct{ Token string }
	winner.decode(t, &res)
	a.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": res.Token}).want(t, 200)
}

// testKeyRotation makes A rotate the app's token key while B holds the old
// one in its cache: tokens A seals with the new key open on B at once, and
// tokens sealed with the old key still open on both.
func testKeyRotation(t *testing.T, a, b *instance, db string) {
	app := createApp(t, b, "rotation")
	// Only B touches the app's keys before the rotation, so B makes the
	// first key and caches it, and A has nothing cached.
	oldReg := b.token(t, "/register/token", secret(app), map[string]any{"userId": "u1", "username": "alice"})
	oldVerify := []string{generatedToken(t, b, app), generatedToken(t, b, app)}
	first := tokenKeyIDs(t, db, app.id)
	if len(first) != 1 {
		t.Fatalf("token keys before rotation = %d, want 1", len(first))
	}

	// Age the key past the rotation age, as a week would: instances go by
	// the stored creation time, so A's next seal rotates.
	ageTokenKeys(t, db, app.id, 8*24*time.Hour)
	newReg := a.token(t, "/register/token", secret(app), map[string]any{"userId": "u2", "username": "bob"})
	newVerify := generatedToken(t, a, app)
	keys := tokenKeyIDs(t, db, app.id)
	if len(keys) != 2 || keys[1] != first[0] {
		t.Fatalf("token keys after A sealed = %x, want a new one besides %x", keys, first)
	}
	if got := sealedWith(t, newReg); got != keys[0] {
		t.Fatalf("A sealed with key %x, want the new key %x", got, keys[0])
	}

	// B has not reloaded, yet opens A's new tokens at once.
	b.do(t, "POST", "/register/begin", public(app), clientBody(map[string]any{"token": newReg})).want(t, 200)
	b.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": newVerify}).want(t, 200)

	// Tokens of the old key still open on both instances.
	for i, in := range []*instance{a, b} {
		in.do(t, "POST", "/register/begin", public(app), clientBody(map[string]any{"token": oldReg})).want(t, 200)
		in.do(t, "POST", "/signin/verify", secret(app), map[string]any{"token": oldVerify[i]}).want(t, 200)
	}

	// B now signs with the new key too, without rotating again.
	if got := sealedWith(t, b.token(t, "/register/token", secret(app), map[string]any{"userId": "u3", "username": "carol"})); got != keys[0] {
		t.Errorf("B sealed with key %x after meeting the new key %x", got, keys[0])
	}
	if n := len(tokenKeyIDs(t, db, app.id)); n != 2 {
		t.Errorf("token keys at the end = %d, want 2", n)
	}
}

func generatedToken(t *testing.T, in *instance, a app) string {
	t.Helper()
	return in.token(t, "/signin/generate-token", secret(a), map[string]any{"userId": "u1"})
}

// sealedWith returns the key id a token names: the first four bytes after
// the prefix (docs/security.md, "Tokens").
func sealedWith(t *testing.T, tok string) int64 {
	t.Helper()
	_, body, _ := strings.Cut(tok, "_")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < 4 {
		t.Fatalf("undecodable token %q: %v", tok, err)
	}
	return int64(binary.BigEndian.Uint32(raw))
}

// withDB runs f on a connection to the instances' database.
func withDB(t *testing.T, db string, f func(conn *pgx.Conn) error) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := f(conn); err != nil {
		t.Fatal(err)
	}
}

// tokenKeyIDs returns the ids of the app's stored token keys, newest first.
func tokenKeyIDs(t *testing.T, db, appID string) []int64 {
	t.Helper()
	var ids []int64
	withDB(t, db, func(conn *pgx.Conn) error {
		rows, err := conn.Query(t.Context(), `SELECT id FROM token_keys WHERE app_id = $1 ORDER BY created_at DESC, id DESC`, appID)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	return ids
}

// ageTokenKeys moves the creation time of the app's token keys back by d.
func ageTokenKeys(t *testing.T, db, appID string, d time.Duration) {
	t.Helper()
	withDB(t, db, func(conn *pgx.Conn) error {
		_, err := conn.Exec(t.Context(), `UPDATE token_keys SET created_at = created_at - $2::interval WHERE app_id = $1`,
			appID, fmt.Sprintf("%d seconds", int64(d/time.Second)))
		return err
	})
}

// testMagicLinkRateLimit sends 12 magic links alternating between the
// instances: the app's limit of 10 per 5 minutes holds across them.
func testMagicLinkRateLimit(t *testing.T, a, b *instance, mailDir string) {
	const window = 5 * time.Minute // the server's fixed rate-limit window
	// The window is fixed (aligned to multiples of 5 minutes); a run that
	// straddles a boundary is repeated once with a fresh app.
	for attempt := 1; ; attempt++ {
		app := createApp(t, a, fmt.Sprintf("magiclinks%d", attempt))
		a.do(t, "POST", "/admin/apps/"+app.id+"/features", mgmt(), map[string]any{"magicLinkEmailMonthlyQuota": 1000}).want(t, 204)
		before := countMail(t, mailDir)
		start := time.Now()
		var statuses []int
		var last *response
		for i := range 12 {
			last = pick(i, a, b).do(t, "POST", "/magic-links/send", secret(app), map[string]any{
				"emailAddress": fmt.Sprintf("user%d@example.com", i),
				"urlTemplate":  "https://example.com/login?token=$TOKEN",
				"userId":       fmt.Sprintf("u%d", i),
			})
			statuses = append(statuses, last.status)
			if last.status != 204 && last.status != 429 {
				t.Fatalf("send #%d on %s: status %d, body %s", i+1, pick(i, a, b).name, last.status, last.body)
			}
		}
		if start.Truncate(window) != time.Now().Truncate(window) && attempt < 2 {
			t.Logf("attempt %d straddled a rate-limit window boundary; repeating", attempt)
			continue
		}
		want := []int{204, 204, 204, 204, 204, 204, 204, 204, 204, 204, 429, 429}
		if fmt.Sprint(statuses) != fmt.Sprint(want) {
			t.Fatalf("statuses of 12 sends alternating A/B = %v, want %v", statuses, want)
		}
		last.wantProblem(t, 429, "rate_limit_exceeded")
		if last.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		if n := countMail(t, mailDir) - before; n != 10 {
			t.Errorf("%d e-mail files written, want 10", n)
		}
		return
	}
}

func countMail(t *testing.T, dir string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

// pick alternates between the instances.
func pick(i int, a, b *instance) *instance {
	if i%2 == 0 {
		return a
	}
	return b
}

// concurrently runs n calls of f at once (released together) and returns
// their responses in call order.
func concurrently(n int, f func(i int) *response) []*response {
	results := make([]*response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// checkExactlyOnce checks that exactly one response is a 200 and every other
// one a 400 invalid_token problem, and returns the 200.
func checkExactlyOnce(t *testing.T, results []*response) *response {
	t.Helper()
	var ok []*response
	rejected := 0
	others := map[string]int{}
	for _, r := range results {
		switch {
		case r.err != nil:
			others["transport error: "+r.err.Error()]++
		case r.status == 200:
			ok = append(ok, r)
		case r.status == 400 && r.errorCode() == "invalid_token":
			rejected++
		default:
			others[fmt.Sprintf("%d %s", r.status, r.body)]++
		}
	}
	if len(ok) != 1 || len(others) > 0 {
		t.Errorf("%d of %d requests succeeded, want exactly 1; unexpected responses besides 200 and 400 invalid_token: %v",
			len(ok), len(results), others)
		return nil
	}
	t.Logf("%d requests: 1 succeeded, %d rejected as invalid_token", len(results), rejected)
	return ok[0]
}

// ---- the server binary ----

// buildBinary builds ./cmd/passwordless into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "passwordless")
	cmd := exec.Command("go", "build", "-o", out, "github.com/passwordless-oss/server/cmd/passwordless")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/passwordless: %v\n%s", err, b)
	}
	return out
}

// childEnv is the test's environment without PASSWORDLESS_* variables,
// plus extra.
func childEnv(extra map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PASSWORDLESS_") {
			env = append(env, kv)
		}
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// instance is one running server process.
type instance struct {
	name    string
	baseURL string
	logFile string
	client  *http.Client
	// stop ends the process (SIGTERM) and waits for it; later calls do
	// nothing.
	stop func(t *testing.T)
}

// startInstance starts `passwordless serve` on a free loopback port against
// database and waits until it answers /health/http. The process is stopped
// when t ends; its log is printed if t failed, and any ERROR line in it
// fails t.
func startInstance(t *testing.T, bin, name, database string, extra map[string]string) *instance {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	logFile := filepath.Join(dir, "server.log")
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PASSWORDLESS_ADDR":           fmt.Sprintf("127.0.0.1:%d", port),
		"PASSWORDLESS_DATABASE":       database,
		"PASSWORDLESS_MANAGEMENT_KEY": managementKey,
	}
	for k, v := range extra {
		env[k] = v
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = childEnv(env)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	f.Close()
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()

	inst := &instance{
		name:    name,
		baseURL: fmt.Sprintf("http://127.0.0.1:%d", port),
		logFile: logFile,
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 100},
		},
	}
	var stopped sync.Once
	inst.stop = func(t *testing.T) {
		stopped.Do(func() {
			select {
			case <-exited:
				t.Errorf("instance %s exited early: %v", name, waitErr)
			default:
				cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					cmd.Process.Kill()
					<-exited
					t.Errorf("instance %s did not stop within 10 s of SIGTERM", name)
				}
			}
		})
	}
	t.Cleanup(func() {
		inst.stop(t)
		inst.client.CloseIdleConnections()
		log, _ := os.ReadFile(logFile)
		for _, line := range bytes.Split(log, []byte("\n")) {
			if bytes.Contains(line, []byte("level=ERROR")) {
				t.Errorf("instance %s logged an error: %s", name, line)
			}
		}
		if t.Failed() {
			t.Logf("log of instance %s (%s):\n%s", name, inst.baseURL, tail(log, 200))
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for {
		r := inst.send("GET", "/health/http", nil, nil)
		if r.err == nil && r.status == 200 {
			return inst
		}
		select {
		case <-exited:
			t.Fatalf("instance %s exited during start: %v", name, waitErr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not healthy after 20 s: %v %d", name, r.err, r.status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ---- HTTP ----

type response struct {
	err    error
	status int
	header http.Header
	body   []byte
}

// send sends body (nil: none; else JSON) with hdr; safe from any
// goroutine.
func (in *instance) send(method, path string, hdr http.Header, body any) *response {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return &response{err: err}
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, in.baseURL+path, rd)
	if err != nil {
		return &response{err: err}
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := in.client.Do(req)
	if err != nil {
		return &response{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return &response{err: err, status: res.StatusCode, header: res.Header, body: b}
}

// do is send that fails t on a transport error.
func (in *instance) do(t *testing.T, method, path string, hdr http.Header, body any) *response {
	t.Helper()
	r := in.send(method, path, hdr, body)
	if r.err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.name, r.err)
	}
	return r
}

func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

func (r *response) decode(t *testing.T, v any) *response {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return r
}

func (r *response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

func (r *response) errorCode() string {
	var p struct{ ErrorCode string }
	json.Unmarshal(r.body, &p)
	return p.ErrorCode
}

func (r *response) wantProblem(t *testing.T, status int, errorCode string) {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	if got := r.errorCode(); got != errorCode {
		t.Fatalf("errorCode %q, want %q; body %s", got, errorCode, r.body)
	}
}

func (in *instance) token(t *testing.T, path string, hdr http.Header, body any) string {
	t.Helper()
	var res struct{ Token string }
	in.do(t, "POST", path, hdr, body).want(t, 200).decode(t, &res)
	if res.Token == "" {
		t.Fatalf("%s on %s: no token", path, in.name)
	}
	return res.Token
}

// ---- apps and ceremonies ----

type app struct {
	id                string
	apiKey, apiSecret string
}

func createApp(t *testing.T, in *instance, id string) app {
	t.Helper()
	var res struct {
		APIKey1    string `json:"apiKey1"`
		APISecret1 string `json:"apiSecret1"`
	}
	in.do(t, "POST", "/admin/apps/"+id+"/create", mgmt(), map[string]any{"adminEmail": "admin@example.com"}).want(t, 200).decode(t, &res)
	return app{id: id, apiKey: res.APIKey1, apiSecret: res.APISecret1}
}

func mgmt() http.Header        { return http.Header{"ManagementKey": {managementKey}} }
func public(a app) http.Header { return http.Header{"ApiKey": {a.apiKey}} }
func secret(a app) http.Header { return http.Header{"ApiSecret": {a.apiSecret}} }

// clientBody is a ceremony body as the official browser client sends it.
func clientBody(extra map[string]any) map[string]any {
	m := map[string]any{"RPID": rpID, "Origin": origin}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

type beginResponse struct {
	Data    json.RawMessage `json:"data"`
	Session string          `json:"session"`
}

// completeRegistration creates the credential for begin and completes the
// registration on in, returning the verify token.
func completeRegistration(t *testing.T, in *instance, a app, auth *softauthn.Authenticator, begin beginResponse) string {
	t.Helper()
	resp, _, err := auth.Create(begin.Data, origin)
	if err != nil {
		t.Fatal(err)
	}
	return in.token(t, "/register/complete", public(a), clientBody(map[string]any{
		"session": begin.Session, "response": json.RawMessage(resp), "nickname": "laptop",
	}))
}

// register registers a passkey for userID entirely on in.
func register(t *testing.T, in *instance, a app, auth *softauthn.Authenticator, userID string) {
	t.Helper()
	regToken := in.token(t, "/register/token", secret(a), map[string]any{"userId": userID, "username": userID})
	var begin beginResponse
	in.do(t, "POST", "/register/begin", public(a), clientBody(map[string]any{"token": regToken})).want(t, 200).decode(t, &begin)
	completeRegistration(t, in, a, auth, begin)
}

// signinBody begins a sign-in on in and returns the body that completes it.
func signinBody(t *testing.T, in *instance, a app, auth *softauthn.Authenticator, beginBody map[string]any) map[string]any {
	t.Helper()
	var begin beginResponse
	in.do(t, "POST", "/signin/begin", public(a), clientBody(beginBody)).want(t, 200).decode(t, &begin)
	resp, err := auth.Get(begin.Data, origin)
	if err != nil {
		t.Fatal(err)
	}
	return clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})
}
