package console

import (
	"context"
	"io/fs"
	"net/http"
	"time"

	"github.com/passwordless-oss/server/demo"
	"github.com/passwordless-oss/server/internal/events"
)

func (c *Console) routes() {
	m := http.NewServeMux()
	a := c.authed

	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", cacheable(http.FileServerFS(static))))
	m.HandleFunc("GET "+Prefix, func(w http.ResponseWriter, r *http.Request) { c.redirect(w, r, Prefix+"/") })
	m.HandleFunc("GET "+Prefix+"/{$}", c.home)

	// Administrators: sign-in, enrolment (setup link, invitations), sign-out.
	m.HandleFunc("GET "+Prefix+"/signin", c.signinPage)
	m.HandleFunc("POST "+Prefix+"/signin", c.signinFinish)
	m.HandleFunc("POST "+Prefix+"/signout", a(c.signout))
	m.HandleFunc("GET "+Prefix+"/setup", c.enrolPage)
	m.HandleFunc("GET "+Prefix+"/invite", c.enrolPage)
	m.HandleFunc("POST "+Prefix+"/enrol/begin", c.enrolBegin)
	m.HandleFunc("POST "+Prefix+"/enrol/finish", c.enrolFinish)
	m.HandleFunc("GET "+Prefix+"/admins", a(c.adminsPage))
	m.HandleFunc("POST "+Prefix+"/admins/invite", a(c.adminsInvite))
	m.HandleFunc("POST "+Prefix+"/admins/delete", a(c.adminsDelete))

	// Applications.
	m.HandleFunc("GET "+Prefix+"/apps", a(c.appsPage))
	m.HandleFunc("POST "+Prefix+"/apps", a(c.appsCreate))
	m.HandleFunc("GET "+Prefix+"/apps/{app}", a(c.appPage))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/mark-delete", a(c.appMarkDelete))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/cancel-delete", a(c.appCancelDelete))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/delete", a(c.appDelete))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/keys", a(c.keysPage))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/keys", a(c.keysCreate))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/keys/{key}/{action}", a(c.keyAction))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/users", a(c.usersPage))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/user", a(c.userPage))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/users/delete", a(c.userDelete))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/credentials/delete", a(c.credentialDelete))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/auth-configs", a(c.authConfigsPage))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/auth-configs/{action}", a(c.authConfigAction))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/features", a(c.featuresPage))
	m.HandleFunc("POST "+Prefix+"/apps/{app}/features", a(c.featuresSave))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/events", a(c.eventsPage))
	m.HandleFunc("GET "+Prefix+"/apps/{app}/usage", a(c.usagePage))

	// Demo: a static page (package demo) and the small backend it needs.
	m.HandleFunc("GET "+Prefix+"/demo", func(w http.ResponseWriter, r *http.Request) {
		target := Prefix + "/demo/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		c.redirect(w, r, target)
	})
	m.Handle("GET "+Prefix+"/demo/", http.StripPrefix(Prefix+"/demo/", noStore(http.FileServerFS(demo.Files))))
	m.HandleFunc("GET "+Prefix+"/demo/api/config", c.demoConfig)
	m.HandleFunc("POST "+Prefix+"/demo/api/register-token", c.demoRegisterToken)
	m.HandleFunc("POST "+Prefix+"/demo/api/verify", c.demoVerify)

	m.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, http.StatusNotFound, "There is no console page at "+r.URL.Path+".")
	})
	c.mux = m
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.securityHeaders(w)
	c.mux.ServeHTTP(w, r)
}

func cacheable(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.readSession(w, r); ok {
		c.redirect(w, r, Prefix+"/apps")
		return
	}
	c.redirect(w, r, Prefix+"/signin")
}

// withEvents runs fn with an audit-event buffer for appID and stores the
// events afterwards (if the app logs events), as the API does for its
// requests, so console actions show up in the app's event log.
func (c *Console) withEvents(r *http.Request, appID string, fn func(ctx context.Context) error) error {
	ctx, buf := events.NewContext(r.Context(), c.now())
	buf.SetCaller(appID, "")
	err := fn(ctx)
	fctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if ferr := events.Flush(fctx, c.cfg.Store, buf, c.cfg.Apps.Get); ferr != nil {
		c.log.Error("store console events", "err", ferr)
	}
	return err
}
