package apps

import (
	"errors"
	"fmt"
	"testing"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/wire"
)

// scripted is a key generator that hands out keys with the given ids (the
// last four hex digits) in order, repeating the last one when it runs out.
type scripted struct {
	ids   []string
	draws int
}

func (g *scripted) generate(appID string, kind store.KeyKind) string {
	id := g.ids[min(g.draws, len(g.ids)-1)]
	g.draws++
	return fmt.Sprintf("%s:%s:%028x%s", appID, kindWord(kind), g.draws, id)
}

func kindWord(kind store.KeyKind) string {
	if kind == store.KeySecret {
		return "secret"
	}
	return "public"
}

func TestDistinctKeys(t *testing.T) {
	tests := []struct {
		name      string
		ids       []string
		wantIDs   [4]string
		wantDraws int
		wantErr   bool
	}{
		{"no collision", []string{"0001", "0002", "0003", "0004"}, [4]string{"0001", "0002", "0003", "0004"}, 4, false},
		{"public keys collide", []string{"0001", "0001", "0002", "0003", "0004"}, [4]string{"0001", "0002", "0003", "0004"}, 5, false},
		// Public keys and secrets share one id namespace.
		{"secret collides with public key", []string{"0001", "0002", "0001", "0002", "0003", "0004"}, [4]string{"0001", "0002", "0003", "0004"}, 6, false},
		{"exhausted", []string{"0001"}, [4]string{}, 1 + maxKeyDraws, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &scripted{ids: tt.ids}
			keys, err := distinctKeys("app1", g.generate)
			if g.draws != tt.wantDraws {
				t.Errorf("draws = %d, want %d", g.draws, tt.wantDraws)
			}
			if tt.wantErr {
				if err == nil {
					t.Fatalf("distinctKeys = %v, want an error", keys)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids [4]string
			for i, k := range keys {
				ids[i] = apikey.ID(k)
			}
			if ids != tt.wantIDs {
				t.Errorf("key ids = %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

func newTestService(t *testing.T, open teststores.Opener) (*Service, store.Store) {
	t.Helper()
	st := open(t)
	return New(st, token.NewSealer(st, nil), nil), st
}

// TestCreateKeyRetriesCollisions: a new key whose id an existing key of the
// app already has is drawn again, and running out of draws is a 409
// problem, never a 500.
func TestCreateKeyRetriesCollisions(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		existing := []string{"0001", "0002", "0003", "0004"} // the app's first four keys
		tests := []struct {
			name       string
			kind       store.KeyKind
			ids        []string // of the new key's draws
			wantID     string   // "" when refused
			wantDraws  int
			wantStatus int
		}{
			{"free at once", store.KeyPublic, []string{"0005"}, "0005", 1, 0},
			{"collides with a public key", store.KeyPublic, []string{"0001", "0005"}, "0005", 2, 0},
			{"secret collides with public and secret keys", store.KeySecret, []string{"0002", "0003", "0004", "abcd"}, "abcd", 4, 0},
			{"every draw collides", store.KeySecret, []string{"0001", "0002", "0003", "0004"}, "", maxKeyDraws, 409},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				svc, st := newTestService(t, open)
				svc.generate = (&scripted{ids: existing}).generate
				if _, err := svc.Create(t.Context(), "app1", CreateRequest{}); err != nil {
					t.Fatal(err)
				}
				g := &scripted{ids: tt.ids}
				svc.generate = g.generate
				res, err := svc.CreateKey(t.Context(), "app1", tt.kind, CreateKeyRequest{Scopes: []wire.Int{0}})
				if g.draws != tt.wantDraws {
					t.Errorf("draws = %d, want %d", g.draws, tt.wantDraws)
				}
				keys, lerr := st.ListAPIKeys(t.Context(), "app1")
				if lerr != nil {
					t.Fatal(lerr)
				}
				if tt.wantID == "" {
					var p *problem.Problem
					if !errors.As(err, &p) || p.Status != tt.wantStatus {
						t.Fatalf("CreateKey = %v, %v; want a %d problem", res, err, tt.wantStatus)
					}
					if len(keys) != len(existing) {
						t.Errorf("keys after a refused CreateKey = %d, want %d", len(keys), len(existing))
					}
					return
				}
				if err != nil {
					t.Fatalf("CreateKey: %v", err)
				}
				if got := apikey.ID(res["apiKey"]); got != tt.wantID {
					t.Errorf("new key id = %q, want %q", got, tt.wantID)
				}
				if len(keys) != len(existing)+1 {
					t.Errorf("keys = %d, want %d", len(keys), len(existing)+1)
				}
			})
		}
	})
}

// TestCreateWithCollidingDraws: the app's first four keys get distinct ids
// even when the generator repeats itself.
func TestCreateWithCollidingDraws(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		svc, st := newTestService(t, open)
		g := &scripted{ids: []string{"0001", "0001", "0001", "0002", "0002", "0003", "0004"}}
		svc.generate = g.generate
		res, err := svc.Create(t.Context(), "app1", CreateRequest{})
		if err != nil {
			t.Fatal(err)
		}
		got := []string{apikey.ID(res.APIKey1), apikey.ID(res.APIKey2), apikey.ID(res.APISecret1), apikey.ID(res.APISecret2)}
		if fmt.Sprint(got) != "[0001 0002 0003 0004]" {
			t.Errorf("key ids = %v", got)
		}
		keys, err := st.ListAPIKeys(t.Context(), "app1")
		if err != nil || len(keys) != 4 {
			t.Errorf("stored keys = %d, %v; want 4", len(keys), err)
		}
	})
}
