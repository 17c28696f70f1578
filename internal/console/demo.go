package console

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// The demo (package demo: a static page) registers a passkey and signs in
// against an app of this server. Its backend is the two calls a site's
// backend makes, done in-process: mint a register token and verify a
// token. It is open for the development app "test" in development mode;
// for any other app it needs an administrator's session (and the CSRF
// token, which the config call hands to the page).

type demoConfig struct {
	AppID    string `json:"appId"`
	APIKey   string `json:"apiKey"`
	APIURL   string `json:"apiUrl"`
	CSRF     string `json:"csrf,omitempty"`
	Open     bool   `json:"open"`
	Console  string `json:"console,omitempty"`
	SignedIn bool   `json:"signedIn"`
	// AddressProblem and UseURL are set when the page was opened at an IP
	// address, where WebAuthn cannot work (see addressProblem).
	AddressProblem string `json:"addressProblem,omitempty"`
	UseURL         string `json:"useUrl,omitempty"`
}

// demoAccess resolves the demo's app and checks access to it.
func (c *Console) demoAccess(w http.ResponseWriter, r *http.Request) (store.App, *session, bool) {
	id := r.URL.Query().Get("app")
	if id == "" && c.cfg.Dev {
		id = apps.DevAppID
	}
	var sess *session
	if s, ok := c.readSession(w, r); ok {
		sess = &s
	}
	open := c.cfg.Dev && id == apps.DevAppID
	switch {
	case id == "":
		writeJSONError(w, http.StatusBadRequest, "Open the demo from an app's page in the console (the demo of the app \"test\" needs development mode).")
		return store.App{}, nil, false
	case id == ConsoleAppID:
		writeJSONError(w, http.StatusForbidden, "The console's own app has no demo.")
		return store.App{}, nil, false
	case !open && sess == nil:
		writeJSONError(w, http.StatusUnauthorized, "Sign in to the console to run the demo against the app "+id+".")
		return store.App{}, nil, false
	}
	if r.Method == http.MethodPost {
		// Same-origin only; with a session also the CSRF token.
		if !c.sameOrigin(r) || (!open && !c.checkCSRF(r, *sess)) {
			writeJSONError(w, http.StatusForbidden, "CSRF check failed; reload the page.")
			return store.App{}, nil, false
		}
	}
	app, err := c.cfg.Apps.Get(r.Context(), id)
	if apps.IsNotFound(err) {
		writeJSONError(w, http.StatusNotFound, "There is no app "+id+".")
		return app, nil, false
	}
	if err != nil {
		c.jsonErr(w, err)
		return app, nil, false
	}
	return app, sess, true
}

func (c *Console) demoConfig(w http.ResponseWriter, r *http.Request) {
	app, sess, ok := c.demoAccess(w, r)
	if !ok {
		return
	}
	key, err := c.appPublicKey(r.Context(), app.ID, false)
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	cfg := demoConfig{AppID: app.ID, APIKey: key, APIURL: c.baseURL(r), Open: c.cfg.Dev && app.ID == apps.DevAppID}
	if p := c.addressProblem(r); p != nil {
		// The page's address, not this call's.
		page := strings.TrimSuffix(p.URL, r.URL.RequestURI()) + Prefix + "/demo/"
		if r.URL.RawQuery != "" {
			page += "?" + r.URL.RawQuery
		}
		cfg.AddressProblem, cfg.UseURL = p.Message, page
	}
	if sess != nil {
		cfg.CSRF, cfg.SignedIn = sess.CSRF, true
		cfg.Console = Prefix + "/apps/" + app.ID + "/users"
	}
	writeJSON(w, http.StatusOK, cfg)
}

func (c *Console) demoRegisterToken(w http.ResponseWriter, r *http.Request) {
	app, _, ok := c.demoAccess(w, r)
	if !ok {
		return
	}
	var req struct {
		Username string `json:"username"`
	}
	if json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&req) != nil || strings.TrimSpace(req.Username) == "" || !isText(req.Username) {
		writeJSONError(w, http.StatusBadRequest, "Enter a username.")
		return
	}
	name := wire.String(strings.TrimSpace(req.Username))
	uid := wire.String("demo-" + randomHex(8))
	no := false
	var tok passkey.TokenResponse
	err := c.withEvents(r, app.ID, func(ctx context.Context) error {
		var err error
		tok, err = c.cfg.Passkeys.RegisterToken(ctx, app, passkey.RegisterTokenRequest{
			UserID: &uid, Username: &name, DisplayName: &name, Aliases: []*wire.String{&name}, AliasHashing: &no,
		})
		return err
	})
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tok)
}

func (c *Console) demoVerify(w http.ResponseWriter, r *http.Request) {
	app, _, ok := c.demoAccess(w, r)
	if !ok {
		return
	}
	var req passkey.VerifyRequest
	if json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&req) != nil {
		writeJSONError(w, http.StatusBadRequest, "Bad request.")
		return
	}
	var v passkey.VerifiedUser
	err := c.withEvents(r, app.ID, func(ctx context.Context) error {
		var err error
		v, err = c.cfg.Passkeys.Verify(ctx, app, req)
		return err
	})
	if err != nil {
		c.jsonErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
