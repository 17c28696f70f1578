package systemtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// The http.Server limits of cmd/passwordless (main.go).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	bodyReadTimeout   = 10 * time.Second // the API reads bodies before handling them
	maxHeaderBytes    = 64 << 10
	maxBodyBytes      = 1 << 20
	shutdownGrace     = 15 * time.Second
)

// dial opens a raw connection to the server.
func (s *server) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startBody sends a request header with "Expect: 100-continue" and waits
// for the interim 100 answer, which Go's server sends when the handler
// starts reading the body: from then on the request is in the handler.
// It returns the reader for the final answer.
func startBody(t *testing.T, conn net.Conn, header string) *bufio.Reader {
	t.Helper()
	if _, err := io.WriteString(conn, strings.TrimSuffix(header, "\r\n")+"Expect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no interim answer to Expect: 100-continue: %v", err)
	}
	if res.StatusCode != http.StatusContinue {
		t.Fatalf("answer to Expect: 100-continue: %d, want 100", res.StatusCode)
	}
	conn.SetReadDeadline(time.Time{})
	return br
}

// waitClosed reads from conn until the server closes it (or the deadline
// passes) and returns what it read and how the read ended.
func waitClosed(conn net.Conn, deadline time.Time) ([]byte, error) {
	conn.SetReadDeadline(deadline)
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
				return got, nil
			}
			return got, err
		}
	}
}

// TestSlowHeaders is a slowloris attack on loopback: many connections
// send a request header one byte at a time and never finish it. The
// server must close each after ReadHeaderTimeout and keep answering other
// clients meanwhile.
func TestSlowHeaders(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for ReadHeaderTimeout (10 s)")
	}
	t.Parallel()
	s := newServer(t, nil)
	s.start()

	const (
		conns = 200
		drip  = 500 * time.Millisecond // one header byte per drip
		slack = 3 * time.Second
	)
	type result struct {
		after time.Duration
		err   error
	}
	results := make(chan result, conns)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range conns {
		conn := s.dial(t)
		opened := time.Now()
		wg.Go(func() {
			// Dripping stops when the server closes the connection, or
			// after twice the timeout.
			if _, err := io.WriteString(conn, "GET /health/http HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "); err != nil {
				return
			}
			for range int(2 * readHeaderTimeout / drip) {
				select {
				case <-stop:
					return
				case <-time.After(drip):
				}
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		})
		go func() {
			_, err := waitClosed(conn, opened.Add(readHeaderTimeout+2*slack))
			results <- result{time.Since(opened), err}
		}()
	}

	// Normal requests keep being answered while the attack runs.
	for i := range 3 {
		time.Sleep(2500 * time.Millisecond)
		start := time.Now()
		if _, err := s.expect(context.Background(), 200, "GET", "/health/http", nil, nil); err != nil {
			t.Errorf("normal request %d during the attack: %v", i, err)
		} else if d := time.Since(start); d > 5*time.Second {
			t.Errorf("normal request %d during the attack took %v", i, d)
		}
	}

	var longest, shortest time.Duration
	for i := range conns {
		r := <-results
		if r.err != nil {
			t.Errorf("connection %d was not closed by the server: %v", i, r.err)
			continue
		}
		if i == 0 || r.after < shortest {
			shortest = r.after
		}
		longest = max(longest, r.after)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d slow connections closed after %v to %v", conns, shortest.Round(time.Millisecond), longest.Round(time.Millisecond))
	if shortest < readHeaderTimeout-time.Second {
		t.Errorf("a slow connection was closed after %v, before ReadHeaderTimeout %v", shortest, readHeaderTimeout)
	}
	if longest > readHeaderTimeout+slack {
		t.Errorf("a slow connection stayed open %v, more than ReadHeaderTimeout %v + %v", longest, readHeaderTimeout, slack)
	}
}

// TestSlowBody sends a complete header and then the body one byte per
// second: the server cuts the request at ReadTimeout.
func TestSlowBody(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the body read timeout (10 s)")
	}
	t.Parallel()
	s := newServer(t, nil)
	s.start()
	a := s.createApp("slowbody")

	conn := s.dial(t)
	opened := time.Now()
	const length = 200 // more bytes than there are seconds to send them
	fmt.Fprintf(conn, "POST /register/token HTTP/1.1\r\nHost: 127.0.0.1\r\nApiSecret: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{",
		a.APISecret1, length)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range length {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	})
	got, err := waitClosed(conn, opened.Add(bodyReadTimeout+10*time.Second))
	after := time.Since(opened)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("the slow request was not cut: %v (read %q)", err, got)
	}
	status := "no answer"
	if len(got) > 0 {
		status = strings.SplitN(string(got), "\r\n", 2)[0]
	}
	t.Logf("slow body cut after %v (%s)", after.Round(time.Millisecond), status)
	if after < bodyReadTimeout-time.Second || after > bodyReadTimeout+3*time.Second {
		t.Errorf("the slow body was cut after %v, want about the body read timeout %v", after, bodyReadTimeout)
	}
	if len(got) > 0 && !strings.HasPrefix(status, "HTTP/1.1 4") {
		t.Errorf("answer to the cut request: %q, want a 4xx or none", status)
	}
	// The server is fine.
	s.must(200, "GET", "/health/http", nil, nil)
}

