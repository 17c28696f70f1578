package softauthn

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"
)

const (
	testRPID   = "example.com"
	testOrigin = "https://example.com"
)

var allAlgs = []Alg{ES256, EdDSA, RS256}

type testUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u *testUser) WebAuthnID() []byte                         { return u.id }
func (u *testUser) WebAuthnName() string                       { return "alice" }
func (u *testUser) WebAuthnDisplayName() string                { return "Alice" }
func (u *testUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newRP(t testing.TB) *webauthn.WebAuthn {
	t.Helper()
	w, err := webauthn.New(&webauthn.Config{
		RPID:                              testRPID,
		RPDisplayName:                     "Example",
		RPOrigins:                         []string{testOrigin},
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

type descriptor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// registerOptions builds the "data" member of /register/begin as the server
// returns it.
func registerOptions(challenge, userID []byte, algs []Alg, exclude ...[]byte) []byte {
	params := make([]map[string]any, 0, len(algs))
	for _, a := range algs {
		params = append(params, map[string]any{"type": "public-key", "alg": int(a)})
	}
	excl := []descriptor{}
	for _, id := range exclude {
		excl = append(excl, descriptor{"public-key", b64u(id)})
	}
	b, _ := json.Marshal(map[string]any{
		"rp":               map[string]any{"id": testRPID, "name": "Example"},
		"user":             map[string]any{"name": "alice", "id": b64u(userID), "displayName": "Alice"},
		"challenge":        b64u(challenge),
		"pubKeyCredParams": params,
		"timeout":          60000,
		"attestation":      "none",
		"authenticatorSelection": map[string]any{
			"residentKey": "required", "requireResidentKey": true, "userVerification": "required",
		},
		"excludeCredentials": excl,
		"extensions":         map[string]any{"credProps": true},
		"status":             "ok",
		"errorMessage":       "",
	})
	return b
}

// signinOptions builds the "data" member of /signin/begin.
func signinOptions(challenge []byte, allow ...[]byte) []byte {
	al := []descriptor{}
	for _, id := range allow {
		al = append(al, descriptor{"public-key", b64u(id)})
	}
	b, _ := json.Marshal(map[string]any{
		"challenge":        b64u(challenge),
		"timeout":          60000,
		"rpId":             testRPID,
		"allowCredentials": al,
		"userVerification": "required",
		"extensions":       map[string]any{},
		"status":           "ok",
		"errorMessage":     "",
	})
	return b
}

func regSession(challenge, userID []byte, alg Alg) webauthn.SessionData {
	return webauthn.SessionData{
		Challenge:        b64u(challenge),
		RelyingPartyID:   testRPID,
		UserID:           userID,
		UserVerification: protocol.VerificationRequired,
		CredParams: []protocol.CredentialParameter{{
			Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.COSEAlgorithmIdentifier(alg),
		}},
		Extensions: protocol.SessionExtensions{Requested: []string{protocol.ExtensionCredProps}},
	}
}

func loginSession(challenge, userID []byte, allow ...[]byte) webauthn.SessionData {
	return webauthn.SessionData{
		Challenge:            b64u(challenge),
		RelyingPartyID:       testRPID,
		UserID:               userID,
		AllowedCredentialIDs: allow,
		UserVerification:     protocol.VerificationRequired,
	}
}

// register runs a verified registration and returns the RP-side user.
func register(t *testing.T, rp *webauthn.WebAuthn, a *Authenticator, alg Alg) (*testUser, *Credential) {
	t.Helper()
	challenge, userID := randBytes(t, 16), randBytes(t, 16)
	resp, cred, err := a.Create(registerOptions(challenge, userID, []Alg{alg}), testOrigin)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		t.Fatalf("ParseCredentialCreationResponseBytes: %v\n%s", err, resp)
	}
	user := &testUser{id: userID}
	wc, err := rp.CreateCredential(user, regSession(challenge, userID, alg), parsed)
	if err != nil {
		t.Fatalf("CreateCredential: %v", err)
	}
	user.creds = append(user.creds, *wc)
	return user, cred
}

// login runs Get and ValidateLogin, returning the verified RP credential or
// the first error.
func login(rp *webauthn.WebAuthn, a *Authenticator, user *testUser, origin string, allow [][]byte, opts ...GetOption) (*webauthn.Credential, error) {
	challenge := make([]byte, 16)
	_, _ = rand.Read(challenge)
	resp, err := a.Get(signinOptions(challenge, allow...), origin, opts...)
	if err != nil {
		return nil, err
	}
	return validate(rp, user, challenge, allow, resp)
}

func validate(rp *webauthn.WebAuthn, user *testUser, challenge []byte, allow [][]byte, resp []byte) (*webauthn.Credential, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		return nil, err
	}
	// A server lists only the user's own credentials; the test options may
	// list foreign IDs too, to check the authenticator skips them.
	var owned [][]byte
	for _, id := range allow {
		for _, c := range user.creds {
			if bytes.Equal(c.ID, id) {
				owned = append(owned, id)
			}
		}
	}
	return rp.ValidateLogin(user, loginSession(challenge, user.id, owned...), parsed)
}

func TestCeremonies(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(alg.String(), func(t *testing.T) {
			rp, a := newRP(t), New()
			a.AAGUID = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
			user, cred := register(t, rp, a, alg)
			wc := user.creds[0]

			if !bytes.Equal(wc.ID, cred.ID) || len(cred.ID) != 32 {
				t.Errorf("credential id: rp %x, authenticator %x", wc.ID, cred.ID)
			}
			if !bytes.Equal(wc.PublicKey, cred.COSEPublicKey()) {
				t.Errorf("public key differs")
			}
			if !bytes.Equal(wc.Authenticator.AAGUID, a.AAGUID[:]) {
				t.Errorf("aaguid = %x", wc.Authenticator.AAGUID)
			}
			if wc.AttestationFormat != "none" || !wc.Flags.UserPresent || !wc.Flags.UserVerified || wc.Flags.BackupEligible {
				t.Errorf("format %q flags %+v", wc.AttestationFormat, wc.Flags)
			}
			if cred.Alg != alg || cred.RPID != testRPID || !bytes.Equal(cred.UserHandle, user.id) || cred.SignCount != 0 {
				t.Errorf("credential = %+v", cred)
			}

			// Discoverable, then targeted, then targeted with userHandle.
			for i, allow := range [][][]byte{nil, {randBytes(t, 32), cred.ID}, {cred.ID}} {
				var opts []GetOption
				if i == 2 {
					opts = append(opts, WithUserHandle())
				}
				got, err := login(rp, a, user, testOrigin, allow, opts...)
				if err != nil {
					t.Fatalf("login %d: %v", i, err)
				}
				if want := uint32(i + 1); got.Authenticator.SignCount != want || cred.SignCount != want || got.Authenticator.CloneWarning {
					t.Errorf("login %d: rp count %d, authenticator count %d, clone %v", i, got.Authenticator.SignCount, cred.SignCount, got.Authenticator.CloneWarning)
				}
				user.creds[0] = *got
			}
		})
	}
}

func TestNegative(t *testing.T) {
	for _, alg := range allAlgs {
		t.Run(alg.String(), func(t *testing.T) {
			rp, a := newRP(t), New()
			user, cred := register(t, rp, a, alg)

			t.Run("create wrong origin", func(t *testing.T) {
				challenge, userID := randBytes(t, 16), randBytes(t, 16)
				resp, _, err := New().Create(registerOptions(challenge, userID, []Alg{alg}), "https://evil.example")
				if err != nil {
					t.Fatal(err)
				}
				parsed, err := protocol.ParseCredentialCreationResponseBytes(resp)
				if err != nil {
					t.Fatal(err)
				}
				_, err = rp.CreateCredential(&testUser{id: userID}, regSession(challenge, userID, alg), parsed)
				if err == nil {
					t.Fatal("registration from wrong origin verified")
				}
				t.Log(err)
			})

			t.Run("get wrong origin", func(t *testing.T) {
				_, err := login(rp, a, user, "https://evil.example", [][]byte{cred.ID})
				if err == nil {
					t.Fatal("assertion from wrong origin verified")
				}
				t.Log(err)
			})

			t.Run("get wrong type", func(t *testing.T) {
				_, err := login(rp, a, user, testOrigin, nil, WithType(TypeCreate))
				if err == nil {
					t.Fatal("assertion with type webauthn.create verified")
				}
				t.Log(err)
			})

			t.Run("mutated signature", func(t *testing.T) {
				challenge := randBytes(t, 16)
				as, _, err := a.GetAssertion(signinOptions(challenge), testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				sig := bytes.Clone(as.Signature)
				sig[len(sig)-1] ^= 0x01
				as.Signature = sig
				resp, _ := json.Marshal(as)
				if _, err = validate(rp, user, challenge, nil, resp); err == nil {
					t.Fatal("mutated signature verified")
				}
				t.Log(err)
			})

			t.Run("re-signed without UP", func(t *testing.T) {
				challenge := randBytes(t, 16)
				as, c, err := a.GetAssertion(signinOptions(challenge), testOrigin)
				if err != nil {
					t.Fatal(err)
				}
				as.AuthenticatorData = AuthenticatorData(testRPID, FlagUV, c.SignCount+100, nil)
				if as.Signature, err = c.Sign(as.AuthenticatorData, as.ClientDataJSON); err != nil {
					t.Fatal(err)
				}
				resp, _ := json.Marshal(as)
				if _, err = validate(rp, user, challenge, nil, resp); err == nil {
					t.Fatal("assertion without user presence verified")
				}
				t.Log(err)
				// The same rebuild with UP set verifies, so the failure above is the flag.
				as.AuthenticatorData = AuthenticatorData(testRPID, FlagUP|FlagUV, c.SignCount+100, nil)
				if as.Signature, err = c.Sign(as.AuthenticatorData, as.ClientDataJSON); err != nil {
					t.Fatal(err)
				}
				resp, _ = json.Marshal(as)
				if _, err := validate(rp, user, challenge, nil, resp); err != nil {
					t.Fatalf("rebuilt assertion: %v", err)
				}
			})

			t.Run("excluded", func(t *testing.T) {
				opts := registerOptions(randBytes(t, 16), user.id, []Alg{alg}, randBytes(t, 32), cred.ID)
				if _, _, err := a.Create(opts, testOrigin); !errors.Is(err, ErrExcluded) {
					t.Fatalf("err = %v, want ErrExcluded", err)
				}
			})
		})
	}
}

func TestCounter(t *testing.T) {
	rp, a := newRP(t), New()
	user, cred := register(t, rp, a, EdDSA)
	for want := uint32(1); want <= 3; want++ {
		got, err := login(rp, a, user, testOrigin, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Authenticator.SignCount != want || got.Authenticator.CloneWarning {
			t.Fatalf("count %d clone %v, want %d", got.Authenticator.SignCount, got.Authenticator.CloneWarning, want)
		}
		user.creds[0] = *got
	}

	// Going backwards is reported as a possible clone.
	got, err := login(rp, a, user, testOrigin, nil, WithSignCount(1))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Authenticator.CloneWarning || cred.SignCount != 1 {
		t.Fatalf("clone %v, authenticator count %d", got.Authenticator.CloneWarning, cred.SignCount)
	}

	// An authenticator without counters stays at zero and raises no warning.
	rp, a = newRP(t), New()
	a.CounterStep = 0
	user, cred = register(t, rp, a, ES256)
	for range 2 {
		got, err := login(rp, a, user, testOrigin, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Authenticator.SignCount != 0 || got.Authenticator.CloneWarning || cred.SignCount != 0 {
			t.Fatalf("count %d clone %v", got.Authenticator.SignCount, got.Authenticator.CloneWarning)
		}
		user.creds[0] = *got
	}

	// A starting count set at creation is used and then stepped.
	_, cred, err = a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), nil), testOrigin, WithSignCount(41))
	if err != nil || cred.SignCount != 41 {
		t.Fatalf("create: %v, count %d", err, cred.SignCount)
	}
	a.CounterStep = 1
	as, _, err := a.GetAssertion(signinOptions(randBytes(t, 16), cred.ID), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if c := as.AuthenticatorData[33:37]; !bytes.Equal(c, []byte{0, 0, 0, 42}) {
		t.Fatalf("counter bytes %x", c)
	}
}

func TestBackupFlags(t *testing.T) {
	rp, a := newRP(t), New()
	a.BackupEligible, a.BackupState = true, true
	user, _ := register(t, rp, a, ES256)
	if f := user.creds[0].Flags; !f.BackupEligible || !f.BackupState {
		t.Fatalf("flags %+v", f)
	}
	if _, err := login(rp, a, user, testOrigin, nil); err != nil {
		t.Fatal(err)
	}
	// Not verifying the user fails a ceremony that requires it.
	a.UserVerified = false
	if _, err := login(rp, a, user, testOrigin, nil); err == nil {
		t.Fatal("assertion without UV verified although required")
	}
}

func TestResponseJSON(t *testing.T) {
	a := New()
	challenge, userID := randBytes(t, 16), randBytes(t, 16)
	opts := registerOptions(challenge, userID, []Alg{ES256})
	resp, cred, err := a.Create(opts, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ID, RawID, Type        string
		ClientExtensionResults json.RawMessage
		Response               map[string]string
	}
	mustUnmarshalStrict(t, resp, &reg, "id", "rawId", "type", "clientExtensionResults", "response")
	if reg.ID != b64u(cred.ID) || reg.RawID != reg.ID || reg.Type != "public-key" ||
		string(reg.ClientExtensionResults) != `{"credProps":{"rk":true}}` || len(reg.Response) != 2 {
		t.Fatalf("registration response: %s", resp)
	}
	cdj := mustB64(t, reg.Response["clientDataJSON"])
	want := `{"type":"webauthn.create","challenge":"` + b64u(challenge) + `","origin":"https://example.com","crossOrigin":false}`
	if string(cdj) != want {
		t.Fatalf("clientDataJSON = %s", cdj)
	}

	var att struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}
	raw := mustB64(t, reg.Response["attestationObject"])
	if err := cbor.Unmarshal(raw, &att); err != nil {
		t.Fatal(err)
	}
	if att.Fmt != "none" || att.AttStmt == nil || len(att.AttStmt) != 0 {
		t.Fatalf("attestation object %+v", att)
	}
	if !bytes.HasPrefix(raw, []byte("\xa3\x63fmt\x64none\x67attStmt\xa0\x68authData")) {
		t.Fatalf("attestation object not in canonical order: %x", raw[:24])
	}
	wantAuth := AuthenticatorData(testRPID, FlagUP|FlagUV|FlagAT, 0,
		AttestedCredentialData(a.AAGUID, cred.ID, cred.COSEPublicKey()))
	if !bytes.Equal(att.AuthData, wantAuth) {
		t.Fatalf("authData = %x\nwant %x", att.AuthData, wantAuth)
	}

	for _, withHandle := range []bool{false, true} {
		var o []GetOption
		if withHandle {
			o = append(o, WithUserHandle())
		}
		resp, err := a.Get(signinOptions(challenge), testOrigin, o...)
		if err != nil {
			t.Fatal(err)
		}
		var as struct {
			ID, RawID, Type        string
			ClientExtensionResults json.RawMessage
			Response               map[string]string
		}
		mustUnmarshalStrict(t, resp, &as, "id", "rawId", "type", "clientExtensionResults", "response")
		if as.ID != b64u(cred.ID) || as.RawID != as.ID || as.Type != "public-key" || string(as.ClientExtensionResults) != `{}` {
			t.Fatalf("assertion response: %s", resp)
		}
		keys := []string{"authenticatorData", "clientDataJSON", "signature"}
		if withHandle {
			keys = append(keys, "userHandle")
			if as.Response["userHandle"] != b64u(userID) {
				t.Fatalf("userHandle = %q", as.Response["userHandle"])
			}
		}
		if len(as.Response) != len(keys) {
			t.Fatalf("response members %v, want %v", as.Response, keys)
		}
		for _, k := range keys {
			if v, ok := as.Response[k]; !ok || strings.ContainsAny(v, "+/=") {
				t.Fatalf("response.%s = %q", k, v)
			}
		}
		if cd := mustB64(t, as.Response["clientDataJSON"]); !bytes.HasPrefix(cd, []byte(`{"type":"webauthn.get","challenge":"`+b64u(challenge)+`"`)) {
			t.Fatalf("clientDataJSON = %s", cd)
		}
	}
}

// mustUnmarshalStrict decodes b into v and checks the top-level members are
// exactly keys.
func mustUnmarshalStrict(t *testing.T, b []byte, v any, keys ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != len(keys) {
		t.Fatalf("members of %s, want %v", b, keys)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Fatalf("member %q missing from %s", k, b)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return b
}

func TestCOSEKeys(t *testing.T) {
	for _, tc := range []struct {
		alg    Alg
		prefix string // hex of the encoding up to the first key material
		size   int
	}{
		{ES256, "a5010203262001215820", 77},
		{EdDSA, "a4010103272006215820", 42},
		{RS256, "a401030339010020590100", 272},
	} {
		t.Run(tc.alg.String(), func(t *testing.T) {
			c, err := newCredential(tc.alg, testRPID, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			k := c.COSEPublicKey()
			if got := hex.EncodeToString(k); !strings.HasPrefix(got, tc.prefix) || len(k) != tc.size {
				t.Fatalf("COSE key %s (%d bytes)", got, len(k))
			}
			switch tc.alg {
			case ES256:
				if !bytes.Equal(k[42:45], []byte{0x22, 0x58, 0x20}) {
					t.Fatalf("y header %x", k[42:45])
				}
			case RS256:
				if !bytes.HasSuffix(k, []byte{0x21, 0x43, 1, 0, 1}) {
					t.Fatalf("e %x", k[len(k)-5:])
				}
			}
			if _, err := webauthncose.ParsePublicKey(k); err != nil {
				t.Fatalf("go-webauthn cannot parse key: %v", err)
			}
		})
	}
}

func TestAlgSelection(t *testing.T) {
	a := New()
	opts := registerOptions(randBytes(t, 16), randBytes(t, 16), []Alg{-35, -36, EdDSA, ES256})
	if _, cred, err := a.Create(opts, testOrigin); err != nil || cred.Alg != EdDSA {
		t.Fatalf("picked %v, %v; want EdDSA", cred, err)
	}
	if _, cred, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), nil), testOrigin); err != nil || cred.Alg != ES256 {
		t.Fatalf("empty params: %v, %v; want ES256", cred, err)
	}
	if _, _, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), []Alg{-35}), testOrigin); !errors.Is(err, ErrUnsupportedAlg) {
		t.Fatalf("err = %v, want ErrUnsupportedAlg", err)
	}
	if _, cred, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), []Alg{-35}), testOrigin, WithAlg(EdDSA)); err != nil || cred.Alg != EdDSA {
		t.Fatalf("forced: %v, %v", cred, err)
	}
	if _, _, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), nil), testOrigin, WithAlg(-35)); !errors.Is(err, ErrUnsupportedAlg) {
		t.Fatalf("forced unsupported: err = %v", err)
	}
}

