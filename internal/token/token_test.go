package token_test

import (
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type payload struct {
	User string `json:"u"`
	N    int    `json:"n"`
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) || p.Code != code || p.Status != 400 {
		t.Fatalf("err = %v, want 400 %s", err, code)
	}
}

func TestSealOpen(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		st := open(t)
		clk := &clock{t: time.Now()}
		s := token.NewSealer(st, clk.now)
		tok, err := s.Seal(ctx, "app1", token.Verify, payload{User: "alice", N: 7})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "verify_") || strings.ContainsAny(tok[len("verify_"):], "+/=") {
			t.Fatalf("token %q is not prefix + base64url", tok)
		}
		if strings.Contains(tok, "alice") {
			t.Fatal("payload readable in the token")
		}
		var got payload
		if err := s.Open(ctx, "app1", token.Verify, &tok, &got); err != nil || got != (payload{"alice", 7}) {
			t.Fatalf("Open = %+v, %v", got, err)
		}

		// Bound to kind and app.
		session := "session_" + tok[len("verify_"):]
		wantCode(t, s.Open(ctx, "app1", token.Session, &session, &got), "invalid_token")
		wantCode(t, s.Open(ctx, "app2", token.Verify, &tok, &got), "invalid_token")
		wantCode(t, s.Open(ctx, "app1", token.Verify, nil, &got), "missing_token")

		// Every single-byte change of the sealed part is detected.
		raw, _ := base64.RawURLEncoding.DecodeString(tok[len("verify_"):])
		for i := range raw {
			mutated := append([]byte(nil), raw...)
			mutated[i] ^= 0x01
			m := "verify_" + base64.RawURLEncoding.EncodeToString(mutated)
			if err := s.Open(ctx, "app1", token.Verify, &m, &got); err == nil {
				t.Fatalf("mutation at byte %d accepted", i)
			}
		}
	})
}

// TestOneSpellingPerToken changes the last character of tokens of every
// length class to each other base64url character: none may open, even where
// the change touches only the padding bits a lenient decoder ignores.
func TestOneSpellingPerToken(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		s := token.NewSealer(open(t), time.Now)
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		for _, user := range []string{"a", "ab", "abc"} {
			tok, err := s.Seal(ctx, "app1", token.Verify, payload{User: user})
			if err != nil {
				t.Fatal(err)
			}
			last := tok[len(tok)-1]
			for _, c := range []byte(alphabet) {
				if c == last {
					continue
				}
				m := tok[:len(tok)-1] + string(c)
				var got payload
				if err := s.Open(ctx, "app1", token.Verify, &m, &got); err == nil {
					t.Fatalf("token of length %d opened with last char %q instead of %q", len(tok), c, last)
				}
			}
		}
	})
}

func TestRotationAcrossInstances(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		st := open(t)
		clk := &clock{t: time.Now()}
		a := token.NewSealer(st, clk.now)
		b := token.NewSealer(st, clk.now)

		first, err := a.Seal(ctx, "app1", token.Register, payload{N: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got payload
		if err := b.Open(ctx, "app1", token.Register, &first, &got); err != nil {
			t.Fatalf("instance B cannot open A's token: %v", err)
		}

		// After a week A rotates; B, which cached the old key, still opens the
		// token made with the new one (it reloads on an unknown key id).
		clk.add(token.RotateAfter + time.Hour)
		second, err := a.Seal(ctx, "app1", token.Register, payload{N: 2})
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := st.ListTokenKeys(ctx, "app1")
		if len(keys) != 2 {
			t.Fatalf("keys after rotation = %d, want 2", len(keys))
		}
		for _, tok := range []string{first, second} {
			if err := b.Open(ctx, "app1", token.Register, &tok, &got); err != nil {
				t.Fatalf("B cannot open a token after A rotated: %v", err)
			}
		}

		// Past the retention window the first key no longer opens anything.
		clk.add(token.Retention)
		wantCode(t, b.Open(ctx, "app1", token.Register, &first, &got), "invalid_token")
	})
}

