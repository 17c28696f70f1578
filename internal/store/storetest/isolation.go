package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// isolationCases run against app "b" while app "a" holds one row of every
// kind under the very ids used on "b" (except event and e-mail ids, which
// are unique across apps). Nothing of "a" may be visible from "b", and
// nothing done on "b" may change "a".
var isolationCases = []testCase{
	{"app", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			must(t, s.UpdateFeatures(ctx, "b", store.FeaturesUpdate{MaxUsers: store.To(ptr(int64(1)))}))
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
			_, err := s.GetTokenKey(ctx, "b", 7)
			wantErr(t, err, store.ErrNotFound)
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
			wantErr(t, s.RecordCredentialUse(ctx, "b", []byte("cred1"), use, nil), store.ErrNotFound)
			must(t, s.AddCredential(ctx, newCred("b", "cred1", "user1", at(time.Minute)), nil, nil))
			must(t, s.RecordCredentialUse(ctx, "b", []byte("cred1"), use, nil))
		})
	}},
	{"aliases", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantOwner(t, s, "b", "hash1", "")
			wantAliases(t, s, "b", "user1")
			must(t, s.ReplaceAliases(ctx, "b", "user2", []store.Alias{{Hash: "hash1"}}))
			must(t, s.ReplaceAliases(ctx, "b", "user1", nil))
			must(t, s.AddCredential(ctx, newCred("b", "cred2", "user1", t0), []store.Alias{{Hash: "hash2"}}, nil))
			wantOwner(t, s, "b", "hash1", "user2")
		})
	}},
	{"users", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			_, err := s.DeleteCredential(ctx, "b", []byte("cred1"))
			wantErr(t, err, store.ErrNotFound)
			wantUserList(t, s, "b", 1000)
			active, err := s.CountActiveUsers(ctx, "b", time.Time{})
			must(t, err)
			wantEqual(t, "active users of b", active, int64(0))
			wantCredentialCount(t, s, "b", 0)
			must(t, s.DeleteUser(ctx, "b", "user1"))
			must(t, s.DeleteUser(ctx, "b", "user2"))
			must(t, s.AddCredential(ctx, newCred("b", "cred1", "user1", t0), []store.Alias{{Hash: "hash1"}}, nil))
			wantUserList(t, s, "b", 1000, store.UserSummary{UserID: "user1", CredentialsCount: 1,
				AliasPlaintexts: []string{""}, LastUsedAt: ptr(t0)})
			owner, err := s.DeleteCredential(ctx, "b", []byte("cred1"))
			must(t, err)
			wantEqual(t, "owner", owner, "user1")
			must(t, s.DeleteUser(ctx, "b", "user1"))
		})
	}},
	{"paging and import", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantCredPage(t, s, "b", nil, 100)
			wantAliasPage(t, s, "b", "", 100)
			// "a" holds cred1 and hash1: the same keys in "b" are free.
			c := newCred("b", "cred1", "user1", at(time.Minute))
			must(t, s.ImportCredentials(ctx, []store.Credential{c}))
			aliases := []store.UserAlias{{UserID: "user2", Alias: store.Alias{Hash: "hash1"}}}
			must(t, s.ImportAliases(ctx, "b", aliases))
			wantCredPage(t, s, "b", nil, 100, c)
			wantAliasPage(t, s, "b", "", 100, aliases...)
			// A conflict in "b" leaves both apps alone.
			wantErr(t, s.ImportCredentials(ctx, []store.Credential{newCred("b", "cred2", "user1", t0), c}), store.ErrConflict)
			wantErr(t, s.ImportAliases(ctx, "b", []store.UserAlias{{UserID: "user1", Alias: store.Alias{Hash: "hash2"}}, aliases[0]}), store.ErrAliasConflict)
			wantCredPage(t, s, "b", nil, 100, c)
			wantAliasPage(t, s, "b", "", 100, aliases...)
			must(t, s.DeleteUser(ctx, "b", "user1"))
			must(t, s.DeleteUser(ctx, "b", "user2"))
		})
	}},
	{"auth configs", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			_, err := s.GetAuthConfig(ctx, "b", "sign-in")
			wantErr(t, err, store.ErrNotFound)
			wantAuthConfigs(t, s, "b")
			wantErr(t, s.DeleteAuthConfig(ctx, "b", "sign-in"), store.ErrNotFound)
			must(t, s.TouchAuthConfig(ctx, "b", "sign-in", at(time.Hour), preset("b", "sign-in")))
			wantAuthConfigs(t, s, "b", store.AuthConfig{AppID: "b", Purpose: "sign-in", UserVerification: "preferred",
				TTL: 2 * time.Minute, CreatedBy: "System", LastUsedOn: ptr(at(time.Hour))})
			must(t, s.DeleteAuthConfig(ctx, "b", "sign-in"))
			must(t, s.AddAuthConfig(ctx, preset("b", "sign-in")))
			must(t, s.PutAuthConfig(ctx, store.AuthConfig{AppID: "b", Purpose: "sign-in", EditedBy: "x"}))
			must(t, s.TouchAuthConfig(ctx, "b", "sign-in", at(time.Hour), preset("b", "sign-in")))
		})
	}},
	{"events", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			// Event ids are unique across apps, so "b" uses its own.
			wantEvents(t, s, "b", 0, 100, 0)
			e := newEvent("b", "b-event1", t0)
			must(t, s.AddEvents(ctx, []store.Event{e}))
			wantEvents(t, s, "b", 0, 100, 1, e)
			must(t, s.DeleteEventsBefore(ctx, "b", at(1000*time.Hour)))
			wantEvents(t, s, "b", 0, 100, 0)
		})
	}},
	{"dispatched e-mails", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantEmailCount(t, s, "b", time.Time{}, 0)
			must(t, s.AddDispatchedEmail(ctx, newEmail("b", "b-email1", t0)))
			wantEmailCount(t, s, "b", time.Time{}, 1)
			// "a" holds a-email1 at t0, which must not count against "b"
			// nor be deletable through "b".
			wantErr(t, s.DeleteDispatchedEmail(ctx, "b", "a-email1"), store.ErrNotFound)
			must(t, s.ReserveDispatchedEmail(ctx, newEmail("b", "b-email2", t0), t0, 2))
			wantErr(t, s.ReserveDispatchedEmail(ctx, newEmail("b", "b-email3", t0), t0, 2), store.ErrQuotaExceeded)
			must(t, s.DeleteDispatchedEmail(ctx, "b", "b-email2"))
			must(t, s.ReserveDispatchedEmail(ctx, newEmail("b", "b-email3", t0), t0, 2))
			wantEmailCount(t, s, "b", time.Time{}, 2)
		})
	}},
	{"authenticators", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantAuthenticators(t, s, "b", true)
			wantAuthenticators(t, s, "b", false)
			must(t, s.RemoveAuthenticators(ctx, "b", []string{aaguid1, aaguid2}))
			must(t, s.PutAuthenticators(ctx, "b", []string{aaguid1}, false, at(time.Hour)))
			must(t, s.PutAuthenticators(ctx, "b", []string{aaguid2}, true, at(time.Hour)))
			wantAuthenticators(t, s, "b", true, entry(aaguid2, true, at(time.Hour)))
			wantAuthenticators(t, s, "b", false, entry(aaguid1, false, at(time.Hour)))
			must(t, s.RemoveAuthenticators(ctx, "b", []string{aaguid1}))
		})
	}},
	{"reports", func(t *testing.T, s store.Store) {
		isolated(t, s, func(ctx context.Context) {
			wantCredentialReports(t, s, "b", time.Time{}, time.Time{})
			wantActiveUserReports(t, s, "b", time.Time{}, time.Time{})
			cr := store.CredentialReport{Date: day(0), Users: 7, Credentials: 8}
			ar := store.ActiveUserReport{Date: day(0), Daily: 7, Weekly: 8, Total: 9}
			must(t, s.PutCredentialReport(ctx, "b", cr))
			must(t, s.PutActiveUserReport(ctx, "b", ar))
			wantCredentialReports(t, s, "b", day(0), day(0), cr)
			wantActiveUserReports(t, s, "b", day(0), day(0), ar)
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
