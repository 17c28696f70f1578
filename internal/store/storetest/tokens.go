package storetest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func tokenKey(appID string, id uint32, created time.Time) store.TokenKey {
	return store.TokenKey{AppID: appID, ID: id, Material: []byte(fmt.Sprintf("material-%d", id)), CreatedAt: created}
}

var tokenKeyCases = []testCase{
	{"list empty", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		got, err := s.ListTokenKeys(t.Context(), "app1")
		must(t, err)
		wantEqual(t, "keys", len(got), 0)
	}},
	{"newest first", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		oldest := tokenKey("app1", 0, at(-48*time.Hour))
		middle := tokenKey("app1", math.MaxUint32, at(-time.Microsecond))
		newest := tokenKey("app1", 1<<31, t0)
		for _, k := range []store.TokenKey{middle, newest, oldest} {
			must(t, s.AddTokenKey(ctx, k))
		}
		wantTokenKeys(t, s, "app1", newest, middle, oldest)
	}},
	{"duplicate id", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		orig := tokenKey("app1", 42, t0)
		must(t, s.AddTokenKey(ctx, orig))
		dup := store.TokenKey{AppID: "app1", ID: 42, Material: []byte("other"), CreatedAt: at(time.Hour)}
		wantErr(t, s.AddTokenKey(ctx, dup), store.ErrConflict)
		wantTokenKeys(t, s, "app1", orig)
	}},
	{"get one", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		older := tokenKey("app1", math.MaxUint32, at(-time.Hour))
		newer := tokenKey("app1", 0, t0)
		other := tokenKey("app2", 9, t0)
		for _, k := range []store.TokenKey{older, newer, other} {
			must(t, s.AddTokenKey(ctx, k))
		}
		for _, want := range []store.TokenKey{older, newer, other} {
			got, err := s.GetTokenKey(ctx, want.AppID, want.ID)
			must(t, err)
			wantEqual(t, fmt.Sprintf("key %d of %s", want.ID, want.AppID), normTokenKey(got), normTokenKey(want))
		}
		for _, miss := range []struct {
			app string
			id  uint32
		}{{"app1", 9}, {"app2", 0}, {"app1", 1}, {"nosuchapp", 0}} {
			_, err := s.GetTokenKey(ctx, miss.app, miss.id)
			wantErr(t, err, store.ErrNotFound)
		}
	}},
	{"delete created before", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		old := tokenKey("app1", 1, at(-time.Microsecond))
		edge := tokenKey("app1", 2, t0)
		fresh := tokenKey("app1", 3, at(time.Hour))
		for _, k := range []store.TokenKey{old, edge, fresh} {
			must(t, s.AddTokenKey(ctx, k))
		}
		must(t, s.DeleteTokenKeysCreatedBefore(ctx, "app1", t0))
		wantTokenKeys(t, s, "app1", fresh, edge)
		must(t, s.DeleteTokenKeysCreatedBefore(ctx, "app1", at(24*time.Hour)))
		wantTokenKeys(t, s, "app1")
	}},
}

func wantTokenKeys(t *testing.T, s store.Store, appID string, want ...store.TokenKey) {
	t.Helper()
	got, err := s.ListTokenKeys(t.Context(), appID)
	must(t, err)
	wantEqual(t, "token keys", normAll(got, normTokenKey), normAll(want, normTokenKey))
}

var consumeCases = []testCase{
	{"first wins", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ConsumeOnce(ctx, "app1", "id1", at(time.Hour)))
		wantErr(t, s.ConsumeOnce(ctx, "app1", "id1", at(time.Hour)), store.ErrAlreadyUsed)
		wantErr(t, s.ConsumeOnce(ctx, "app1", "id1", at(2*time.Hour)), store.ErrAlreadyUsed)
		must(t, s.ConsumeOnce(ctx, "app1", "id2", at(time.Hour)))
	}},
	{"concurrent", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		wins, other := race(50, s, s, store.ErrAlreadyUsed, func(s store.Store, _ int) error {
			return s.ConsumeOnce(t.Context(), "app1", "contested", at(time.Hour))
		})
		checkRace(t, wins, other, 1)
	}},
	{"purge expired", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		ids := map[string]time.Time{
			"expired": at(-time.Microsecond),
			"edge":    t0,
			"live":    at(time.Hour),
		}
		for id, exp := range ids {
			must(t, s.ConsumeOnce(ctx, "app1", id, exp))
			must(t, s.ConsumeOnce(ctx, "app2", id, exp))
		}
		must(t, s.PurgeConsumedBefore(ctx, t0))
		for _, app := range []string{"app1", "app2"} {
			must(t, s.ConsumeOnce(ctx, app, "expired", at(time.Hour)))
			wantErr(t, s.ConsumeOnce(ctx, app, "edge", at(time.Hour)), store.ErrAlreadyUsed)
			wantErr(t, s.ConsumeOnce(ctx, app, "live", at(time.Hour)), store.ErrAlreadyUsed)
		}
	}},
}
