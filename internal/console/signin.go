package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/wire"
)

// crossOrigin answers a sign-in or enrolment post from another origin.
const crossOrigin = "This request did not come from this console's own pages."

type signinView struct {
	APIKey  string
	Next    string
	NoAdmin bool
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := c.readSession(w, r); ok {
		c.redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	c.renderSignin(w, r, 0, "")
}

func (c *Console) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	ctx := r.Context()
	key, err := c.publicKey(ctx)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	admins, err := c.admins(ctx)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	next := r.URL.Query().Get("next")
	if next == "" {
		next = r.PostFormValue("next")
	}
	c.render(w, r, status, "signin", page{Title: "Sign in", Error: msg, Data: signinView{
		APIKey: key, Next: safeNext(next), NoAdmin: len(admins) == 0,
	}})
}

// signinFinish verifies the sign-in token the page obtained from
// /signin/complete and starts a session for an administrator.
func (c *Console) signinFinish(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !c.sameOrigin(r) {
		c.fail(w, r, http.StatusForbidden, crossOrigin)
		return
	}
	if r.ParseForm() != nil {
		c.fail(w, r, http.StatusBadRequest, "Bad request.")
		return
	}
	ctx := r.Context()
	app, err := c.consoleApp(ctx)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	var v passkey.VerifiedUser
	err = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		vt := wire.String(r.PostFormValue("token"))
		v, err = c.cfg.Passkeys.Verify(ctx, app, passkey.VerifyRequest{Token: &vt})
		return err
	})
	if err != nil || v.Type != "passkey_signin" || !c.expectedOrigin(r, v.Origin) {
		c.renderSignin(w, r, http.StatusUnauthorized, "The sign-in could not be verified. Try again.")
		return
	}
	name, ok, err := c.isAdmin(ctx, v.UserID)
	if err != nil {
		c.failErr(w, r, err)
		return
	}
	if !ok {
		c.renderSignin(w, r, http.StatusForbidden, "This passkey does not belong to an administrator of this console.")
		return
	}
	if err := c.startSession(w, r, v.UserID, name); err != nil {
		c.failErr(w, r, err)
		return
	}
	c.redirect(w, r, safeNext(r.PostFormValue("next")))
}

// expectedOrigin checks that the passkey was used on this console (the
// configured console URL's origin, or the request's host).
func (c *Console) expectedOrigin(r *http.Request, origin *string) bool {
	if origin == nil {
		return false
	}
	got, err := url.Parse(*origin)
	return err == nil && c.isConsole(r, got)
}

// safeNext keeps redirects inside the console.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix+"/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return Prefix + "/apps"
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s session) {
	c.revoke(s)
	c.clearSession(w, r)
	c.redirect(w, r, Prefix+"/signin")
}
