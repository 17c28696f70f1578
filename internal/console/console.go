// Package console is the admin console and demo served by the same binary
// under /console (see docs/console.md). Pages are server-rendered
// html/template with embedded assets; JavaScript is used only for the
// WebAuthn ceremonies (administrator sign-in and enrolment, the demo).
//
// The console is itself a relying party of this server: its administrators
// are users of an internal app (ConsoleAppID) with passkeys, registered and
// signed in through the server's own public endpoints. Everything else goes
// through the domain services (apps, users, authconfig, passkey, events,
// reports). The store is handed only to the events and reports packages,
// which take it as a parameter, and used directly for one thing: the
// single-use record of invitations (see enrolFinish).
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/passwordless-oss/server/internal/aaguid"
	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/singleuse"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

// Prefix is the path the console is mounted at.
const Prefix = "/console"

// ConsoleAppID is the internal app whose users are the console's
// administrators. The id is reserved; the console does not list it.
const ConsoleAppID = "consoleadmin"

// Defaults of Config.
const (
	DefaultIdleTimeout = 12 * time.Hour
	DefaultMaxAge      = 7 * 24 * time.Hour
	DefaultSetupTTL    = 24 * time.Hour
	DefaultInviteTTL   = 72 * time.Hour
)

// Config is what the console needs.
type Config struct {
	Apps     *apps.Service
	Users    *users.Service
	Configs  *authconfig.Service
	Passkeys *passkey.Service
	Tokens   *token.Sealer
	// Authenticators names the authenticators of passkeys and of event
	// messages; nil names none.
	Authenticators *aaguid.Directory
	// Events and Reports serve the event log and usage pages, and keep
	// the events of console actions.
	Events  *events.Service
	Reports *reports.Service
	// SingleUse records the single use of invitations.
	SingleUse *singleuse.Service
	// Sessions keeps the administrators' sessions (required). Build it
	// with consolesession.New and the same lifetimes as IdleTimeout and
	// MaxAge below, so the store and the cookie agree on when a session
	// ends.
	Sessions *consolesession.Manager
	// ClientIPHeader names the header a trusted reverse proxy puts the
	// client's address in (as for the API's rate limits); "" uses the
	// connection's. Each session shows the address it started from.
	ClientIPHeader string
	// Dev enables the open demo for the development app "test".
	Dev bool
	// HSTS adds Strict-Transport-Security to every response.
	HSTS bool
	// PublicURL is the external base URL of the server (e.g.
	// https://passkeys.example.com); optional. It is used for printed
	// links and, when set, is the only origin administrators may sign in
	// from.
	PublicURL string
	// ListenAddr is used for the printed setup link when PublicURL is empty.
	ListenAddr string
	// DemoClient is where the demo page loads the official browser client
	// from; zero means the pinned copy on jsDelivr (see DemoClientSettings).
	DemoClient DemoClient
	// Out receives the one-time setup link (standard output).
	Out io.Writer
	Log *slog.Logger
	// Now may be nil (time.Now).
	Now func() time.Time
	// Session lifetimes; zero means the defaults.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	SetupTTL    time.Duration
	InviteTTL   time.Duration
}

// Settings reads the console's environment variables:
// PASSWORDLESS_CONSOLE (default true) and PASSWORDLESS_CONSOLE_URL.
func Settings(getenv func(string) string) (enabled bool, publicURL string, err error) {
	enabled = true
	switch strings.ToLower(strings.TrimSpace(getenv("PASSWORDLESS_CONSOLE"))) {
	case "", "1", "true", "yes", "on":
	case "0", "false", "no", "off":
		enabled = false
	default:
		return false, "", errors.New("PASSWORDLESS_CONSOLE: expected true or false")
	}
	publicURL = strings.TrimRight(strings.TrimSpace(getenv("PASSWORDLESS_CONSOLE_URL")), "/")
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return false, "", errors.New("PASSWORDLESS_CONSOLE_URL: expected a base URL such as https://passkeys.example.com")
		}
	}
	return enabled, publicURL, nil
}

// Console is the console's http.Handler.
type Console struct {
	cfg Config
	// public is the parsed Config.PublicURL, nil when it is not set.
	public *url.URL
	log    *slog.Logger
	now    func() time.Time
	mux    *http.ServeMux
	// patterns are the mux's route patterns, in registration order.
	patterns []string
	pages    map[string]*pageTemplate
	// demoIndex is the demo page, and demoPolicy its Content-Security-Policy.
	demoIndex  []byte
	demoPolicy string

	mu sync.Mutex
	// setupHash is SHA-256 of the current one-time setup secret (zero when
	// there is none); setupExp is when it stops working.
	setupHash [32]byte
	setupExp  time.Time
	// usageRefreshed is when each app's usage rows were last refreshed by a
	// page view (see refreshUsage).
	usageRefreshed map[string]time.Time
}

