package users_test

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/users"
)

// searchFixture: users "alice" (credential id bytes fb ff 01, so its
// base64url and standard base64 differ, plaintext alias
// alice@example.com), "alice2", "alicia" (hashed alias secret@example.com),
// "bob" (credential only) and, in another app, "alice3".
func searchFixture(t *testing.T, st store.Store) store.App {
	t.Helper()
	ctx := t.Context()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	app := store.App{ID: "app1", CreatedAt: now}
	for _, a := range []store.App{app, {ID: "app2", CreatedAt: now}} {
		if err := st.CreateApp(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	cred := func(appID string, id []byte, userID string) store.Credential {
		return store.Credential{AppID: appID, ID: id, UserID: userID, UserHandle: []byte(userID), PublicKey: []byte{0xa0}, CreatedAt: now, LastUsedAt: now}
	}
	for _, c := range []struct {
		cred    store.Credential
		aliases []store.Alias
	}{
		{cred("app1", []byte{0xfb, 0xff, 0x01}, "alice"), users.StoredAliases("app1", []string{"alice@example.com"}, false)},
		{cred("app1", []byte("c-alice2"), "alice2"), nil},
		{cred("app1", []byte("c-alicia"), "alicia"), users.StoredAliases("app1", []string{"secret@example.com"}, true)},
		{cred("app1", []byte("c-bob"), "bob"), nil},
		{cred("app2", []byte("c-alice3"), "alice3"), users.StoredAliases("app2", []string{"bob"}, true)},
	} {
		if err := st.AddCredential(ctx, c.cred, c.aliases, nil); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

type found struct{ id, how string }

func matches(res users.SearchResult) []found {
	out := []found{}
	for _, u := range res.Users {
		out = append(out, found{u.UserID, u.MatchedBy})
	}
	return out
}

func TestSearch(t *testing.T) {
	id := []byte{0xfb, 0xff, 0x01}
	for name, open := range teststores.Both {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			app := searchFixture(t, st)
			svc := users.New(st)
			for _, tt := range []struct {
				query string
				want  []found
			}{
				{"", []found{{"alice", ""}, {"alice2", ""}, {"alicia", ""}, {"bob", ""}}},
				{"alice", []found{{"alice", users.MatchUserID}, {"alice2", users.MatchUserID}}},
				{"  ali ", []found{{"alice", users.MatchUserID}, {"alice2", users.MatchUserID}, {"alicia", users.MatchUserID}}},
				{"alice2", []found{{"alice2", users.MatchUserID}}},
				{"alice3", []found{}},
				{"alice@example.com", []found{{"alice", users.MatchAlias}}},
				{"secret@example.com", []found{{"alicia", users.MatchAlias}}},
				{users.HashAlias("app1", "secret@example.com"), []found{{"alicia", users.MatchAliasHash}}},
				{base64.RawURLEncoding.EncodeToString(id), []found{{"alice", users.MatchCredentialID}}},
				{base64.URLEncoding.EncodeToString(id), []found{{"alice", users.MatchCredentialID}}},
				{base64.StdEncoding.EncodeToString(id), []found{{"alice", users.MatchCredentialID}}},
				{base64.RawStdEncoding.EncodeToString(id), []found{{"alice", users.MatchCredentialID}}},
				// "bob" is a user id here and, in app2, a hashed alias of
				// another app's user: only this app's user is found.
				{"bob", []found{{"bob", users.MatchUserID}}},
				{"nobody", []found{}},
				{"+/=", []found{}},
			} {
				res, err := svc.Search(t.Context(), app, users.SearchRequest{Query: tt.query})
				if err != nil {
					t.Fatalf("%q: %v", tt.query, err)
				}
				if got := matches(res); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("%q: got %v, want %v", tt.query, got, tt.want)
				}
				if res.Next != "" {
					t.Errorf("%q: next page %q on a short list", tt.query, res.Next)
				}
			}
		})
	}
}

func TestSearchPages(t *testing.T) {
	for name, open := range teststores.Both {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			app := searchFixture(t, st)
			svc := users.New(st)
			for _, tt := range []struct {
				query string
				pages [][]string
			}{
				{"", [][]string{{"alice", "alice2"}, {"alicia", "bob"}}},
				{"ali", [][]string{{"alice", "alice2"}, {"alicia"}}},
				{"alice", [][]string{{"alice", "alice2"}}},
			} {
				after := ""
				for i, want := range tt.pages {
					res, err := svc.Search(t.Context(), app, users.SearchRequest{Query: tt.query, After: after, Limit: 2})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, u := range res.Users {
						got = append(got, u.UserID)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%q page %d: got %v, want %v", tt.query, i+1, got, want)
					}
					last := i == len(tt.pages)-1
					if (res.Next == "") != last {
						t.Errorf("%q page %d: next = %q, last page %v", tt.query, i+1, res.Next, last)
					}
					after = res.Next
				}
			}
		})
	}
}

func TestSearchPageSize(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		st := open(t)
		app := store.App{ID: "app1", CreatedAt: time.Now()}
		if err := st.CreateApp(t.Context(), app, nil); err != nil {
			t.Fatal(err)
		}
		var aliases []store.UserAlias
		for i := range users.MaxSearchPageSize + 1 {
			aliases = append(aliases, store.UserAlias{UserID: fmt.Sprintf("u%04d", i), Alias: store.Alias{Hash: fmt.Sprint(i)}})
		}
		if err := st.ImportAliases(t.Context(), "app1", aliases); err != nil {
			t.Fatal(err)
		}
		svc := users.New(st)
		for _, tt := range []struct{ limit, want int }{{0, users.DefaultSearchPageSize}, {-3, users.DefaultSearchPageSize}, {7, 7}, {10_000, users.MaxSearchPageSize}} {
			res, err := svc.Search(t.Context(), app, users.SearchRequest{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Users) != tt.want || res.Next == "" {
				t.Errorf("limit %d: %d users, next %q; want %d and a next page", tt.limit, len(res.Users), res.Next, tt.want)
			}
		}
	})
}
