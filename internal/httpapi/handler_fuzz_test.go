package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// fuzzAuth selects the authentication header of a fuzzed request.
func (b *badInput) fuzzAuth(sel uint8) http.Header {
	switch sel % 7 {
	case 1:
		return b.pk(b.main.APIKey1)
	case 2:
		return b.sk(b.main.APISecret1)
	case 3:
		return mgmt()
	case 4:
		return b.pk(b.other.APIKey1)
	case 5:
		return b.sk(b.other.APISecret1)
	case 6:
		return http.Header{"Apikey": {b.main.APIKey1}, "Apisecret": {b.main.APISecret1}}
	}
	return http.Header{}
}

// FuzzHandler sends arbitrary methods, paths, query strings, content types
// and bodies with each kind of authentication through the real handler:
// never a panic or a 5xx, every 4xx a problem document, and no write after
// a rejected request. The seeds are the valid request of every route.
func FuzzHandler(f *testing.F) {
	b := newBadInput(f)
	for _, r := range b.routes() {
		sel := map[string]uint8{"pk": 1, "sk": 2, "mk": 3}[r.auth]
		var body []byte
		if r.members != nil {
			ms, vals := b.baseBody(r, false)
			body = encode(ms, vals, "")
		}
		f.Add(r.method, b.target(r, r.query), sel, "application/json", body)
	}
	f.Fuzz(func(t *testing.T, method, target string, auth uint8, contentType string, body []byte) {
		if method == "" || target == "" || target[0] != '/' {
			return
		}
		b.t = t
		hdr := b.fuzzAuth(auth)
		if contentType != "" {
			hdr.Set("Content-Type", contentType)
		}
		if len(body) == 0 {
			body = nil
		}
		b.check(probe{name: "fuzz", method: method, target: target, header: hdr, body: body, pass: "fuzz"})
	})
}

// ceremonyFuzz keeps one open session per ceremony and renews it when an
// input completes it.
type ceremonyFuzz struct {
	*badInput
	regSession, regChallenge   string
	signSession, signChallenge string
	cred                       *softauthn.Credential
	regSeed                    *softauthn.Attestation
	signSeed                   *softauthn.Assertion
}

func challengeOf(t testing.TB, data json.RawMessage) string {
	var o struct{ Challenge string }
	if err := json.Unmarshal(data, &o); err != nil {
		t.Fatal(err)
	}
	return o.Challenge
}

func (c *ceremonyFuzz) newRegister() {
	var rt struct{ Token string }
	mustDecode(c.t, c.ok("POST", "/register/token", c.sk(c.main.APISecret1), `{"userId":"fz-reg","username":"f"}`), &rt)
	var begin beginResponse
	mustDecode(c.t, c.ok("POST", "/register/begin", c.pk(c.main.APIKey1), clientBody(map[string]any{"token": rt.Token})), &begin)
	c.regSession, c.regChallenge = begin.Session, challengeOf(c.t, begin.Data)
	if c.regSeed == nil {
		att, _, err := softauthn.New().MakeCredential(begin.Data, testOrigin)
		if err != nil {
			c.t.Fatal(err)
		}
		c.regSeed = att
	}
}

func (c *ceremonyFuzz) newSignin() {
	var begin beginResponse
	mustDecode(c.t, c.ok("POST", "/signin/begin", c.pk(c.main.APIKey1), clientBody(map[string]any{"userId": "u1"})), &begin)
	c.signSession, c.signChallenge = begin.Session, challengeOf(c.t, begin.Data)
	if c.signSeed == nil {
		as, cred, err := c.authn.GetAssertion(begin.Data, testOrigin)
		if err != nil {
			c.t.Fatal(err)
		}
		c.signSeed, c.cred = as, cred
	}
}

// placeholder stands for the open session's challenge in fuzzed client
// data, so that inputs get past the challenge check.
const placeholder = "CHALLENGE"

// FuzzCeremonyComplete fuzzes the WebAuthn response parsing and
// verification of /register/complete (mode even) and /signin/complete
// (mode odd) with a valid open session. "CHALLENGE" in the client data is
// replaced by the session's challenge; with mode bit 1 set the assertion
// is signed with the registered credential's key, so that inputs reach the
// checks after the signature.
func FuzzCeremonyComplete(f *testing.F) {
	c := &ceremonyFuzz{badInput: newBadInput(f)}
	c.newRegister()
	c.newSignin()
	b64 := base64.RawURLEncoding.EncodeToString
	regCD := bytes.ReplaceAll(c.regSeed.ClientDataJSON, []byte(c.regChallenge), []byte(placeholder))
	signCD := bytes.ReplaceAll(c.signSeed.ClientDataJSON, []byte(c.signChallenge), []byte(placeholder))
	f.Add(uint8(0), c.regSeed.CredentialID, c.regSeed.AttestationObject, regCD, []byte(nil), []byte(nil), "")
	f.Add(uint8(0), c.regSeed.CredentialID, c.regSeed.AttestationObject, regCD, []byte(nil), []byte(nil), `{"credProps":{"rk":true}}`)
	f.Add(uint8(3), c.signSeed.CredentialID, c.signSeed.AuthenticatorData, signCD, []byte(nil), []byte("u1"), "")
	f.Add(uint8(1), c.signSeed.CredentialID, c.signSeed.AuthenticatorData, signCD, c.signSeed.Signature, []byte(nil), "")
	f.Add(uint8(3), c.signSeed.CredentialID, c.signSeed.AuthenticatorData[:37], signCD, []byte(nil), []byte(nil), `{}`)
	f.Fuzz(func(t *testing.T, mode uint8, id, data, clientData, sig, userHandle []byte, ext string) {
		c.t = t
		signin := mode&1 == 1
		challenge := c.regChallenge
		if signin {
			challenge = c.signChallenge
		}
		cd := bytes.ReplaceAll(clientData, []byte(placeholder), []byte(challenge))
		inner := map[string]any{"clientDataJSON": b64(cd)}
		if signin {
			if mode&2 != 0 && c.cred != nil {
				s, err := c.cred.Sign(data, cd)
				if err != nil {
					t.Fatal(err)
				}
				sig = s
			}
			inner["authenticatorData"], inner["signature"] = b64(data), b64(sig)
			if len(userHandle) > 0 {
				inner["userHandle"] = b64(userHandle)
			}
		} else {
			inner["attestationObject"] = b64(data)
		}
		resp := map[string]any{"id": b64(id), "rawId": b64(id), "type": "public-key", "response": inner}
		if ext != "" && json.Valid([]byte(ext)) {
			resp["clientExtensionResults"] = json.RawMessage(ext)
		}
		path, session := "/register/complete", c.regSession
		if signin {
			path, session = "/signin/complete", c.signSession
		}
		body := jsonBody(clientBody(map[string]any{"session": session, "response": resp, "nickname": "fz"}))
		status, _ := c.check(probe{name: "fuzz " + path, method: "POST", target: path, header: withJSON(c.pk(c.main.APIKey1)), body: body, pass: "fuzz"})
		if status == 200 {
			if signin {
				c.newSignin()
			} else {
				c.newRegister()
			}
		}
	})
}
