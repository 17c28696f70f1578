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

// parseOwnForm reads the form of a sign-in or enrolment post, which
// must come from the console's own pages.
func (c *Console) parseOwnForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !c.sameOrigin(r) {
		return fail(http.StatusForbidden, crossOrigin)
	}
	if r.ParseForm() != nil {
		return fail(http.StatusBadRequest, "Bad request.")
	}
	return nil
}

type signinView struct {
	APIKey  string
	Next    string
	NoAdmin bool
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) error {
	if _, ok := c.readSession(w, r); ok {
		c.redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return nil
	}
	return c.renderSignin(w, r, 0, "")
}

func (c *Console) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	ctx := r.Context()
	key, err := c.publicKey(ctx)
	if err != nil {
		return err
	}
	admins, err := c.admins(ctx)
	if err != nil {
		return err
	}
	next := r.URL.Query().Get("next")
	if next == "" {
		next = r.PostFormValue("next")
	}
	c.render(w, r, status, "signin", page{Title: "Sign in", Error: msg, Data: signinView{
		APIKey: key, Next: safeNext(next), NoAdmin: len(admins) == 0,
	}})
	return nil
}

// signinFinish verifies the sign-in token the page obtained from
// /signin/complete and starts a session for an administrator.
func (c *Console) signinFinish(w http.ResponseWriter, r *http.Request) error {
	if err := c.parseOwnForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	app, err := c.consoleApp(ctx)
	if err != nil {
		return err
	}
	var v passkey.VerifiedUser
	err = c.withEvents(r, ConsoleAppID, func(ctx context.Context) error {
		vt := wire.String(r.PostFormValue("token"))
		v, err = c.cfg.Passkeys.Verify(ctx, app, passkey.VerifyRequest{Token: &vt})
		return err
	})
	if err != nil || v.Type != "passkey_signin" || !c.expectedOrigin(r, v.Origin) {
		return c.renderSignin(w, r, http.StatusUnauthorized, "The sign-in could not be verified. Try again.")
	}
	name, ok, err := c.isAdmin(ctx, v.UserID)
	if err != nil {
		return err
	}
	if !ok {
		return c.renderSignin(w, r, http.StatusForbidden, "This passkey does not belong to an administrator of this console.")
	}
	if err := c.startSession(w, r, v.UserID, name); err != nil {
		return err
	}
	c.redirect(w, r, safeNext(r.PostFormValue("next")))
	return nil
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

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s session) error {
	c.revoke(r.Context(), s)
	c.clearSession(w, r)
	c.redirect(w, r, Prefix+"/signin")
	return nil
}
