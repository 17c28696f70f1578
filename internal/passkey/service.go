// Package passkey implements the WebAuthn ceremonies and the tokens around
// them: the public endpoints a browser drives (register/begin|complete,
// signin/begin|complete) and the backend endpoints that mint and check
// tokens (register/token, signin/verify, signin/generate-token).
//
// Ceremony state travels in sealed session_ tokens, so beginning a ceremony
// writes nothing. Unlike the original server, a session completes at most
// once and expires, and a verify token verifies at most once; both rules are
// enforced by the store, so they hold across instances.
//
// Verification is done by github.com/go-webauthn/webauthn. The option
// objects sent to browsers are built here, field for field as the original
// server sends them (api-spec.md §6), because the official client passes
// them to the browser unchanged.
package passkey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/token"
)

const (
	// ceremonyTimeout is the hint sent to browsers (milliseconds).
	ceremonyTimeout = 60000
	// sessionTTL bounds how long a begun ceremony can be completed. It is
	// well above the browser timeout so slow users are not cut off.
	sessionTTL = 5 * time.Minute
	// registerVerifyTTL is the lifetime of the verify token minted by
	// /register/complete.
	registerVerifyTTL = 120 * time.Second
	// defaultRegisterTokenTTL applies when /register/token has no expiresAt.
	defaultRegisterTokenTTL = 120 * time.Second
)

// RegistrationPolicy decides whether a verified new credential may be
// stored (authenticator allow/block lists, metadata status).
type RegistrationPolicy interface {
	CheckRegistration(ctx context.Context, app store.App, aaguid []byte, attestation string) error
}

// Store is the part of store.Store the ceremonies use.
type Store interface {
	AddCredential(ctx context.Context, cred store.Credential, aliases []store.Alias, once *store.Once) error
	AliasOwner(ctx context.Context, appID, hash string) (string, error)
	ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error
	CountUsers(ctx context.Context, appID string) (int64, error)
	GetCredential(ctx context.Context, appID string, credentialID []byte) (store.Credential, error)
	ListCredentials(ctx context.Context, appID, userID string) ([]store.Credential, error)
	RecordCredentialUse(ctx context.Context, appID string, credentialID []byte, use store.CredentialUse, once *store.Once) error
	SignIn(ctx context.Context, appID string, credentialID []byte, once *store.Once, check func(store.Credential) (store.CredentialUse, error)) (store.Credential, error)
}

