package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/bench"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
)

// In-process ceremonies: the whole server (routing, authentication,
// tokens, go-webauthn, SQLite on a temporary file) behind httptest, driven
// by the load generator's client with real signatures. The numbers include
// the client's signing; profile with
//
//	go test -run '^$' -bench Signin -cpuprofile cpu.out ./internal/httpapi

// newBenchClient starts a server on a fresh SQLite file with one app and
// returns a client for it.
func newBenchClient(b *testing.B) *bench.Client {
	_, c := newBenchServer(b)
	return c
}

// newBenchServer is newBenchClient that also returns the server's handler,
// for benchmarks that call it without a connection.
func newBenchServer(b *testing.B) (http.Handler, *bench.Client) {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sealer := token.NewSealer(st, nil)
	configs := authconfig.New(st, nil)
	md := mdstest.Metadata(b)
	attest := attestation.New(st, func() *mds.Metadata { return md }, nil)
	h := httpapi.New(httpapi.Config{
		Passkeys:      passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest}),
		Attestation:   attest,
		Apps:          apps.New(st, sealer, nil),
		Users:         users.New(st),
		Configs:       configs,
		Events:        events.New(st, nil),
		Reports:       reports.New(st),
		Health:        st,
		ManagementKey: testManagementKey,
		Version:       "bench",
	})
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	hc := bench.NewHTTPClient(64)
	app, err := bench.CreateApp(b.Context(), hc, srv.URL, testManagementKey, "benchapp")
	if err != nil {
		b.Fatal(err)
	}
	return h, &bench.Client{BaseURL: srv.URL, APIKey: app.APIKey, APISecret: app.APISecret,
		Origin: testOrigin, RPID: testRPID, HTTP: hc}
}

func benchAlgs() map[string]softauthn.Alg {
	return map[string]softauthn.Alg{"ES256": softauthn.ES256, "EdDSA": softauthn.EdDSA}
}

// BenchmarkRegister runs full registrations: register/token,
// register/begin, register/complete, signin/verify.
func BenchmarkRegister(b *testing.B) {
	for name, alg := range benchAlgs() {
		b.Run(name, func(b *testing.B) {
			c := newBenchClient(b)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				id := fmt.Sprintf("user-%d", i)
				if _, err := c.Register(ctx, id, id+"@example.com", alg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignin runs full sign-ins (signin/begin by user id,
// signin/complete, signin/verify) of one registered user.
func BenchmarkSignin(b *testing.B) {
	for name, alg := range benchAlgs() {
		for _, mode := range []bench.SigninMode{bench.ByID, bench.ByAlias, bench.Discoverable} {
			b.Run(name+"/"+string(mode), func(b *testing.B) {
				c := newBenchClient(b)
				ctx := context.Background()
				u, err := c.Register(ctx, "user-1", "alice@example.com", alg)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Signin(ctx, u, mode); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSigninParallel runs full sign-ins of 64 users from GOMAXPROCS
// goroutines, each user used by one goroutine at a time.
func BenchmarkSigninParallel(b *testing.B) {
	c := newBenchClient(b)
	ctx := context.Background()
	pool := make(chan *bench.User, 64)
	for i := range cap(pool) {
		id := fmt.Sprintf("user-%d", i)
		u, err := c.Register(ctx, id, id+"@example.com", softauthn.ES256)
		if err != nil {
			b.Fatal(err)
		}
		pool <- u
	}
	var failed atomic.Bool
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := <-pool
			err := c.Signin(ctx, u, bench.ByID)
			pool <- u
			if err != nil && !failed.Swap(true) {
				b.Error(err)
			}
		}
	})
}

// BenchmarkServerSignin measures the server's own work for a discoverable
// sign-in: the three requests are handed to the handler in memory, and the
// authenticator's signature and the client's JSON run with the timer
// stopped, so ns/op, B/op and allocs/op are the server's (routing, key
// checks, JSON, tokens, go-webauthn, the SQLite reads and group-committed
// writes).
func BenchmarkServerSignin(b *testing.B) {
	h, c := newBenchServer(b)
	u, err := c.Register(context.Background(), "user-1", "", softauthn.ES256)
	if err != nil {
		b.Fatal(err)
	}
	call := func(path, authHeader, authValue string, body []byte, out any) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(authHeader, authValue)
		req.Header.Set("User-Agent", bench.UserAgent)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			b.Fatal(err)
		}
	}
	mustJSON := func(v any) []byte {
		data, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	beginBody := mustJSON(map[string]string{"RPID": testRPID, "Origin": testOrigin})
	b.ReportAllocs()
	for b.Loop() {
		var begin struct {
			Data    json.RawMessage `json:"data"`
			Session string          `json:"session"`
		}
		call("/signin/begin", "ApiKey", c.APIKey, beginBody, &begin)
		b.StopTimer()
		resp, err := u.Auth.Get(begin.Data, testOrigin)
		if err != nil {
			b.Fatal(err)
		}
		completeBody := mustJSON(map[string]any{"session": begin.Session, "response": json.RawMessage(resp),
			"RPID": testRPID, "Origin": testOrigin})
		b.StartTimer()
		var done struct {
			Token string `json:"token"`
		}
		call("/signin/complete", "ApiKey", c.APIKey, completeBody, &done)
		b.StopTimer()
		verifyBody := mustJSON(map[string]string{"token": done.Token})
		b.StartTimer()
		var verified struct {
			Success bool `json:"success"`
		}
		call("/signin/verify", "ApiSecret", c.APISecret, verifyBody, &verified)
		if !verified.Success {
			b.Fatal("signin/verify did not succeed")
		}
	}
}
