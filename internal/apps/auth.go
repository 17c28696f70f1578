// Package apps manages applications and their API keys: the management
// API (create, features, keys, the deletion lifecycle) and the
// authentication of the ApiKey and ApiSecret headers.
package apps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/token"
)

// Errors of Authenticate. Both become the same 401 on the wire (the
// original server never tells a locked key from a wrong one).
var (
	ErrInvalidKey = errors.New("apps: invalid key")
	ErrLockedKey  = errors.New("apps: key is locked")
)

// Store is the part of store.Store the service uses.
type Store interface {
	AddAPIKey(ctx context.Context, key store.APIKey) error
	CountUsers(ctx context.Context, appID string) (int64, error)
	CreateApp(ctx context.Context, app store.App, keys []store.APIKey) error
	DeleteAPIKey(ctx context.Context, appID, keyID string) error
	DeleteApp(ctx context.Context, appID string) error
	GetAPIKey(ctx context.Context, appID, keyID string) (store.APIKey, error)
	GetApp(ctx context.Context, appID string) (store.App, error)
	ListAPIKeys(ctx context.Context, appID string) ([]store.APIKey, error)
	ListAppIDs(ctx context.Context) ([]string, error)
	ListAppsDueForDeletion(ctx context.Context, now time.Time) ([]string, error)
	SetAPIKeyLocked(ctx context.Context, appID, keyID string, locked bool, at time.Time) error
	SetAllAPIKeysLocked(ctx context.Context, appID string, locked bool, at time.Time) error
	SetDeleteAt(ctx context.Context, appID string, at *time.Time) error
	UpdateFeatures(ctx context.Context, appID string, u store.FeaturesUpdate) error
}

// Service implements application management and key authentication.
type Service struct {
	store  Store
	tokens *token.Sealer
	now    func() time.Time
	cache  *principalCache
	// generate makes a new key value (apikey.Generate); tests replace it
	// to force key-id collisions.
	generate func(appID string, kind store.KeyKind) string
}

// AuthCacheTTL is how long a successful authentication is reused. It
// bounds how long another instance keeps honouring a key locked, or a
// feature changed, elsewhere.
const AuthCacheTTL = 5 * time.Second

// New returns a Service; now may be nil (time.Now).
func New(st Store, tokens *token.Sealer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, tokens: tokens, now: now, cache: newPrincipalCache(AuthCacheTTL, 100_000),
		generate: apikey.Generate}
}

// changed drops cached authentications of an app after a change to its
// keys, features or lifecycle.
func (s *Service) changed(appID string) { s.cache.forget(appID) }

// Principal is an authenticated caller: the app and the key it used.
type Principal struct {
	App store.App
	Key store.APIKey
}

// HasScope reports whether the key carries the scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Key.Scopes, scope) }

// Authenticate checks a public key (kind KeyPublic) or secret (KeySecret)
// exactly as api-spec.md §2.2 describes: the app id is the text before the
// first ':', the key id its last four characters.
func (s *Service) Authenticate(ctx context.Context, kind store.KeyKind, value string) (Principal, error) {
	ck := cacheKey(int(kind), value)
	if p, ok := s.cache.get(ck, s.now()); ok {
		return p, nil
	}
	p, err := s.authenticate(ctx, kind, value)
	if err == nil {
		s.cache.put(ck, p, s.now())
	}
	return p, err
}

func (s *Service) authenticate(ctx context.Context, kind store.KeyKind, value string) (Principal, error) {
	appID, ok := apikey.AppID(value)
	keyID := apikey.ID(value)
	// Ids that are not text cannot be stored ids; PostgreSQL would even
	// refuse to look them up.
	if !ok || appID == "" || keyID == "" || !isText(appID) || !isText(keyID) {
		return Principal{}, ErrInvalidKey
	}
	key, err := s.store.GetAPIKey(ctx, appID, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrInvalidKey
	}
	if err != nil {
		return Principal{}, fmt.Errorf("apps: get key: %w", err)
	}
	if key.Kind != kind {
		return Principal{}, ErrInvalidKey
	}
	if err := checkKey(key, value); err != nil {
		return Principal{}, err
	}
	app, err := s.store.GetApp(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrInvalidKey
	}
	if err != nil {
		return Principal{}, fmt.Errorf("apps: get app: %w", err)
	}
	return Principal{App: app, Key: key}, nil
}

// checkKey compares the presented value with the stored key. A locked
// secret is rejected before its hash is checked, as in the original.
func checkKey(key store.APIKey, value string) error {
	if key.Kind == store.KeySecret {
		if key.Locked {
			return ErrLockedKey
		}
		if !apikey.VerifySecret(key.Value, value) {
			return ErrInvalidKey
		}
		return nil
	}
	if !apikey.EqualPublic(key.Value, value) {
		return ErrInvalidKey
	}
	if key.Locked {
		return ErrLockedKey
	}
	return nil
}

// isText reports whether s is UTF-8 without NULs.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}