// Deps are the collaborators of a Service.
type Deps struct {
	Store   Store
	Tokens  *token.Sealer
	Configs *authconfig.Service
	// Policy may be nil: every verified credential is accepted.
	Policy RegistrationPolicy
	// AllowCounterRegression accepts sign-ins whose signature counter did
	// not grow (logging a warning) instead of refusing them.
	AllowCounterRegression bool
	// Now may be nil (time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// Service runs ceremonies for one server; it is safe for concurrent use.
type Service struct {
	store   Store
	tokens  *token.Sealer
	configs *authconfig.Service
	policy  RegistrationPolicy
	// allowCounterRegression: see Deps.
	allowCounterRegression bool
	now                    func() time.Time
	log                    *slog.Logger
}

// New returns a Service.
func New(d Deps) *Service {
	s := &Service{store: d.Store, tokens: d.Tokens, configs: d.Configs, policy: d.Policy,
		allowCounterRegression: d.AllowCounterRegression, now: d.Now, log: d.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Client describes the browser request that completes a ceremony; it ends
// up in the stored credential and the verify token.
type Client struct {
	UserAgent string
	// Country is the CF-IPCountry header ("" when absent).
	Country string
}

// TokenResponse is the body of every endpoint that returns one token.
type TokenResponse struct {
	Token string `json:"token"`
}

// requireOrigin implements the original server's first check on every
// public endpoint.
func requireOrigin(origin string) error {
	if strings.TrimSpace(origin) == "" {
		return problem.BadRequest("", "Origin is required.")
	}
	return nil
}

// checkBeginOrigin refuses, at the start of a ceremony, an origin no
// browser or app can send: it must be an absolute URL with a host (a page
// URL with a path is fine), or a native-app origin go-webauthn knows
// (android:apk-key-hash:..., ios:bundle-id:...). Such an origin has no
// host to take the RP ID from, so the RPID must then be sent.
func checkBeginOrigin(origin, rpid string) error {
	if u, err := url.Parse(strings.TrimSpace(origin)); err == nil && u.Scheme != "" && u.Hostname() != "" {
		return nil
	}
	if !protocol.IsKnownOpaqueOrigin(origin) {
		return problem.Field("origin", fmt.Sprintf(
			"'%s' is not an origin: send an absolute URL with a host, such as https://example.com, or a native app origin such as android:apk-key-hash:....", origin))
	}
	if strings.TrimSpace(rpid) == "" {
		return problem.Field("rpid", fmt.Sprintf("The origin '%s' has no host to take the RP ID from; send the RPID.", origin))
	}
	return nil
}

// normalizeOrigin reduces an origin to scheme://host[:port] (default ports
// dropped, lower case) when it parses as a URL with a host, so that a page
// URL such as https://example.com/login/ matches the browser's origin.
// Other values (android:apk-key-hash:...) are returned unchanged.
func normalizeOrigin(origin string) string {
	u, err := url.Parse(strings.TrimSpace(origin))
	if err != nil || u.Host == "" || u.Scheme == "" {
		return origin
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// checkAllowed enforces the app's optional lists of allowed origins and
// relying-party ids (empty lists allow any, as the original server does).
func checkAllowed(app store.App, origin, rpID string) error {
	f := app.Features
	if len(f.AllowedOrigins) > 0 && !slices.ContainsFunc(f.AllowedOrigins, func(o string) bool {
		return normalizeOrigin(o) == normalizeOrigin(origin)
	}) {
		return problem.BadRequest("origin_not_allowed", fmt.Sprintf("The origin '%s' is not allowed for this application.", origin))
	}
	if len(f.AllowedRPIDs) > 0 && !slices.ContainsFunc(f.AllowedRPIDs, func(r string) bool { return strings.EqualFold(r, rpID) }) {
		return problem.BadRequest("rpid_not_allowed", fmt.Sprintf("The RP ID '%s' is not allowed for this application.", rpID))
	}
	return nil
}

// rpIDFor returns the relying-party id of a request: the RPID sent by the
// client, or the origin's host when it sent none.
func rpIDFor(rpid, origin string) string {
	if rpid = strings.TrimSpace(rpid); rpid != "" {
		return rpid
	}
	if u, err := url.Parse(origin); err == nil {
		// Host names are case-insensitive and browsers lower-case them.
		return strings.ToLower(u.Hostname())
	}
	return ""
}

// expired returns the 403 expired_token problem for something that expired
// at exp, or nil if it has not.
func (s *Service) expired(exp time.Time) error {
	now := s.now()
	if !exp.Before(now) {
		return nil
	}
	return problem.New(403, "expired_token", fmt.Sprintf("The token expired %s ago.", Humanize(now.Sub(exp))))
}

// Humanize renders a duration with one unit of precision, the way the
// original server's error titles do ("10 seconds", "1 minute", "3 days").
func Humanize(d time.Duration) string {
	units := []struct {
		size time.Duration
		name string
	}{
		{7 * 24 * time.Hour, "week"},
		{24 * time.Hour, "day"},
		{time.Hour, "hour"},
		{time.Minute, "minute"},
		{time.Second, "second"},
		{time.Millisecond, "millisecond"},
	}
	for _, u := range units {
		if n := int64(d / u.size); n >= 1 {
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return "no time"
}

// internal wraps an unexpected store failure.
func internal(op string, err error) error {
	var p *problem.Problem
	if errors.As(err, &p) {
		return err
	}
	return problem.Internal(fmt.Errorf("%s: %w", op, err))
}

func ptr[T any](v T) *T { return &v }

// newID returns the id of a session or verify token. It is a version 7
// UUID: time-ordered, so the single-use records keyed by it are appended
// at the end of the store's index rather than written to a random page of
// it, which keeps the pages each commit writes few.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
