package apps_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
)

// authFixture is an apps service on a fresh store, with one app and
// a settable clock (to step past the authentication cache).
type authFixture struct {
	svc  *apps.Service
	keys apps.CreateResponse
	now  time.Time
}

func newAuthFixture(t *testing.T, open teststores.Opener) *authFixture {
	t.Helper()
	ctx := context.Background()
	st := open(t)
	f := &authFixture{now: time.Now()}
	f.svc = apps.New(st, token.NewSealer(st, nil), func() time.Time { return f.now })
	var err error
	if f.keys, err = f.svc.Create(ctx, "shop", apps.CreateRequest{AdminEmail: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	return f
}

// innerNearMisses changes a key inside its random part only, so that the
// app id (before the first ':') and the key id (the last four characters)
// still name the stored key and the value reaches the comparison itself:
// a changed first, middle and last character of that part, one character
// more and one less.
func innerNearMisses(key string) map[string]string {
	start, end := len(key)-32, len(key)-4 // the random part before the key id
	change := func(i int) string {
		b := []byte(key)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	mid := (start + end) / 2
	return map[string]string{
		"first random character": change(start),
		"middle character":       change(mid),
		"last before key id":     change(end - 1),
		"one more":               key[:mid] + "0" + key[mid:],
		"one less":               key[:mid] + key[mid+1:],
		"one less at the start":  key[:start] + key[start+1:],
	}
}

// TestAuthenticateComparesThePublicKey checks the public-key comparison of
// Authenticate on its own: values that find the stored key but differ
// from it are ErrInvalidKey.
func TestAuthenticateComparesThePublicKey(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newAuthFixture(t, open)
		ctx := context.Background()
		for _, key := range []string{f.keys.APIKey1, f.keys.APIKey2} {
			p, err := f.svc.Authenticate(ctx, store.KeyPublic, key)
			if err != nil || p.App.ID != "shop" || p.Key.ID != apikey.ID(key) {
				t.Fatalf("Authenticate(own key) = %+v, %v", p, err)
			}
			for name, v := range innerNearMisses(key) {
				if _, err := f.svc.Authenticate(ctx, store.KeyPublic, v); !errors.Is(err, apps.ErrInvalidKey) {
					t.Errorf("%s: Authenticate(%q) = %v, want ErrInvalidKey", name, v, err)
				}
			}
		}
	})
}

// TestAuthenticateChecksTheSecretHash is the same for secrets, whose
// stored form is a salted hash.
func TestAuthenticateChecksTheSecretHash(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newAuthFixture(t, open)
		ctx := context.Background()
		for _, secret := range []string{f.keys.APISecret1, f.keys.APISecret2} {
			p, err := f.svc.Authenticate(ctx, store.KeySecret, secret)
			if err != nil || p.App.ID != "shop" || p.Key.ID != apikey.ID(secret) {
				t.Fatalf("Authenticate(own secret) = %+v, %v", p, err)
			}
			for name, v := range innerNearMisses(secret) {
				if _, err := f.svc.Authenticate(ctx, store.KeySecret, v); !errors.Is(err, apps.ErrInvalidKey) {
					t.Errorf("%s: Authenticate(%q) = %v, want ErrInvalidKey", name, v, err)
				}
			}
		}
	})
}

