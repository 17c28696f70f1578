package apps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// appIDPattern is the id rule of app creation. The original's availability
// check allowed only 50 characters; we use the creation rule for both so
// an id reported available can always be created.
var appIDPattern = regexp.MustCompile(`^[a-z][a-z0-9]{2,61}$`)

const appIDMessage = "'AppId' must be between 3 and 62 characters, contain only lowercase letters and numbers, and start with a lowercase letter."

// immediateDeletionAge is the deletion rule of api-spec.md §13.
const immediateDeletionAge = 3 * 24 * time.Hour

// MaxRetentionDays bounds an app's event retention. The original created
// apps with 365 days but let its features endpoints set only 0–90, so an
// app could not be given its own default back; here one range holds for
// creation and every update.
const MaxRetentionDays = 365

// validateSettings checks the settings a request names (nil: not named).
// Creation, the management and self-service features endpoints and the
// console all validate through it, so each setting has one rule.
func validateSettings(retentionDays, monthlyQuota, maxUsers *wire.Int) error {
	errs := map[string][]string{}
	if r := retentionDays; r != nil && (*r < 0 || *r > MaxRetentionDays) {
		errs["eventLoggingRetentionPeriod"] = []string{fmt.Sprintf("The field EventLoggingRetentionPeriod must be between 0 and %d.", MaxRetentionDays)}
	}
	if q := monthlyQuota; q != nil && *q < 0 {
		errs["magicLinkEmailMonthlyQuota"] = []string{"The field MagicLinkEmailMonthlyQuota must not be negative."}
	}
	if m := maxUsers; m != nil && *m < 0 {
		errs["maxUsers"] = []string{"The field MaxUsers must not be negative; leave it out or null for no limit."}
	}
	if len(errs) > 0 {
		return problem.Validation(errs)
	}
	return nil
}

// ValidateAppID returns the validation problem for a malformed app id.
func ValidateAppID(appID string) error {
	if !appIDPattern.MatchString(appID) {
		return problem.Field("appId", appIDMessage)
	}
	return nil
}

const appNotFoundCode = "app_not_found"

func appNotFound() error { return problem.BadRequest(appNotFoundCode, "App was not found.") }

// IsNotFound reports whether err is the app_not_found problem of Get and
// the other methods that look an app up.
func IsNotFound(err error) bool {
	var p *problem.Problem
	return errors.As(err, &p) && p.Code == appNotFoundCode
}

func (s *Service) getApp(ctx context.Context, appID string) (store.App, error) {
	app, err := s.store.GetApp(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		return app, appNotFound()
	}
	if err != nil {
		return app, problem.Internal(fmt.Errorf("get app: %w", err))
	}
	return app, nil
}

// Get returns an app; an unknown id is the app_not_found problem (see
// IsNotFound).
func (s *Service) Get(ctx context.Context, appID string) (store.App, error) {
	return s.getApp(ctx, appID)
}

// List returns every app, sorted by id. An app deleted while the list is
// read is left out rather than failing the list.
func (s *Service) List(ctx context.Context) ([]store.App, error) {
	ids, err := s.store.ListAppIDs(ctx)
	if err != nil {
		return nil, problem.Internal(fmt.Errorf("list apps: %w", err))
	}
	out := make([]store.App, 0, len(ids))
	for _, id := range ids {
		app, err := s.getApp(ctx, id)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, app)
	}
	return out, nil
}

// Available implements GET /admin/apps/{appId}/available.
func (s *Service) Available(ctx context.Context, appID string) (map[string]bool, error) {
	if err := ValidateAppID(appID); err != nil {
		return nil, err
	}
	_, err := s.store.GetApp(ctx, appID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, problem.Internal(err)
	}
	return map[string]bool{"available": errors.Is(err, store.ErrNotFound)}, nil
}

// CreateRequest is the body of POST /admin/apps/{appId}/create.
type CreateRequest struct {
	AdminEmail                  wire.String `json:"adminEmail"`
	EventLoggingIsEnabled       bool        `json:"eventLoggingIsEnabled"`
	EventLoggingRetentionPeriod *wire.Int   `json:"eventLoggingRetentionPeriod"`
	MagicLinkEmailMonthlyQuota  wire.Int    `json:"magicLinkEmailMonthlyQuota"`
	MaxUsers                    *wire.Int   `json:"maxUsers"`
	AllowAttestation            bool        `json:"allowAttestation"`
}

