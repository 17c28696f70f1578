package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// TestPostOriginDefaultPort sends a signed-in form post with Origin headers
// that differ from the console URL (https://console.example) only in how
// the port is written: the scheme's default port is the same origin, any
// other port (the other scheme's default included) is another origin.
func TestPostOriginDefaultPort(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		for _, tt := range []struct {
			origin string
			want   int
		}{
			{"https://console.example", http.StatusOK},
			{"https://console.example:443", http.StatusOK},
			{"HTTPS://Console.Example:443", http.StatusOK},
			{"https://console.example:8443", http.StatusForbidden},
			{"https://console.example:80", http.StatusForbidden},
			{"http://console.example", http.StatusForbidden},
			{"http://console.example:443", http.StatusForbidden},
			{"http://console.example:80", http.StatusForbidden},
		} {
			r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {csrf}}, http.Header{"Origin": {tt.origin}}, ck)
			if r.status != tt.want {
				t.Errorf("Origin %s: %d, want %d", tt.origin, r.status, tt.want)
			}
		}
	})
}

// TestPostOriginExplicitPort does the same with a console URL that names
// its port over plain HTTP: only that port is the console's origin.
func TestPostOriginExplicitPort(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		const consoleURL = "http://console.example:8080"
		e := newEnvURL(t, open, false, consoleURL)
		ck := e.adminAt(consoleURL)
		csrf := e.csrf(ck)
		for _, tt := range []struct {
			origin string
			want   int
		}{
			{consoleURL, http.StatusOK},
			{"http://console.example:9090", http.StatusForbidden},
			{"http://console.example:80", http.StatusForbidden},
			{"http://console.example", http.StatusForbidden},
			{"https://console.example:8080", http.StatusForbidden},
		} {
			r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {csrf}}, http.Header{"Origin": {tt.origin}}, ck)
			if r.status != tt.want {
				t.Errorf("Origin %s: %d, want %d", tt.origin, r.status, tt.want)
			}
		}
	})
}

// adminAt enrols the first administrator with passkey ceremonies run at
// origin and returns the session cookie.
func (e *env) adminAt(origin string) *http.Cookie {
	e.t.Helper()
	secret := e.setupSecret()
	r := e.do("POST", "/console/enrol/begin", map[string]string{"token": secret, "name": "Ada"}, nil)
	var begin beginResponse
	if r.status != 200 || json.Unmarshal([]byte(r.body), &begin) != nil {
		e.t.Fatalf("enrol begin: %d %s", r.status, r.body)
	}
	key := e.consoleKey()
	var reg struct {
		Data    json.RawMessage `json:"data"`
		Session string          `json:"session"`
	}
	e.apiJSON("/register/begin", key, map[string]any{"token": begin.RegisterToken, "origin": origin, "rpid": testRPID}, &reg)
	response, _, err := softauthn.New().Create(reg.Data, origin)
	if err != nil {
		e.t.Fatal(err)
	}
	var done struct{ Token string }
	e.apiJSON("/register/complete", key, map[string]any{"session": reg.Session, "response": json.RawMessage(response),
		"origin": origin, "rpid": testRPID, "nickname": "test"}, &done)
	r = e.do("POST", "/console/enrol/finish", url.Values{"secret": {secret}, "pending": {begin.Pending}, "token": {done.Token}}, nil)
	ck := r.cookie(cookieName)
	if r.status != http.StatusSeeOther || ck == nil {
		e.t.Fatalf("enrol finish: %d %s", r.status, r.body)
	}
	return ck
}
