package systemtest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/softauthn"
)

const (
	managementKey = "systemtest-management-key-7c1f0d2a9b"
	testOrigin    = "https://example.com"
	testRPID      = "example.com"

	// startTimeout bounds how long a server may take to start listening.
	startTimeout = 20 * time.Second
	// stopTimeout bounds how long a terminated server may take to exit;
	// the server's own shutdown grace period is 15 s.
	stopTimeout = 20 * time.Second
)

// binPath is the server binary, built once by TestMain.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "passwordless-systemtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "passwordless")
	if err := build(binPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles cmd/passwordless from the module this package is in.
func build(out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("find the go command: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, "github.com/passwordless-oss/server/cmd/passwordless")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build cmd/passwordless: %v\n%s", err, buf.Bytes())
	}
	return nil
}

// server is the binary run as a child process on a loopback port, on a
// database file that survives restarts. Every run writes its stdout and
// stderr to files in the server's directory; they are printed when the
// test fails.
type server struct {
	t   testing.TB
	dir string
	db  string
	env map[string]string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current run has exited
	waitErr error
	runs    int
	logs    []string // stdout and stderr files, all runs

	addr   string // host:port of the current run
	client *http.Client
	// onResponse, if set, sees every response received through do.
	onResponse func(method, path string, r *response)
}

// newServer prepares a server with a fresh database; env adds or
// overrides PASSWORDLESS_* variables. It does not start it.
func newServer(t testing.TB, env map[string]string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{
		t:   t,
		dir: dir,
		db:  filepath.Join(dir, "passwordless.db"),
		env: map[string]string{
			"PASSWORDLESS_ADDR":           "127.0.0.1:0",
			"PASSWORDLESS_MANAGEMENT_KEY": managementKey,
			"PASSWORDLESS_LOG_LEVEL":      "info",
			"PASSWORDLESS_MAIL_DIR":       filepath.Join(dir, "mail"),
		},
		client: &http.Client{
			Timeout: 15 * time.Second,
			Transport: &http.Transport{
				Proxy:               nil, // loopback only, whatever the environment says
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConns:        64,
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     30 * time.Second,
			},
		},
	}
	s.env["PASSWORDLESS_DATABASE"] = s.db
	for k, v := range env {
		s.env[k] = v
	}
	t.Cleanup(func() {
		if s.running() {
			s.kill()
		}
		s.client.CloseIdleConnections()
		if t.Failed() {
			s.dumpLogs()
		}
	})
	return s
}

var listeningLine = regexp.MustCompile(`msg=listening addr=(\S+)`)

