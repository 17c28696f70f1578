package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
)

func TestCeremoniesPerAlgorithm(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		for _, alg := range []softauthn.Alg{softauthn.EdDSA, softauthn.ES256, softauthn.RS256} {
			t.Run(alg.String(), func(t *testing.T) {
				e := newEnv(t, on)
				a := softauthn.New()
				verify, cred := e.register(a, map[string]any{"userId": "user-1", "username": "alice", "aliases": []string{"alice@example.com"}}, softauthn.WithAlg(alg))
				wantID := base64.StdEncoding.EncodeToString(cred.ID)

				reg := e.verify(verify)
				for k, want := range map[string]any{
					"type": "passkey_register", "userId": "user-1", "nickname": "laptop", "success": true,
					"rpId": testRPID, "origin": testOrigin, "credentialId": wantID, "purpose": nil,
				} {
					if reg[k] != want {
						t.Errorf("register verify %s = %#v, want %#v", k, reg[k], want)
					}
				}

				for name, begin := range map[string]map[string]any{
					"by id":        {"userId": "user-1"},
					"by alias":     {"alias": "alice@example.com"},
					"discoverable": {},
				} {
					tok := e.token("/signin/complete", e.public(), e.signinBody(a, begin))
					got := e.verify(tok)
					for k, want := range map[string]any{
						"type": "passkey_signin", "userId": "user-1", "credentialId": wantID,
						"purpose": "sign-in", "rpId": testRPID, "origin": testOrigin, "nickname": "laptop",
					} {
						if got[k] != want {
							t.Errorf("%s: %s = %#v, want %#v", name, k, got[k], want)
						}
					}
				}
			})
		}
	})
}

func TestRegisterBeginOptions(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		regToken := e.token("/register/token", e.secret(), map[string]any{
			"userId": "u1", "username": "alice", "displayName": "Alice A", "discoverable": false,
			"userVerification": "Required", "authenticatorType": "platform",
		})
		data := e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).json()["data"].(map[string]any)
		sel := data["authenticatorSelection"].(map[string]any)
		if sel["residentKey"] != "discouraged" || sel["requireResidentKey"] != false || sel["userVerification"] != "required" || sel["authenticatorAttachment"] != "platform" {
			t.Fatalf("authenticatorSelection = %v", sel)
		}
		user := data["user"].(map[string]any)
		if user["id"] != base64.RawURLEncoding.EncodeToString([]byte("u1")) || user["name"] != "alice" || user["displayName"] != "Alice A" {
			t.Fatalf("user = %v", user)
		}
		if rp := data["rp"].(map[string]any); rp["id"] != testRPID || rp["name"] != testRPID {
			t.Fatalf("rp = %v", rp)
		}
		if ex := data["excludeCredentials"].([]any); len(ex) != 1 {
			t.Fatalf("excludeCredentials = %v, want the existing credential", ex)
		}
		params := data["pubKeyCredParams"].([]any)
		if first := params[0].(map[string]any); first["alg"] != float64(-8) || len(params) != 10 {
			t.Fatalf("pubKeyCredParams = %v", params)
		}
		if data["attestation"] != "none" || data["timeout"] != float64(60000) {
			t.Fatalf("attestation/timeout = %v/%v", data["attestation"], data["timeout"])
		}
		if ext := data["extensions"].(map[string]any); ext["credProps"] != true {
			t.Fatalf("extensions = %v", ext)
		}
		for _, k := range []string{"hints", "attestationFormats"} {
			if v, ok := data[k].([]any); !ok || len(v) != 0 {
				t.Fatalf("%s = %#v, want []", k, data[k])
			}
		}
		// The same authenticator holds a credential for u1: excluded.
		if _, _, err := a.Create(mustJSON(t, data), testOrigin); err == nil {
			t.Fatal("Create succeeded despite excludeCredentials")
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSigninSessionCompletesOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		// A counter that stays 0, as synced passkeys report: the original server
		// accepted replays of such assertions.
		a.CounterStep = 0
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		body := e.signinBody(a, map[string]any{"userId": "u1"})
		e.do("POST", "/signin/complete", e.public(), body).want(200)
		e.do("POST", "/signin/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
		// A fresh ceremony with counter 0 still works.
		e.do("POST", "/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1"})).want(200)
	})
}

