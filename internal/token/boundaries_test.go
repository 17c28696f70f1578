package token_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
)

// TestOpenLengthBoundaries checks the two length checks of Open at their
// edges: a value that is only the kind's prefix is a malformed token, not
// a token of another kind, and a body exactly as long as key id, nonce and
// tag is well formed (and so merely invalid) while one byte less is not.
func TestOpenLengthBoundaries(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		s := token.NewSealer(open(t), time.Now)
		const minBody = 4 + 12 + 16 // key id, nonce, GCM tag
		b64 := func(n int) string { return base64.RawURLEncoding.EncodeToString(make([]byte, n)) }
		for _, tt := range []struct {
			name, tok, code string
		}{
			{"only the prefix", string(token.Verify), "invalid_token_format"},
			{"the prefix, upper case", strings.ToUpper(string(token.Verify)), "invalid_token_format"},
			{"one byte short of the minimum", string(token.Verify) + b64(minBody-1), "invalid_token_format"},
			{"the minimum length", string(token.Verify) + b64(minBody), "invalid_token"},
			{"shorter than the prefix", string(token.Verify)[:3], "invalid_token"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var p payload
				tok := tt.tok
				wantCode(t, s.Open(t.Context(), "app1", token.Verify, &tok, &p), tt.code)
			})
		}
	})
}

// keyIDOf reads the key id a token was sealed with (its first four bytes).
func keyIDOf(t *testing.T, kind token.Kind, tok string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, string(kind)))
	if err != nil || len(raw) < 4 {
		t.Fatalf("token %q: %v", tok, err)
	}
	return string(raw[:4])
}

// TestKeyAgeBoundaries checks rotation and retention at their edges: a key
// exactly RotateAfter old no longer signs, and a token whose key is
// exactly Retention old still opens, a nanosecond later no more.
func TestKeyAgeBoundaries(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		s := token.NewSealer(open(t), clk.now)
		first, err := s.Seal(ctx, "app1", token.Verify, payload{User: "a"})
		if err != nil {
			t.Fatal(err)
		}
		clk.add(token.RotateAfter - time.Nanosecond)
		if tok, err := s.Seal(ctx, "app1", token.Verify, payload{User: "a"}); err != nil || keyIDOf(t, token.Verify, tok) != keyIDOf(t, token.Verify, first) {
			t.Fatalf("just before RotateAfter the key changed (%v)", err)
		}
		clk.add(time.Nanosecond)
		if tok, err := s.Seal(ctx, "app1", token.Verify, payload{User: "a"}); err != nil || keyIDOf(t, token.Verify, tok) == keyIDOf(t, token.Verify, first) {
			t.Fatalf("at RotateAfter the key was not rotated (%v)", err)
		}

		clk.add(token.Retention - token.RotateAfter)
		var p payload
		tok := first
		if err := s.Open(ctx, "app1", token.Verify, &tok, &p); err != nil || p.User != "a" {
			t.Fatalf("a token whose key is exactly Retention old: %v", err)
		}
		clk.add(time.Nanosecond)
		wantCode(t, s.Open(ctx, "app1", token.Verify, &tok, &p), "invalid_token")
	})
}

// TestWrongPrefixDetail checks the start of the value quoted back in the
// error title for a token of the wrong kind: its first ten characters (runes,
// not bytes), or all of a shorter value.
func TestWrongPrefixDetail(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		s := token.NewSealer(open(t), time.Now)
		for tok, quoted := range map[string]string{
			"register_abcdefghij": "register_a",
			"ééééééééééééé":       "éééééééééé",
			"short":               "short",
		} {
			var p payload
			err := s.Open(t.Context(), "app1", token.Verify, &tok, &p)
			var pr *problem.Problem
			if !errors.As(err, &pr) || !strings.HasSuffix(pr.Title, "started with '"+quoted+"'") {
				t.Errorf("token %q: %v; want the title to quote %q", tok, err, quoted)
			}
		}
	})
}

// conflictingKeys is a key store on which every new key collides with an
// existing id.
type conflictingKeys struct {
	token.KeyStore
	adds int
}