// New bootstraps the console app (creating it if missing), prints a setup
// link if the console has no administrator yet, and returns the handler.
func New(ctx context.Context, cfg Config) (*Console, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.SetupTTL <= 0 {
		cfg.SetupTTL = DefaultSetupTTL
	}
	if cfg.InviteTTL <= 0 {
		cfg.InviteTTL = DefaultInviteTTL
	}
	if cfg.Sessions == nil {
		return nil, errors.New("console: no session manager (Config.Sessions)")
	}
	c := &Console{cfg: cfg, log: cfg.Log, now: cfg.Now, usageRefreshed: map[string]time.Time{}}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("console: the console URL %q is not a base URL", cfg.PublicURL)
		}
		c.public = u
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	if cfg.DemoClient == (DemoClient{}) {
		cfg.DemoClient = defaultDemoClient
		c.cfg.DemoClient = cfg.DemoClient
	}
	if c.demoIndex, err = demoIndex(cfg.DemoClient); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.demoPolicy = contentSecurityPolicy(cfg.DemoClient.scriptSource()...)
	if err := c.bootstrap(ctx); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.routes()
	return c, nil
}

// Mount sends requests under /console to the console and every other
// request to the API. A nil console leaves the API alone.
func Mount(api http.Handler, console http.Handler) http.Handler {
	if console == nil {
		return api
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == Prefix || strings.HasPrefix(r.URL.Path, Prefix+"/") {
			console.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// bootstrap makes sure the console app exists with a usable public key and
// prints a setup link when nobody can sign in yet.
func (c *Console) bootstrap(ctx context.Context) error {
	if _, err := c.cfg.Apps.Get(ctx, ConsoleAppID); apps.IsNotFound(err) {
		retention := wire.Int(90)
		_, err := c.cfg.Apps.Create(ctx, ConsoleAppID, apps.CreateRequest{
			AdminEmail:                  "",
			EventLoggingIsEnabled:       true,
			EventLoggingRetentionPeriod: &retention,
		})
		// Another instance may have created it at the same moment.
		if err != nil {
			if _, err2 := c.cfg.Apps.Get(ctx, ConsoleAppID); err2 != nil {
				return fmt.Errorf("create the console app: %w", err)
			}
		} else {
			app, err := c.consoleApp(ctx)
			if err != nil {
				return err
			}
			// Administrators verify themselves on their authenticator, and
			// the console app needs neither magic links nor generated tokens.
			if err := c.cfg.Configs.Edit(ctx, ConsoleAppID, authconfig.Request{
				Purpose: authconfig.SignIn, UserVerificationRequirement: "required", PerformedBy: "System",
			}); err != nil {
				return fmt.Errorf("configure console sign-in: %w", err)
			}
			off := false
			if err := c.cfg.Apps.SetSelfFeatures(ctx, app, apps.SelfFeaturesRequest{
				EnableManuallyGeneratedAuthenticationTokens: &off, EnableMagicLinks: &off,
			}); err != nil {
				return fmt.Errorf("configure console app: %w", err)
			}
		}
	} else if err != nil {
		return fmt.Errorf("get the console app: %w", err)
	}
	if _, err := c.publicKey(ctx); err != nil {
		return err
	}
	admins, err := c.admins(ctx)
	if err != nil {
		return err
	}
	if len(admins) == 0 {
		c.newSetupSecret(ctx)
	}
	return nil
}

// newSetupSecret makes a fresh one-time setup secret and prints its link.
func (c *Console) newSetupSecret(ctx context.Context) {
	secret := "setup_" + randomHex(24)
	c.mu.Lock()
	c.setupHash = sha256.Sum256([]byte(secret))
	c.setupExp = c.now().Add(c.cfg.SetupTTL)
	c.mu.Unlock()
	link := c.baseURL(nil) + Prefix + "/setup?token=" + secret
	fmt.Fprintf(c.cfg.Out, "\n  Admin console: no administrator yet. Open this one-time link within %s\n  to register the first administrator's passkey:\n  %s\n\n",
		humanDuration(c.cfg.SetupTTL), link)
	c.log.InfoContext(ctx, "console has no administrator; a one-time setup link was printed to standard output",
		"path", Prefix+"/setup", "expires", c.setupExp.UTC().Format(time.RFC3339))
}

// checkSetupSecret reports whether secret is the current setup secret
// (constant time) without using it up.
func (c *Console) checkSetupSecret(secret string) bool {
	got := sha256.Sum256([]byte(secret))
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero [32]byte
	if c.setupHash == zero || c.now().After(c.setupExp) {
		return false
	}
	return subtle.ConstantTimeCompare(got[:], c.setupHash[:]) == 1
}

// useSetupSecret uses the setup secret up; it reports false if it was not
// (or no longer) valid.
func (c *Console) useSetupSecret(secret string) bool {
	got := sha256.Sum256([]byte(secret))
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero [32]byte
	if c.setupHash == zero || c.now().After(c.setupExp) || subtle.ConstantTimeCompare(got[:], c.setupHash[:]) != 1 {
		return false
	}
	c.setupHash = zero
	return true
}

// baseURL is the external base URL: the configured one, else the
// request's, else one made from the listen address.
func (c *Console) baseURL(r *http.Request) string {
	if c.cfg.PublicURL != "" {
		return c.cfg.PublicURL
	}
	if r != nil {
		scheme := "http"
		if isTLS(r) {
			scheme = "https"
		}
		return scheme + "://" + r.Host
	}
	if c.cfg.ListenAddr == "" {
		return "http://localhost:5701"
	}
	return BrowserURL(c.cfg.ListenAddr)
}

func isTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// consoleApp returns the console's internal app.
func (c *Console) consoleApp(ctx context.Context) (store.App, error) {
	app, err := c.cfg.Apps.Get(ctx, ConsoleAppID)
	if err != nil {
		return app, fmt.Errorf("get the console app: %w", err)
	}
	return app, nil
}

// publicKey returns an unlocked public key of the console app that may
// register and sign in, creating one if there is none (an operator may have
// locked or deleted them through the management API).
func (c *Console) publicKey(ctx context.Context) (string, error) {
	return c.appPublicKey(ctx, ConsoleAppID, true)
}

// appPublicKey returns an unlocked public key of the app with both public
// scopes; create makes one when there is none.
func (c *Console) appPublicKey(ctx context.Context, appID string, create bool) (string, error) {
	keys, err := c.cfg.Apps.ListKeys(ctx, appID)
	if err != nil {
		return "", err
	}
	for _, k := range keys {
		if store.KeyKind(k.Type) == store.KeyPublic && !k.IsLocked &&
			contains(k.Scopes, apikey.ScopeRegister) && contains(k.Scopes, apikey.ScopeLogin) {
			return k.APIKey, nil
		}
	}
	if !create {
		return "", problem.BadRequest("", "The app has no unlocked public key with the register and login scopes.")
	}
	res, err := c.cfg.Apps.CreateKey(ctx, appID, store.KeyPublic, apps.CreateKeyRequest{Scopes: []wire.Int{0, 1}})
	if err != nil {
		return "", fmt.Errorf("create a console public key: %w", err)
	}
	return res["apiKey"], nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// admin is one console administrator: a user of the console app with a
// name (its alias) and at least one passkey.
type admin struct {
	UserID     string
	Name       string
	Passkeys   int
	LastUsedAt string
}

// admins lists the administrators. Users of the console app without an
// alias are enrolments that were never finished; they are not admins.
func (c *Console) admins(ctx context.Context) ([]admin, error) {
	app, err := c.consoleApp(ctx)
	if err != nil {
		return nil, err
	}
	list, err := c.cfg.Users.ListUsers(ctx, app)
	if err != nil {
		return nil, err
	}
	var out []admin
	for _, u := range list.Values {
		if u.CredentialsCount == 0 || len(u.Aliases) == 0 || u.Aliases[0] == nil {
			continue
		}
		a := admin{UserID: u.UserID, Name: *u.Aliases[0], Passkeys: u.CredentialsCount}
		if u.LastUsedAt != nil {
			a.LastUsedAt = *u.LastUsedAt
		}
		out = append(out, a)
	}
	return out, nil
}

// isAdmin reports whether userID is an administrator, and its name.
func (c *Console) isAdmin(ctx context.Context, userID string) (string, bool, error) {
	app, err := c.consoleApp(ctx)
	if err != nil {
		return "", false, err
	}
	aliases, err := c.cfg.Users.ListAliases(ctx, app, userID)
	if err != nil {
		return "", false, err
	}
	if len(aliases.Values) == 0 || aliases.Values[0].Plaintext == nil {
		return "", false, nil
	}
	creds, err := c.cfg.Users.ListCredentials(ctx, app, userID)
	if err != nil {
		return "", false, err
	}
	return *aliases.Values[0].Plaintext, len(creds.Values) > 0, nil
}