// TestSigninWithEitherOfSeveralPasskeys signs in a user who has two
// passkeys, begun by user id and by alias so that allowCredentials names
// both: an assertion by either passkey completes, and the verify token
// names the passkey used.
func TestSigninWithEitherOfSeveralPasskeys(t *testing.T) {
	e := newEnv(t)
	laptop, phone := softauthn.New(), softauthn.New()
	_, laptopCred := e.register(laptop, map[string]any{"userId": "u1", "username": "alice", "aliases": []string{"alice@example.com"}})
	_, phoneCred := e.register(phone, map[string]any{"userId": "u1", "username": "alice"})
	for _, begin := range []map[string]any{{"userId": "u1"}, {"alias": "alice@example.com"}} {
		for _, a := range []struct {
			authenticator *softauthn.Authenticator
			cred          *softauthn.Credential
		}{{laptop, laptopCred}, {phone, phoneCred}} {
			var b beginResponse
			e.do("POST", "/signin/begin", e.public(), clientBody(begin)).want(200).decode(&b)
			var opts struct{ AllowCredentials []struct{ ID string } }
			if err := json.Unmarshal(b.Data, &opts); err != nil {
				t.Fatal(err)
			}
			if len(opts.AllowCredentials) != 2 {
				t.Fatalf("begun with %v: allowCredentials = %+v, want both passkeys", begin, opts.AllowCredentials)
			}
			resp, err := a.authenticator.Get(b.Data, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			tok := e.token("/signin/complete", e.public(), clientBody(map[string]any{"session": b.Session, "response": json.RawMessage(resp)}))
			v := e.verify(tok)
			if v["userId"] != "u1" || v["credentialId"] != base64.StdEncoding.EncodeToString(a.cred.ID) {
				t.Fatalf("begun with %v, signed in with %x: verified %v", begin, a.cred.ID, v)
			}
		}
	}
}

func TestRegisterSessionCompletesOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice"})
		var begin beginResponse
		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)
		resp, _, err := a.Create(begin.Data, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		body := clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})
		e.do("POST", "/register/complete", e.public(), body).want(200)
		e.do("POST", "/register/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
	})
}

func TestSignatureCounter(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		tests := []struct {
			name   string
			allow  bool     // AllowCounterRegression
			counts []uint32 // counter of each sign-in after registration at 0
			ok     []bool
		}{
			{"increasing", false, []uint32{1, 5, 6}, []bool{true, true, true}},
			{"always zero", false, []uint32{0, 0}, []bool{true, true}},
			{"goes backwards", false, []uint32{5, 3}, []bool{true, false}},
			{"repeats", false, []uint32{5, 5}, []bool{true, false}},
			{"zero after non-zero is accepted", false, []uint32{5, 0}, []bool{true, true}},
			{"backwards allowed by policy", true, []uint32{5, 3, 4, 6}, []bool{true, true, true, true}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, on, withDeps(func(d *passkey.Deps) { d.AllowCounterRegression = tt.allow }))
				a := softauthn.New()
				e.register(a, map[string]any{"userId": "u1", "username": "alice"})
				for i, n := range tt.counts {
					r := e.do("POST", "/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1"}, softauthn.WithSignCount(n)))
					if tt.ok[i] {
						r.want(200)
					} else {
						r.wantProblem(400, map[string]any{"errorCode": "signin_complete_error"})
					}
				}
				// The stored counter never goes down.
				creds, err := e.store.ListCredentials(t.Context(), e.appID, "u1")
				if err != nil {
					t.Fatal(err)
				}
				if want := slices.Max(append(tt.counts, 0)); creds[0].SignCount != want {
					t.Fatalf("stored counter %d, want %d", creds[0].SignCount, want)
				}
			})
		}
	})
}

// counterRaisingStore is a ceremony store on which another sign-in with
// the same passkey records a higher counter after this sign-in's check
// and before its use is recorded: the race the store's conditional update
// settles.
type counterRaisingStore struct {
	passkey.Store
	by uint32 // how far the other sign-in is ahead
}

func (s counterRaisingStore) SignIn(ctx context.Context, appID string, credentialID []byte, once *store.Once, check func(store.Credential) (store.CredentialUse, error)) (store.Credential, error) {
	return s.Store.SignIn(ctx, appID, credentialID, once, func(c store.Credential) (store.CredentialUse, error) {
		use, err := check(c)
		if err != nil || use.SignCount == 0 {
			return use, err
		}
		other := use
		other.SignCount += s.by
		return use, s.Store.RecordCredentialUse(ctx, appID, credentialID, other, nil)
	})
}