// start runs the binary and waits until it answers /health/http.
func (s *server) start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("start: the server is already running")
	}
	s.runs++
	stdoutPath := filepath.Join(s.dir, fmt.Sprintf("run%d.stdout", s.runs))
	stderrPath := filepath.Join(s.dir, fmt.Sprintf("run%d.stderr", s.runs))
	stdout, err := os.Create(stdoutPath)
	if err != nil {
		s.t.Fatal(err)
	}
	stderr, err := os.Create(stderrPath)
	if err != nil {
		s.t.Fatal(err)
	}
	s.logs = append(s.logs, stdoutPath, stderrPath)
	cmd := exec.Command(binPath, "serve")
	cmd.Dir = s.dir
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		s.t.Fatalf("start %s: %v", binPath, err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done, s.waitErr = cmd, done, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(done)
	}()

	deadline := time.Now().Add(startTimeout)
	for {
		b, _ := os.ReadFile(stderrPath)
		if m := listeningLine.FindSubmatch(b); m != nil {
			s.addr = string(m[1])
			break
		}
		select {
		case <-done:
			s.t.Fatalf("the server exited during start-up: %v", s.exitErr())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the server did not log its address within %v", startTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		r, err := s.do(context.Background(), "GET", "/health/http", nil, nil)
		if err == nil && r.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the server does not answer /health/http: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

func (s *server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

func (s *server) signal(sig os.Signal) {
	s.t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if err := cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the current run to exit and returns its exit code.
func (s *server) wait(timeout time.Duration) int {
	s.t.Helper()
	s.mu.Lock()
	done, cmd := s.done, s.cmd
	s.mu.Unlock()
	select {
	case <-done:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		s.t.Fatalf("the server did not exit within %v", timeout)
	}
	s.client.CloseIdleConnections()
	return cmd.ProcessState.ExitCode()
}

// kill ends the current run with SIGKILL, as a crash would.
func (s *server) kill() {
	s.t.Helper()
	s.signal(syscall.SIGKILL)
	s.wait(stopTimeout)
}

// terminate sends SIGTERM and returns the exit code.
func (s *server) terminate() int {
	s.t.Helper()
	s.signal(syscall.SIGTERM)
	return s.wait(stopTimeout)
}

// logText returns everything every run has written so far.
func (s *server) logText() string {
	var b strings.Builder
	for _, p := range s.logs {
		data, err := os.ReadFile(p)
		if err != nil {
			s.t.Errorf("read log %s: %v", filepath.Base(p), err)
			continue
		}
		b.Write(data)
	}
	return b.String()
}

func (s *server) dumpLogs() {
	const maxTail = 16 << 10
	for _, p := range s.logs {
		data, err := os.ReadFile(p)
		if err != nil || len(data) == 0 {
			continue
		}
		if len(data) > maxTail {
			data = append([]byte("...\n"), data[len(data)-maxTail:]...)
		}
		s.t.Logf("server %s:\n%s", filepath.Base(p), data)
	}
}

// response is a captured HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func (r *response) json() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", r.body, err)
	}
	return m, nil
}

// statusError is a response with an unexpected status.
type statusError struct {
	method, path string
	want         int
	got          *response
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: status %d, want %d; body %s", e.method, e.path, e.got.status, e.want, e.got.body)
}

// do sends a request; body nil sends none, []byte or string is sent as
// is, anything else as JSON.
func (s *server) do(ctx context.Context, method, path string, hdr http.Header, body any) (*response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.addr+path, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	r := &response{status: res.StatusCode, header: res.Header, body: b}
	if s.onResponse != nil {
		s.onResponse(method, path, r)
	}
	return r, nil
}

// expect sends a request and checks its status.
func (s *server) expect(ctx context.Context, want int, method, path string, hdr http.Header, body any) (*response, error) {
	r, err := s.do(ctx, method, path, hdr, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if r.status != want {
		return r, &statusError{method: method, path: path, want: want, got: r}
	}
	return r, nil
}

// must is expect for the test goroutine.
func (s *server) must(want int, method, path string, hdr http.Header, body any) *response {
	s.t.Helper()
	r, err := s.expect(context.Background(), want, method, path, hdr, body)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

func mgmt() http.Header { return http.Header{"ManagementKey": {managementKey}} }

// app is an app created through the management API.
type app struct {
	ID         string `json:"-"`
	APIKey1    string `json:"apiKey1"`
	APIKey2    string `json:"apiKey2"`
	APISecret1 string `json:"apiSecret1"`
	APISecret2 string `json:"apiSecret2"`
}

func (a app) public() http.Header { return http.Header{"ApiKey": {a.APIKey1}} }
func (a app) secret() http.Header { return http.Header{"ApiSecret": {a.APISecret1}} }

func (s *server) createApp(id string) app {
	s.t.Helper()
	r := s.must(200, "POST", "/admin/apps/"+id+"/create", mgmt(), map[string]any{"adminEmail": "admin@example.com"})
	var a app
	if err := json.Unmarshal(r.body, &a); err != nil {
		s.t.Fatal(err)
	}
	a.ID = id
	return a
}

// clientBody is a ceremony body as the browser client sends it.
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

type tokenResponse struct {
	Token string `json:"token"`
}

func decodeInto(r *response, v any) error {
	if err := json.Unmarshal(r.body, v); err != nil {
		return fmt.Errorf("decode %s: %w", r.body, err)
	}
	return nil
}

// ceremony drives the API the way the browser client and a backend do.
// Its methods return errors so that load goroutines can use them.
type ceremony struct {
	s   *server
	app app
}

func (c ceremony) token(ctx context.Context, path string, hdr http.Header, body any) (string, error) {
	r, err := c.s.expect(ctx, 200, "POST", path, hdr, body)
	if err != nil {
		return "", err
	}
	var t tokenResponse
	if err := decodeInto(r, &t); err != nil {
		return "", err
	}
	if t.Token == "" {
		return "", fmt.Errorf("POST %s: no token in %s", path, r.body)
	}
	return t.Token, nil
}

// registerBegin mints a register token and begins the ceremony.
func (c ceremony) registerBegin(ctx context.Context, tokenBody map[string]any) (regToken string, begin beginResponse, err error) {
	regToken, err = c.token(ctx, "/register/token", c.app.secret(), tokenBody)
	if err != nil {
		return "", begin, err
	}
	r, err := c.s.expect(ctx, 200, "POST", "/register/begin", c.app.public(), clientBody(map[string]any{"token": regToken}))
	if err != nil {
		return "", begin, err
	}
	return regToken, begin, decodeInto(r, &begin)
}

// completeBody plays the authenticator and returns the body of
// /register/complete.
func completeBody(a *softauthn.Authenticator, begin beginResponse) ([]byte, *softauthn.Credential, error) {
	resp, cred, err := a.Create(begin.Data, testOrigin)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(clientBody(map[string]any{
		"session": begin.Session, "response": json.RawMessage(resp), "nickname": "laptop",
	}))
	return b, cred, err
}

// registration is the outcome of a registration answered 200.
type registration struct {
	userID string
	cred   *softauthn.Credential
	auth   *softauthn.Authenticator
	verify string // the verify token of /register/complete
	// tokens minted on the way, for the log checks
	regToken, session string
}

func (c ceremony) register(ctx context.Context, a *softauthn.Authenticator, tokenBody map[string]any) (registration, error) {
	regToken, begin, err := c.registerBegin(ctx, tokenBody)
	if err != nil {
		return registration{}, err
	}
	body, cred, err := completeBody(a, begin)
	if err != nil {
		return registration{}, err
	}
	verify, err := c.token(ctx, "/register/complete", c.app.public(), body)
	if err != nil {
		return registration{}, err
	}
	uid, _ := tokenBody["userId"].(string)
	return registration{userID: uid, cred: cred, auth: a, verify: verify, regToken: regToken, session: begin.Session}, nil
}

// signin runs /signin/begin and /signin/complete and returns the verify
// token and the session.
func (c ceremony) signin(ctx context.Context, a *softauthn.Authenticator, beginBody map[string]any) (verify, session string, err error) {
	r, err := c.s.expect(ctx, 200, "POST", "/signin/begin", c.app.public(), clientBody(beginBody))
	if err != nil {
		return "", "", err
	}
	var begin beginResponse
	if err := decodeInto(r, &begin); err != nil {
		return "", "", err
	}
	resp, err := a.Get(begin.Data, testOrigin)
	if err != nil {
		return "", begin.Session, err
	}
	verify, err = c.token(ctx, "/signin/complete", c.app.public(),
		clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
	return verify, begin.Session, err
}

// verify posts a verify token and returns the response.
func (c ceremony) verify(ctx context.Context, tok string) (*response, error) {
	return c.s.do(ctx, "POST", "/signin/verify", c.app.secret(), map[string]any{"token": tok})
}

// verifyOK verifies a token that must succeed and returns the body.
func (c ceremony) verifyOK(ctx context.Context, tok string) (map[string]any, error) {
	r, err := c.s.expect(ctx, 200, "POST", "/signin/verify", c.app.secret(), map[string]any{"token": tok})
	if err != nil {
		return nil, err
	}
	return r.json()
}

// credentialIDs lists the base64url credential ids of a user.
func (c ceremony) credentialIDs(ctx context.Context, userID string) ([]string, error) {
	r, err := c.s.expect(ctx, 200, "GET", "/credentials/list?userId="+userID, c.app.secret(), nil)
	if err != nil {
		return nil, err
	}
	var list struct {
		Values []struct {
			Descriptor struct {
				ID string `json:"id"`
			} `json:"descriptor"`
		} `json:"values"`
	}
	if err := decodeInto(r, &list); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(list.Values))
	for _, v := range list.Values {
		ids = append(ids, v.Descriptor.ID)
	}
	return ids, nil
}

// problemCode returns the errorCode member of a problem response.
func problemCode(r *response) string {
	m, err := r.json()
	if err != nil {
		return ""
	}
	code, _ := m["errorCode"].(string)
	return code
}
