package passkey_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/wire"
)

// FuzzRequests decodes arbitrary bodies into the request types of the
// token and ceremony-begin endpoints and runs the service on a real store:
// every failure is a 4xx problem, and a register token that
// /register/token issues is accepted by /register/begin. kind selects
// register/token, register/begin, signin/begin, signin/generate-token and
// signin/verify; its bit 3 turns the app's attestation feature on.
func FuzzRequests(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(f.TempDir(), "passkey.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	app := store.App{ID: "app1", CreatedAt: time.Now(), Features: store.Features{GenerateSignInTokenEnabled: true}}
	if err := st.CreateApp(ctx, app, nil); err != nil {
		f.Fatal(err)
	}
	sealer := token.NewSealer(st, nil)
	svc := passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: authconfig.New(st, nil)})
	for _, s := range []struct {
		kind uint8
		body string
	}{
		{0, `{"userId":"u1","username":"alice","displayName":"Alice","attestation":"none","authenticatorType":"platform","discoverable":false,"userVerification":"Required","aliases":["a@example.com"],"aliasHashing":false,"hints":["client-device","hybrid"],"expiresAt":"2099-01-01T00:00:00Z","tokenId":"t","type":"x"}`},
		{8, `{"userId":123,"username":true,"attestation":"direct","authenticatorType":"cross-platform","expiresAt":"2000-01-01T00:00:00"}`},
		{0, `{"userId":"u1","username":"a","hints":["security-key","security-key","x","y"]}`},
		{1, `{"token":"register_AAAA","origin":"https://example.com","rpid":"example.com"}`},
		{2, `{"userId":"u1","purpose":"step-up","origin":"https://example.com"}`},
		{2, `{"alias":"a@example.com","purpose":null,"origin":"android:apk-key-hash:abc","rpid":""}`},
		{3, `{"userId":"u1","timeToLive":"600","purpose":"sign-in"}`},
		{3, `{"userId":"u1","timeToLive":-1}`},
		{4, `{"token":"verify_AAAA"}`},
		{4, `{"token":null}`},
	} {
		f.Add(s.kind, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		a := app
		a.Features.AllowAttestation = kind&8 != 0
		var err error
		decode := func(v any) bool { return json.Unmarshal(data, v) == nil }
		switch kind % 5 {
		case 0:
			var req passkey.RegisterTokenRequest
			if !decode(&req) {
				return
			}
			var res passkey.TokenResponse
			res, err = svc.RegisterToken(ctx, a, req)
			if err == nil {
				tok := res.Token
				_, berr := svc.RegisterBegin(ctx, a, passkey.RegisterBeginRequest{Token: (*wire.String)(&tok), Origin: "https://example.com"})
				var p *problem.Problem
				if berr != nil && !(errors.As(berr, &p) && p.Code == "expired_token") {
					t.Fatalf("register/begin refused the token register/token issued for %q: %v", data, berr)
				}
			}
		case 1:
			var req passkey.RegisterBeginRequest
			if !decode(&req) {
				return
			}
			_, err = svc.RegisterBegin(ctx, a, req)
		case 2:
			var req passkey.SigninBeginRequest
			if !decode(&req) {
				return
			}
			_, err = svc.SigninBegin(ctx, a, req)
		case 3:
			var req passkey.GenerateTokenRequest
			if !decode(&req) {
				return
			}
			_, err = svc.GenerateToken(ctx, a, req)
		case 4:
			var req passkey.VerifyRequest
			if !decode(&req) {
				return
			}
			_, err = svc.Verify(ctx, a, req)
		}
		if err != nil {
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
				t.Fatalf("kind %d, input %q: %v, want a 4xx problem", kind, data, err)
			}
		}
	})
}
