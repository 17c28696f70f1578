package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// TestCompleteMustComeFromTheBeginOrigin: a ceremony begun from one origin
// cannot be completed with an assertion or attestation made for another,
// whether or not the app lists allowed origins; the same origin written
// differently (a page URL, upper case, the default port) is the same.
func TestCompleteMustComeFromTheBeginOrigin(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		const beginOrigin = "http://localhost"
		const evil = "https://evil.example"
		tests := []struct {
			name           string
			allowedOrigins []string // nil: no allow list
			completeOrigin string
			wantOK         bool
		}{
			{"no allow list, other origin", nil, evil, false},
			{"no allow list, other port", nil, "http://localhost:8080", false},
			{"no allow list, other scheme", nil, "https://localhost", false},
			{"no allow list, same origin", nil, beginOrigin, true},
			{"no allow list, same origin written differently", nil, "HTTP://LOCALHOST:80/login/", true},
			{"both origins allowed, other origin", []string{beginOrigin, evil}, evil, false},
			{"both origins allowed, same origin", []string{beginOrigin, evil}, beginOrigin, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, on)
				a := softauthn.New()
				e.register(a, map[string]any{"userId": "u1", "username": "alice"})
				if tt.allowedOrigins != nil {
					e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), map[string]any{"allowedOrigins": tt.allowedOrigins}).want(204)
				}
				ceremony := map[string]any{"RPID": "localhost", "Origin": beginOrigin}
				with := func(m map[string]any) map[string]any {
					out := map[string]any{"RPID": "localhost", "Origin": tt.completeOrigin}
					for k, v := range m {
						out[k] = v
					}
					return out
				}

				// Registration.
				regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u2", "username": "bob"})
				var begin beginResponse
				ceremony["token"] = regToken
				e.do("POST", "/register/begin", e.public(), ceremony).want(200).decode(&begin)
				delete(ceremony, "token")
				resp, _, err := a.Create(begin.Data, tt.completeOrigin)
				if err != nil {
					t.Fatal(err)
				}
				r := e.do("POST", "/register/complete", e.public(), with(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
				check(t, "register", r, tt.wantOK)

				// Sign-in, with the passkey registered for localhost above when
				// that worked, else with a new one.
				if !tt.wantOK {
					resp, _, err := a.Create(begin.Data, beginOrigin)
					if err != nil {
						t.Fatal(err)
					}
					e.do("POST", "/register/complete", e.public(), map[string]any{"session": begin.Session, "response": json.RawMessage(resp),
						"RPID": "localhost", "Origin": beginOrigin}).want(200)
				}
				ceremony["userId"] = "u2"
				e.do("POST", "/signin/begin", e.public(), ceremony).want(200).decode(&begin)
				resp, err = a.Get(begin.Data, tt.completeOrigin)
				if err != nil {
					t.Fatal(err)
				}
				r = e.do("POST", "/signin/complete", e.public(), with(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
				check(t, "signin", r, tt.wantOK)
				if tt.wantOK {
					var tok struct{ Token string }
					r.decode(&tok)
					if got := e.verify(tok.Token)["origin"]; got != tt.completeOrigin {
						t.Errorf("verified origin %v, want %q", got, tt.completeOrigin)
					}
				}
			})
		}
	})
}

func check(t *testing.T, ceremony string, r *response, wantOK bool) {
	t.Helper()
	if wantOK {
		r.want(200)
		return
	}
	m := r.wantProblem(400, map[string]any{"errorCode": "origin_mismatch"})
	if m["title"] == "" {
		t.Errorf("%s: problem without a title: %s", ceremony, r.body)
	}
}