// TestSignatureCounterRaisedMeanwhile completes a sign-in whose counter is
// above the stored one when the sign-in begins, but not above the counter
// a concurrent sign-in stores just before this one is recorded (equal to
// it, or below it). The counter policy applies as to a regression seen at
// once: refused by default; accepted under AllowCounterRegression, which
// consumes the session and keeps the higher stored counter.
func TestSignatureCounterRaisedMeanwhile(t *testing.T) {
	for _, by := range []uint32{0, 1} {
		for _, allow := range []bool{false, true} {
			t.Run(fmt.Sprintf("ahead by %d, allowed %v", by, allow), func(t *testing.T) {
				e := newEnv(t, withDeps(func(d *passkey.Deps) {
					d.Store = counterRaisingStore{Store: d.Store, by: by}
					d.AllowCounterRegression = allow
				}))
				a := softauthn.New()
				e.register(a, map[string]any{"userId": "u1", "username": "alice"})
				body := e.signinBody(a, map[string]any{"userId": "u1"}, softauthn.WithSignCount(5))
				r := e.do("POST", "/signin/complete", e.public(), body)
				if allow {
					r.want(200)
					e.do("POST", "/signin/complete", e.public(), body).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
				} else {
					r.wantProblem(400, map[string]any{"errorCode": "signin_complete_error"})
				}
				creds, err := e.store.ListCredentials(t.Context(), e.appID, "u1")
				if err != nil {
					t.Fatal(err)
				}
				if want := 5 + by; creds[0].SignCount != want {
					t.Fatalf("stored counter %d, want %d (the concurrent sign-in's)", creds[0].SignCount, want)
				}
			})
		}
	}
}

// TestBackupFlagsAtSignin: as in the original, a sign-in is never refused
// because the backup flags differ from those stored at registration (say,
// for a credential imported without them); the stored flags follow the
// authenticator. Only the combination WebAuthn forbids, BS without BE, is
// refused.
func TestBackupFlagsAtSignin(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		tests := []struct {
			name               string
			registered, signin [2]bool // BE, BS
			ok                 bool
		}{
			{"unchanged", [2]bool{true, true}, [2]bool{true, true}, true},
			{"becomes eligible", [2]bool{false, false}, [2]bool{true, true}, true},
			{"backed up later", [2]bool{true, false}, [2]bool{true, true}, true},
			{"no longer eligible", [2]bool{true, true}, [2]bool{false, false}, true},
			{"state without eligibility", [2]bool{false, false}, [2]bool{false, true}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, on)
				a := softauthn.New()
				a.BackupEligible, a.BackupState = tt.registered[0], tt.registered[1]
				e.register(a, map[string]any{"userId": "u1", "username": "alice"})
				a.BackupEligible, a.BackupState = tt.signin[0], tt.signin[1]
				r := e.do("POST", "/signin/complete", e.public(), e.signinBody(a, map[string]any{"userId": "u1"}))
				want := tt.signin
				if tt.ok {
					r.want(200)
				} else {
					r.wantProblem(400, map[string]any{"errorCode": "signin_complete_error"})
					want = tt.registered
				}
				creds, err := e.store.ListCredentials(t.Context(), e.appID, "u1")
				if err != nil || len(creds) != 1 {
					t.Fatalf("credentials = %v, %v", creds, err)
				}
				if got := [2]bool{creds[0].BackupEligible, creds[0].BackupState}; got != want {
					t.Errorf("stored BE, BS = %v, want %v", got, want)
				}
			})
		}
	})
}

func TestUnknownCredential(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		_, cred := e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		// Another app does not know the credential.
		_, other := e.createApp("otherapp")
		var begin beginResponse
		e.do("POST", "/signin/begin", map[string][]string{"ApiKey": {other.APIKey1}}, clientBody(nil)).want(200).decode(&begin)
		resp, err := a.Get(begin.Data, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		body := clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})
		e.do("POST", "/signin/complete", map[string][]string{"ApiKey": {other.APIKey1}}, body).wantProblem(400, map[string]any{
			"errorCode":    "unknown_credential",
			"title":        "We don't recognize the passkey you sent us.",
			"credentialId": base64.RawURLEncoding.EncodeToString(cred.ID),
		})
	})
}

