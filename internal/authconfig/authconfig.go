// Package authconfig manages authentication configurations: named sign-in
// purposes ("sign-in", "step-up", custom ones) that set the user
// verification requirement, hints and verify-token lifetime of a sign-in
// (api-spec.md §8).
package authconfig

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// The presets every app has without storing them.
const (
	SignIn = "sign-in"
	StepUp = "step-up"
)

const (
	presetTTL    = 120 * time.Second
	maxTTL       = 7 * 24 * time.Hour
	maxPurposeLn = 255
	systemUser   = "System"
)

// hintNames maps W3C hints to the enum names the list endpoint shows.
var hintNames = map[string]string{"security-key": "SecurityKey", "client-device": "ClientDevice", "hybrid": "Hybrid"}

var purposePattern = regexp.MustCompile(`^[\p{L}\p{N}_\-]+$`)

func isPreset(purpose string) bool { return purpose == SignIn || purpose == StepUp }

func preset(appID, purpose string) store.AuthConfig {
	return store.AuthConfig{AppID: appID, Purpose: purpose, UserVerification: "preferred", TTL: presetTTL, CreatedBy: systemUser}
}

// touchInterval is how often one instance records that a purpose was used:
// lastUsedOn is a coarse "last used" mark, and writing it on every sign-in
// would add a database commit to each.
const touchInterval = time.Minute

// Store is the part of store.Store the service uses.
type Store interface {
	AddAuthConfig(ctx context.Context, c store.AuthConfig) error
	DeleteAuthConfig(ctx context.Context, appID, purpose string) error
	GetAuthConfig(ctx context.Context, appID, purpose string) (store.AuthConfig, error)
	ListAuthConfigs(ctx context.Context, appID string) ([]store.AuthConfig, error)
	PutAuthConfig(ctx context.Context, c store.AuthConfig) error
	TouchAuthConfig(ctx context.Context, appID, purpose string, at time.Time, ifMissing store.AuthConfig) error
}

// Service implements the endpoints and purpose resolution.
type Service struct {
	store Store
	now   func() time.Time
	cache *configCache

	mu      sync.Mutex
	touched map[[2]string]time.Time // (app, purpose) -> last recorded use
}

// New returns a Service; now may be nil (time.Now).
func New(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now, cache: newConfigCache(CacheTTL, 100_000), touched: map[[2]string]time.Time{}}
}

// Resolve returns the configuration a sign-in for purpose uses: the stored
// one, else the preset. Any other unknown purpose resolves to the sign-in
// preset, as in the original server; the verify token then reports
// "sign-in", so a backend checking the purpose is never misled, and a
// frontend may send a purpose before the backend configures it.
func (s *Service) Resolve(ctx context.Context, appID, purpose string) (store.AuthConfig, error) {
	if purpose == "" {
		purpose = SignIn
	}
	c, err := s.stored(ctx, appID, purpose)
	switch {
	case err == nil:
		return c, nil
	case !errors.Is(err, store.ErrNotFound):
		return c, problem.Internal(fmt.Errorf("get auth config: %w", err))
	case isPreset(purpose):
		return preset(appID, purpose), nil
	case purpose != SignIn:
		return s.Resolve(ctx, appID, SignIn)
	}
	return preset(appID, SignIn), nil
}

// stored reads the stored configuration of a purpose (store.ErrNotFound if
// there is none) through the cache: every sign-in resolves its purpose at
// begin and at complete, and configurations change rarely.
func (s *Service) stored(ctx context.Context, appID, purpose string) (store.AuthConfig, error) {
	now := s.now()
	c, found, ok, gen := s.cache.get(appID, purpose, now)
	if ok {
		if !found {
			return store.AuthConfig{}, store.ErrNotFound
		}
		return c, nil
	}
	c, err := s.store.GetAuthConfig(ctx, appID, purpose)
	switch {
	case err == nil:
		s.cache.put(appID, purpose, c, true, now, gen)
	case errors.Is(err, store.ErrNotFound):
		s.cache.put(appID, purpose, store.AuthConfig{}, false, now, gen)
	}
	return c, err
}