// TestRequestSizeLimits checks the body limit (413 problem) and the
// header limit (431).
func TestRequestSizeLimits(t *testing.T) {
	s := newServer(t, nil)
	var hc headerCheck
	s.onResponse = func(method, path string, r *response) {
		// 431 is written by net/http before the handler runs, so it has
		// none of the handler's headers (plain text, connection closed).
		if r.status != http.StatusRequestHeaderFieldsTooLarge {
			hc.see(method, path, r)
		}
	}
	s.start()
	a := s.createApp("limits")
	defer func() {
		for _, b := range hc.bad {
			t.Error(b)
		}
	}()

	// A valid body padded to exactly the limit is accepted; one byte more
	// is a 413 problem, with or without a Content-Length.
	valid := `{"userId":"u1","username":"alice"}`
	exact := valid + strings.Repeat(" ", maxBodyBytes-len(valid))
	s.must(200, "POST", "/register/token", a.secret(), exact)
	r := s.must(413, "POST", "/register/token", a.secret(), exact+" ")
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("413 Content-Type %q, want application/problem+json", ct)
	}
	req, err := http.NewRequest("POST", "http://"+s.addr+"/register/begin", io.MultiReader(strings.NewReader(exact), strings.NewReader("  ")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = a.public()
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1 // chunked
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Errorf("chunked body over the limit: status %d, want 413", res.StatusCode)
	}

	// Headers: the request line and header lines, as sent, up to exactly
	// the limit are fine, one byte more is 431.
	for _, tt := range []struct {
		size int
		want int
	}{
		{maxHeaderBytes - 1, 200},
		{maxHeaderBytes, 200},
		{maxHeaderBytes + 1, http.StatusRequestHeaderFieldsTooLarge},
		{maxHeaderBytes + 4096, http.StatusRequestHeaderFieldsTooLarge},
	} {
		if got := s.rawStatus(t, requestHead(tt.size)); got != tt.want {
			t.Errorf("request head of %d bytes: status %d, want %d", tt.size, got, tt.want)
		}
	}
	s.must(200, "GET", "/health/http", nil, nil)
}

// requestHead is a GET /health/http request head (request line, header
// lines and the empty line ending them) of exactly size bytes.
func requestHead(size int) []byte {
	const start = "GET /health/http HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Pad: "
	const end = "\r\n\r\n"
	return []byte(start + strings.Repeat("a", size-len(start)-len(end)) + end)
}

