// Package users implements the backend endpoints about users and what they
// own: aliases (api-spec.md §7), credentials and the user list.
package users

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// MaxUserIDBytes is the longest user id the API accepts wherever it stores
// one: WebAuthn's limit on user handles, which user ids become at
// registration. A longer id could never own a passkey.
const MaxUserIDBytes = 64

// UserIDTooLong is the validation message for a longer user id.
const UserIDTooLong = "The field UserId must be at most 64 bytes long (UTF-8)."

// Alias limits (api-spec.md §7).
const (
	MaxAliases     = 10
	MaxAliasLength = 250
	// maxListedUsers bounds GET /users/list, as in the original.
	maxListedUsers = 1000
)

// HashAlias returns the stored form of an alias: base64(SHA-256(appID +
// alias)), exactly as the original server computes it so data stays
// portable between the two.
func HashAlias(appID, alias string) string {
	sum := sha256.Sum256([]byte(appID + alias))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// NormalizeAliases validates a requested alias set and collapses
// duplicates. It returns the validation message on failure.
func NormalizeAliases(in []*wire.String) ([]string, string) {
	var out []string
	for _, a := range in {
		if a == nil || strings.TrimSpace(string(*a)) == "" {
			return nil, "The field Aliases must be a collection where every item is required."
		}
		if utf8.RuneCountInString(string(*a)) > MaxAliasLength {
			return nil, "The field Aliases must be a collection that contains strings with a maximum length of '250'."
		}
		if !slices.Contains(out, string(*a)) {
			out = append(out, string(*a))
		}
	}
	if len(out) > MaxAliases {
		return nil, "The field Aliases must be a string or array type with a maximum length of '10'."
	}
	return out, ""
}

// StoredAliases turns aliases into store rows, keeping the plaintext only
// when hashing is off.
func StoredAliases(appID string, aliases []string, hashing bool) []store.Alias {
	out := make([]store.Alias, 0, len(aliases))
	for _, a := range aliases {
		row := store.Alias{Hash: HashAlias(appID, a)}
		if !hashing {
			row.Plaintext = a
		}
		out = append(out, row)
	}
	return out
}

// AliasConflict is the 409 for an alias owned by another user.
func AliasConflict() error {
	return problem.New(http.StatusConflict, "alias_conflict", "Alias is already in use by another userid")
}

// Store is the part of store.Store the service uses.
type Store interface {
	AliasOwner(ctx context.Context, appID, hash string) (string, error)
	CountUsers(ctx context.Context, appID string) (int64, error)
	DeleteCredential(ctx context.Context, appID string, credentialID []byte) (userID string, err error)
	DeleteUser(ctx context.Context, appID, userID string) error
	ListAliases(ctx context.Context, appID, userID string) ([]store.Alias, error)
	ListCredentials(ctx context.Context, appID, userID string) ([]store.Credential, error)
	ListUsers(ctx context.Context, appID string, limit int) ([]store.UserSummary, error)
	// ListUsersPage, GetCredential and AliasOwner serve Search.
	ListUsersPage(ctx context.Context, appID string, p store.UserPage) ([]store.UserSummary, error)
	GetCredential(ctx context.Context, appID string, credentialID []byte) (store.Credential, error)
	ReplaceAliases(ctx context.Context, appID, userID string, aliases []store.Alias) error
}

// Service implements the endpoints.
type Service struct {
	store Store
	// authenticatorName names an AAGUID ("" when unknown); nil: none.
	authenticatorName func(aaguid string) string
}

// New returns a Service.
func New(st Store) *Service { return &Service{store: st} }

// WithAuthenticatorNames makes credential lists carry the name that name
// gives each credential's AAGUID (see internal/aaguid), and returns s.
func (s *Service) WithAuthenticatorNames(name func(aaguid string) string) *Service {
	s.authenticatorName = name
	return s
}

func internal(op string, err error) error {
	return problem.Internal(fmt.Errorf("%s: %w", op, err))
}

// SetAliasesRequest is the body of POST /alias.
type SetAliasesRequest struct {
	UserID  wire.String    `json:"userId"`
	Aliases []*wire.String `json:"aliases"`
	Hashing *bool          `json:"hashing"`
}

// SetAliases implements POST /alias: it replaces the user's whole alias
// set atomically. Unlike the original on SQLite, a conflict is always a
// 409 and changes nothing.
func (s *Service) SetAliases(ctx context.Context, app store.App, req SetAliasesRequest) error {
	errs := map[string][]string{}
	if req.UserID == "" {
		errs["userId"] = []string{"The UserId field is required."}
	} else if len(req.UserID) > MaxUserIDBytes {
		errs["userId"] = []string{UserIDTooLong}
	}
	if req.Aliases == nil {
		// The original crashed on null; an absent list is a mistake, not a
		// request to clear (that is "aliases": []).
		errs["aliases"] = []string{"The Aliases field is required."}
	}
	aliases, msg := NormalizeAliases(req.Aliases)
	if msg != "" {
		errs["aliases"] = []string{msg}
	}
	if len(errs) > 0 {
		return problem.Validation(errs)
	}
	hashing := req.Hashing == nil || *req.Hashing
	userID := string(req.UserID)
	err := s.store.ReplaceAliases(ctx, app.ID, userID, StoredAliases(app.ID, aliases, hashing))
	if errors.Is(err, store.ErrAliasConflict) {
		return AliasConflict()
	}
	if err != nil {
		return internal("replace aliases", err)
	}
	events.Record(ctx, events.Event{Type: events.UserSetAliases, PerformedBy: userID, Subject: userID,
		Message: fmt.Sprintf("Set %d aliases for user %s", len(aliases), userID)})
	return nil
}

// AliasView is one entry of GET /alias/list.
type AliasView struct {
	UserID    string  `json:"userId"`
	Alias     string  `json:"alias"`
	Plaintext *string `json:"plaintext"`
	Tenant    string  `json:"tenant"`
}

// ListResponse is the {"values": [...]} wrapper of the list endpoints.
type ListResponse[T any] struct {
	Values []T `json:"values"`
}

// ListAliases implements GET /alias/list?userId=.
func (s *Service) ListAliases(ctx context.Context, app store.App, userID string) (ListResponse[AliasView], error) {
	if userID == "" {
		return ListResponse[AliasView]{}, problem.BadRequest("", "UserId is empty")
	}
	rows, err := s.store.ListAliases(ctx, app.ID, userID)
	if err != nil {
		return ListResponse[AliasView]{}, internal("list aliases", err)
	}
	out := make([]AliasView, 0, len(rows))
	for _, a := range rows {
		v := AliasView{UserID: userID, Alias: a.Hash, Tenant: app.ID}
		if a.Plaintext != "" {
			v.Plaintext = &a.Plaintext
		}
		out = append(out, v)
	}
	return ListResponse[AliasView]{Values: out}, nil
}
