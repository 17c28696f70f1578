package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
)

// TestWrongSignatureProblemHasNoGoNil: a sign-in whose signature does not
// verify is a 400 that says so in words; the WebAuthn library formats a
// nil error into that message, which must not reach the client as "<nil>".
func TestWrongSignatureProblemHasNoGoNil(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		for _, alg := range []softauthn.Alg{softauthn.ES256, softauthn.EdDSA, softauthn.RS256} {
			t.Run(alg.String(), func(t *testing.T) {
				e := newEnv(t, on)
				a := softauthn.New()
				e.register(a, map[string]any{"userId": "u1", "username": "alice"}, softauthn.WithAlg(alg))
				var begin beginResponse
				e.do("POST", "/signin/begin", e.public(), clientBody(map[string]any{"userId": "u1"})).want(200).decode(&begin)
				as, _, err := a.GetAssertion(begin.Data, testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				as.Signature[len(as.Signature)/2] ^= 0x01
				resp, err := json.Marshal(as)
				if err != nil {
					t.Fatal(err)
				}
				r := e.do("POST", "/signin/complete", e.public(), clientBody(map[string]any{"session": begin.Session, "response": json.RawMessage(resp)}))
				m := r.wantProblem(400, map[string]any{"errorCode": "signin_complete_error"})
				title, _ := m["title"].(string)
				if strings.Contains(title, "<nil>") || !strings.Contains(title, "signature") {
					t.Errorf("problem %s: want a title about the signature, without a Go <nil>", r.body)
				}
			})
		}
	})
}
