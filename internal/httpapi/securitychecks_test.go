package httpapi_test

// Focused tests of the security checks of the ceremony and key endpoints:
// each test fails when the one check it names is removed, and says so.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// setAllowLists replaces the app's allowed origins and RP IDs.
func (e *env) setAllowLists(origins, rpIDs []string) {
	e.t.Helper()
	e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), map[string]any{
		"allowedOrigins": origins, "allowedRpIds": rpIDs,
	}).want(204)
}

// TestAllowListsCheckedAtComplete begins each ceremony while the origin and
// RP ID are allowed, then narrows the app's lists before completing it: the
// complete endpoints must check the lists again, not trust begin. Once the
// lists allow the request again, the very same complete body succeeds, so
// the refusal came from the lists and not from anything else in the body.
func TestAllowListsCheckedAtComplete(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		narrowings := []struct {
			name     string
			origins  []string
			rpIDs    []string
			wantCode string
		}{
			{"origin no longer allowed", []string{"https://other.example"}, nil, "origin_not_allowed"},
			{"RP ID no longer allowed", nil, []string{"other.example"}, "rpid_not_allowed"},
		}
		for _, n := range narrowings {
			t.Run("register/"+n.name, func(t *testing.T) {
				e := newEnv(t, on)
				e.setAllowLists([]string{testOrigin}, []string{testRPID})
				regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice"})
				var begin beginResponse
				e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
				resp, _, err := softauthn.New().Create(begin.Data, testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				body := clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})

				e.setAllowLists(n.origins, n.rpIDs)
				e.do("POST", "/register/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": n.wantCode})
				if creds := e.do("POST", "/credentials/list", e.secret(), map[string]any{"userId": "u1"}).want(200).json()["values"].([]any); len(creds) != 0 {
					t.Fatalf("a refused registration stored a credential: %v", creds)
				}

				e.setAllowLists([]string{testOrigin}, []string{testRPID})
				e.do("POST", "/register/complete", e.public(), body).want(200)
			})
			t.Run("signin/"+n.name, func(t *testing.T) {
				e := newEnv(t, on)
				a := softauthn.New()
				e.register(a, map[string]any{"userId": "u1", "username": "alice"})
				e.setAllowLists([]string{testOrigin}, []string{testRPID})
				body := e.signinBody(a, map[string]any{"userId": "u1"})

				e.setAllowLists(n.origins, n.rpIDs)
				e.do("POST", "/signin/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": n.wantCode})

				e.setAllowLists([]string{testOrigin}, []string{testRPID})
				e.do("POST", "/signin/complete", e.public(), body).want(200)
			})
		}
	})
}

// creationOptionsFor turns a sign-in begin's options into registration
// options with the same challenge and RP ID: what an attacker holding only
// the public key would hand to an authenticator of their own.
func creationOptionsFor(t *testing.T, signinData json.RawMessage) []byte {
	t.Helper()
	var req struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
	}
	if err := json.Unmarshal(signinData, &req); err != nil || req.Challenge == "" {
		t.Fatalf("sign-in options %s: %v", signinData, err)
	}
	return mustJSON(t, map[string]any{
		"challenge":        req.Challenge,
		"rp":               map[string]any{"id": req.RPID, "name": req.RPID},
		"user":             map[string]any{"id": base64.RawURLEncoding.EncodeToString([]byte("intruder")), "name": "intruder"},
		"pubKeyCredParams": []map[string]any{{"type": "public-key", "alg": -7}},
	})
}

// TestSessionUsedOnlyByItsCeremony posts each ceremony's session to the
// other ceremony's complete endpoint, with a response that answers that
// session's challenge. A sign-in session needs only the public key, so
// accepting it at /register/complete would let anyone add a passkey.
func TestSessionUsedOnlyByItsCeremony(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		t.Run("sign-in session at register/complete", func(t *testing.T) {
			e := newEnv(t, on)
			var begin beginResponse
			e.do("POST", "/signin/begin", e.public(), clientBody(nil)).want(200).decode(&begin)
			resp, _, err := softauthn.New().Create(creationOptionsFor(t, begin.Data), testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			e.do("POST", "/register/complete", e.public(), clientBody(map[string]any{
				"session": begin.Session, "response": json.RawMessage(resp),
			})).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
			if users := e.do("GET", "/users/list", e.secret(), nil).want(200).json()["values"].([]any); len(users) != 0 {
				t.Fatalf("a sign-in session registered a passkey: %v", users)
			}
		})
		t.Run("registration session at signin/complete", func(t *testing.T) {
			e := newEnv(t, on)
			a := softauthn.New()
			_, cred := e.register(a, map[string]any{"userId": "u1", "username": "alice"})
			regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice"})
			var begin beginResponse
			e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
			var opts struct {
				Challenge string `json:"challenge"`
			}
			if err := json.Unmarshal(begin.Data, &opts); err != nil {
				t.Fatal(err)
			}
			resp, err := a.Get(mustJSON(t, map[string]any{"challenge": opts.Challenge, "rpId": testRPID}), testOrigin, softauthn.WithCredential(cred))
			if err != nil {
				t.Fatal(err)
			}
			e.do("POST", "/signin/complete", e.public(), clientBody(map[string]any{
				"session": begin.Session, "response": json.RawMessage(resp),
			})).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
		})
	})
}