// CreateResponse shows an app's first keys, the only time secrets are
// visible.
type CreateResponse struct {
	Message    string `json:"message"`
	APIKey1    string `json:"apiKey1"`
	APIKey2    string `json:"apiKey2"`
	APISecret1 string `json:"apiSecret1"`
	APISecret2 string `json:"apiSecret2"`
}

// Create implements POST /admin/apps/{appId}/create.
func (s *Service) Create(ctx context.Context, appID string, req CreateRequest) (CreateResponse, error) {
	if err := ValidateAppID(appID); err != nil {
		return CreateResponse{}, err
	}
	if err := validateSettings(req.EventLoggingRetentionPeriod, &req.MagicLinkEmailMonthlyQuota, req.MaxUsers); err != nil {
		return CreateResponse{}, err
	}
	retention := int64(MaxRetentionDays)
	if req.EventLoggingRetentionPeriod != nil {
		retention = int64(*req.EventLoggingRetentionPeriod)
	}
	now := s.now().UTC()
	app := store.App{
		ID:         appID,
		AdminEmail: string(req.AdminEmail),
		CreatedAt:  now,
		Features: store.Features{
			EventLoggingEnabled:        req.EventLoggingIsEnabled,
			EventLoggingRetentionDays:  int(retention),
			MagicLinkMonthlyQuota:      int(req.MagicLinkEmailMonthlyQuota),
			MaxUsers:                   (*int64)(req.MaxUsers),
			AllowAttestation:           req.AllowAttestation,
			GenerateSignInTokenEnabled: true,
			MagicLinksEnabled:          true,
		},
	}
	values, err := distinctKeys(appID, s.generate)
	if err != nil {
		// Four distinct ids out of 65536 in maxKeyDraws draws each: only a
		// broken random source gets here.
		return CreateResponse{}, problem.Internal(err)
	}
	keys := []store.APIKey{
		newKey(appID, store.KeyPublic, values[0], []string{apikey.ScopeRegister, apikey.ScopeLogin}, now),
		newKey(appID, store.KeyPublic, values[1], []string{apikey.ScopeRegister, apikey.ScopeLogin}, now),
		newKey(appID, store.KeySecret, values[2], []string{apikey.ScopeTokenRegister, apikey.ScopeTokenVerify}, now),
		newKey(appID, store.KeySecret, values[3], []string{apikey.ScopeTokenRegister, apikey.ScopeTokenVerify}, now),
	}
	err = s.store.CreateApp(ctx, app, keys)
	if errors.Is(err, store.ErrConflict) {
		return CreateResponse{}, problem.New(http.StatusConflict, "", fmt.Sprintf("accountName '%s' is not available", appID))
	}
	if err != nil {
		return CreateResponse{}, problem.Internal(fmt.Errorf("create app: %w", err))
	}
	return CreateResponse{
		Message: "Store keys safely. They will only be shown to you once.",
		APIKey1: values[0], APIKey2: values[1], APISecret1: values[2], APISecret2: values[3],
	}, nil
}

// maxKeyDraws bounds the draws for one key whose id (four hex digits,
// one namespace per app) must not be taken yet.
const maxKeyDraws = 20

// distinctKeys makes two public keys and two secrets whose key ids (last
// four characters) differ, since the ids share one namespace per app.
func distinctKeys(appID string, generate func(string, store.KeyKind) string) ([4]string, error) {
	var out [4]string
	seen := map[string]bool{}
	for i := range out {
		kind := store.KeyPublic
		if i >= 2 {
			kind = store.KeySecret
		}
		for draw := 0; ; draw++ {
			if draw == maxKeyDraws {
				return out, fmt.Errorf("no distinct key id in %d draws", maxKeyDraws)
			}
			k := generate(appID, kind)
			if !seen[apikey.ID(k)] {
				seen[apikey.ID(k)] = true
				out[i] = k
				break
			}
		}
	}
	return out, nil
}

// newKey builds the stored form of a key; secrets are hashed here.
func newKey(appID string, kind store.KeyKind, value string, scopes []string, now time.Time) store.APIKey {
	stored := value
	if kind == store.KeySecret {
		stored = apikey.HashSecret(value)
	}
	return store.APIKey{AppID: appID, ID: apikey.ID(value), Kind: kind, Value: stored, Scopes: scopes, CreatedAt: now}
}

