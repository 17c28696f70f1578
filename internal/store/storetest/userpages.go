package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// userPageIDs are the users of the page cases, in byte order. Some own
// credentials, some aliases only, and the prefixes include ones whose end
// is not simply the next ASCII letter: "é" (two bytes), a code point just
// below the surrogates, and the highest code point.
var userPageIDs = []string{
	"Bob", "a", "ab", "abc", "abd", "ab\U0010FFFF", "b", "bob", "bob2", "bobby", "c",
	"é", "éa", "\uD7FF", "\uD7FFx", "\uE000", "\U0010FFFF", "\U0010FFFFz",
}

// seedUserPages gives even-numbered users of userPageIDs a credential and
// odd-numbered ones an alias only, in app1; app2 has one user, "bob3".
func seedUserPages(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	createApp(t, s, "app1")
	createApp(t, s, "app2")
	for i, id := range userPageIDs {
		if i%2 == 0 {
			must(t, s.AddCredential(ctx, newCred("app1", "cred-"+id, id, at(time.Duration(i)*time.Minute)), nil, nil))
		} else {
			must(t, s.ReplaceAliases(ctx, "app1", id, []store.Alias{{Hash: "hash-" + id, Plaintext: "p-" + id}}))
		}
	}
	must(t, s.AddCredential(ctx, newCred("app2", "cred-x", "bob3", t0), nil, nil))
}

// userIDsOf lists the user ids of a page.
func userIDsOf(list []store.UserSummary) []string {
	ids := make([]string, 0, len(list))
	for _, u := range list {
		ids = append(ids, u.UserID)
	}
	return ids
}

func wantUserPage(t *testing.T, s store.Store, p store.UserPage, want ...string) {
	t.Helper()
	got, err := s.ListUsersPage(t.Context(), "app1", p)
	must(t, err)
	wantEqual(t, "user ids", normStrings(userIDsOf(got)), normStrings(want))
}

// withPrefix returns the ids of userPageIDs starting with prefix.
func withPrefix(prefix string) []string {
	var out []string
	for _, id := range userPageIDs {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			out = append(out, id)
		}
	}
	return out
}

var userPageCases = []testCase{
	{"pages walk every user once in byte order", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		for _, size := range []int{1, 2, 3, 7, 100} {
			var all []string
			after := ""
			for range len(userPageIDs) + 1 {
				page, err := s.ListUsersPage(t.Context(), "app1", store.UserPage{After: after, Limit: size})
				must(t, err)
				if len(page) > size {
					t.Fatalf("page of %d users, limit %d", len(page), size)
				}
				if len(page) == 0 {
					break
				}
				all = append(all, userIDsOf(page)...)
				after = page[len(page)-1].UserID
			}
			wantEqual(t, "all users", all, userPageIDs)
		}
	}},
	{"a page carries the summaries", func(t *testing.T, s store.Store) {
		ctx := t.Context()
		createApp(t, s, "app1")
		c1 := newCred("app1", "c1", "u-both", t0)
		c2 := newCred("app1", "c2", "u-both", t0)
		c2.LastUsedAt = at(2 * time.Hour)
		must(t, s.AddCredential(ctx, c1, []store.Alias{aliasA, aliasB}, nil))
		must(t, s.AddCredential(ctx, c2, nil, nil))
		must(t, s.ReplaceAliases(ctx, "app1", "u-alias", []store.Alias{aliasC}))
		got, err := s.ListUsersPage(ctx, "app1", store.UserPage{After: "u-alias", Limit: 10})
		must(t, err)
		wantEqual(t, "page", normAll(got, normUser), normAll([]store.UserSummary{{UserID: "u-both", CredentialsCount: 2,
			AliasPlaintexts: []string{"alice@example.com", ""}, LastUsedAt: ptr(at(2 * time.Hour))}}, normUser))
		got, err = s.ListUsersPage(ctx, "app1", store.UserPage{Prefix: "u-a", Limit: 10})
		must(t, err)
		wantEqual(t, "prefix", normAll(got, normUser), normAll([]store.UserSummary{{UserID: "u-alias",
			AliasPlaintexts: []string{"carol"}}}, normUser))
	}},
	{"prefix", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		for _, prefix := range []string{"a", "ab", "abc", "b", "bob", "bobb", "B", "é", "\uD7FF", "\U0010FFFF", "x", "bob3", "", "a\U0010FFFF"} {
			want := withPrefix(prefix)
			wantUserPage(t, s, store.UserPage{Prefix: prefix, Limit: 100}, want...)
			if len(want) > 1 {
				// Limited, and paged within the prefix.
				wantUserPage(t, s, store.UserPage{Prefix: prefix, Limit: 1}, want[0])
				wantUserPage(t, s, store.UserPage{Prefix: prefix, After: want[0], Limit: 100}, want[1:]...)
			}
		}
	}},
	{"an exact id sorts first among its prefix", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		wantUserPage(t, s, store.UserPage{Prefix: "bob", Limit: 1}, "bob")
		wantUserPage(t, s, store.UserPage{Prefix: "bo", Limit: 1}, "bob")
	}},
	{"after beyond the prefix", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		wantUserPage(t, s, store.UserPage{Prefix: "a", After: "b", Limit: 100})
		wantUserPage(t, s, store.UserPage{Prefix: "b", After: "a", Limit: 100}, withPrefix("b")...)
		wantUserPage(t, s, store.UserPage{After: "\U0010FFFFz", Limit: 100})
	}},
	{"limit zero or less", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		wantUserPage(t, s, store.UserPage{Limit: 0})
		wantUserPage(t, s, store.UserPage{Limit: -1})
	}},
	{"other apps stay out", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		got, err := s.ListUsersPage(t.Context(), "app2", store.UserPage{Limit: 100})
		must(t, err)
		wantEqual(t, "app2", userIDsOf(got), []string{"bob3"})
		got, err = s.ListUsersPage(t.Context(), "nope", store.UserPage{Limit: 100})
		must(t, err)
		wantEqual(t, "unknown app", len(got), 0)
	}},
	{"deleted users leave the pages", func(t *testing.T, s store.Store) {
		seedUserPages(t, s)
		must(t, s.DeleteUser(t.Context(), "app1", "bob"))
		must(t, s.DeleteUser(t.Context(), "app1", "bob2"))
		wantUserPage(t, s, store.UserPage{Prefix: "bob", Limit: 100}, "bobby")
		want := slices.DeleteFunc(slices.Clone(userPageIDs), func(id string) bool { return id == "bob" || id == "bob2" })
		wantUserPage(t, s, store.UserPage{Limit: 100}, want...)
	}},
}
