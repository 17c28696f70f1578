package storetest

import (
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

var apiKeyCases = []testCase{
	{"add and get", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		plain := newKey("app1", "abcd", store.KeyPublic, t0)
		plain.Scopes = nil
		full := newKey("app1", "wxyz", store.KeySecret, at(time.Second))
		full.Scopes = []string{"apps:read", "a,b", `quote"d`}
		full.Locked = true
		full.LastLockedAt = ptr(at(2 * time.Second))
		full.LastUnlockedAt = ptr(at(time.Second))
		for _, k := range []store.APIKey{plain, full} {
			must(t, s.AddAPIKey(ctx, k))
			got, err := s.GetAPIKey(ctx, "app1", k.ID)
			must(t, err)
			wantEqual(t, "key "+k.ID, normKey(got), normKey(k))
		}
	}},
	{"get unknown", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1", newKey("app1", "abcd", store.KeyPublic, t0))
		_, err := s.GetAPIKey(t.Context(), "app1", "nope")
		wantErr(t, err, store.ErrNotFound)
		_, err = s.GetAPIKey(t.Context(), "nope", "abcd")
		wantErr(t, err, store.ErrNotFound)
	}},
	{"duplicate id", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		orig := newKey("app1", "abcd", store.KeyPublic, t0)
		createApp(t, s, "app1", orig)
		dup := newKey("app1", "abcd", store.KeySecret, at(time.Hour))
		wantErr(t, s.AddAPIKey(ctx, dup), store.ErrConflict)
		got, err := s.GetAPIKey(ctx, "app1", "abcd")
		must(t, err)
		wantEqual(t, "key", normKey(got), normKey(orig))
	}},
	{"list order", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		k1 := newKey("app1", "k1", store.KeyPublic, at(time.Microsecond))
		k2 := newKey("app1", "k2", store.KeySecret, t0)
		k3 := newKey("app1", "k3", store.KeyPublic, t0)
		k0 := newKey("app1", "k0", store.KeySecret, at(time.Hour))
		for _, k := range []store.APIKey{k3, k0, k1, k2} {
			must(t, s.AddAPIKey(ctx, k))
		}
		got, err := s.ListAPIKeys(ctx, "app1")
		must(t, err)
		wantEqual(t, "keys", normAll(got, normKey), normAll([]store.APIKey{k2, k3, k1, k0}, normKey))
	}},
	{"list empty", func(t *testing.T, s store.Store) {
		got, err := s.ListAPIKeys(t.Context(), "nope")
		must(t, err)
		wantEqual(t, "keys", len(got), 0)
	}},
	{"lock and unlock one", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		k := newKey("app1", "abcd", store.KeySecret, t0)
		other := newKey("app1", "efgh", store.KeyPublic, t0)
		createApp(t, s, "app1", k, other)

		must(t, s.SetAPIKeyLocked(ctx, "app1", "abcd", true, at(time.Minute)))
		k.Locked, k.LastLockedAt = true, ptr(at(time.Minute))
		wantKey(t, s, k)

		must(t, s.SetAPIKeyLocked(ctx, "app1", "abcd", false, at(time.Hour)))
		k.Locked, k.LastUnlockedAt = false, ptr(at(time.Hour))
		wantKey(t, s, k)

		must(t, s.SetAPIKeyLocked(ctx, "app1", "abcd", true, at(2*time.Hour)))
		k.Locked, k.LastLockedAt = true, ptr(at(2*time.Hour))
		wantKey(t, s, k)
		wantKey(t, s, other)
	}},
	{"lock unknown", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		wantErr(t, s.SetAPIKeyLocked(t.Context(), "app1", "nope", true, t0), store.ErrNotFound)
		wantErr(t, s.SetAPIKeyLocked(t.Context(), "app1", "nope", false, t0), store.ErrNotFound)
	}},
	{"lock and unlock all", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		keys := []store.APIKey{
			newKey("app1", "k1", store.KeyPublic, t0),
			newKey("app1", "k2", store.KeySecret, t0),
		}
		createApp(t, s, "app1", keys...)
		must(t, s.SetAllAPIKeysLocked(ctx, "app1", true, at(time.Minute)))
		for _, k := range keys {
			k.Locked, k.LastLockedAt = true, ptr(at(time.Minute))
			wantKey(t, s, k)
		}
		must(t, s.SetAllAPIKeysLocked(ctx, "app1", false, at(time.Hour)))
		for _, k := range keys {
			k.LastLockedAt, k.LastUnlockedAt = ptr(at(time.Minute)), ptr(at(time.Hour))
			wantKey(t, s, k)
		}
		// An app without keys is not an error.
		must(t, s.SetAllAPIKeysLocked(ctx, "nope", true, t0))
	}},
	{"delete", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		kept := newKey("app1", "k2", store.KeySecret, t0)
		createApp(t, s, "app1", newKey("app1", "k1", store.KeyPublic, t0), kept)
		must(t, s.DeleteAPIKey(ctx, "app1", "k1"))
		_, err := s.GetAPIKey(ctx, "app1", "k1")
		wantErr(t, err, store.ErrNotFound)
		wantErr(t, s.DeleteAPIKey(ctx, "app1", "k1"), store.ErrNotFound)
		got, err := s.ListAPIKeys(ctx, "app1")
		must(t, err)
		wantEqual(t, "keys", normAll(got, normKey), []store.APIKey{normKey(kept)})
	}},
}

func wantKey(t *testing.T, s store.Store, want store.APIKey) {
	t.Helper()
	got, err := s.GetAPIKey(t.Context(), want.AppID, want.ID)
	must(t, err)
	wantEqual(t, "key "+want.ID, normKey(got), normKey(want))
}
