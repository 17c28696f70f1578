package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// isolationCases run against app "b" while app "a" holds one row of every
// kind under the very ids used on "b". Nothing of "a" may be visible from
// "b", and nothing done on "b" may change "a".
var isolationCases = []testCase{
	{"app", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			must(t, s.UpdateFeatures(ctx, "b", store.Features{MaxUsers: ptr(int64(1))}))
			must(t, s.SetDeleteAt(ctx, "b", nil))
			must(t, s.DeleteApp(ctx, "b"))
		})
	}},
	{"api keys", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			_, err := s.GetAPIKey(ctx, "b", "pub1")
			wantErr(t, err, store.ErrNotFound)
			keys, err := s.ListAPIKeys(ctx, "b")
			must(t, err)
			wantEqual(t, "keys of b", len(keys), 0)
			wantErr(t, s.SetAPIKeyLocked(ctx, "b", "pub1", true, t0), store.ErrNotFound)
			wantErr(t, s.DeleteAPIKey(ctx, "b", "pub1"), store.ErrNotFound)
			must(t, s.AddAPIKey(ctx, newKey("b", "pub1", store.KeySecret, t0)))
			must(t, s.SetAllAPIKeysLocked(ctx, "b", true, t0))
			must(t, s.SetAPIKeyLocked(ctx, "b", "pub1", false, t0))
			must(t, s.DeleteAPIKey(ctx, "b", "pub1"))
		})
	}},
	{"token keys", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantTokenKeys(t, s, "b")
			must(t, s.AddTokenKey(ctx, tokenKey("b", 7, t0)))
			must(t, s.DeleteTokenKeysCreatedBefore(ctx, "b", at(1000*time.Hour)))
		})
	}},
	{"single use", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			must(t, s.ConsumeOnce(ctx, "b", "session1", at(time.Hour)))
		})
	}},
	{"credentials", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			_, err := s.GetCredential(ctx, "b", []byte("cred1"))
			wantErr(t, err, store.ErrNotFound)
			wantCreds(t, s, "b", "user1")
			wantUsers(t, s, "b", 0)
			use := store.CredentialUse{SignCount: 100, LastUsedAt: at(time.Hour)}
			wantErr(t, s.RecordCredentialUse(ctx, "b", []byte("cred1"), use), store.ErrNotFound)
			must(t, s.AddCredential(ctx, newCred("b", "cred1", "user1", at(time.Minute)), nil))
			must(t, s.RecordCredentialUse(ctx, "b", []byte("cred1"), use))
		})
	}},
	{"aliases", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantOwner(t, s, "b", "hash1", "")
			wantAliases(t, s, "b", "user1")
			must(t, s.ReplaceAliases(ctx, "b", "user2", []store.Alias{{Hash: "hash1"}}))
			must(t, s.ReplaceAliases(ctx, "b", "user1", nil))
			must(t, s.AddCredential(ctx, newCred("b", "cred2", "user1", t0), []store.Alias{{Hash: "hash2"}}))
			wantOwner(t, s, "b", "hash1", "user2")
		})
	}},
}

// isolated populates app "a", creates app "b", runs act and checks that
// "a" is unchanged, its single-use record included.
func isolated(t *testing.T, s store.Store, act func(ctx context.Context)) {
	t.Helper()
	populate(t, s, "a")
	createApp(t, s, "b")
	before := snapshot(t, s, "a")
	act(t.Context())
	wantEqual(t, "app a", snapshot(t, s, "a"), before)
	wantErr(t, s.ConsumeOnce(t.Context(), "a", "session1", at(time.Hour)), store.ErrAlreadyUsed)
}
