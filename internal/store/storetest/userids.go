package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// longID returns an n-byte user id that does not compress (hex of a hash
// chain), so a backend cannot squeeze an over-long one into its index.
func longID(n int) string {
	var b []byte
	sum := sha256.Sum256([]byte("user"))
	for len(b) < n {
		b = hex.AppendEncode(b, sum[:])
		sum = sha256.Sum256(sum[:])
	}
	return string(b[:n])
}

// userIDCases pin down store.MaxStoredUserIDBytes: an id of that length is
// stored and found by every write and read, a longer one is ErrTooLong
// (never a backend's own error) and writes nothing.
var userIDCases = []testCase{
	{"id at the limit is stored", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		id, other := longID(store.MaxStoredUserIDBytes), "x"+longID(store.MaxStoredUserIDBytes-1)
		cred := newCred("app1", "cred1", id, t0)
		must(t, s.AddCredential(ctx, cred, []store.Alias{aliasA}, nil))
		wantCreds(t, s, "app1", id, cred)
		wantOwner(t, s, "app1", aliasA.Hash, id)
		must(t, s.ReplaceAliases(ctx, "app1", id, []store.Alias{aliasB}))
		wantAliases(t, s, "app1", id, aliasB)
		imported := newCred("app1", "cred2", other, t0)
		must(t, s.ImportCredentials(ctx, []store.Credential{imported}))
		must(t, s.ImportAliases(ctx, "app1", []store.UserAlias{{UserID: other, Alias: aliasC}}))
		wantCreds(t, s, "app1", other, imported)
		wantAliases(t, s, "app1", other, aliasC)
		active, err := s.CountActiveUsers(ctx, "app1", t0)
		must(t, err)
		wantEqual(t, "active users", active, int64(2))
	}},
	{"longer id is ErrTooLong and writes nothing", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		for _, n := range []int{store.MaxStoredUserIDBytes + 1, 3000, 10000} {
			id := longID(n)
			once := &store.Once{ID: "session1", ExpiresAt: at(time.Hour)}
			wantErr(t, s.AddCredential(ctx, newCred("app1", "cred1", id, t0), []store.Alias{aliasA}, once), store.ErrTooLong)
			wantErr(t, s.ReplaceAliases(ctx, "app1", id, []store.Alias{aliasB}), store.ErrTooLong)
			wantErr(t, s.ImportCredentials(ctx, []store.Credential{newCred("app1", "cred2", "ok", t0), newCred("app1", "cred3", id, t0)}), store.ErrTooLong)
			wantErr(t, s.ImportAliases(ctx, "app1", []store.UserAlias{{UserID: "ok", Alias: aliasC}, {UserID: id, Alias: aliasA}}), store.ErrTooLong)
			wantCreds(t, s, "app1", id)
			wantCreds(t, s, "app1", "ok")
			wantAliases(t, s, "app1", id)
			wantAliases(t, s, "app1", "ok")
			wantUsers(t, s, "app1", 0)
		}
		// The refused registration did not use up its session.
		must(t, s.ConsumeOnce(ctx, "app1", "session1", at(time.Hour)))
	}},
}
