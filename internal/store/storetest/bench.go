package storetest

import (
	"context"
	"crypto/rand"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// Bench runs the store benchmarks of the hot paths of a sign-in on an app
// with benchSeeded credentials; open returns a fresh, empty store. A
// backend's benchmark is one line:
//
//	func BenchmarkStore(b *testing.B) { storetest.Bench(b, open) }
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	for _, bm := range []struct {
		name string
		run  func(*testing.B, store.Store, [][]byte)
	}{
		{"GetCredential", benchGetCredential},
		{"GetCredentialParallel", benchGetCredentialParallel},
		{"RecordCredentialUse", benchRecordCredentialUse},
		{"RecordCredentialUseOnce", benchRecordCredentialUseOnce},
		{"ConsumeOnce", benchConsumeOnce},
		{"GetAPIKey", benchGetAPIKey},
		{"GetApp", benchGetApp},
		{"TouchAuthConfig", benchTouchAuthConfig},
		{"ConsumeOnceParallel", benchConsumeOnceParallel},
		{"RecordCredentialUseOnceParallel", benchRecordCredentialUseOnceParallel},
		{"ListCredentials", benchListCredentials},
	} {
		b.Run(bm.name, func(b *testing.B) {
			s := open(b)
			ids := seedBenchApp(b, s)
			b.ResetTimer()
			bm.run(b, s, ids)
		})
	}
}

// benchSeeded is the number of credentials the benchmarks run on.
const benchSeeded = 10000

// seedBenchApp creates app "bench" with a public key "k001" and
// benchSeeded credentials, and returns the credential ids.
func seedBenchApp(b *testing.B, s store.Store) [][]byte {
	b.Helper()
	ctx := b.Context()
	now := time.Now().UTC()
	key := store.APIKey{AppID: "bench", ID: "k001", Kind: store.KeyPublic, Value: "bench:public:0123456789abcdef0123456789abk001",
		Scopes: []string{"register", "login"}, CreatedAt: now}
	if err := s.CreateApp(ctx, store.App{ID: "bench", AdminEmail: "a@example.com", CreatedAt: now}, []store.APIKey{key}); err != nil {
		b.Fatal(err)
	}
	ids := make([][]byte, benchSeeded)
	creds := make([]store.Credential, 0, 5000)
	for i := range ids {
		ids[i] = make([]byte, 32)
		rand.Read(ids[i])
		u := fmt.Sprintf("user-%d", i)
		disc := true
		creds = append(creds, store.Credential{AppID: "bench", ID: ids[i], UserID: u, UserHandle: []byte(u),
			PublicKey: make([]byte, 77), AttestationFmt: "none", AAGUID: make([]byte, 16), CreatedAt: now, LastUsedAt: now,
			RPID: "example.com", Origin: "https://example.com", Device: "Chrome, Linux", Nickname: "laptop",
			Discoverable: &disc, Transports: []string{"internal", "hybrid"}})
		if len(creds) == cap(creds) || i == len(ids)-1 {
			if err := s.ImportCredentials(ctx, creds); err != nil {
				b.Fatal(err)
			}
			creds = creds[:0]
		}
	}
	return ids
}

func benchGetCredential(b *testing.B, s store.Store, ids [][]byte) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := s.GetCredential(ctx, "bench", ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func benchGetCredentialParallel(b *testing.B, s store.Store, ids [][]byte) {
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.GetCredential(ctx, "bench", ids[int(n.Add(1))%len(ids)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchRecordCredentialUse(b *testing.B, s store.Store, ids [][]byte) {
	ctx := context.Background()
	b.ReportAllocs()
	n := uint32(0)
	for b.Loop() {
		n++
		use := store.CredentialUse{SignCount: n, LastUsedAt: time.Now(), Device: "Chrome, Linux"}
		if err := s.RecordCredentialUse(ctx, "bench", ids[int(n)%len(ids)], use, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRecordCredentialUseOnce is the sign-in's write as the server
// makes it: the credential update and the session's single use in one
// transaction.
func benchRecordCredentialUseOnce(b *testing.B, s store.Store, ids [][]byte) {
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	b.ReportAllocs()
	n := uint32(0)
	for b.Loop() {
		n++
		use := store.CredentialUse{SignCount: n, LastUsedAt: time.Now(), Device: "Chrome, Linux"}
		once := &store.Once{ID: fmt.Sprintf("session-%d", n), ExpiresAt: exp}
		if err := s.RecordCredentialUse(ctx, "bench", ids[int(n)%len(ids)], use, once); err != nil {
			b.Fatal(err)
		}
	}
}

func benchConsumeOnce(b *testing.B, s store.Store, _ [][]byte) {
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.ConsumeOnce(ctx, "bench", fmt.Sprintf("session-%d", i), exp); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGetAPIKey(b *testing.B, s store.Store, _ [][]byte) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetAPIKey(ctx, "bench", "k001"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGetApp(b *testing.B, s store.Store, _ [][]byte) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetApp(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchTouchAuthConfig is the per-sign-in update of the purpose's
// last use: every sign-in of an app writes the same row.
func benchTouchAuthConfig(b *testing.B, s store.Store, _ [][]byte) {
	ctx := context.Background()
	cfg := store.AuthConfig{UserVerification: "preferred", TTL: 2 * time.Minute, CreatedBy: "System"}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.TouchAuthConfig(ctx, "bench", "sign-in", time.Now(), cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// benchWriters is the number of goroutines of the parallel write
// benchmarks, about the number of requests in flight in a loaded server.
const benchWriters = 32

// benchConsumeOnceParallel consumes distinct ids from benchWriters
// goroutines at once, as concurrent sign-ins do.
func benchConsumeOnceParallel(b *testing.B, s store.Store, _ [][]byte) {
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	var n atomic.Int64
	b.SetParallelism(max(1, benchWriters/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.ConsumeOnce(ctx, "bench", fmt.Sprintf("session-%d", n.Add(1)), exp); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchRecordCredentialUseOnceParallel is the sign-in's write from
// benchWriters goroutines at once. Each goroutine owns every 64th
// credential and raises their counters itself, so no counter regresses.
func benchRecordCredentialUseOnceParallel(b *testing.B, s store.Store, ids [][]byte) {
	const stride = 64
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	var goroutines, sessions atomic.Int64
	b.SetParallelism(max(1, benchWriters/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		g := int(goroutines.Add(1)-1) % stride
		var own [][]byte
		for i := g; i < len(ids); i += stride {
			own = append(own, ids[i])
		}
		count := uint32(0)
		for i := 0; pb.Next(); i++ {
			if i%len(own) == 0 {
				count++
			}
			use := store.CredentialUse{SignCount: count, LastUsedAt: time.Now(), Device: "Chrome, Linux"}
			once := &store.Once{ID: fmt.Sprintf("session-%d", sessions.Add(1)), ExpiresAt: exp}
			if err := s.RecordCredentialUse(ctx, "bench", own[i%len(own)], use, once); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchListCredentials(b *testing.B, s store.Store, _ [][]byte) {
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		list, err := s.ListCredentials(ctx, "bench", fmt.Sprintf("user-%d", i%benchSeeded))
		if err != nil || len(list) != 1 {
			b.Fatal(len(list), err)
		}
		i++
	}
}
