package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/singleuse"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// signinAgain signs the administrator with authenticator a in once more and
// returns the new session's cookie.
func (e *env) signinAgain(a *softauthn.Authenticator, hdr http.Header) *http.Cookie {
	e.t.Helper()
	r := e.do("POST", "/console/signin", url.Values{"token": {e.signinWith(a, e.consoleKey())}}, hdr)
	ck := r.cookie(cookieName)
	if r.status != http.StatusSeeOther || ck == nil {
		e.t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	return ck
}

// signedIn reports whether the cookie opens a console page.
func (e *env) signedIn(ck *http.Cookie) bool {
	e.t.Helper()
	r := e.do("GET", "/console/apps", nil, nil, ck)
	return r.status == http.StatusOK
}

var sessionHandlePattern = regexp.MustCompile(`name="session" value="([0-9a-f]{64})"`)

func TestSessionsPageEndsSessions(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		first, a := e.admin()
		e.clock.Advance(time.Second)
		second := e.signinAgain(a, http.Header{"User-Agent": {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"}})
		e.clock.Advance(time.Second)
		third := e.signinAgain(a, nil)
		csrf := e.csrf(first)

		r := e.do("GET", "/console/sessions", nil, nil, first)
		handles := sessionHandlePattern.FindAllStringSubmatch(r.body, -1)
		if r.status != 200 || len(handles) != 3 || strings.Count(r.body, "this browser") != 1 || !strings.Contains(r.body, "Safari") ||
			!strings.Contains(r.body, "127.0.0.1") {
			t.Fatalf("sessions page: %d, %d sessions\n%s", r.status, len(handles), r.body)
		}
		// Newest first: the third sign-in, then the second.
		e.post(first, csrf, "/console/sessions/end", url.Values{"session": {handles[1][1]}}, http.StatusSeeOther)
		if e.signedIn(second) || !e.signedIn(first) || !e.signedIn(third) {
			t.Fatal("ending the second session: wrong sessions ended")
		}
		// Ending one that has ended says so.
		e.post(first, csrf, "/console/sessions/end", url.Values{"session": {handles[1][1]}}, http.StatusNotFound)

		// Another administrator cannot end Ada's sessions by their handles.
		inv := e.post(first, csrf, "/console/admins/invite", url.Values{}, 200)
		link := regexp.MustCompile(`invite\?token=([^"<\s]+)`).FindStringSubmatch(inv.body)
		tok, _ := url.QueryUnescape(strings.ReplaceAll(link[1], "&#43;", "+"))
		enrolled := e.enrol(softauthn.New(), tok, "Bea", nil)
		bea := enrolled.cookie(cookieName)
		if bea == nil {
			t.Fatalf("Bea's enrolment: %d %s", enrolled.status, enrolled.body)
		}
		e.post(bea, e.csrf(bea), "/console/sessions/end", url.Values{"session": {handles[0][1]}}, http.StatusNotFound)
		if !e.signedIn(third) {
			t.Fatal("another administrator ended Ada's session")
		}

		// Sign out everywhere ends every session of Ada, and no one else's.
		r = e.post(first, csrf, "/console/sessions/end-all", url.Values{}, http.StatusSeeOther)
		if ck := r.cookie(cookieName); ck == nil || ck.MaxAge >= 0 {
			t.Fatalf("sign out everywhere did not clear the cookie: %+v", ck)
		}
		if e.signedIn(first) || e.signedIn(third) || !e.signedIn(bea) {
			t.Fatal("sign out everywhere: wrong sessions ended")
		}
	})
}

// A sign-out on one console instance holds on another that shares the
// database, and on a console started afresh.
func TestSignoutHoldsOnOtherInstance(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, a := e.admin()
		other := e.signinAgain(a, nil)
		// A second console on the same store, as a second server would run.
		c2, err := New(context.Background(), Config{Apps: e.apps, Users: e.console.cfg.Users, Configs: e.configs,
			Passkeys: e.console.cfg.Passkeys, Tokens: e.console.cfg.Tokens, Events: e.console.cfg.Events, Reports: e.console.cfg.Reports,
			SingleUse: singleuse.New(e.store), Sessions: consolesession.New(e.store, DefaultIdleTimeout, DefaultMaxAge, e.clock.Now),
			PublicURL: testOrigin, Now: e.clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		srv2 := httptest.NewServer(c2)
		t.Cleanup(srv2.Close)
		get := func(ck *http.Cookie) int {
			req, _ := http.NewRequest("GET", srv2.URL+"/console/apps", nil)
			req.AddCookie(ck)
			res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if s := get(ck); s != 200 {
			t.Fatalf("the session on the second instance: %d", s)
		}
		e.post(ck, e.csrf(ck), "/console/signout", url.Values{}, http.StatusSeeOther)
		if s := get(ck); s != http.StatusSeeOther {
			t.Fatalf("the signed-out cookie on the second instance: %d, want a redirect to sign in", s)
		}
		if s := get(other); s != 200 {
			t.Fatalf("the administrator's other session: %d", s)
		}
	})
}

// A page view writes the session's last-seen time at most once a minute.
func TestSessionLastSeenThrottled(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		seen := func() string {
			admins, _ := e.console.admins(context.Background())
			list, err := e.console.cfg.Sessions.List(context.Background(), admins[0].UserID)
			if err != nil || len(list) != 1 {
				t.Fatalf("sessions: %+v %v", list, err)
			}
			return list[0].LastSeenAt.String()
		}
		start := seen()
		for range 3 {
			e.clock.Advance(consolesession.TouchEvery / 4)
			e.signedIn(ck)
		}
		if got := seen(); got != start {
			t.Fatalf("last seen moved within a minute: %s -> %s", start, got)
		}
		e.clock.Advance(consolesession.TouchEvery / 2)
		e.signedIn(ck)
		if got := seen(); got == start {
			t.Fatal("last seen did not move after a minute")
		}
	})
}