// TestSigninCompleteLooksUpCredentialFirst: the credential is looked up by
// id before the rest of the response is parsed (api-spec.md §6.4), so an
// unknown passkey is unknown_credential however malformed the rest is; the
// id itself must still be valid base64url.
func TestSigninCompleteLooksUpCredentialFirst(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		_, cred := e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		known := base64.RawURLEncoding.EncodeToString(cred.ID)
		unknown := base64.RawURLEncoding.EncodeToString([]byte("no such credential id"))
		valid := e.signinBody(a, map[string]any{"userId": "u1"})
		session := valid["session"]
		garbled := func(id string) string {
			return `{"id":"` + id + `","rawId":"` + id + `","type":"public-key",` +
				`"response":{"clientDataJSON":"%%%","authenticatorData":"not cbor","signature":""}}`
		}
		tests := []struct {
			name, response, code string
		}{
			{"unknown id, garbled response", garbled(unknown), "unknown_credential"},
			{"unknown id, nothing else", `{"id":"` + unknown + `"}`, "unknown_credential"},
			{"unknown id, wrong type", `{"id":"` + unknown + `","type":"password","response":7}`, "unknown_credential"},
			{"known id, garbled response", garbled(known), "signin_complete_error"},
			{"id not base64url", garbled("not base64url!"), "signin_complete_error"},
			{"id padded", garbled(unknown + "="), "signin_complete_error"},
			{"id missing", `{"rawId":"` + unknown + `"}`, "signin_complete_error"},
			{"id not a string", `{"id":5}`, "signin_complete_error"},
			{"response not an object", `"` + unknown + `"`, "signin_complete_error"},
		}
		// One environment serves every case (its helpers fail the whole test),
		// so the cases report with Errorf and go on.
		for _, tt := range tests {
			body := clientBody(map[string]any{"session": session, "response": json.RawMessage(tt.response)})
			r := e.do("POST", "/signin/complete", e.public(), body)
			var doc map[string]any
			json.Unmarshal(r.body, &doc)
			if r.status != 400 || doc["errorCode"] != tt.code {
				t.Errorf("%s: %d %s, want 400 %s", tt.name, r.status, r.body, tt.code)
			} else if tt.code == "unknown_credential" && doc["credentialId"] != unknown {
				t.Errorf("%s: credentialId = %v, want %q", tt.name, doc["credentialId"], unknown)
			}
		}
		// None of them used up the session.
		e.do("POST", "/signin/complete", e.public(), valid).want(200)
	})
}

func TestCrossAppSessionRejected(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		body := e.signinBody(a, map[string]any{"userId": "u1"})
		_, other := e.createApp("otherapp")
		e.do("POST", "/signin/complete", map[string][]string{"ApiKey": {other.APIKey1}}, body).wantProblem(400, map[string]any{"errorCode": "invalid_token"})
	})
}

func TestOriginChecks(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice"})
		var begin beginResponse
		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).want(200).decode(&begin)

		// The browser was on another origin than the one the client claims.
		resp, _, err := a.Create(begin.Data, "https://evil.example")
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", "/register/complete", e.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)})).
			wantProblem(400, map[string]any{"errorCode": "fido2_invalid_registration"})

		// A page URL with a path still matches the browser's origin.
		resp, _, err = a.Create(begin.Data, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		e.do("POST", "/register/complete", e.public(), map[string]any{
			"session": begin.Session, "response": json.RawMessage(resp), "origin": testOrigin + "/products/login/", "rpid": testRPID,
		}).want(200)

		// Origin missing on every public endpoint.
		for _, path := range []string{"/register/begin", "/register/complete", "/signin/begin", "/signin/complete"} {
			body := map[string]any{"RPID": testRPID, "token": regToken, "session": begin.Session}
			e.do("POST", path, e.public(), body).wantProblem(400, map[string]any{"title": "Origin is required.", "errorCode": nil})
		}
	})
}