func TestSelection(t *testing.T) {
	a := New()
	if _, err := a.Get(signinOptions(randBytes(t, 16)), testOrigin); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("empty authenticator: err = %v", err)
	}
	_, c1, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), nil), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	_, c2, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), nil), testOrigin, WithCredentialID([]byte("fixed-id")))
	if err != nil {
		t.Fatal(err)
	}
	if string(c2.ID) != "fixed-id" {
		t.Fatalf("id %q", c2.ID)
	}
	if got := a.Credentials(); len(got) != 2 || got[0] != c1 || got[1] != c2 {
		t.Fatalf("Credentials() = %v", got)
	}
	for _, tc := range []struct {
		name  string
		allow [][]byte
		want  *Credential
	}{
		{"discoverable picks newest", nil, c2},
		{"first listed held", [][]byte{randBytes(t, 32), c1.ID, c2.ID}, c1},
		{"none held", [][]byte{randBytes(t, 32)}, nil},
	} {
		_, got, err := a.GetAssertion(signinOptions(randBytes(t, 16), tc.allow...), testOrigin)
		if tc.want == nil {
			if !errors.Is(err, ErrNoCredential) {
				t.Errorf("%s: err = %v", tc.name, err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("%s: got %v, %v", tc.name, got, err)
		}
	}
	// Another RP's credentials are not used.
	other := []byte(`{"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"other.example"}`)
	if _, err := a.Get(other, "https://other.example"); !errors.Is(err, ErrNoCredential) {
		t.Fatalf("other rp: err = %v", err)
	}
	// The rp id defaults to the origin's host.
	if _, got, err := a.GetAssertion([]byte(`{"challenge":"AAAAAAAAAAAAAAAAAAAAAA"}`), "https://example.com:8443"); err != nil || got != c2 {
		t.Fatalf("rp id from origin: %v, %v", got, err)
	}
}

func TestConcurrentGet(t *testing.T) {
	a := New()
	_, cred, err := a.Create(registerOptions(randBytes(t, 16), randBytes(t, 16), nil), testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	opts := signinOptions(randBytes(t, 16))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				if _, err := a.Get(opts, testOrigin); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if cred.SignCount != 200 {
		t.Fatalf("count %d, want 200", cred.SignCount)
	}
}

func BenchmarkGet(b *testing.B) {
	for _, alg := range allAlgs {
		b.Run(alg.String(), func(b *testing.B) {
			a := New()
			if _, _, err := a.Create(registerOptions(randBytes(b, 16), randBytes(b, 16), []Alg{alg}), testOrigin); err != nil {
				b.Fatal(err)
			}
			opts := signinOptions(randBytes(b, 16))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Get(opts, testOrigin); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCreate(b *testing.B) {
	for _, alg := range []Alg{ES256, EdDSA} {
		b.Run(alg.String(), func(b *testing.B) {
			opts := registerOptions(randBytes(b, 16), randBytes(b, 16), []Alg{alg})
			a := New()
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := a.Create(opts, testOrigin); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
