package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log destination the server and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestPanicRecovery: a handler that panics gets the 500 problem of any
// unexpected failure, with the headers of every answer; the log names the
// panic without its value or the request body; the in-flight slot is
// given back and the server goes on serving.
func TestPanicRecovery(t *testing.T) {
	const secret = "verify_c2VjcmV0LXRva2VuLXZhbHVl" // must never reach the log
	tests := []struct {
		name    string
		handler http.HandlerFunc
		// wantProblem: a 500 problem document; otherwise the connection
		// is cut because the answer had begun.
		wantProblem bool
		wantLog     string
	}{
		{
			name:        "panic with a string",
			handler:     func(w http.ResponseWriter, r *http.Request) { panic("token " + secret) },
			wantProblem: true, wantLog: "a value of type string",
		},
		{
			name:        "panic with an error",
			handler:     func(w http.ResponseWriter, r *http.Request) { panic(errors.New("token " + secret)) },
			wantProblem: true, wantLog: "a value of type *errors.errorString",
		},
		{
			name: "runtime error after setting headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Leftover", secret)
				var m map[string]string
				m[secret] = secret // assignment to entry in nil map
			},
			wantProblem: true, wantLog: "assignment to entry in nil map",
		},
		{
			name: "panic after the answer began",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.Write([]byte(`{"partial":`))
				http.NewResponseController(w).Flush()
				panic(secret)
			},
			wantLog: "request failed after its answer began",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs syncBuffer
			s := New(Config{MaxInFlight: 1, HSTS: true, Log: slog.New(slog.NewTextHandler(&logs, nil))})
			s.mux.HandleFunc("/panic", tt.handler)
			srv := httptest.NewServer(s)
			defer srv.Close()

			body := `{"password":"` + secret + `"}`
			res, err := srv.Client().Post(srv.URL+"/panic", "application/json", strings.NewReader(body))
			if tt.wantProblem {
				if err != nil {
					t.Fatal(err)
				}
				checkPanicProblem(t, res)
			} else if err == nil {
				_, err = io.ReadAll(res.Body)
				res.Body.Close()
				if err == nil {
					t.Fatalf("a cut answer was read in full: status %d", res.StatusCode)
				}
			}

			if got := logs.String(); !strings.Contains(got, tt.wantLog) || !strings.Contains(got, "goroutine") {
				t.Errorf("log does not name the panic (%q) with its stack:\n%s", tt.wantLog, got)
			}
			if got := logs.String(); strings.Contains(got, secret) {
				t.Errorf("log shows the panic value or the request body:\n%s", got)
			}
			// The slot (MaxInFlight 1) was given back; the server serves on.
			res, err = srv.Client().Get(srv.URL + "/no/such/path")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("next request: status %d, want 404", res.StatusCode)
			}
		})
	}
}

func checkPanicProblem(t *testing.T, res *http.Response) {
	t.Helper()
	defer res.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 500 || doc["status"] != float64(500) || doc["title"] != "An error occurred while processing your request." {
		t.Errorf("answer %d %v, want the 500 problem", res.StatusCode, doc)
	}
	for k, want := range map[string]string{
		"Content-Type":                problemContentType,
		"Access-Control-Allow-Origin": "*",
		"Content-Security-Policy":     "default-src 'self';",
		"X-Content-Type-Options":      "nosniff",
		"Referrer-Policy":             "no-referrer",
		"Strict-Transport-Security":   "max-age=31536000",
		"X-Leftover":                  "",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