// TestOpenRightAfterAnotherInstanceRotated: A reloads its keys just before
// B rotates; a token B seals with the new key must open on A at once, not
// only after A's next reload.
func TestOpenRightAfterAnotherInstanceRotated(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		st := open(t)
		clk := &clock{t: time.Now()}
		a := token.NewSealer(st, clk.now)
		b := token.NewSealer(st, clk.now)
		var got payload

		old, err := a.Seal(ctx, "app1", token.Verify, payload{N: 1})
		if err != nil {
			t.Fatal(err)
		}
		clk.add(token.RotateAfter + time.Hour)
		// A's cache is stale, so this open reloads A's keys now.
		if err := a.Open(ctx, "app1", token.Verify, &old, &got); err != nil {
			t.Fatal(err)
		}
		clk.add(100 * time.Millisecond)
		fresh, err := b.Seal(ctx, "app1", token.Verify, payload{N: 2}) // B rotates
		if err != nil {
			t.Fatal(err)
		}
		if keys, _ := st.ListTokenKeys(ctx, "app1"); len(keys) != 2 {
			t.Fatalf("keys after B sealed = %d, want 2 (B did not rotate)", len(keys))
		}
		clk.add(300 * time.Millisecond)
		for _, tc := range []struct {
			name string
			s    *token.Sealer
			tok  string
			want int
		}{
			{"A opens B's new token", a, fresh, 2},
			{"B opens A's old token", b, old, 1},
			{"A opens its old token", a, old, 1},
		} {
			got = payload{}
			if err := tc.s.Open(ctx, "app1", token.Verify, &tc.tok, &got); err != nil || got.N != tc.want {
				t.Errorf("%s: %+v, %v", tc.name, got, err)
			}
		}
		// Having met the new key, A signs with it too.
		next, err := a.Seal(ctx, "app1", token.Verify, payload{N: 3})
		if err != nil {
			t.Fatal(err)
		}
		if keys, _ := st.ListTokenKeys(ctx, "app1"); len(keys) != 2 {
			t.Fatalf("keys after A sealed = %d, want 2 (A rotated again)", len(keys))
		}
		if keyID(t, next) != keyID(t, fresh) {
			t.Errorf("A sealed with key %x, not B's new key %x", keyID(t, next), keyID(t, fresh))
		}
	})
}

// keyID returns the key id a verify_ token names.
func keyID(t *testing.T, tok string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(tok[len("verify_"):])
	if err != nil || len(raw) < 4 {
		t.Fatalf("undecodable token %q", tok)
	}
	return string(raw[:4])
}

// countingKeys counts the store reads of a sealer.
type countingKeys struct {
	token.KeyStore
	lists, gets atomic.Int64
}

func (c *countingKeys) ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error) {
	c.lists.Add(1)
	return c.KeyStore.ListTokenKeys(ctx, appID)
}

func (c *countingKeys) GetTokenKey(ctx context.Context, appID string, id uint32) (store.TokenKey, error) {
	c.gets.Add(1)
	return c.KeyStore.GetTokenKey(ctx, appID, id)
}

// TestUnknownKeyIDCostsOneRead: a token naming a key id nobody has costs
// one single-key read and never a reload of every key, however many come.
func TestUnknownKeyIDCostsOneRead(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		keys := &countingKeys{KeyStore: open(t)}
		s := token.NewSealer(keys, time.Now)
		good, err := s.Seal(ctx, "app1", token.Verify, payload{N: 1})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(good[len("verify_"):])
		if err != nil {
			t.Fatal(err)
		}
		lists := keys.lists.Load()
		for i := range 50 {
			forged := append([]byte(nil), raw...)
			forged[0] ^= byte(i + 1) // another key id, same length
			tok := "verify_" + base64.RawURLEncoding.EncodeToString(forged)
			var got payload
			wantCode(t, s.Open(ctx, "app1", token.Verify, &tok, &got), "invalid_token")
		}
		if n := keys.gets.Load(); n != 50 {
			t.Errorf("single-key reads for 50 unknown key ids = %d, want 50", n)
		}
		if n := keys.lists.Load() - lists; n != 0 {
			t.Errorf("full key reloads for unknown key ids = %d, want 0", n)
		}
		// A known key costs nothing.
		var got payload
		if err := s.Open(ctx, "app1", token.Verify, &good, &got); err != nil {
			t.Fatal(err)
		}
		if keys.gets.Load() != 50 || keys.lists.Load() != lists {
			t.Errorf("opening a token of a cached key read the store")
		}
	})
}

func FuzzOpen(f *testing.F) {
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	s := token.NewSealer(st, nil)
	good, err := s.Seal(context.Background(), "app1", token.Verify, payload{User: "x"})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, "verify_", "verify_AAAA", "register_abc", "", "verify_!!", good + "A", good[:len(good)-3]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		var got payload
		err := s.Open(context.Background(), "app1", token.Verify, &tok, &got)
		if err == nil {
			return
		}
		var p *problem.Problem
		if !errors.As(err, &p) || p.Status != 400 {
			t.Fatalf("Open(%q) = %v, want a 400 problem", tok, err)
		}
	})
}

func TestConcurrentFirstSealMakesOneKey(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		st := open(t)
		s := token.NewSealer(st, nil)
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Seal(ctx, "app1", token.Session, payload{}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		keys, err := st.ListTokenKeys(ctx, "app1")
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys = %d, %v; want 1", len(keys), err)
		}
	})
}
