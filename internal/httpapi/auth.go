package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/passwordless-oss/server/internal/apikey"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
)

// scheme is an authentication header: ApiKey or ApiSecret.
type scheme struct {
	header string
	kind   store.KeyKind
	word   string // "public" or "secret": what a value of this scheme contains
	other  string // the other header
}

var (
	schemeApiKey    = scheme{header: "ApiKey", kind: store.KeyPublic, word: "public", other: "ApiSecret"}
	schemeApiSecret = scheme{header: "ApiSecret", kind: store.KeySecret, word: "secret", other: "ApiKey"}
)

// authenticate resolves the app of a request from the scheme's header.
// Every failure, a locked key included, is the same 401 challenge whose
// detail tries to tell the developer what went wrong (api-spec.md §2.4).
func (s *Server) authenticate(c *call, sc scheme) (apps.Principal, error) {
	r := c.r
	value := r.Header.Get(sc.header)
	if value == "" {
		return apps.Principal{}, unauthorized(sc, missingDetail(r, sc))
	}
	p, err := s.apps.Authenticate(r.Context(), sc.kind, value)
	switch {
	case errors.Is(err, apps.ErrInvalidKey), errors.Is(err, apps.ErrLockedKey):
		recordAuthFailure(c, sc, value, errors.Is(err, apps.ErrLockedKey))
		return apps.Principal{}, unauthorized(sc, invalidDetail(sc, value))
	case err != nil:
		return apps.Principal{}, problem.Internal(err)
	}
	return p, nil
}

// recordAuthFailure logs a rejected key as an event of the app the key
// names (stored only if that app exists and logs events).
func recordAuthFailure(c *call, sc scheme, value string, locked bool) {
	appID, ok := apikey.AppID(value)
	if !ok || appID == "" {
		return
	}
	t := map[[2]bool]events.Type{
		{false, false}: events.InvalidPublicKeyUsed, {false, true}: events.DisabledPublicKeyUsed,
		{true, false}: events.InvalidSecretKeyUsed, {true, true}: events.DisabledSecretKeyUsed,
	}[[2]bool{sc.kind == store.KeySecret, locked}]
	c.events.SetCaller(appID, apikey.ID(value))
	events.Record(c.r.Context(), events.Event{Type: t, Severity: events.Alert,
		Message: fmt.Sprintf("A request was rejected: its %s header held an invalid or locked key.", sc.header)})
}

func unauthorized(sc scheme, detail string) *problem.Problem {
	return &problem.Problem{
		Status: http.StatusUnauthorized,
		Type:   problem.DocsBase + sc.header,
		Title:  fmt.Sprintf("A valid '%s' header is required.", sc.header),
		Detail: detail,
		NoCode: true,
		Header: http.Header{"Www-Authenticate": {sc.header}},
	}
}

func missingDetail(r *http.Request, sc scheme) string {
	if r.Header.Get(sc.other) != "" {
		return fmt.Sprintf("A '%s' header was supplied when a '%s' header should have been supplied.", sc.other, sc.header)
	}
	return fmt.Sprintf("A valid '%s' header is required.", sc.header)
}

func invalidDetail(sc scheme, value string) string {
	switch {
	case strings.HasPrefix(value, "verify_"):
		return fmt.Sprintf("A verify token was supplied instead of your '%s'.", sc.header)
	case strings.HasPrefix(value, "register_"):
		return fmt.Sprintf("A register token was supplied instead of your '%s'.", sc.header)
	case sc.kind == store.KeySecret && strings.Contains(value, ":public:"):
		return "Your ApiSecret header contained a public ApiKey instead of your 'ApiSecret'."
	case sc.kind == store.KeyPublic && strings.Contains(value, ":secret:"):
		return "Your ApiKey header contained a ApiSecret instead of your 'ApiKey'."
	case !strings.Contains(value, sc.word):
		return fmt.Sprintf("We don't recognize the value you supplied for your '%s'. It started with: '%s'.", sc.header, firstRunes(value, 10))
	}
	return fmt.Sprintf("The value of your '%s' is not valid.", sc.header)
}

func forbidden(scope string) *problem.Problem {
	return &problem.Problem{
		Status: http.StatusForbidden,
		Type:   problem.DocsBase + "forbidden",
		Title:  "You are forbidden from accessing this resource.",
		Detail: "You are unable to access this resource because you do not have the required permissions. Required scopes: " + scope,
		NoCode: true,
	}
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