// FeaturesResponse is the body of GET /admin/apps/{appId}/features.
type FeaturesResponse struct {
	EventLoggingIsEnabled                bool    `json:"eventLoggingIsEnabled"`
	EventLoggingRetentionPeriod          int     `json:"eventLoggingRetentionPeriod"`
	MagicLinkEmailMonthlyQuota           int     `json:"magicLinkEmailMonthlyQuota"`
	DeveloperLoggingEndsAt               *string `json:"developerLoggingEndsAt"`
	MaxUsers                             *int64  `json:"maxUsers"`
	AllowAttestation                     bool    `json:"allowAttestation"`
	IsGenerateSignInTokenEndpointEnabled bool    `json:"isGenerateSignInTokenEndpointEnabled"`
	IsMagicLinksEnabled                  bool    `json:"isMagicLinksEnabled"`
	// AllowedOrigins and AllowedRPIDs extend the original: when not empty,
	// ceremonies from other origins / RP IDs are refused.
	AllowedOrigins []string `json:"allowedOrigins"`
	AllowedRPIDs   []string `json:"allowedRpIds"`
}

// Features implements GET /admin/apps/{appId}/features.
func (s *Service) Features(ctx context.Context, appID string) (FeaturesResponse, error) {
	app, err := s.getApp(ctx, appID)
	if err != nil {
		return FeaturesResponse{}, err
	}
	f := app.Features
	r := FeaturesResponse{
		EventLoggingIsEnabled:                f.EventLoggingEnabled,
		EventLoggingRetentionPeriod:          f.EventLoggingRetentionDays,
		MagicLinkEmailMonthlyQuota:           f.MagicLinkMonthlyQuota,
		MaxUsers:                             f.MaxUsers,
		AllowAttestation:                     f.AllowAttestation,
		IsGenerateSignInTokenEndpointEnabled: f.GenerateSignInTokenEnabled,
		IsMagicLinksEnabled:                  f.MagicLinksEnabled,
		AllowedOrigins:                       nonNil(f.AllowedOrigins),
		AllowedRPIDs:                         nonNil(f.AllowedRPIDs),
	}
	if f.DeveloperLoggingEndsAt != nil {
		v := wire.FormatStored(*f.DeveloperLoggingEndsAt)
		r.DeveloperLoggingEndsAt = &v
	}
	return r, nil
}

// SetFeaturesRequest is the body of POST /admin/apps/{appId}/features.
// Only the members present change. (The original overwrote all five of its
// members, so a request naming one reset the others to false/0/null.)
type SetFeaturesRequest struct {
	EventLoggingIsEnabled       *bool       `json:"eventLoggingIsEnabled"`
	EventLoggingRetentionPeriod *wire.Int   `json:"eventLoggingRetentionPeriod"`
	MagicLinkEmailMonthlyQuota  *wire.Int   `json:"magicLinkEmailMonthlyQuota"`
	MaxUsers                    NullableInt `json:"maxUsers"`
	AllowAttestation            *bool       `json:"allowAttestation"`
	// AllowedOrigins and AllowedRPIDs extend the original; [] clears them.
	AllowedOrigins *[]string `json:"allowedOrigins"`
	AllowedRPIDs   *[]string `json:"allowedRpIds"`
}

// NullableInt is a member whose null means something (maxUsers: no
// limit), so that absent, null and a number differ.
type NullableInt struct {
	Present bool
	Value   *wire.Int // nil: null
}

