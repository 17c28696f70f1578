package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/demo"
	passwordless "github.com/passwordless-oss/server/sdk/go"
)

// The page loads the same pinned browser client, with the same integrity
// hash, as the server's own demo.
func TestPageLoadsThePinnedClient(t *testing.T) {
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	want := `<script src="` + demo.ClientScriptURL + `" integrity="` + demo.ClientIntegrity + `" crossorigin="anonymous" defer>`
	if !strings.Contains(string(page), want) {
		t.Fatalf("index.html does not load %s with its integrity hash", demo.ClientScriptURL)
	}
}

// fakeAPI answers the two calls of a sign-in: /signin/verify with a token
// made on origin, and /credentials/list.
func fakeAPI(t *testing.T, origin string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /register/token", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"username":"ada"`) || !strings.Contains(string(body), `"aliases":["ada"]`) {
			t.Errorf("register token body %s", body)
		}
		io.WriteString(w, `{"token":"register_x"}`)
	})
	mux.HandleFunc("POST /signin/verify", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(readAll(r), "verify_used") {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(400)
			io.WriteString(w, `{"status":400,"title":"The token has already been used.","errorCode":"invalid_token"}`)
			return
		}
		io.WriteString(w, `{"success":true,"userId":"u1","origin":"`+origin+`","type":"passkey_signin"}`)
	})
	mux.HandleFunc("GET /credentials/list", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"values":[{"userId":"u1","createdAt":"2025-01-02T03:04:05","authenticatorName":"Acme"},{"userId":"u1","createdAt":"2025-01-02T03:04:05"}]}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func readAll(r *http.Request) string { b, _ := io.ReadAll(r.Body); return string(b) }

func TestBackend(t *testing.T) {
	const site = "http://localhost:8080"
	api := fakeAPI(t, site)
	a := &app{client: passwordless.New("app:secret:x", passwordless.WithBaseURL(api.URL)), apiURL: api.URL, apiKey: "app:public:x"}
	srv := httptest.NewServer(a.routes())
	defer srv.Close()

	post := func(path, body, origin string) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, tc := range []struct {
		name, path, body, origin string
		status                   int
		want                     string
	}{
		{"register", "/register", `{"username":"ada"}`, site, 200, `"token":"register_x"`},
		{"register without a name", "/register", `{}`, site, 400, "username"},
		{"sign-in", "/signin", `{"token":"verify_ok"}`, site, 200, `"passkeys":[{"authenticator":"Acme","created":"2025-01-02 03:04:05"},{"authenticator":"unknown authenticator"`},
		{"sign-in on another site", "/signin", `{"token":"verify_ok"}`, "https://evil.example", 403, "another site"},
		{"used token", "/signin", `{"token":"verify_used"}`, site, 400, `"errorCode":"invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(tc.path, tc.body, tc.origin)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("%d %s, want %d with %s", status, body, tc.status, tc.want)
			}
		})
	}

	api.Close()
	if status, body := post("/register", `{"username":"ada"}`, site); status != http.StatusBadGateway {
		t.Fatalf("server down: %d %s", status, body)
	}
}
