package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

var userCases = slices.Concat(userBasicCases, userLimitCases, activeUserCases)

var userBasicCases = []testCase{
	{"delete credential", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c1 := newCred("app1", "cred1", "user1", t0)
		c2 := newCred("app1", "cred2", "user1", at(time.Second))
		c3 := newCred("app1", "cred3", "user2", t0)
		for _, c := range []store.Credential{c1, c2, c3} {
			must(t, s.AddCredential(ctx, c, []store.Alias{{Hash: "hash-" + c.UserID}}, nil))
		}
		owner, err := s.DeleteCredential(ctx, "app1", c1.ID)
		must(t, err)
		wantEqual(t, "owner", owner, "user1")
		_, err = s.GetCredential(ctx, "app1", c1.ID)
		wantErr(t, err, store.ErrNotFound)
		wantCreds(t, s, "app1", "user1", c2)
		wantCreds(t, s, "app1", "user2", c3)
		// Aliases are not the credential's; they stay.
		wantOwner(t, s, "app1", "hash-user1", "user1")
		_, err = s.DeleteCredential(ctx, "app1", c1.ID)
		wantErr(t, err, store.ErrNotFound)
	}},
	{"delete unknown credential", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newCred("app1", "cred1", "user1", t0)
		must(t, s.AddCredential(ctx, c, nil, nil))
		for _, id := range [][]byte{[]byte("cred"), []byte("cred2"), nil} {
			_, err := s.DeleteCredential(ctx, "app1", id)
			wantErr(t, err, store.ErrNotFound)
		}
		wantCred(t, s, c)
	}},
	{"list merges credentials and aliases", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		both1 := newCred("app1", "c1", "u-both", t0)
		both1.LastUsedAt = at(3 * time.Hour)
		both2 := newCred("app1", "c2", "u-both", at(time.Hour))
		must(t, s.AddCredential(ctx, both1, []store.Alias{aliasA, aliasB}, nil))
		must(t, s.AddCredential(ctx, both2, nil, nil))
		must(t, s.AddCredential(ctx, newCred("app1", "c3", "u-cred", at(-time.Hour)), nil, nil))
		must(t, s.ReplaceAliases(ctx, "app1", "u-alias", []store.Alias{aliasC}))
		must(t, s.AddCredential(ctx, newCred("app2", "c9", "u-other", t0), []store.Alias{{Hash: "h9"}}, nil))
		wantUserList(t, s, "app1", 1000,
			store.UserSummary{UserID: "u-alias", AliasPlaintexts: []string{"carol"}},
			store.UserSummary{UserID: "u-both", CredentialsCount: 2,
				AliasPlaintexts: []string{"alice@example.com", ""}, LastUsedAt: ptr(at(3 * time.Hour))},
			store.UserSummary{UserID: "u-cred", CredentialsCount: 1, LastUsedAt: ptr(at(-time.Hour))},
		)
	}},
	{"list empty", func(t *testing.T, s store.Store) {
		createApp(t, s, "app1")
		wantUserList(t, s, "app1", 1000)
	}},
	{"list follows credential use and alias changes", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newCred("app1", "c1", "user1", t0)
		must(t, s.AddCredential(ctx, c, []store.Alias{aliasA}, nil))
		must(t, s.RecordCredentialUse(ctx, "app1", c.ID, store.CredentialUse{SignCount: 5, LastUsedAt: at(time.Hour)}, nil))
		must(t, s.ReplaceAliases(ctx, "app1", "user1", []store.Alias{aliasB, aliasC}))
		wantUserList(t, s, "app1", 10, store.UserSummary{UserID: "user1", CredentialsCount: 1,
			AliasPlaintexts: []string{"", "carol"}, LastUsedAt: ptr(at(time.Hour))})
		must(t, s.ReplaceAliases(ctx, "app1", "user1", nil))
		_, err := s.DeleteCredential(ctx, "app1", c.ID)
		must(t, err)
		wantUserList(t, s, "app1", 10)
	}},
	{"delete user", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		keep := newCred("app1", "c3", "user2", t0)
		must(t, s.AddCredential(ctx, newCred("app1", "c1", "user1", t0), []store.Alias{aliasA, aliasB}, nil))
		must(t, s.AddCredential(ctx, newCred("app1", "c2", "user1", t0), nil, nil))
		must(t, s.AddCredential(ctx, keep, []store.Alias{aliasC}, nil))
		must(t, s.ReplaceAliases(ctx, "app1", "user3", []store.Alias{{Hash: "hash-3"}}))
		must(t, s.DeleteUser(ctx, "app1", "user1"))
		wantCreds(t, s, "app1", "user1")
		wantAliases(t, s, "app1", "user1")
		wantOwner(t, s, "app1", aliasA.Hash, "")
		wantCreds(t, s, "app1", "user2", keep)
		wantAliases(t, s, "app1", "user2", aliasC)
		// A user with aliases only.
		must(t, s.DeleteUser(ctx, "app1", "user3"))
		wantOwner(t, s, "app1", "hash-3", "")
		wantUserList(t, s, "app1", 10, store.UserSummary{UserID: "user2", CredentialsCount: 1,
			AliasPlaintexts: []string{"carol"}, LastUsedAt: ptr(t0)})
		// The freed aliases can be taken by another user.
		must(t, s.ReplaceAliases(ctx, "app1", "user2", []store.Alias{aliasA, aliasC}))
	}},
	{"delete unknown user", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c := newCred("app1", "c1", "user1", t0)
		must(t, s.AddCredential(ctx, c, []store.Alias{aliasA}, nil))
		must(t, s.DeleteUser(ctx, "app1", "nobody"))
		must(t, s.DeleteUser(ctx, "app1", "user"))
		wantCreds(t, s, "app1", "user1", c)
		wantAliases(t, s, "app1", "user1", aliasA)
	}},
	{"count credentials", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		createApp(t, s, "app2")
		wantCredentialCount(t, s, "app1", 0)
		for _, c := range []store.Credential{
			newCred("app1", "c1", "user1", t0),
			newCred("app1", "c2", "user1", t0),
			newCred("app1", "c3", "user2", t0),
			newCred("app2", "c4", "user3", t0),
		} {
			must(t, s.AddCredential(ctx, c, nil, nil))
		}
		wantCredentialCount(t, s, "app1", 3)
		wantCredentialCount(t, s, "app2", 1)
		_, err := s.DeleteCredential(ctx, "app1", []byte("c2"))
		must(t, err)
		wantCredentialCount(t, s, "app1", 2)
	}},
}

