package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/users"
)

// usersPageView is one page of the users page: ?q= searches (see
// users.Search), ?after= continues after a user id. Pages are read by key,
// so every page and every search is a few index reads however many users
// the app has; only the first page of the whole list also counts the
// users with a passkey.
func (c *Console) usersPageView(r *http.Request, app store.App) (usersView, error) {
	ctx := r.Context()
	q := r.URL.Query()
	v := usersView{Query: q.Get("q")}
	after := q.Get("after")
	res, err := c.cfg.Users.Search(ctx, app, users.SearchRequest{Query: v.Query, After: after})
	if err != nil {
		return v, err
	}
	v.Users = res.Users
	base := Prefix + "/apps/" + app.ID + "/users"
	link := func(after string) string {
		u := url.Values{}
		if v.Query != "" {
			u.Set("q", v.Query)
		}
		if after != "" {
			u.Set("after", after)
		}
		if len(u) == 0 {
			return base
		}
		return base + "?" + u.Encode()
	}
	if res.Next != "" {
		v.NextURL = link(res.Next)
	}
	if after != "" {
		v.FirstURL = link("")
	}
	switch {
	case v.Query != "" && len(res.Users) == 0:
		v.Summary = "No user matches " + v.Query + "."
	case v.Query != "":
		v.Summary = plural(int64(len(res.Users)), "user matches", "users match") + " " + v.Query + pageNote(res.Next != "") + "."
	case after != "":
		v.Summary = fmt.Sprintf("Users after %s%s.", after, pageNote(res.Next != ""))
	default:
		count, err := c.cfg.Users.CountUsers(ctx, app)
		if err != nil {
			return v, err
		}
		if res.Next == "" {
			v.Summary = usersSummary(len(res.Users), count["count"])
		} else {
			v.Summary = fmt.Sprintf("%s with a passkey; the list shows %d at a time, by user id.",
				plural(count["count"], "user", "users"), users.DefaultSearchPageSize)
		}
	}
	return v, nil
}

func pageNote(more bool) string {
	if more {
		return " (more on the next page)"
	}
	return ""
}
