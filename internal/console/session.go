package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/token"
)

// Sessions are sealed cookies: the payload is encrypted and authenticated
// with the console app's token keys (package token), so every instance
// sharing the database can read them and clients can neither read nor
// change them. The payload's id is the secret of a session kept in the
// store (package consolesession): a session whose row is gone, after a
// sign-out on any instance, is refused everywhere. Every request also
// checks that the user is still an administrator.

const (
	cookieName  = "pwl_console"
	sessionKind = token.Kind("consolesession_")
	// refreshAfter is how stale a session's last-seen time may get before
	// the cookie is re-issued (sliding idle expiry).
	refreshAfter = time.Minute
)

// session is the sealed cookie payload.
type session struct {
	ID     string    `json:"id"`
	UserID string    `json:"uid"`
	Name   string    `json:"n"`
	CSRF   string    `json:"csrf"`
	Issued time.Time `json:"iat"`
	Seen   time.Time `json:"seen"`
}

// startSession signs the administrator in: it sets a fresh session cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, userID, name string) error {
	now := c.now().UTC()
	secret, err := c.cfg.Sessions.Start(r.Context(), userID, r.UserAgent(), consolesession.ClientAddress(r, c.cfg.ClientIPHeader))
	if err != nil {
		return err
	}
	s := session{ID: secret, UserID: userID, Name: name, CSRF: randomHex(32), Issued: now, Seen: now}
	return c.writeSession(w, r, s)
}

func (c *Console) writeSession(w http.ResponseWriter, r *http.Request, s session) error {
	v, err := c.cfg.Tokens.Seal(r.Context(), ConsoleAppID, sessionKind, s)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName,
		Value:    v,
		Path:     Prefix,
		MaxAge:   int(c.cfg.IdleTimeout / time.Second),
		HttpOnly: true,
		Secure:   c.secure(r),
		SameSite: http.SameSiteStrictMode,
	})
	return nil
}

func (c *Console) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

// secure reports whether the session cookie gets the Secure attribute:
// when the request came over TLS (directly or, per X-Forwarded-Proto,
// through a proxy), or when the configured console URL is https, since a
// proxy that terminates TLS may not say so.
func (c *Console) secure(r *http.Request) bool {
	return isTLS(r) || (c.public != nil && c.public.Scheme == "https")
}

// readSession returns the request's valid session, or false. It refreshes
// the cookie's idle expiry when due.
func (c *Console) readSession(w http.ResponseWriter, r *http.Request) (session, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return session{}, false
	}
	var s session
	v := ck.Value
	if err := c.cfg.Tokens.Open(r.Context(), ConsoleAppID, sessionKind, &v, &s); err != nil {
		c.clearSession(w, r)
		return session{}, false
	}
	now := c.now().UTC()
	if now.Sub(s.Seen) > c.cfg.IdleTimeout || now.Sub(s.Issued) > c.cfg.MaxAge || c.isRevoked(r.Context(), s.ID) {
		c.clearSession(w, r)
		return session{}, false
	}
	name, ok, err := c.isAdmin(r.Context(), s.UserID)
	if err != nil || !ok {
		c.clearSession(w, r)
		return session{}, false
	}
	s.Name = name
	if now.Sub(s.Seen) > refreshAfter {
		s.Seen = now
		if err := c.writeSession(w, r, s); err != nil {
			c.log.Warn("refresh console session", "err", err)
		}
	}
	return s, true
}

// revoke ends the session in the store, for every instance.
func (c *Console) revoke(ctx context.Context, s session) {
	err := c.cfg.Sessions.End(ctx, s.UserID, consolesession.Handle(s.ID))
	if err != nil && !errors.Is(err, consolesession.ErrEnded) {
		c.log.Error("end console session", "err", err)
	}
}

// isRevoked reports whether the session with this secret has ended. A
// store failure counts as ended: the console refuses rather than trusts a
// session it cannot check.
func (c *Console) isRevoked(ctx context.Context, id string) bool {
	_, err := c.cfg.Sessions.Check(ctx, id)
	if err != nil && !errors.Is(err, consolesession.ErrEnded) {
		c.log.Error("check console session", "err", err)
	}
	return err != nil
}

// checkCSRF compares the form's csrf field with the session's token in
// constant time, and refuses cross-origin posts.
func (c *Console) checkCSRF(r *http.Request, s session) bool {
	if !c.sameOrigin(r) {
		return false
	}
	got := r.PostFormValue("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// sameOrigin refuses requests whose Origin (or, without one, Referer) is
// not the console's own: the same scheme, host and port. With a configured
// console URL that is the URL's origin: behind a proxy the Host header may
// name the upstream rather than the site. Without one it is the origin the
// request was made to: its Host, with https when it came over TLS or with
// X-Forwarded-Proto: https, else http. Requests without either header
// (non-browser clients) pass.
func (c *Console) sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	switch src {
	case "null":
		return false
	case "":
		src = r.Header.Get("Referer")
		if src == "" {
			return true
		}
	}
	u, err := url.Parse(src)
	return err == nil && c.isConsole(r, u)
}

// isConsole reports whether u is on the console: the configured console
// URL's origin when set, else the request's (see sameOrigin).
func (c *Console) isConsole(r *http.Request, u *url.URL) bool {
	if c.public != nil {
		return origin(u) == origin(c.public)
	}
	scheme := "http"
	if isTLS(r) {
		scheme = "https"
	}
	return origin(u) == origin(&url.URL{Scheme: scheme, Host: r.Host})
}

// origin is a URL's scheme and host in lower case, without the scheme's
// default port, as browsers write the Origin header.
func origin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

// ctxKey carries the session of an authenticated request.
type ctxKey struct{}

func sessionFrom(ctx context.Context) (session, bool) {
	s, ok := ctx.Value(ctxKey{}).(session)
	return s, ok
}

// authed wraps a handler that needs a signed-in administrator; POSTs also
// need the CSRF token.
func (c *Console) authed(h func(w http.ResponseWriter, r *http.Request, s session) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		s, ok := c.readSession(w, r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return seeOther(Prefix + "/signin?next=" + url.QueryEscape(r.URL.RequestURI()))
			}
			return fail(http.StatusUnauthorized, "Your session has ended. Sign in again.")
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if err := r.ParseForm(); err != nil || !c.checkCSRF(r, s) {
				return fail(http.StatusForbidden, "The form is out of date or did not come from this console (CSRF check failed). Reload the page and try again.")
			}
			if !allText(r.PostForm) {
				return fail(http.StatusBadRequest, "The form holds characters that are not text.")
			}
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, s)), s)
	}
}