// Touch records that the purpose was just used for a sign-in, storing the
// preset if it was never stored. An instance writes this at most once per
// touchInterval per purpose, so lastUsedOn is exact to about a minute.
func (s *Service) Touch(ctx context.Context, appID, purpose string) error {
	now := s.now().UTC()
	k := [2]string{appID, purpose}
	s.mu.Lock()
	last, seen := s.touched[k]
	if seen && now.Sub(last) < touchInterval && !now.Before(last) {
		s.mu.Unlock()
		return nil
	}
	if len(s.touched) > 100_000 {
		clear(s.touched)
	}
	s.touched[k] = now
	s.mu.Unlock()
	err := s.store.TouchAuthConfig(ctx, appID, purpose, now, preset(appID, purpose))
	s.cache.forget(appID, purpose) // its lastUsedOn changed
	if err != nil {
		s.mu.Lock()
		delete(s.touched, k) // try again next time
		s.mu.Unlock()
		return problem.Internal(fmt.Errorf("touch auth config: %w", err))
	}
	return nil
}

// View is one entry of GET /auth-configs/list.
type View struct {
	Purpose                     string  `json:"purpose"`
	UserVerificationRequirement string  `json:"userVerificationRequirement"`
	TimeToLive                  int64   `json:"timeToLive"`
	Hints                       string  `json:"hints"`
	CreatedBy                   string  `json:"createdBy"`
	CreatedOn                   *string `json:"createdOn"`
	EditedBy                    *string `json:"editedBy"`
	EditedOn                    *string `json:"editedOn"`
	LastUsedOn                  *string `json:"lastUsedOn"`
}

// ListResponse is the body of GET /auth-configs/list.
type ListResponse struct {
	Configurations []View `json:"configurations"`
}

func view(c store.AuthConfig) View {
	v := View{
		Purpose:                     c.Purpose,
		UserVerificationRequirement: c.UserVerification,
		TimeToLive:                  int64(c.TTL.Round(time.Second) / time.Second),
		CreatedBy:                   c.CreatedBy,
		CreatedOn:                   offsetTime(c.CreatedOn),
		EditedOn:                    offsetTime(c.EditedOn),
		LastUsedOn:                  offsetTime(c.LastUsedOn),
	}
	names := make([]string, 0, len(c.Hints))
	for _, h := range c.Hints {
		names = append(names, hintNames[h])
	}
	v.Hints = strings.Join(names, ", ")
	if c.EditedBy != "" {
		v.EditedBy = &c.EditedBy
	}
	return v
}

// offsetTime renders configuration times as the original does: with an
// explicit +00:00 offset.
func offsetTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format("2006-01-02T15:04:05.9999999") + "+00:00"
	return &s
}

// List implements GET /auth-configs/list[?purpose=]. Without a purpose it
// returns every stored configuration plus the presets not stored. With one
// it returns just that configuration (or [] if there is none); the
// original also appended presets there, which callers had to filter out.
func (s *Service) List(ctx context.Context, appID string, purpose *string) (ListResponse, error) {
	if purpose != nil {
		c, err := s.Resolve(ctx, appID, *purpose)
		if err != nil {
			return ListResponse{}, err
		}
		if c.Purpose != *purpose {
			return ListResponse{Configurations: []View{}}, nil
		}
		return ListResponse{Configurations: []View{view(c)}}, nil
	}
	stored, err := s.store.ListAuthConfigs(ctx, appID)
	if err != nil {
		return ListResponse{}, problem.Internal(fmt.Errorf("list auth configs: %w", err))
	}
	out := make([]View, 0, len(stored)+2)
	for _, c := range stored {
		out = append(out, view(c))
	}
	for _, p := range []string{StepUp, SignIn} {
		if !slices.ContainsFunc(stored, func(c store.AuthConfig) bool { return c.Purpose == p }) {
			out = append(out, view(preset(appID, p)))
		}
	}
	return ListResponse{Configurations: out}, nil
}