// TestBeginOriginMustBeUsable: the begin endpoints refuse an origin that is
// neither an absolute URL with a host nor a native-app origin, and a
// native-app origin without an RPID, instead of answering with an empty
// RP ID and a session.
func TestBeginOriginMustBeUsable(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice"})
		tests := []struct {
			origin, rpid string
			wantRPID     string // "" when refused
			badField     string
		}{
			{"https://example.com", "", "example.com", ""},
			{"https://example.com:8443/login/", "", "example.com", ""},
			{"http://localhost:5701", "", "localhost", ""},
			{"https://example.com", "login.example.com", "login.example.com", ""},
			{"android:apk-key-hash:AbCd", "example.com", "example.com", ""},
			{"not a url", "", "", "origin"},
			{"not a url", "example.com", "", "origin"},
			{"example.com", "", "", "origin"},
			{"//example.com", "", "", "origin"},
			{"https://", "", "", "origin"},
			{"https:///login", "", "", "origin"},
			{"mailto:alice@example.com", "example.com", "", "origin"},
			{"android:apk-key-hash:AbCd", "", "", "rpid"},
		}
		for _, path := range []string{"/register/begin", "/signin/begin"} {
			for _, tt := range tests {
				body := map[string]any{"Origin": tt.origin, "token": regToken}
				if tt.rpid != "" {
					body["RPID"] = tt.rpid
				}
				r := e.do("POST", path, e.public(), body)
				var doc struct {
					Data struct {
						RPID string `json:"rpId"`
						RP   struct{ ID string }
					}
					Session string
					Errors  map[string][]string
				}
				json.Unmarshal(r.body, &doc)
				switch {
				case tt.wantRPID != "" && (r.status != 200 || doc.Data.RPID+doc.Data.RP.ID != tt.wantRPID):
					t.Errorf("%s origin %q rpid %q: %d %s, want 200 with RP ID %q", path, tt.origin, tt.rpid, r.status, r.body, tt.wantRPID)
				case tt.wantRPID == "" && (r.status != 400 || len(doc.Errors[tt.badField]) == 0 || doc.Session != ""):
					t.Errorf("%s origin %q rpid %q: %d %s, want a 400 validation problem on %s", path, tt.origin, tt.rpid, r.status, r.body, tt.badField)
				}
			}
		}
	})
}

func TestDiscoverableFlagFromCredProps(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		creds, err := e.store.ListCredentials(t.Context(), e.appID, "u1")
		if err != nil || len(creds) != 1 {
			t.Fatalf("credentials = %v, %v", creds, err)
		}
		c := creds[0]
		if c.Discoverable == nil || !*c.Discoverable || c.Nickname != "laptop" || c.Origin != testOrigin || c.RPID != testRPID {
			t.Fatalf("stored credential = %+v", c)
		}
	})
}

func TestAliasConflictAtRegisterToken(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		e.register(softauthn.New(), map[string]any{"userId": "u1", "username": "alice", "aliases": []string{"shared"}})
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u2", "username": "bob", "aliases": []string{"shared"}}).
			wantProblem(409, map[string]any{"errorCode": "alias_conflict", "title": "Alias is already in use by another userid"})
		// The owner may reuse its own alias.
		e.do("POST", "/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice", "aliases": []string{"shared"}}).want(200)
	})
}

func TestVerifyTokenRules(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		tok := e.token("/signin/generate-token", e.secret(), map[string]any{"userId": 123, "timeToLive": "30"})
		v := e.verify(tok)
		if v["userId"] != "123" || v["type"] != "generated_signin" || v["purpose"] != "sign-in" || v["credentialId"] != nil {
			t.Fatalf("verify = %v", v)
		}
		for _, k := range []string{"userId", "timestamp", "rpId", "origin", "success", "device", "country", "nickname", "credentialId", "purpose", "expiresAt", "tokenId", "type"} {
			if _, ok := v[k]; !ok {
				t.Errorf("verify response lacks %q", k)
			}
		}
		if !strings.HasSuffix(v["expiresAt"].(string), "Z") {
			t.Errorf("expiresAt %v lacks Z", v["expiresAt"])
		}
		// Single use.
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": tok}).wantProblem(400, map[string]any{"errorCode": "invalid_token"})

		// Expiry, with the original's wording.
		tok = e.token("/signin/generate-token", e.secret(), map[string]any{"userId": "u1", "timeToLive": 120})
		e.clock.Advance(130 * time.Second)
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": tok}).
			wantProblem(403, map[string]any{"errorCode": "expired_token", "title": "The token expired 10 seconds ago."})
	})
}

