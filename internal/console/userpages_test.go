package console

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/users"
)

var (
	userLinkPattern = regexp.MustCompile(`/console/apps/shop/user\?id=([^"]+)"`)
	nextPattern     = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// listedUsers returns the user ids of a users page and its next page link.
func listedUsers(t *testing.T, body string) (ids []string, next string) {
	t.Helper()
	for _, m := range userLinkPattern.FindAllStringSubmatch(body, -1) {
		id, err := url.QueryUnescape(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if m := nextPattern.FindStringSubmatch(body); m != nil {
		next = html.UnescapeString(m[1])
	}
	return ids, next
}

// The users page lists an app of any size a page at a time, and finds a
// user by id prefix, alias and credential id.
func TestUsersPagesAndSearch(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		e.post(ck, csrf, "/console/apps", url.Values{"id": {"shop"}}, 200)
		const n = users.DefaultSearchPageSize*2 + 7
		var aliases []store.UserAlias
		for i := range n {
			id := fmt.Sprintf("user-%03d", i)
			aliases = append(aliases, store.UserAlias{UserID: id, Alias: store.Alias{Hash: users.HashAlias("shop", id+"@example.com")}})
		}
		if err := e.store.ImportAliases(t.Context(), "shop", aliases); err != nil {
			t.Fatal(err)
		}
		e.addUser("shop", "zed")

		var all []string
		next := "/console/apps/shop/users"
		for pages := 0; next != ""; pages++ {
			if pages > 3 {
				t.Fatal("more pages than users")
			}
			r := e.do("GET", next, nil, nil, ck)
			if r.status != 200 {
				t.Fatalf("GET %s: %d", next, r.status)
			}
			var ids []string
			ids, next = listedUsers(t, r.body)
			if len(ids) > users.DefaultSearchPageSize {
				t.Fatalf("a page of %d users", len(ids))
			}
			all = append(all, ids...)
		}
		if len(all) != n+1 || all[0] != "user-000" || all[n-1] != fmt.Sprintf("user-%03d", n-1) || all[n] != "zed" {
			t.Fatalf("paged through %d users: %v", len(all), all)
		}

		app, _ := e.getApp("shop")
		creds, err := e.console.cfg.Users.ListCredentials(t.Context(), app, "zed")
		if err != nil || len(creds.Values) != 1 {
			t.Fatalf("zed's passkeys: %+v %v", creds.Values, err)
		}
		for _, tt := range []struct {
			query string
			want  []string
			how   string
		}{
			{"user-10", []string{"user-100", "user-101", "user-102", "user-103", "user-104", "user-105", "user-106"}, "user id"},
			{"user-042@example.com", []string{"user-042"}, "alias"},
			{creds.Values[0].Descriptor.ID, []string{"zed"}, "credential id"},
			{"nobody", nil, ""},
		} {
			r := e.do("GET", "/console/apps/shop/users?q="+url.QueryEscape(tt.query), nil, nil, ck)
			ids, next := listedUsers(t, r.body)
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) || next != "" {
				t.Errorf("search %q: %v (next %q), want %v", tt.query, ids, next, tt.want)
			}
			if tt.how != "" && !strings.Contains(r.body, "(by "+tt.how+")") {
				t.Errorf("search %q does not say it matched by %s", tt.query, tt.how)
			}
			if tt.want == nil && !strings.Contains(r.body, "No user matches") {
				t.Errorf("search %q: no message for an empty result", tt.query)
			}
		}
	})
}