// Request is the body of POST /auth-configs/add and POST /auth-configs.
type Request struct {
	Purpose                     wire.String     `json:"purpose"`
	UserVerificationRequirement wire.String     `json:"userVerificationRequirement"`
	TimeToLive                  json.RawMessage `json:"timeToLive"`
	Hints                       []wire.String   `json:"hints"`
	PerformedBy                 wire.String     `json:"performedBy"`
}

// validate checks a request and returns the configuration it describes.
func (r Request) validate(appID string) (store.AuthConfig, error) {
	errs := map[string][]string{}
	purpose := string(r.Purpose)
	switch {
	case purpose == "":
		errs["purpose"] = []string{"The Purpose field is required."}
	case utf8.RuneCountInString(purpose) > maxPurposeLn || !purposePattern.MatchString(purpose):
		errs["purpose"] = []string{"Characters are limited to A-z, 0-9, -, or _."}
	}
	if r.PerformedBy == "" {
		errs["performedBy"] = []string{"The PerformedBy field is required."}
	}
	uv := strings.ToLower(string(r.UserVerificationRequirement))
	switch uv {
	case "":
		uv = "preferred"
	case "required", "preferred", "discouraged":
	default:
		errs["userVerificationRequirement"] = []string{"The value must be required, preferred or discouraged."}
	}
	ttl, err := parseTTL(r.TimeToLive)
	if err != nil {
		errs["timeToLive"] = []string{err.Error()}
	}
	hints := make([]string, 0, len(r.Hints))
	for _, h := range r.Hints {
		v := strings.ToLower(string(h))
		if _, ok := hintNames[v]; !ok {
			errs["hints"] = []string{fmt.Sprintf("The value '%s' is not a valid hint. Use security-key, client-device or hybrid.", h)}
			break
		}
		if !slices.Contains(hints, v) {
			hints = append(hints, v)
		}
	}
	if len(errs) > 0 {
		return store.AuthConfig{}, problem.Validation(errs)
	}
	return store.AuthConfig{AppID: appID, Purpose: purpose, UserVerification: uv, TTL: ttl, Hints: hints}, nil
}

var timeSpanPattern = regexp.MustCompile(`^(\d+\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,7})?$`)