func TestTokenErrors(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		good := e.token("/signin/generate-token", e.secret(), map[string]any{"userId": "u1"})
		_, other := e.createApp("otherapp")
		foreign := e.token("/signin/generate-token", map[string][]string{"ApiSecret": {other.APISecret1}}, map[string]any{"userId": "u1"})
		// Flip one character in the middle of the sealed part.
		b := []byte(good)
		mid := len(b) / 2
		if b[mid] == 'A' {
			b[mid] = 'B'
		} else {
			b[mid] = 'A'
		}
		tests := []struct {
			name  string
			body  string
			code  string
			title string
		}{
			{"null token", `{"token":null}`, "missing_token", "This operation requires a token that starts with 'verify_' to be passed."},
			{"absent token", `{}`, "missing_token", ""},
			{"empty token", `{"token":""}`, "invalid_token", ""},
			{"wrong prefix", `{"token":"register_abc"}`, "invalid_token", "The token you sent was not correct. The token used for this endpoint should start with 'verify_'. Make sure you are not sending the wrong value. The value you sent started with 'register_a'"},
			{"not base64url", `{"token":"verify_something_that_looks_like_a_token_but_is_not!"}`, "invalid_token_format", ""},
			{"too short", `{"token":"verify_abcd"}`, "invalid_token_format", ""},
			{"tampered", `{"token":"` + string(b) + `"}`, "invalid_token", ""},
			{"other app", `{"token":"` + foreign + `"}`, "invalid_token", "The token you supplied was not valid. It could be that the token has expired or that it was not issued for this tenant."},
			{"prefix case-insensitive but sealed kind checked", `{"token":"VERIFY_` + good[len("verify_"):] + `"}`, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do("POST", "/signin/verify", e.secret(), tt.body)
				if tt.code == "" {
					r.want(200)
					return
				}
				m := r.wantProblem(400, map[string]any{"errorCode": tt.code})
				if tt.title != "" && m["title"] != tt.title {
					t.Fatalf("title = %q, want %q", m["title"], tt.title)
				}
			})
		}
	})
}

func TestRegisterTokenValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		tests := []struct {
			name   string
			body   string
			status int
			errs   map[string]string // field -> message
			code   string
		}{
			{"minimal", `{"userId":"1","username":"test"}`, 200, nil, ""},
			{"null userId", `{"userId":null,"username":"u"}`, 400, map[string]string{"userId": "The UserId field is required."}, ""},
			{"empty userId", `{"userId":"","username":"u"}`, 400, map[string]string{"userId": "The UserId field is required."}, ""},
			{"empty username", `{"userId":"1","username":""}`, 400, map[string]string{"username": "The Username field is required."}, ""},
			{"userId over 64 bytes", `{"userId":"` + strings.Repeat("x", 65) + `","username":"u"}`, 400, map[string]string{"userId": ""}, ""},
			{"11 aliases", `{"userId":"1","username":"u","aliases":["a","b","c","d","e","f","g","h","i","j","k"]}`, 400, map[string]string{"aliases": "The field Aliases must be a string or array type with a maximum length of '10'."}, ""},
			{"duplicates collapse", `{"userId":"1","username":"u","aliases":["a","a","b","c","d","e","f","g","h","i","j"]}`, 200, nil, ""},
			{"long alias", `{"userId":"1","username":"u","aliases":["` + strings.Repeat("a", 251) + `"]}`, 400, map[string]string{"aliases": "The field Aliases must be a collection that contains strings with a maximum length of '250'."}, ""},
			{"blank alias", `{"userId":"1","username":"u","aliases":[" "]}`, 400, map[string]string{"aliases": "The field Aliases must be a collection where every item is required."}, ""},
			{"null alias", `{"userId":"1","username":"u","aliases":[null]}`, 400, map[string]string{"aliases": ""}, ""},
			{"four hints", `{"userId":"1","username":"u","hints":["hybrid","hybrid","hybrid","hybrid"]}`, 400, map[string]string{"hints": ""}, ""},
			{"unknown hint", `{"userId":"1","username":"u","hints":["bluetooth"]}`, 400, map[string]string{"hints": ""}, ""},
			{"attestation None", `{"userId":"1","username":"u","attestation":"None"}`, 200, nil, ""},
			{"attestation enterprise", `{"userId":"1","username":"u","attestation":"enterprise"}`, 400, nil, "invalid_attestation"},
			{"attestation Direct", `{"userId":"1","username":"u","attestation":"Direct"}`, 400, nil, "invalid_attestation"},
			{"attestation direct off plan", `{"userId":"1","username":"u","attestation":"direct"}`, 400, nil, "attestation_not_supported_on_plan"},
			{"bad authenticatorType", `{"userId":"1","username":"u","authenticatorType":"usb"}`, 400, nil, "invalid_argument"},
			{"bad userVerification", `{"userId":"1","username":"u","userVerification":"optional"}`, 400, nil, "invalid_argument"},
			{"numeric userId", `{"userId":42,"username":"u"}`, 200, nil, ""},
			{"trailing comma", `{"userId":"1","username":"u",}`, 400, nil, ""},
			{"not an object", `[1,2]`, 400, nil, ""},
			{"expiresAt without zone", `{"userId":"1","username":"u","expiresAt":"2099-01-01T00:00:00"}`, 200, nil, ""},
			{"expiresAt garbage", `{"userId":"1","username":"u","expiresAt":"soon"}`, 400, nil, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do("POST", "/register/token", e.secret(), tt.body)
				if tt.status == 200 {
					r.want(200)
					return
				}
				m := r.wantProblem(tt.status, nil)
				if tt.code != "" && m["errorCode"] != tt.code {
					t.Fatalf("errorCode = %v, want %s", m["errorCode"], tt.code)
				}
				if tt.errs != nil {
					errs, _ := m["errors"].(map[string]any)
					if len(errs) != len(tt.errs) {
						t.Fatalf("errors = %v, want keys of %v", errs, tt.errs)
					}
					for field, msg := range tt.errs {
						list, _ := errs[field].([]any)
						if len(list) == 0 || (msg != "" && list[0] != msg) {
							t.Fatalf("errors[%s] = %v, want %q", field, errs[field], msg)
						}
					}
				}
			})
		}
	})
}

