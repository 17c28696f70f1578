package token_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
)

// benchSession has the shape and size of a sign-in session payload.
type benchSession struct {
	ID               string    `json:"id"`
	Ceremony         string    `json:"c"`
	ExpiresAt        time.Time `json:"exp"`
	Challenge        string    `json:"ch"`
	RPID             string    `json:"rp"`
	UserVerification string    `json:"uv"`
	AllowedIDs       [][]byte  `json:"allow,omitempty"`
	Purpose          string    `json:"p,omitempty"`
}

func newBenchSealer(b *testing.B) *token.Sealer {
	b.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "tokens.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return token.NewSealer(st, nil)
}

func benchPayload() benchSession {
	return benchSession{
		ID: "0b6f3f8e-5c1d-4b59-9a53-1f2d3c4b5a69", Ceremony: "signin", ExpiresAt: time.Now().Add(5 * time.Minute),
		Challenge: "yH0y1PjW0v9pD3B2l8E7qkqgHn5b0m5h3vT2aZcYx1s", RPID: "example.com", UserVerification: "preferred",
		AllowedIDs: [][]byte{make([]byte, 32)}, Purpose: "sign-in",
	}
}

func BenchmarkSeal(b *testing.B) {
	s := newBenchSealer(b)
	ctx := context.Background()
	p := benchPayload()
	if _, err := s.Seal(ctx, "app", token.Session, p); err != nil { // creates the key
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(ctx, "app", token.Session, p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	s := newBenchSealer(b)
	ctx := context.Background()
	tok, err := s.Seal(ctx, "app", token.Session, benchPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var p benchSession
		if err := s.Open(ctx, "app", token.Session, &tok, &p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealOpenParallel(b *testing.B) {
	s := newBenchSealer(b)
	ctx := context.Background()
	p := benchPayload()
	if _, err := s.Seal(ctx, "app", token.Session, p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok, err := s.Seal(ctx, "app", token.Session, p)
			if err != nil {
				b.Error(err)
				return
			}
			var out benchSession
			if err := s.Open(ctx, "app", token.Session, &tok, &out); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
