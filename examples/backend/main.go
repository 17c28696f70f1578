// Command backend is a minimal website backend that uses the Go SDK with a
// passwordless server: the page registers passkeys and signs in with the
// official browser client, and this backend mints register tokens and
// verifies sign-in tokens with the app's ApiSecret.
//
//	go run ./cmd/passwordless serve --dev      # the server, with the app "test"
//	go run ./examples/backend                  # then open http://localhost:8080
//
// Settings (environment): PASSWORDLESS_API_URL (default
// http://localhost:5701), PASSWORDLESS_API_KEY and PASSWORDLESS_API_SECRET
// (default: the development app's well-known keys), ADDR (default
// localhost:8080).
package main

import (
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log"
	"net/http"
	"os"
	"time"

	passwordless "github.com/passwordless-oss/server/sdk/go"
)

//go:embed static
var static embed.FS

// The development app of `passwordless serve --dev`; use your own app's keys
// anywhere else.
const (
	devAPIKey    = "test:public:2e728aa5986f4ba8b073a5b28a939795"
	devAPISecret = "test:secret:a679563b331846c79c20b114a4f56d02"
)

func main() {
	apiURL := env("PASSWORDLESS_API_URL", "http://localhost:5701")
	client := passwordless.New(env("PASSWORDLESS_API_SECRET", devAPISecret),
		passwordless.WithBaseURL(apiURL),
		passwordless.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	app := &app{client: client, apiURL: apiURL, apiKey: env("PASSWORDLESS_API_KEY", devAPIKey)}
	addr := env("ADDR", "localhost:8080")
	log.Printf("example backend on http://%s, passwordless server %s", addr, apiURL)
	srv := &http.Server{Addr: addr, Handler: app.routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

type app struct {
	client *passwordless.Client
	apiURL string
	apiKey string
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	files, _ := fs.Sub(static, "static")
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /config", a.config)
	mux.HandleFunc("POST /register", a.register)
	mux.HandleFunc("POST /signin", a.signin)
	return mux
}

// config tells the page where the passwordless server is and which
// public key to use: both are public.
func (a *app) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"apiUrl": a.apiURL, "apiKey": a.apiKey})
}

// register mints a register token for a new user. A real site does this
// for a signed-in user, with its own user id.
func (a *app) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.Username == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a username is required"})
		return
	}
	token, err := a.client.CreateRegisterToken(r.Context(), passwordless.RegisterOptions{
		UserID:   rand.Text(), // a new, random user id
		Username: req.Username,
		Aliases:  []string{req.Username}, // so the user can sign in by name
	})
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

// signin verifies the token the browser client returned, checks that it
// was made for this site, and answers who signed in and with which passkeys.
func (a *app) signin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16384)).Decode(&req); err != nil || req.Token == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a token is required"})
		return
	}
	user, err := a.client.VerifyToken(r.Context(), req.Token)
	if err != nil {
		fail(w, err)
		return
	}
	// The token names the origin the ceremony ran on; accept only ours.
	if origin := r.Header.Get("Origin"); origin != "" && user.Origin != origin {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "the passkey was used on another site"})
		return
	}
	creds, err := a.client.ListCredentials(r.Context(), user.UserID)
	if err != nil {
		fail(w, err)
		return
	}
	type passkey struct {
		Authenticator string `json:"authenticator"`
		Created       string `json:"created"`
	}
	passkeys := make([]passkey, len(creds))
	for i, c := range creds {
		name := c.AuthenticatorName
		if name == "" {
			name = "unknown authenticator"
		}
		passkeys[i] = passkey{Authenticator: name, Created: c.CreatedAt.Format(time.DateTime)}
	}
	// A real site would start its own session here.
	writeJSON(w, http.StatusOK, map[string]any{"userId": user.UserID, "type": user.Type, "passkeys": passkeys})
}

// fail answers an SDK error: the server's problem with its status, or 502
// when the server could not be reached.
func fail(w http.ResponseWriter, err error) {
	var p *passwordless.Problem
	if errors.As(err, &p) {
		status := p.Status
		if status >= 500 || status == http.StatusUnauthorized {
			// The backend's own configuration is at fault, not the browser.
			status = http.StatusBadGateway
		}
		writeJSON(w, status, map[string]string{"error": p.Title, "errorCode": p.ErrorCode})
		return
	}
	log.Printf("passwordless server: %v", err)
	writeJSON(w, http.StatusBadGateway, map[string]string{"error": "the passkey server could not be reached"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
