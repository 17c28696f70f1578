package storetest

import (
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// The hashes are chosen so that byte order and any common collation agree.
var (
	aliasA = store.Alias{Hash: "hash-a", Plaintext: "alice@example.com"}
	aliasB = store.Alias{Hash: "hash-b"}
	aliasC = store.Alias{Hash: "hash-c", Plaintext: "carol"}
)

var aliasCases = []testCase{
	{"replace and list", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasC, aliasA, aliasB}))
		wantAliases(t, s, "app1", "user1", aliasA, aliasB, aliasC)
		wantOwner(t, s, "app1", aliasB.Hash, "user1")
	}},
	{"replace drops old aliases", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA, aliasB}))
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasB, aliasC}))
		wantAliases(t, s, "app1", "user1", aliasB, aliasC)
		wantOwner(t, s, "app1", aliasA.Hash, "")
		// The dropped alias is free for another user.
		must(t, s.ReplaceAliases(ctx, "app1", "user2", []store.Alias{aliasA}))
		wantOwner(t, s, "app1", aliasA.Hash, "user2")
	}},
	{"empty removes all", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA, aliasB}))
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{}))
		wantAliases(t, s, "app1", "user1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		must(t, s.ReplaceAliases(ctx, "app1", "user1", nil))
		wantAliases(t, s, "app1", "user1")
		wantOwner(t, s, "app1", aliasA.Hash, "")
	}},
	{"same user resubmits", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		hashedA := store.Alias{Hash: aliasA.Hash}
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{hashedA, aliasB}))
		wantAliases(t, s, "app1", "user1", hashedA, aliasB)
	}},
	{"duplicates in input collapse", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA, aliasB, aliasA}))
		wantAliases(t, s, "app1", "user1", aliasA, aliasB)
	}},
	{"owner unknown", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		_, err := s.AliasOwner(t.Context(), "app1", "nope")
		wantErr(t, err, store.ErrNotFound)
	}},
	{"conflict changes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		must(t, s.ReplaceAliases(ctx, "app1", "user2", []store.Alias{aliasB}))
		err := s.ReplaceAliases(ctx, "app1", "user2", []store.Alias{aliasC, aliasA})
		wantErr(t, err, store.ErrAliasConflict)
		wantAliases(t, s, "app1", "user1", aliasA)
		wantAliases(t, s, "app1", "user2", aliasB)
		wantOwner(t, s, "app1", aliasC.Hash, "")
	}},
	{"add credential with aliases", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, c, []store.Alias{aliasB, aliasC}, nil))
		wantCred(t, s, c)
		wantAliases(t, s, "app1", "user1", aliasB, aliasC)
	}},
	{"add credential without aliases keeps them", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		must(t, s.AddCredential(ctx, newCred("app1", "cred1", "user1", t0), nil, nil))
		must(t, s.AddCredential(ctx, newCred("app1", "cred2", "user1", t0), []store.Alias{}, nil))
		wantAliases(t, s, "app1", "user1", aliasA)
	}},
	{"add credential with conflicting alias writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasA}))
		must(t, s.ReplaceAliases(ctx, "app1", "user2", []store.Alias{aliasB}))
		c := newCred("app1", "cred1", "user2", t0)
		wantErr(t, s.AddCredential(ctx, c, []store.Alias{aliasC, aliasA}, nil), store.ErrAliasConflict)
		_, err := s.GetCredential(ctx, "app1", c.ID)
		wantErr(t, err, store.ErrNotFound)
		wantCreds(t, s, "app1", "user2")
		wantUsers(t, s, "app1", 0)
		wantAliases(t, s, "app1", "user1", aliasA)
		wantAliases(t, s, "app1", "user2", aliasB)
		wantOwner(t, s, "app1", aliasC.Hash, "")
	}},
	{"add duplicate credential with aliases writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		orig := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, orig, []store.Alias{aliasA}, nil))
		dup := newCred("app1", "cred1", "user1", at(time.Hour))
		wantErr(t, s.AddCredential(ctx, dup, []store.Alias{aliasB}, nil), store.ErrConflict)
		wantCred(t, s, orig)
		wantAliases(t, s, "app1", "user1", aliasA)
	}},
}

func wantAliases(t *testing.T, s store.Store, appID, userID string, want ...store.Alias) {
	t.Helper()
	got, err := s.ListAliases(t.Context(), appID, userID)
	must(t, err)
	wantEqual(t, "aliases of "+userID, normAll(got, same), normAll(want, same))
}

// wantOwner checks the alias owner; "" means the alias is unknown.
func wantOwner(t *testing.T, s store.Store, appID, hash, want string) {
	t.Helper()
	wantEqual(t, "owner of "+hash, aliasOwner(t.Context(), t, s, appID, hash), want)
}