// parseTTL reads a .NET TimeSpan string ("00:03:00", "1.00:00:00") or a
// number of seconds. An omitted TTL means the presets' 120 seconds (the
// original defaulted to zero, minting tokens that were already expired);
// zero, negative and over-7-day values are refused.
func parseTTL(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return presetTTL, nil
	}
	var d time.Duration
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		m := timeSpanPattern.FindStringSubmatch(strings.TrimSpace(str))
		if m == nil {
			return 0, errors.New("The TimeToLive must be a time span such as \"00:02:00\" or \"1.00:00:00\".")
		}
		days, _ := strconv.Atoi(strings.TrimSuffix(m[1], "."))
		h, _ := strconv.Atoi(m[2])
		mi, _ := strconv.Atoi(m[3])
		sec, _ := strconv.Atoi(m[4])
		frac, _ := strconv.ParseFloat("0"+m[5], 64)
		if h > 23 || mi > 59 || sec > 59 {
			return 0, errors.New("The TimeToLive has an hour, minute or second out of range.")
		}
		d = time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute +
			time.Duration(sec)*time.Second + time.Duration(frac*float64(time.Second))
	} else {
		var secs float64
		if err := json.Unmarshal(raw, &secs); err != nil {
			return 0, errors.New("The TimeToLive must be a time span string or a number of seconds.")
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 || d > maxTTL {
		return 0, errors.New("The TimeToLive must be positive and at most 7 days.")
	}
	return d, nil
}

// Add implements POST /auth-configs/add.
func (s *Service) Add(ctx context.Context, appID string, req Request) error {
	c, err := req.validate(appID)
	if err != nil {
		return err
	}
	exists := problem.BadRequest("", fmt.Sprintf("The configuration %s already exists.", c.Purpose))
	if isPreset(c.Purpose) {
		return exists
	}
	now := s.now().UTC()
	c.CreatedBy, c.CreatedOn = string(req.PerformedBy), &now
	err = s.store.AddAuthConfig(ctx, c)
	s.cache.forget(appID, c.Purpose)
	if errors.Is(err, store.ErrConflict) {
		return exists
	}
	if err != nil {
		return problem.Internal(fmt.Errorf("add auth config: %w", err))
	}
	events.Record(ctx, events.Event{Type: events.AuthConfigCreated, PerformedBy: c.CreatedBy,
		Message: fmt.Sprintf("Authentication configuration %s created.", c.Purpose)})
	return nil
}

// Edit implements POST /auth-configs: it overwrites the requirement, TTL
// and hints of an existing (stored or preset) configuration.
func (s *Service) Edit(ctx context.Context, appID string, req Request) error {
	c, err := req.validate(appID)
	if err != nil {
		return err
	}
	current, err := s.store.GetAuthConfig(ctx, appID, c.Purpose)
	switch {
	case errors.Is(err, store.ErrNotFound) && isPreset(c.Purpose):
		current = preset(appID, c.Purpose)
	case errors.Is(err, store.ErrNotFound):
		return problem.New(http.StatusNotFound, "", fmt.Sprintf("The configuration %s does not exist.", c.Purpose))
	case err != nil:
		return problem.Internal(fmt.Errorf("get auth config: %w", err))
	}
	now := s.now().UTC()
	current.UserVerification, current.TTL, current.Hints = c.UserVerification, c.TTL, c.Hints
	current.EditedBy, current.EditedOn = string(req.PerformedBy), &now
	err = s.store.PutAuthConfig(ctx, current)
	s.cache.forget(appID, c.Purpose)
	if err != nil {
		return problem.Internal(fmt.Errorf("put auth config: %w", err))
	}
	events.Record(ctx, events.Event{Type: events.AuthConfigUpdated, PerformedBy: current.EditedBy,
		Message: fmt.Sprintf("Authentication configuration %s updated.", c.Purpose)})
	return nil
}

// DeleteRequest is the body of POST /auth-configs/delete.
type DeleteRequest struct {
	Purpose     wire.String `json:"purpose"`
	PerformedBy wire.String `json:"performedBy"`
}

// Delete implements POST /auth-configs/delete. Presets cannot be deleted.
func (s *Service) Delete(ctx context.Context, appID string, req DeleteRequest) error {
	errs := map[string][]string{}
	if req.Purpose == "" {
		errs["purpose"] = []string{"The Purpose field is required."}
	}
	if req.PerformedBy == "" {
		errs["performedBy"] = []string{"The PerformedBy field is required."}
	}
	if len(errs) > 0 {
		return problem.Validation(errs)
	}
	purpose := string(req.Purpose)
	if isPreset(purpose) {
		return problem.BadRequest("", fmt.Sprintf("The %s configuration cannot be deleted.", purpose))
	}
	err := s.store.DeleteAuthConfig(ctx, appID, purpose)
	s.cache.forget(appID, purpose)
	if errors.Is(err, store.ErrNotFound) {
		return problem.New(http.StatusNotFound, "", fmt.Sprintf("The configuration %s does not exist.", purpose))
	}
	if err != nil {
		return problem.Internal(fmt.Errorf("delete auth config: %w", err))
	}
	events.Record(ctx, events.Event{Type: events.AuthConfigDeleted, PerformedBy: string(req.PerformedBy),
		Message: fmt.Sprintf("Authentication configuration %s deleted.", purpose)})
	return nil
}