// userLimitCases list users of an app whose credential owners and alias
// owners interleave, so that neither side alone gives the first users.
var userLimitCases = func() []testCase {
	all := []string{"u1", "u2", "u3", "u4", "u5", "u6"}
	var cases []testCase
	for limit := 0; limit <= len(all)+1; limit++ {
		cases = append(cases, testCase{fmt.Sprintf("list limit %d", limit), func(t *testing.T, s store.Store) {
			ctx := t.Context()
			createApp(t, s, "app1")
			for _, u := range []string{"u6", "u1", "u5", "u3"} {
				must(t, s.AddCredential(ctx, newCred("app1", "c-"+u, u, t0), nil, nil))
			}
			for _, u := range []string{"u4", "u3", "u2"} {
				must(t, s.ReplaceAliases(ctx, "app1", u, []store.Alias{{Hash: "h-" + u, Plaintext: u}}))
			}
			var want []store.UserSummary
			for _, u := range all[:min(limit, len(all))] {
				sum := store.UserSummary{UserID: u}
				if u != "u2" && u != "u4" {
					sum.CredentialsCount, sum.LastUsedAt = 1, ptr(t0)
				}
				if u == "u2" || u == "u3" || u == "u4" {
					sum.AliasPlaintexts = []string{u}
				}
				want = append(want, sum)
			}
			wantUserList(t, s, "app1", limit, want...)
		}})
	}
	return cases
}()

// activeUserCases count users with a credential used at or after since.
var activeUserCases = func() []testCase {
	since := []struct {
		name  string
		since time.Time
		want  int64
	}{
		{"zero time", time.Time{}, 3},
		{"before all", at(-2 * time.Hour), 3},
		{"at t0", t0, 2},
		{"just after t0", at(time.Microsecond), 1},
		{"at latest", at(time.Hour), 1},
		{"after latest", at(time.Hour + time.Microsecond), 0},
	}
	var cases []testCase
	for _, v := range since {
		cases = append(cases, testCase{"count active since " + v.name, func(t *testing.T, s store.Store) {
			ctx := t.Context()
			createApp(t, s, "app1")
			createApp(t, s, "app2")
			used := map[string]time.Time{ // credential -> last use; user = first two bytes
				"u1-a": at(-time.Microsecond),
				"u1-b": at(time.Hour),
				"u2-a": t0,
				"u3-a": at(-time.Hour),
			}
			for id, last := range used {
				c := newCred("app1", id, id[:2], at(-2*time.Hour))
				c.LastUsedAt = last
				must(t, s.AddCredential(ctx, c, nil, nil))
			}
			other := newCred("app2", "u4-a", "u4", t0)
			other.LastUsedAt = at(time.Hour)
			must(t, s.AddCredential(ctx, other, nil, nil))
			got, err := s.CountActiveUsers(ctx, "app1", v.since)
			must(t, err)
			wantEqual(t, "active users", got, v.want)
		}})
	}
	return cases
}()

func wantUserList(t *testing.T, s store.Store, appID string, limit int, want ...store.UserSummary) {
	t.Helper()
	got, err := s.ListUsers(t.Context(), appID, limit)
	must(t, err)
	wantEqual(t, "users", normAll(got, normUser), normAll(want, normUser))
}

func wantCredentialCount(t *testing.T, s store.Store, appID string, want int64) {
	t.Helper()
	got, err := s.CountCredentials(t.Context(), appID)
	must(t, err)
	wantEqual(t, "credentials of "+appID, got, want)
}
