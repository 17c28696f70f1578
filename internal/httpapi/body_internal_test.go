package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestReadBody: what readBody answers and how much it holds. A body's
// buffer never grows beyond the length the client announced.
func TestReadBody(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		length   int64 // Content-Length; -1: unknown (chunked)
		budget   int64
		status   int // of the problem; 0: read
		wantHeld int64
	}{
		{name: "small body", body: `{"a":1}`, length: 7, budget: 1 << 20, wantHeld: 7},
		{name: "announced length, several chunks", body: strings.Repeat("x", 100_000), length: 100_000, budget: 1 << 20, wantHeld: 100_000},
		{name: "exactly the limit", body: strings.Repeat("x", maxBodyBytes), length: maxBodyBytes, budget: 2 << 20, wantHeld: maxBodyBytes},
		{name: "unknown length", body: strings.Repeat("x", 20_000), length: -1, budget: 1 << 20, wantHeld: 2 * firstBodyChunk},
		{name: "unknown length, exactly the limit", body: strings.Repeat("x", maxBodyBytes), length: -1, budget: 2 << 20, wantHeld: maxBodyBytes},
		{name: "unknown length, over the limit", body: strings.Repeat("x", maxBodyBytes+1), length: -1, budget: 2 << 20, status: 413},
		{name: "announced over the limit: nothing is read", body: "{}", length: maxBodyBytes + 1, budget: 2 << 20, status: 413},
		{name: "longer than announced", body: `{"a":1}`, length: 3, budget: 1 << 20, status: 400},
		{name: "budget too small", body: strings.Repeat("x", 100_000), length: 100_000, budget: 64 << 10, status: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{MaxBodyMemory: tt.budget, Log: slog.New(slog.DiscardHandler)})
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tt.body))
			r.ContentLength = tt.length
			held, err := s.readBody(httptest.NewRecorder(), r)
			s.bodyBudget.give(held)
			if got := s.bodyBudget.free.Load(); got != tt.budget {
				t.Errorf("budget after giving back: %d free of %d", got, tt.budget)
			}
			if tt.status != 0 {
				rec := httptest.NewRecorder()
				s.writeError(rec, r, err)
				if rec.Code != tt.status {
					t.Fatalf("status %d (%v), want %d", rec.Code, err, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := bodyBytes(r)
			if string(got) != tt.body {
				t.Fatalf("read %d bytes, want %d", len(got), len(tt.body))
			}
			if held != tt.wantHeld || int64(cap(got)) != held {
				t.Fatalf("held %d bytes (buffer capacity %d), want %d", held, cap(got), tt.wantHeld)
			}
		})
	}
}

// TestBodyBudget: with the memory for bodies taken by uploads in progress,
// another large body is refused with 503 server_busy, ordinary requests
// are still served from the reserve, and every byte is given back when the
// requests end.
func TestBodyBudget(t *testing.T) {
	const (
		large  = 128 << 10
		budget = 2 * large // enough for two large bodies, but a quarter is reserved
	)
	s := New(Config{MaxBodyMemory: budget, Log: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(s)
	defer srv.Close()
	addr := srv.Listener.Addr().String()

	// An upload to an unknown path holds a large body, all but its last byte.
	holder := startUpload(t, addr, large, large-1)
	waitFor(t, "the first upload holds its body", func() bool { return s.bodyBudget.free.Load() == budget-large })

	// A second one would dig into the reserve: 503, at once.
	second := startUpload(t, addr, large, large)
	res := second.response(t)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || res.Header.Get("Content-Type") != problemContentType {
		t.Fatalf("second large body: %d %v, want 503 with Retry-After", res.StatusCode, res.Header)
	}
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || doc["errorCode"] != "server_busy" {
		t.Fatalf("second large body: %v %v, want errorCode server_busy", doc, err)
	}

	// An ordinary request is served meanwhile.
	small, err := srv.Client().Post(srv.URL+"/no/such/path", "application/json", strings.NewReader(`{"userId":"u1"}`))
	if err != nil {
		t.Fatal(err)
	}
	small.Body.Close()
	if small.StatusCode != http.StatusNotFound {
		t.Fatalf("small body while the budget is taken: %d, want 404", small.StatusCode)
	}

	// The first upload completes and is answered; everything is given back.
	if _, err := holder.conn.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if res := holder.response(t); res.StatusCode != http.StatusNotFound {
		t.Fatalf("the completed upload: %d, want 404", res.StatusCode)
	}
	waitFor(t, "the budget is given back", func() bool { return s.bodyBudget.free.Load() == budget })
}

type upload struct {
	conn net.Conn
	rd   *bufio.Reader
}

// startUpload sends a request header announcing length bytes and the
// first sent bytes of the body.
func startUpload(t *testing.T, addr string, length, sent int) *upload {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("POST /no/such/path HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
	go func() {
		// Errors end the upload; the test sees them in the response.
		conn.Write(append([]byte(head), bytes.Repeat([]byte("x"), sent)...))
	}()
	return &upload{conn: conn, rd: bufio.NewReader(conn)}
}

func (u *upload) response(t *testing.T) *http.Response {
	t.Helper()
	u.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(u.rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { io.Copy(io.Discard, res.Body); res.Body.Close() })
	return res
}

// waitFor polls cond until it holds; the deadline only turns a hang into
// a failure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
