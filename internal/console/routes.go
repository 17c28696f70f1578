package console

import (
	"context"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/passwordless-oss/server/demo"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/store"
)

func (c *Console) routes() {
	m := http.NewServeMux()
	a := c.authed
	// Every pattern is recorded, so a test can walk the state-changing
	// routes and check that each one is protected.
	handle := func(pattern string, h http.Handler) {
		m.Handle(pattern, h)
		c.patterns = append(c.patterns, pattern)
	}
	handleFunc := func(pattern string, h http.HandlerFunc) { handle(pattern, h) }
	// Pages return their errors; serve renders them.
	pageFunc := func(pattern string, h handlerFunc) { handle(pattern, c.serve(h)) }

	static, _ := fs.Sub(staticFS, "static")
	handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", cacheable(http.FileServerFS(static))))
	handleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) { c.redirect(w, r, Prefix+"/") })
	pageFunc("GET "+Prefix+"/{$}", c.home)

	// Administrators: sign-in, enrolment (setup link, invitations), sign-out.
	pageFunc("GET "+Prefix+"/signin", c.signinPage)
	pageFunc("POST "+Prefix+"/signin", c.signinFinish)
	pageFunc("POST "+Prefix+"/signout", a(c.signout))
	pageFunc("GET "+Prefix+"/setup", c.enrolPage)
	pageFunc("GET "+Prefix+"/invite", c.enrolPage)
	handleFunc("POST "+Prefix+"/enrol/begin", c.enrolBegin)
	pageFunc("POST "+Prefix+"/enrol/finish", c.enrolFinish)
	pageFunc("GET "+Prefix+"/admins", a(c.adminsPage))
	pageFunc("POST "+Prefix+"/admins/invite", a(c.adminsInvite))
	pageFunc("POST "+Prefix+"/admins/delete", a(c.adminsDelete))
	pageFunc("GET "+Prefix+"/sessions", a(c.sessionsPage))
	pageFunc("POST "+Prefix+"/sessions/end", a(c.sessionsEnd))
	pageFunc("POST "+Prefix+"/sessions/end-all", a(c.sessionsEndAll))

	// Applications.
	pageFunc("GET "+Prefix+"/apps", a(c.appsPage))
	pageFunc("POST "+Prefix+"/apps", a(c.appsCreate))
	pageFunc("GET "+Prefix+"/apps/{app}", a(c.appPage))
	pageFunc("POST "+Prefix+"/apps/{app}/mark-delete", a(c.appMarkDelete))
	pageFunc("POST "+Prefix+"/apps/{app}/cancel-delete", a(c.appCancelDelete))
	pageFunc("POST "+Prefix+"/apps/{app}/delete", a(c.appDelete))
	pageFunc("GET "+Prefix+"/apps/{app}/keys", a(c.keysPage))
	pageFunc("POST "+Prefix+"/apps/{app}/keys", a(c.keysCreate))
	pageFunc("POST "+Prefix+"/apps/{app}/keys/{key}/{action}", a(c.keyAction))
	pageFunc("GET "+Prefix+"/apps/{app}/users", a(c.usersPage))
	pageFunc("GET "+Prefix+"/apps/{app}/user", a(c.userPage))
	pageFunc("POST "+Prefix+"/apps/{app}/users/delete", a(c.userDelete))
	pageFunc("POST "+Prefix+"/apps/{app}/credentials/delete", a(c.credentialDelete))
	pageFunc("GET "+Prefix+"/apps/{app}/auth-configs", a(c.authConfigsPage))
	pageFunc("POST "+Prefix+"/apps/{app}/auth-configs/{action}", a(c.authConfigAction))
	pageFunc("GET "+Prefix+"/apps/{app}/features", a(c.featuresPage))
	pageFunc("POST "+Prefix+"/apps/{app}/features", a(c.featuresSave))
	pageFunc("GET "+Prefix+"/apps/{app}/events", a(c.eventsPage))
	pageFunc("GET "+Prefix+"/apps/{app}/usage", a(c.usagePage))

	// Demo: a static page (package demo) and the small backend it needs.
	handleFunc("GET "+Prefix+"/demo", func(w http.ResponseWriter, r *http.Request) {
		target := Prefix + "/demo/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		c.redirect(w, r, target)
	})
	handle("GET "+Prefix+"/demo/", http.StripPrefix(Prefix+"/demo/", noStore(c.demoPage(http.FileServerFS(demo.Files)))))
	handleFunc("GET "+Prefix+"/demo/api/config", c.demoConfig)
	handleFunc("POST "+Prefix+"/demo/api/register-token", c.demoRegisterToken)
	handleFunc("POST "+Prefix+"/demo/api/verify", c.demoVerify)

	handleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		c.showError(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+".")
	})
	c.mux = m
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.securityHeaders(w)
	if !isText(r.URL.Path) || !allText(r.URL.Query()) {
		c.showError(w, r, http.StatusBadRequest, "The address holds characters that are not text.")
		return
	}
	c.mux.ServeHTTP(w, r)
}

// isText reports whether s is UTF-8 without NULs: what every store can
// hold (PostgreSQL refuses anything else, even in a lookup), and all a
// name, id or address ever needs.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// allText reports whether every name and value of a query or form is text.
func allText(vs url.Values) bool {
	for k, list := range vs {
		if !isText(k) {
			return false
		}
		for _, v := range list {
			if !isText(v) {
				return false
			}
		}
	}
	return true
}

func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// demoPage serves the demo's page, which names the configured copy of
// the official browser client, with a policy that lets the page (and only
// the page, not its other files) run that script. The other files come
// from h. It runs inside StripPrefix.
func (c *Console) demoPage(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "" {
			h.ServeHTTP(w, r) // index.html is redirected to the directory
			return
		}
		w.Header().Set("Content-Security-Policy", c.demoPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(c.demoIndex)
	})
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) error {
	if _, ok := c.readSession(w, r); ok {
		c.redirect(w, r, Prefix+"/apps")
		return nil
	}
	c.redirect(w, r, Prefix+"/signin")
	return nil
}

// withEvents runs fn with an audit-event buffer for appID and stores the
// events afterwards (if the app logs events), as the API does for its
// requests, so console actions show up in the app's event log, performed
// by the signed-in administrator.
func (c *Console) withEvents(r *http.Request, appID string, fn func(ctx context.Context) error) error {
	ctx, buf := events.NewContext(r.Context(), c.now())
	buf.SetCaller(appID, "")
	// What a signed-in administrator does, they performed.
	if s, ok := sessionFrom(r.Context()); ok {
		buf.SetPerformer(s.Name)
	}
	err := fn(ctx)
	c.cfg.Events.Keep(r.Context(), buf, store.App{})
	return err
}
