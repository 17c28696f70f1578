package httpapi

import (
	"context"
	"net/http"

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
		cl := passkey.Client{UserAgent: c.r.UserAgent(), Country: c.r.Header.Get("CF-IPCountry")}
		res, err := fn(c.r.Context(), c.p.App, req, cl)
		if err != nil {
			return err
		}
		return c.json(http.StatusOK, res)
	}
}