func (c *conflictingKeys) AddTokenKey(context.Context, store.TokenKey) error {
	c.adds++
	return store.ErrConflict
}

// TestRotationGivesUpOnRepeatedConflicts checks that making a key stops
// after a few colliding ids instead of trying forever.
func TestRotationGivesUpOnRepeatedConflicts(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		keys := &conflictingKeys{KeyStore: open(t)}
		s := token.NewSealer(keys, time.Now)
		if _, err := s.Seal(t.Context(), "app1", token.Verify, payload{}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Seal = %v, want the conflict", err)
		}
		if keys.adds != 4 {
			t.Fatalf("%d attempts to add a key, want 4", keys.adds)
		}
	})
}

// TestOpenLearnsAKeyIntoAnEmptyCache opens, on an instance whose cache
// holds no key of the app yet, a token another instance sealed a moment
// later: the key is read by its id and added to the (empty) cached list.
func TestOpenLearnsAKeyIntoAnEmptyCache(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		st := open(t)
		a, b := token.NewSealer(st, time.Now), token.NewSealer(st, time.Now)
		var p payload
		bogus := string(token.Verify) + base64.RawURLEncoding.EncodeToString(make([]byte, 40))
		wantCode(t, b.Open(ctx, "app1", token.Verify, &bogus, &p), "invalid_token") // caches "no keys"
		tok, err := a.Seal(ctx, "app1", token.Verify, payload{User: "a"})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Open(ctx, "app1", token.Verify, &tok, &p); err != nil || p.User != "a" {
			t.Fatalf("Open on the other instance: %v", err)
		}
		// The learned key is now b's signing key too.
		mine, err := b.Seal(ctx, "app1", token.Verify, payload{User: "b"})
		if err != nil || keyIDOf(t, token.Verify, mine) != keyIDOf(t, token.Verify, tok) {
			t.Fatalf("b signs with another key than the one it learned (%v)", err)
		}
	})
}

// hidingKeys is a key store whose listing leaves out some key ids, as a
// listing taken before another instance stored them would; reads by id
// still find them.
type hidingKeys struct {
	token.KeyStore
	hidden map[uint32]bool
}

func (h *hidingKeys) ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error) {
	all, err := h.KeyStore.ListTokenKeys(ctx, appID)
	var out []store.TokenKey
	for _, k := range all {
		if !h.hidden[k.ID] {
			out = append(out, k)
		}
	}
	return out, err
}

// TestLearnedOlderKeyKeepsTheNewestSigning has an instance read by id a
// key older than the newest it holds: the key opens tokens, and the
// newest key still signs.
func TestLearnedOlderKeyKeepsTheNewestSigning(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		st := open(t)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clk := func() time.Time { return now }
		older := store.TokenKey{AppID: "app1", ID: 7, Material: make([]byte, 32), CreatedAt: now.Add(-time.Hour)}
		if err := st.AddTokenKey(ctx, older); err != nil {
			t.Fatal(err)
		}
		s := token.NewSealer(&hidingKeys{KeyStore: st, hidden: map[uint32]bool{older.ID: true}}, clk)
		newest, err := s.Seal(ctx, "app1", token.Verify, payload{User: "s"})
		if err != nil {
			t.Fatal(err)
		}
		newestID := keyIDOf(t, token.Verify, newest)
		hideNewest := map[uint32]bool{binary.BigEndian.Uint32([]byte(newestID)): true}
		other := token.NewSealer(&hidingKeys{KeyStore: st, hidden: hideNewest}, clk)
		old, err := other.Seal(ctx, "app1", token.Verify, payload{User: "o"})
		if err != nil || keyIDOf(t, token.Verify, old) == newestID {
			t.Fatalf("the other instance did not sign with the older key (%v)", err)
		}

		var p payload
		if err := s.Open(ctx, "app1", token.Verify, &old, &p); err != nil || p.User != "o" {
			t.Fatalf("Open with the older key: %v", err)
		}
		again, err := s.Seal(ctx, "app1", token.Verify, payload{User: "s"})
		if err != nil || keyIDOf(t, token.Verify, again) != newestID {
			t.Fatalf("after learning an older key, the newest no longer signs (%v)", err)
		}
	})
}