func TestExpiredRegisterToken(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		regToken := e.token("/register/token", e.secret(), map[string]any{"userId": "u1", "username": "alice"})
		e.clock.Advance(3 * time.Minute)
		e.do("POST", "/register/begin", e.public(), clientBody(map[string]any{"token": regToken})).
			wantProblem(403, map[string]any{"errorCode": "expired_token", "title": "The token expired 1 minute ago."})
	})
}

func TestExpiredSession(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		body := e.signinBody(a, map[string]any{"userId": "u1"})
		e.clock.Advance(10 * time.Minute)
		e.do("POST", "/signin/complete", e.public(), body).wantProblem(403, map[string]any{"errorCode": "expired_token"})
	})
}

func TestGenerateTokenRules(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		for _, tc := range []struct {
			body  string
			field string
		}{
			{`{"userId":""}`, "userId"},
			{`{"userId":"u","timeToLive":0}`, "timeToLive"},
			{`{"userId":"u","timeToLive":604801}`, "timeToLive"},
		} {
			m := e.do("POST", "/signin/generate-token", e.secret(), tc.body).wantProblem(400, nil)
			if _, ok := m["errors"].(map[string]any)[tc.field]; !ok {
				t.Fatalf("%s: errors = %v", tc.body, m["errors"])
			}
		}
	})
}

// TestSigninTokenReportsVerifiedRPID: the assertion is checked against the
// RP ID of the session (from /signin/begin), so the verify token reports
// that one, whatever RPID the completing request names.
func TestSigninTokenReportsVerifiedRPID(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		body := e.signinBody(a, map[string]any{"userId": "u1"})
		body["RPID"] = "other.example"
		var res struct{ Token string }
		e.do("POST", "/signin/complete", e.public(), body).want(200).decode(&res)
		if got := e.verify(res.Token)["rpId"]; got != testRPID {
			t.Fatalf("verify token rpId = %v, want the verified %q", got, testRPID)
		}
	})
}

// TestCountryHeader: a CF-IPCountry code is recorded with the sign-in, and
// anything else (long text, bytes that are not UTF-8) is dropped rather
// than stored, on both stores.
func TestCountryHeader(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		e := newEnv(t, on)
		a := softauthn.New()
		e.register(a, map[string]any{"userId": "u1", "username": "alice"})
		for _, tt := range []struct{ header, want string }{
			{"se", "SE"}, {"T1", "T1"}, {"Sweden", ""}, {"\xff\xfe", ""}, {"", ""},
		} {
			h := e.public()
			h.Set("CF-IPCountry", tt.header)
			var res struct{ Token string }
			e.do("POST", "/signin/complete", h, e.signinBody(a, map[string]any{"userId": "u1"})).want(200).decode(&res)
			if got, _ := e.verify(res.Token)["country"].(string); got != tt.want {
				t.Errorf("CF-IPCountry %q: country %q, want %q", tt.header, got, tt.want)
			}
		}
	})
}
