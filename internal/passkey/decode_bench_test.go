package passkey_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/softauthn"
)

// The client's bodies of register/complete and signin/complete, decoded
// into the request types as the HTTP layer does, and the WebAuthn
// responses inside them parsed by go-webauthn.

const (
	benchOrigin = "https://example.com"
	benchRPID   = "example.com"
)

var (
	benchCreation = []byte(`{"challenge":"yH0y1PjW0v9pD3B2l8E7qkqgHn5b0m5h3vT2aZcYx1s","rp":{"id":"example.com","name":"example.com"},` +
		`"user":{"id":"dXNlci0x","name":"alice","displayName":"alice"},"pubKeyCredParams":[{"type":"public-key","alg":-7},{"type":"public-key","alg":-8}],` +
		`"timeout":60000,"attestation":"none","authenticatorSelection":{"residentKey":"required","requireResidentKey":true,"userVerification":"preferred"},` +
		`"extensions":{"credProps":true}}`)
	benchRequest = []byte(`{"challenge":"Qm9vdHN0cmFwcGVkQ2hhbGxlbmdlRm9yQmVuY2htYXJr","timeout":60000,"rpId":"example.com","allowCredentials":[],"userVerification":"preferred"}`)
)

// benchBodies returns the two complete bodies as the browser client sends
// them, for a credential of alg.
func benchBodies(b *testing.B, alg softauthn.Alg) (register, signin []byte) {
	b.Helper()
	a := softauthn.New()
	att, _, err := a.Create(benchCreation, benchOrigin, softauthn.WithAlg(alg))
	if err != nil {
		b.Fatal(err)
	}
	asr, err := a.Get(benchRequest, benchOrigin)
	if err != nil {
		b.Fatal(err)
	}
	session := "session_" + string(bytes.Repeat([]byte("A"), 300))
	register, _ = json.Marshal(map[string]any{"session": session, "response": json.RawMessage(att), "nickname": "laptop", "RPID": benchRPID, "Origin": benchOrigin})
	signin, _ = json.Marshal(map[string]any{"session": session, "response": json.RawMessage(asr), "RPID": benchRPID, "Origin": benchOrigin})
	return register, signin
}

// decodeLikeServer decodes as httpapi's decode does: one value, then EOF.
func decodeLikeServer(b *testing.B, body []byte, v any) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		b.Fatal(err)
	}
	if _, err := dec.Token(); err == nil {
		b.Fatal("trailing data")
	}
}

func BenchmarkDecodeRegisterComplete(b *testing.B) {
	body, _ := benchBodies(b, softauthn.ES256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var req passkey.RegisterCompleteRequest
		decodeLikeServer(b, body, &req)
	}
}

func BenchmarkDecodeSigninComplete(b *testing.B) {
	_, body := benchBodies(b, softauthn.ES256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var req passkey.SigninCompleteRequest
		decodeLikeServer(b, body, &req)
	}
}

func BenchmarkParseCredentialCreation(b *testing.B) {
	for name, alg := range map[string]softauthn.Alg{"ES256": softauthn.ES256, "EdDSA": softauthn.EdDSA} {
		b.Run(name, func(b *testing.B) {
			body, _ := benchBodies(b, alg)
			var req passkey.RegisterCompleteRequest
			decodeLikeServer(b, body, &req)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := protocol.ParseCredentialCreationResponseBytes(req.Response); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseCredentialAssertion(b *testing.B) {
	for name, alg := range map[string]softauthn.Alg{"ES256": softauthn.ES256, "EdDSA": softauthn.EdDSA} {
		b.Run(name, func(b *testing.B) {
			_, body := benchBodies(b, alg)
			var req passkey.SigninCompleteRequest
			decodeLikeServer(b, body, &req)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := protocol.ParseCredentialRequestResponseBytes(req.Response); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