// UnmarshalJSON implements json.Unmarshaler; it is called only for a
// member that is present, null included.
func (n *NullableInt) UnmarshalJSON(b []byte) error {
	n.Present = true
	if string(bytes.TrimSpace(b)) == "null" {
		n.Value = nil
		return nil
	}
	var v wire.Int
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// Null returns a NullableInt that is present: v, or null when v is nil.
func Null(v *wire.Int) NullableInt { return NullableInt{Present: true, Value: v} }

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// maxAllowedEntries bounds the allowed origin and RP ID lists.
const maxAllowedEntries = 50

func validateAllowed(req SetFeaturesRequest) error {
	errs := map[string][]string{}
	if req.AllowedOrigins != nil {
		if len(*req.AllowedOrigins) > maxAllowedEntries {
			errs["allowedOrigins"] = []string{"At most 50 origins are allowed."}
		}
		for _, o := range *req.AllowedOrigins {
			if !validOrigin(o) {
				errs["allowedOrigins"] = []string{fmt.Sprintf("'%s' is not an origin (scheme://host[:port], or an android:apk-key-hash: origin).", o)}
				break
			}
		}
	}
	if req.AllowedRPIDs != nil {
		if len(*req.AllowedRPIDs) > maxAllowedEntries {
			errs["allowedRpIds"] = []string{"At most 50 RP IDs are allowed."}
		}
		for _, r := range *req.AllowedRPIDs {
			if r == "" || strings.ContainsAny(r, "/: ") {
				errs["allowedRpIds"] = []string{fmt.Sprintf("'%s' is not a domain name.", r)}
				break
			}
		}
	}
	if len(errs) > 0 {
		return problem.Validation(errs)
	}
	return nil
}

func validOrigin(o string) bool {
	if strings.HasPrefix(o, "android:apk-key-hash:") || strings.HasPrefix(o, "ios:bundle-id:") {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// SetFeatures implements POST /admin/apps/{appId}/features.
func (s *Service) SetFeatures(ctx context.Context, appID string, req SetFeaturesRequest) error {
	defer s.changed(appID)
	if err := validateSettings(req.EventLoggingRetentionPeriod, req.MagicLinkEmailMonthlyQuota, req.MaxUsers.Value); err != nil {
		return err
	}
	if err := validateAllowed(req); err != nil {
		return err
	}
	return s.updateFeatures(ctx, appID, managedFeatures(req))
}

// managedFeatures is the update of a management request: the members it
// names and nothing else, so that a change made meanwhile (elsewhere, or
// by the self-service toggles) is kept; the app is not read first.
func managedFeatures(req SetFeaturesRequest) store.FeaturesUpdate {
	var u store.FeaturesUpdate
	if v := req.EventLoggingIsEnabled; v != nil {
		u.EventLoggingEnabled = store.To(*v)
	}
	if v := req.EventLoggingRetentionPeriod; v != nil {
		u.EventLoggingRetentionDays = store.To(int(*v))
	}
	if v := req.MagicLinkEmailMonthlyQuota; v != nil {
		u.MagicLinkMonthlyQuota = store.To(int(*v))
	}
	if req.MaxUsers.Present {
		u.MaxUsers = store.To((*int64)(req.MaxUsers.Value))
	}
	if v := req.AllowAttestation; v != nil {
		u.AllowAttestation = store.To(*v)
	}
	if req.AllowedOrigins != nil {
		u.AllowedOrigins = store.To(*req.AllowedOrigins)
	}
	if req.AllowedRPIDs != nil {
		u.AllowedRPIDs = store.To(*req.AllowedRPIDs)
	}
	return u
}

// updateFeatures writes a partial update of the app's features.
func (s *Service) updateFeatures(ctx context.Context, appID string, u store.FeaturesUpdate) error {
	err := s.store.UpdateFeatures(ctx, appID, u)
	if errors.Is(err, store.ErrNotFound) {
		return appNotFound()
	}
	if err != nil {
		return problem.Internal(fmt.Errorf("update features: %w", err))
	}
	return nil
}

// KeyView is one entry of GET /admin/apps/{appId}/api-keys.
type KeyView struct {
	ID           string   `json:"id"`
	CreatedAt    string   `json:"createdAt"`
	APIKey       string   `json:"apiKey"`
	Type         int      `json:"type"`
	Scopes       []string `json:"scopes"`
	IsLocked     bool     `json:"isLocked"`
	LastLockedAt *string  `json:"lastLockedAt"`
}

// ListKeys implements GET /admin/apps/{appId}/api-keys. Secrets are masked.
func (s *Service) ListKeys(ctx context.Context, appID string) ([]KeyView, error) {
	if _, err := s.getApp(ctx, appID); err != nil {
		return nil, err
	}
	keys, err := s.store.ListAPIKeys(ctx, appID)
	if err != nil {
		return nil, problem.Internal(fmt.Errorf("list keys: %w", err))
	}
	out := make([]KeyView, 0, len(keys))
	for _, k := range keys {
		v := KeyView{
			ID:        k.ID,
			CreatedAt: wire.FormatStored(k.CreatedAt),
			APIKey:    k.Value,
			Type:      int(k.Kind),
			Scopes:    slices.Sorted(slices.Values(k.Scopes)),
			IsLocked:  k.Locked,
		}
		if k.Kind == store.KeySecret {
			v.APIKey = apikey.Masked(appID, k.ID)
		}
		if k.LastLockedAt != nil {
			t := wire.FormatStored(*k.LastLockedAt)
			v.LastLockedAt = &t
		}
		out = append(out, v)
	}
	events.Record(ctx, events.Event{Type: events.APIKeysEnumerated, Message: "Listed the API keys"})
	return out, nil
}

// Scope numbers of the key-creation bodies, per key kind.
var scopeNumbers = map[store.KeyKind][]string{
	store.KeyPublic: {apikey.ScopeRegister, apikey.ScopeLogin},
	store.KeySecret: {apikey.ScopeTokenRegister, apikey.ScopeTokenVerify},
}

// CreateKeyRequest is the body of POST .../public-keys and .../secret-keys.
type CreateKeyRequest struct {
	Scopes []wire.Int `json:"scopes"`
}

// CreateKey implements POST /admin/apps/{appId}/public-keys|secret-keys.
func (s *Service) CreateKey(ctx context.Context, appID string, kind store.KeyKind, req CreateKeyRequest) (map[string]string, error) {
	if len(req.Scopes) == 0 {
		return nil, problem.BadRequest("create_api_key_scopes_required", "Please select at least one scope.")
	}
	names := scopeNumbers[kind]
	var scopes []string
	for _, n := range req.Scopes {
		if n < 0 || int(n) >= len(names) {
			return nil, problem.Field("scopes", fmt.Sprintf("The scope %d is not valid for this kind of key.", n))
		}
		if !slices.Contains(scopes, names[n]) {
			scopes = append(scopes, names[n])
		}
	}
	if _, err := s.getApp(ctx, appID); err != nil {
		return nil, err
	}
	// Key ids are four hex digits, so a collision with an existing key of
	// the app is possible; draw again.
	for range maxKeyDraws {
		value := s.generate(appID, kind)
		err := s.store.AddAPIKey(ctx, newKey(appID, kind, value, scopes, s.now().UTC()))
		if err == nil {
			events.Record(ctx, events.Event{Type: events.APIKeyCreated, Message: fmt.Sprintf("Created %s key %s", kindName(kind), apikey.ID(value))})
			return map[string]string{"apiKey": value}, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return nil, problem.Internal(fmt.Errorf("add key: %w", err))
		}
	}
	// Only an app holding most of the 65536 ids gets here.
	return nil, problem.New(http.StatusConflict, "", fmt.Sprintf(
		"No free key id found in %d attempts: the app has too many keys. Delete unused keys and try again.", maxKeyDraws))
}

func kindName(kind store.KeyKind) string {
	if kind == store.KeySecret {
		return "secret"
	}
	return "public"
}

// SetKeyLocked implements POST .../api-keys/{id}/lock and /unlock.
func (s *Service) SetKeyLocked(ctx context.Context, appID, keyID string, locked bool) error {
	defer s.changed(appID)
	if err := keyResult(s.store.SetAPIKeyLocked(ctx, appID, keyID, locked, s.now().UTC())); err != nil {
		return err
	}
	e := events.Event{Type: events.APIKeyUnlocked, Message: fmt.Sprintf("Unlocked key %s", keyID)}
	if locked {
		e = events.Event{Type: events.APIKeyLocked, Message: fmt.Sprintf("Locked key %s", keyID)}
	}
	events.Record(ctx, e)
	return nil
}

// DeleteKey implements DELETE .../api-keys/{id}.
func (s *Service) DeleteKey(ctx context.Context, appID, keyID string) error {
	defer s.changed(appID)
	if err := keyResult(s.store.DeleteAPIKey(ctx, appID, keyID)); err != nil {
		return err
	}
	events.Record(ctx, events.Event{Type: events.APIKeyDeleted, Message: fmt.Sprintf("Deleted key %s", keyID)})
	return nil
}

func keyResult(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(http.StatusNotFound, "api_key_not_found", "Apikey was not found")
	}
	if err != nil {
		return problem.Internal(err)
	}
	return nil
}

// Freeze locks every key of the app; Unfreeze unlocks them and cancels a
// scheduled deletion. Both succeed for unknown apps, as in the original.
func (s *Service) Freeze(ctx context.Context, appID string) error {
	defer s.changed(appID)
	if err := s.store.SetAllAPIKeysLocked(ctx, appID, true, s.now().UTC()); err != nil {
		return problem.Internal(err)
	}
	events.Record(ctx, events.Event{Type: events.AppFrozen, Severity: events.Alert, PerformedBy: "System", Message: "The application was frozen"})
	return nil
}

// Unfreeze: see Freeze.
func (s *Service) Unfreeze(ctx context.Context, appID string) error {
	defer s.changed(appID)
	if err := s.store.SetAllAPIKeysLocked(ctx, appID, false, s.now().UTC()); err != nil {
		return problem.Internal(err)
	}
	if err := s.store.SetDeleteAt(ctx, appID, nil); err != nil && !errors.Is(err, store.ErrNotFound) {
		return problem.Internal(err)
	}
	events.Record(ctx, events.Event{Type: events.AppUnfrozen, Severity: events.Alert, PerformedBy: "System", Message: "The application was unfrozen"})
	return nil
}
