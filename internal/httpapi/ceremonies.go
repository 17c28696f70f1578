package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/store"
)

// withBody adapts a domain call that takes the app and a decoded body to a
// handler answering 200 with its result.
func withBody[Req, Res any](fn func(ctx context.Context, app store.App, req Req) (Res, error)) func(*call) error {
	return func(c *call) error {
		var req Req
		if err := c.decode(&req); err != nil {
			return err
		}
		res, err := fn(c.r.Context(), c.p.App, req)
		if err != nil {
			return err
		}
		return c.json(http.StatusOK, res)
	}
}

// withClient is withBody for the completing ceremony calls, which also
// record the browser (User-Agent, CF-IPCountry).
func withClient[Req, Res any](fn func(ctx context.Context, app store.App, req Req, cl passkey.Client) (Res, error)) func(*call) error {
	return func(c *call) error {
		var req Req
		if err := c.decode(&req); err != nil {
			return err
		}
		cl := passkey.Client{UserAgent: c.r.UserAgent(), Country: countryCode(c.r.Header.Get("CF-IPCountry"))}
		res, err := fn(c.r.Context(), c.p.App, req, cl)
		if err != nil {
			return err
		}
		return c.json(http.StatusOK, res)
	}
}

// countryCode returns the CF-IPCountry header if it is a two-character
// code (ISO 3166 letters, or Cloudflare's "T1"), and "" otherwise: the
// value is stored with the credential, so arbitrary text (or bytes that
// are not UTF-8, which PostgreSQL refuses) must not get that far.
func countryCode(h string) string {
	if len(h) != 2 {
		return ""
	}
	for _, c := range []byte(h) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return ""
		}
	}
	return strings.ToUpper(h)
}