// rawStatus sends raw bytes on a new connection and returns the status
// code of the answer.
func (s *server) rawStatus(t *testing.T, req []byte) int {
	t.Helper()
	conn := s.dial(t)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(req); err != nil {
		t.Fatalf("send %d bytes: %v", len(req), err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("answer to %d bytes: %v", len(req), err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestGracefulShutdown sends SIGTERM while a /register/complete request is
// in flight: the server stops accepting connections, finishes the
// request with 200, exits 0, and the registration is there after a
// restart.
func TestGracefulShutdown(t *testing.T) {
	s := newServer(t, nil)
	s.start()
	a := s.createApp("shutdown")
	c := ceremony{s: s, app: a}
	ctx := context.Background()
	auth := softauthn.New()
	_, begin, err := c.registerBegin(ctx, map[string]any{"userId": "u1", "username": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := completeBody(auth, begin)
	if err != nil {
		t.Fatal(err)
	}

	conn := s.dial(t)
	half := len(body) / 2
	br := startBody(t, conn, fmt.Sprintf("POST /register/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nApiKey: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		a.APIKey1, len(body)))
	if _, err := conn.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	s.signal(syscall.SIGTERM)

	// The listener closes; the in-flight request goes on.
	refused := false
	for i := 0; i < 100 && !refused; i++ {
		probe, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err != nil {
			refused = true
			break
		}
		probe.Close()
		time.Sleep(20 * time.Millisecond)
	}
	if !refused {
		t.Error("the server still accepts connections after SIGTERM")
	}
	if !s.running() {
		t.Fatalf("the server exited with a request in flight: %v", s.exitErr())
	}
	if _, err := conn.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	var tok tokenResponse
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || err != nil || !strings.HasPrefix(tok.Token, "verify_") {
		t.Fatalf("the in-flight request: status %d, token %q, %v", res.StatusCode, tok.Token, err)
	}
	conn.Close()
	if code := s.wait(stopTimeout); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if d := time.Since(termAt); d > shutdownGrace {
		t.Errorf("shutdown took %v, more than the grace period", d)
	}
	integrityCheck(t, s.db)

	s.start()
	if _, err := c.verifyOK(ctx, tok.Token); err != nil {
		t.Errorf("the registration completed during shutdown: %v", err)
	}
	ids, err := c.credentialIDs(ctx, "u1")
	if err != nil || len(ids) != 1 {
		t.Errorf("credentials of u1 after restart: %v %v", ids, err)
	}
	if v, _, err := c.signin(ctx, auth, map[string]any{"userId": "u1"}); err != nil {
		t.Errorf("sign-in after restart: %v", err)
	} else if _, err := c.verifyOK(ctx, v); err != nil {
		t.Error(err)
	}
	if code := s.terminate(); code != 0 {
		t.Errorf("exit code of an idle server after SIGTERM = %d, want 0", code)
	}
}

// TestStartupFailures: a bad configuration is refused with exit code 1
// and a message, and the secret is not echoed.
func TestStartupFailures(t *testing.T) {
	short := "short-key"
	s := newServer(t, map[string]string{"PASSWORDLESS_MANAGEMENT_KEY": short})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "serve")
	cmd.Dir = s.dir
	for k, v := range s.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the server started with a management key of %d characters", len(short))
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(string(out), "PASSWORDLESS_MANAGEMENT_KEY") {
		t.Errorf("the error does not name the setting: %s", out)
	}
	if strings.Contains(string(out), short) {
		t.Errorf("the error echoes the management key: %s", out)
	}
}

// TestShutdownGraceExpires: a request that does not finish (its body never
// arrives) does not keep the process alive beyond the grace period, and
// the exit code tells that a request was cut off. The grace is set
// shorter than the body read timeout, which would otherwise end the
// request first.
func TestShutdownGraceExpires(t *testing.T) {
	t.Parallel()
	const grace = 2 * time.Second
	s := newServer(t, map[string]string{"PASSWORDLESS_SHUTDOWN_TIMEOUT": grace.String()})
	s.start()
	a := s.createApp("graceapp")
	conn := s.dial(t)
	startBody(t, conn, fmt.Sprintf("POST /register/token HTTP/1.1\r\nHost: 127.0.0.1\r\nApiSecret: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", a.APISecret1))
	if _, err := io.WriteString(conn, "{"); err != nil {
		t.Fatal(err)
	}
	termAt := time.Now()
	s.signal(syscall.SIGTERM)
	code := s.wait(stopTimeout)
	took := time.Since(termAt)
	t.Logf("exit code %d after %v", code, took.Round(time.Millisecond))
	if code != 1 {
		t.Errorf("exit code %d with a request still running when the grace ran out, want 1", code)
	}
	if took < grace {
		t.Errorf("the server exited after %v, before the grace period of %v", took, grace)
	}
	if took >= bodyReadTimeout {
		t.Errorf("the server exited after %v: the body read timeout (%v), not the grace period (%v), ended the request", took, bodyReadTimeout, grace)
	}
	if logs := s.logText(); !strings.Contains(logs, "shutdown grace of 2s ran out") {
		t.Errorf("the output does not say that the grace ran out:\n%s", logs)
	}
}

// TestPublicRateLimiterMemory sends public requests whose ApiKey names a
// different, very long app id each time. They are refused (401, or 429
// once the shared bucket of malformed app ids is full). The per-app,
// per-IP rate limiter runs before authentication; it must not keep
// attacker-chosen keys, so the server's resident memory must not grow
// with what unauthenticated clients send.
func TestPublicRateLimiterMemory(t *testing.T) {
	s := newServer(t, nil) // default limit: 600 per minute
	s.start()
	pid := s.pid()
	before, ok := residentKiB(pid)
	if !ok {
		t.Skip("no /proc/<pid>/status on this system")
	}
	const requests = 1000
	pad := strings.Repeat("a", 60<<10)
	for i := range requests {
		hdr := http.Header{"ApiKey": {fmt.Sprintf("%s%d:public:00000000000000000000000000000000", pad, i)}}
		r, err := s.do(context.Background(), "POST", "/signin/begin", hdr, clientBody(nil))
		if err != nil {
			t.Fatal(err)
		}
		if r.status != 401 && r.status != 429 {
			t.Fatalf("request %d: %s, want 401 or 429", i, r)
		}
	}
	after, _ := residentKiB(pid)
	growth := (after - before) / 1024
	t.Logf("resident memory %d MiB -> %d MiB after %d refused requests with 60 KiB app ids", before/1024, after/1024, requests)
	if growth > 32 {
		t.Errorf("resident memory grew by %d MiB after %d refused requests: the rate limiter keeps attacker-chosen keys "+
			"(with PASSWORDLESS_PUBLIC_RATE_LIMIT=0 the growth is a few MiB)", growth, requests)
	}
}

// TestBodyMemoryBound: request bodies are read before routing and
// authentication, so unauthenticated clients choose how much the server
// buffers. 400 connections each send a body of 1 MiB less one byte to an
// unknown path and hold back the last byte. Without a bound the server
// buffered all of them (its resident memory grew by about 480 MiB); with
// the default bound of 64 MiB the bodies beyond it are answered 503
// server_busy, memory stays bounded, and once the uploads end the memory
// is free for the next body.
func TestBodyMemoryBound(t *testing.T) {
	s := newServer(t, nil)
	s.start()
	pid := s.pid()
	before, ok := residentKiB(pid)
	if !ok {
		t.Fatal("no /proc/<pid>/status: this test runs on Linux")
	}

	const (
		uploads    = 400
		length     = maxBodyBytes - 1
		maxHolding = 64 // the default bound is 64 MiB: no more bodies of 1 MiB fit
	)
	body := bytes.Repeat([]byte("x"), length)
	type answer struct {
		conn   net.Conn
		status int // 0: the connection ended without an answer
	}
	answers := make(chan answer, uploads)
	unanswered := map[net.Conn]bool{}
	for range uploads {
		conn := s.dial(t)
		unanswered[conn] = true
		go func() {
			fmt.Fprintf(conn, "POST /no/such/path HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
			conn.Write(body[:length-1]) // fails once the server refuses the body
		}()
		go func() {
			conn.SetReadDeadline(time.Now().Add(2 * stopTimeout))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				answers <- answer{conn: conn}
				return
			}
			res.Body.Close()
			answers <- answer{conn: conn, status: res.StatusCode}
		}()
	}

	// Wait until every body the bound has no room for is refused. A
	// refused client may also find its connection reset before it reads
	// the 503, when the server closes it with the rest of the body unread.
	deadline := time.After(stopTimeout)
	busy := 0
	for len(unanswered) > maxHolding {
		select {
		case a := <-answers:
			switch a.status {
			case http.StatusServiceUnavailable:
				busy++
			case 0:
			default:
				t.Fatalf("an upload held back by its client was answered %d, want 503 or nothing yet", a.status)
			}
			delete(unanswered, a.conn)
		case <-deadline:
			t.Fatalf("%d of %d uploads of 1 MiB are still unanswered: the server buffers more than %d MiB of bodies",
				len(unanswered), uploads, maxHolding)
		}
	}
	after, _ := residentKiB(pid)
	t.Logf("%d uploads refused (%d answers 503 read); resident memory %d MiB -> %d MiB",
		uploads-len(unanswered), busy, before/1024, after/1024)
	if busy == 0 {
		t.Error("no refused upload was answered 503")
	}
	if growth := (after - before) / 1024; growth > 200 {
		t.Errorf("resident memory grew by %d MiB while %d clients held bodies of 1 MiB", growth, uploads)
	}

	// The others send their last byte, and then the memory is free again
	// for the next large body.
	for conn := range unanswered {
		conn.Write([]byte("x"))
	}
	for range unanswered {
		<-answers
	}
	if _, err := s.expect(context.Background(), 404, "POST", "/no/such/path", nil, string(body)); err != nil {
		t.Errorf("a body of 1 MiB after the uploads ended: %v", err)
	}
}

// residentKiB reads VmRSS of a process (Linux).
func residentKiB(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
				return kib, true
			}
		}
	}
	return 0, false
}

// TestSlowUploadsDoNotStarveOthers: the bound on requests in flight
// (PASSWORDLESS_MAX_IN_FLIGHT, default 1000) counts a request from the
// moment its header has arrived, including the time its body takes to
// arrive (up to ReadTimeout, 30 s). The public endpoints read their body
// after checking the public key, which is public by design, and the
// per-IP rate limit allows 600 requests a minute. So two client addresses
// with 500 slow uploads each hold every slot, and every other app's
// requests are refused with 503 until the uploads end; renewing them every
// 30 s keeps the whole server unavailable. Another app's backend must
// still be served while a few clients upload slowly.
func TestSlowUploadsDoNotStarveOthers(t *testing.T) {
	s := newServer(t, nil) // default limits: 1000 in flight, 600 per minute per app and IP
	s.start()
	attacker := s.createApp("slowuploads") // only its public key is used
	victim := s.createApp("victimapp")

	const perAddress = 500
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	body := `{"RPID":"example.com","Origin":"https://example.com","userId":"u1"}`
	for _, local := range []string{"127.0.0.2", "127.0.0.3"} {
		// Linux routes all of 127.0.0.0/8 to the loopback interface.
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		for range perAddress {
			conn, err := d.Dial("tcp", s.addr)
			if err != nil {
				t.Fatalf("dial from %s: %v", local, err)
			}
			conns = append(conns, conn)
			fmt.Fprintf(conn, "POST /signin/begin HTTP/1.1\r\nHost: 127.0.0.1\r\nApiKey: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
				attacker.APIKey1, len(body))
		}
	}
	// Every upload has reached its handler when the server asks for its
	// body; each then sends one byte of it and stalls.
	for i, conn := range conns {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || res.StatusCode != http.StatusContinue {
			t.Fatalf("slow upload %d: no interim 100 answer (%v)", i, err)
		}
		if _, err := io.WriteString(conn, body[:1]); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.do(context.Background(), "POST", "/register/token", victim.secret(), map[string]any{"userId": "u1", "username": "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.status != 200 {
		t.Errorf("another app's backend, while 2 addresses hold %d slow uploads: %s, want 200", 2*perAddress, r)
	}
	if _, err := s.expect(context.Background(), 200, "GET", "/health/http", nil, nil); err != nil {
		t.Error(err)
	}
}

// pid is the running server's process id.
func (s *server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd.Process.Pid
}