// TestAuthenticateKindAndLock checks that a key works only as its own kind
// and that a locked key is refused as locked, both once the cached
// success has run out.
func TestAuthenticateKindAndLock(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newAuthFixture(t, open)
		ctx := context.Background()
		// A public key presented as a secret with the same id, and the
		// reverse: both name a stored key of the other kind.
		if _, err := f.svc.Authenticate(ctx, store.KeySecret, f.keys.APIKey1); !errors.Is(err, apps.ErrInvalidKey) {
			t.Errorf("public key as secret: %v, want ErrInvalidKey", err)
		}
		if _, err := f.svc.Authenticate(ctx, store.KeyPublic, f.keys.APISecret1); !errors.Is(err, apps.ErrInvalidKey) {
			t.Errorf("secret as public key: %v, want ErrInvalidKey", err)
		}

		for _, k := range []struct {
			kind  store.KeyKind
			value string
		}{{store.KeyPublic, f.keys.APIKey1}, {store.KeySecret, f.keys.APISecret1}} {
			if _, err := f.svc.Authenticate(ctx, k.kind, k.value); err != nil {
				t.Fatalf("before locking: %v", err)
			}
			if err := f.svc.SetKeyLocked(ctx, "shop", apikey.ID(k.value), true); err != nil {
				t.Fatal(err)
			}
			f.now = f.now.Add(apps.AuthCacheTTL + time.Second)
			if _, err := f.svc.Authenticate(ctx, k.kind, k.value); !errors.Is(err, apps.ErrLockedKey) {
				t.Errorf("locked %v key: %v, want ErrLockedKey", k.kind, err)
			}
			// A near miss of a locked public key is no key at all (the value is
			// compared first); a locked secret is refused as locked before its
			// hash is checked, as the original server does.
			wantMiss := apps.ErrInvalidKey
			if k.kind == store.KeySecret {
				wantMiss = apps.ErrLockedKey
			}
			miss := innerNearMisses(k.value)["middle character"]
			if _, err := f.svc.Authenticate(ctx, k.kind, miss); !errors.Is(err, wantMiss) {
				t.Errorf("near miss of a locked %v key: %v, want %v", k.kind, err, wantMiss)
			}
			if err := f.svc.SetKeyLocked(ctx, "shop", apikey.ID(k.value), false); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Authenticate(ctx, k.kind, k.value); err != nil {
				t.Errorf("unlocked %v key: %v", k.kind, err)
			}
		}
	})
}

// lookupRecorder is a store that records every key lookup.
type lookupRecorder struct {
	store.Store
	lookups []string
}

func (r *lookupRecorder) GetAPIKey(ctx context.Context, appID, keyID string) (store.APIKey, error) {
	r.lookups = append(r.lookups, appID+"|"+keyID)
	return r.Store.GetAPIKey(ctx, appID, keyID)
}

// TestAuthenticateRefusesMalformedValuesWithoutLookup checks that values
// that cannot name a stored key (no app id, no key id, ids that are not
// text) are refused before any store lookup: PostgreSQL fails on such ids,
// which would turn a bad header into a server error.
func TestAuthenticateRefusesMalformedValuesWithoutLookup(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := context.Background()
		st := open(t)
		rec := &lookupRecorder{Store: st}
		svc := apps.New(rec, token.NewSealer(st, nil), nil)
		keys, err := svc.Create(ctx, "shop", apps.CreateRequest{AdminEmail: "a@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, store.KeyPublic, keys.APIKey1); err != nil || len(rec.lookups) != 1 {
			t.Fatalf("a good key: %v, lookups %q", err, rec.lookups)
		}
		random := keys.APIKey1[len("shop:public:"):]
		for name, v := range map[string]string{
			"no colon":                    "shop-public-" + random,
			"empty app id":                ":public:" + random,
			"no key id":                   "a:b",
			"app id not UTF-8":            "sh\xffp:public:" + random,
			"app id starts with NUL":      "\x00shop:public:" + random,
			"app id with NUL":             "sh\x00p:public:" + random,
			"key id not UTF-8":            keys.APIKey1[:len(keys.APIKey1)-1] + "\xff",
			"key id starts with NUL":      keys.APIKey1[:len(keys.APIKey1)-4] + "\x00abc",
			"key id ends with NUL":        keys.APIKey1[:len(keys.APIKey1)-1] + "\x00",
			"key id NUL, app id not UTF8": "sh\xffp:public:" + random[:len(random)-1] + "\x00",
		} {
			rec.lookups = nil
			if _, err := svc.Authenticate(ctx, store.KeyPublic, v); !errors.Is(err, apps.ErrInvalidKey) {
				t.Errorf("%s: %v, want ErrInvalidKey", name, err)
			}
			if len(rec.lookups) != 0 {
				t.Errorf("%s: the store was asked for %q", name, rec.lookups)
			}
		}
	})
}
