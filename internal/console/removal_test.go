package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// TestRemovedAdministratorSessionRefused removes an administrator who is
// signed in: their very next request, within the minute in which the
// cookie is not even refreshed, is refused and the cookie cleared, while
// the remaining administrator's session goes on.
func TestRemovedAdministratorSessionRefused(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ada, _ := e.admin()
		r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {e.csrf(ada)}}, nil, ada)
		m := regexp.MustCompile(`/console/invite\?token=([^<\s"]+)`).FindStringSubmatch(r.body)
		if r.status != 200 || m == nil {
			t.Fatalf("invite: %d %s", r.status, r.body)
		}
		inv, _ := url.QueryUnescape(m[1])
		r = e.enrol(softauthn.New(), inv, "Grace", nil)
		grace := r.cookie(cookieName)
		if r.status != http.StatusSeeOther || grace == nil {
			t.Fatalf("Grace's enrolment: %d %s", r.status, r.body)
		}
		graceCSRF := e.csrf(grace) // fails unless Grace's session works now

		admins, err := e.console.admins(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		graceID := ""
		for _, a := range admins {
			if a.Name == "Grace" {
				graceID = a.UserID
			}
		}
		if graceID == "" {
			t.Fatalf("Grace is not listed: %+v", admins)
		}
		if r := e.do("POST", "/console/admins/delete", url.Values{"csrf": {e.csrf(ada)}, "userId": {graceID}}, nil, ada); r.status != http.StatusSeeOther {
			t.Fatalf("removing Grace: %d %s", r.status, r.body)
		}

		r = e.do("GET", "/console/apps", nil, nil, grace)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/console/signin") {
			t.Fatalf("removed administrator's page request: %d %s", r.status, r.header.Get("Location"))
		}
		if c := r.cookie(cookieName); c == nil || c.MaxAge >= 0 {
			t.Fatalf("the removed administrator's cookie was not cleared: %+v", c)
		}
		if r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {graceCSRF}}, nil, grace); r.status != http.StatusUnauthorized {
			t.Fatalf("removed administrator's form post: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/console/apps", nil, nil, ada); r.status != 200 {
			t.Fatalf("the remaining administrator's session: %d", r.status)
		}
	})
}