// TestSigninBoundToTheBegunUser begins a sign-in for one user (whose
// credentials make allowCredentials) and answers it with another user's
// passkey. The assertion itself is valid, so only the membership check at
// complete stands between it and a verify token for the wrong user.
func TestSigninBoundToTheBegunUser(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		alice, bob := softauthn.New(), softauthn.New()
		e.register(alice, map[string]any{"userId": "alice", "username": "alice", "aliases": []string{"alice@example.com"}})
		_, bobCred := e.register(bob, map[string]any{"userId": "bob", "username": "bob"})

		for name, beginBody := range map[string]map[string]any{
			"by user id": {"userId": "alice"},
			"by alias":   {"alias": "alice@example.com"},
		} {
			t.Run(name, func(t *testing.T) {
				e := e.in(t)
				var begin beginResponse
				e.do("POST", "/signin/begin", e.public(), clientBody(beginBody)).want(200).decode(&begin)
				resp, err := bob.Get(begin.Data, testOrigin, softauthn.WithCredential(bobCred))
				if err != nil {
					t.Fatal(err)
				}
				body := clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})
				e.do("POST", "/signin/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": "signin_complete_error"})
			})
		}
		// The same kind of answer to a discoverable sign-in (no list) is fine.
		var begin beginResponse
		e.do("POST", "/signin/begin", e.public(), clientBody(nil)).want(200).decode(&begin)
		resp, err := bob.Get(begin.Data, testOrigin, softauthn.WithCredential(bobCred))
		if err != nil {
			t.Fatal(err)
		}
		tok := e.token("/signin/complete", e.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
		if got := e.verify(tok)["userId"]; got != "bob" {
			t.Fatalf("discoverable sign-in verified user %v, want bob", got)
		}
	})
}

// nearMisses returns values that differ from key in one place each: a
// changed first, middle or last character (same length), one character
// more at the end or in the middle, one character less at the end or in
// the middle, and the empty value. Changes inside the random part keep
// the app id (before the first ':') and the key id (the last four
// characters) where a key lookup would otherwise fail before the
// comparison.
func nearMisses(key string) map[string]string {
	flip := func(c byte) byte {
		if c == 'a' {
			return 'b'
		}
		return 'a'
	}
	change := func(i int) string {
		b := []byte(key)
		b[i] = flip(b[i])
		return string(b)
	}
	random := len(key) - 32 // first character of the random part
	mid := random + 14
	return map[string]string{
		"first character":              change(0),
		"first random character":       change(random),
		"middle character":             change(mid),
		"last character":               change(len(key) - 1),
		"last character before key id": change(len(key) - 5),
		"one more at the end":          key + "0",
		"one more in the middle":       key[:mid] + "0" + key[mid:],
		"one less at the end":          key[:len(key)-1],
		"one less in the middle":       key[:mid] + key[mid+1:],
		"empty":                        "",
	}
}

// TestKeysComparedOverTheirWholeValue presents near misses of the app's
// public key and secret: each must be refused with the scheme's 401, while
// the exact value is accepted.
func TestKeysComparedOverTheirWholeValue(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		schemes := []struct {
			header string
			key    string
			call   func(e *env, hdr http.Header) *response
		}{
			{"ApiKey", e.app.APIKey1, func(e *env, hdr http.Header) *response {
				return e.do("POST", "/signin/begin", hdr, clientBody(nil))
			}},
			{"ApiSecret", e.app.APISecret1, func(e *env, hdr http.Header) *response {
				return e.do("GET", "/users/list", hdr, nil)
			}},
		}
		for _, sc := range schemes {
			sc.call(e, http.Header{sc.header: {sc.key}}).want(200)
			for name, v := range nearMisses(sc.key) {
				t.Run(sc.header+"/"+name, func(t *testing.T) {
					r := sc.call(e.in(t), http.Header{sc.header: {v}})
					r.want(401)
					if got := r.header.Get("WWW-Authenticate"); got != sc.header {
						t.Fatalf("WWW-Authenticate %q, want %q", got, sc.header)
					}
				})
			}
		}
	})
}
