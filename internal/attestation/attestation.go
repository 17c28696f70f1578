// Package attestation implements the authenticator allow list and block
// list of attestation-enabled apps (api-spec.md §4.2 /authenticators/*,
// §6.5), the undesired-status check of registrations (§6.3 step 9) and the
// logic of the /mds/* endpoints (§4.3). Every failure a client may see is a
// *problem.Problem.
package attestation

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// Store is the part of store.Store this package uses.
type Store interface {
	ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]store.AuthenticatorEntry, error)
	PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error
	RemoveAuthenticators(ctx context.Context, appID string, aaguids []string) error
}

// Service holds the dependencies of the package's operations.
type Service struct {
	st  Store
	md  func() *mds.Metadata
	now func() time.Time
}

// New returns a service. md returns the current metadata BLOB (it may
// return nil: no BLOB, nothing exists in the MDS); now is the clock (nil:
// time.Now).
func New(st Store, md func() *mds.Metadata, now func() time.Time) *Service {
	if md == nil {
		md = func() *mds.Metadata { return nil }
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, md: md, now: now}
}

// Problems of this package.
const (
	CodeNotOnPlan           = "attestation_not_supported_on_plan"
	CodeInvalidRegistration = "fido2_invalid_registration"
	CodeNotAllowed          = "authenticator_not_allowed"
	CodeAttestationRequired = "attestation_required"

	titleNotOnPlan   = "Attestation is not supported on your plan."
	titleNotInMDS    = "One or more authenticators do not exist in the FIDO2 MDS."
	titleBlocklisted = "The authenticator is on the blocklist and is not allowed to be used for registration."
	titleNotListed   = "An allowlist was configured. The authenticator is not found on the allowlist and is not allowed to be used for registration."
	titleNoneUsed    = "Attestation 'none' was used for registration, but an allowlist was configured. Please use a supported attestation method."
)

func requirePlan(app store.App) error {
	if !app.Features.AllowAttestation {
		return problem.New(http.StatusForbidden, CodeNotOnPlan, titleNotOnPlan)
	}
	return nil
}

func internal(op string, err error) error {
	return problem.Internal(fmt.Errorf("attestation: %s: %w", op, err))
}

// AuthenticatorView is one entry of GET /authenticators/list.
type AuthenticatorView struct {
	AAGUID    string `json:"aaGuid"`
	CreatedAt string `json:"createdAt"`
}

// List returns the app's allow list (isAllowed) or block list.
func (s *Service) List(ctx context.Context, app store.App, isAllowed bool) ([]AuthenticatorView, error) {
	if err := requirePlan(app); err != nil {
		return nil, err
	}
	rows, err := s.st.ListAuthenticators(ctx, app.ID, isAllowed)
	if err != nil {
		return nil, internal("list authenticators", err)
	}
	out := make([]AuthenticatorView, 0, len(rows))
	for _, r := range rows {
		out = append(out, AuthenticatorView{AAGUID: strings.ToLower(r.AAGUID), CreatedAt: wire.FormatStored(r.CreatedAt)})
	}
	return out, nil
}

// AddRequest is the body of POST /authenticators/add.
type AddRequest struct {
	AAGUIDs   []string `json:"aaGuids"`
	IsAllowed bool     `json:"isAllowed"`
}

// RemoveRequest is the body of POST /authenticators/remove.
type RemoveRequest struct {
	AAGUIDs []string `json:"aaGuids"`
}

// parseAAGUIDs validates the aaGuids member: present, at least one item,
// every item a UUID. It returns the distinct AAGUIDs in request order.
func parseAAGUIDs(values []string) ([]uuid.UUID, error) {
	const field = "aaGuids"
	if values == nil {
		return nil, problem.Field(field, "The AaGuids field is required.")
	}
	if len(values) == 0 {
		return nil, problem.Field(field, "The field AaGuids must be a string or array type with a minimum length of '1'.")
	}
	var (
		out  []uuid.UUID
		msgs []string
	)
	for _, v := range values {
		id, err := uuid.Parse(strings.TrimSpace(v))
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("The value '%s' is not a valid AAGUID.", v))
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(msgs) > 0 {
		return nil, problem.Validation(map[string][]string{field: msgs})
	}
	return out, nil
}

func strs(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String() // lower case 8-4-4-4-12
	}
	return out
}

// Add puts AAGUIDs on the app's allow list (IsAllowed) or block list,
// moving entries already on the other list. Every AAGUID must be a fido2
// authenticator of the MDS; duplicates in the request count once.
func (s *Service) Add(ctx context.Context, app store.App, req AddRequest) error {
	if err := requirePlan(app); err != nil {
		return err
	}
	ids, err := parseAAGUIDs(req.AAGUIDs)
	if err != nil {
		return err
	}
	md := s.md()
	for _, id := range ids {
		if _, ok := md.Entry(id); !ok {
			return problem.BadRequest("", titleNotInMDS)
		}
	}
	list := strs(ids)
	if err := s.st.PutAuthenticators(ctx, app.ID, list, req.IsAllowed, s.now().UTC()); err != nil {
		return internal("put authenticators", err)
	}
	name := "blocklist"
	if req.IsAllowed {
		name = "allowlist"
	}
	events.Record(ctx, events.Event{
		Type:    events.AuthenticatorsAllowlisted,
		Message: fmt.Sprintf("Added authenticators to the %s: %s", name, strings.Join(list, ", ")),
	})
	return nil
}

// Remove deletes AAGUIDs from the app's lists (both of them).
func (s *Service) Remove(ctx context.Context, app store.App, req RemoveRequest) error {
	if err := requirePlan(app); err != nil {
		return err
	}
	ids, err := parseAAGUIDs(req.AAGUIDs)
	if err != nil {
		return err
	}
	list := strs(ids)
	if err := s.st.RemoveAuthenticators(ctx, app.ID, list); err != nil {
		return internal("remove authenticators", err)
	}
	events.Record(ctx, events.Event{
		Type:    events.AuthenticatorsDelisted,
		Message: "Removed authenticators: " + strings.Join(list, ", "),
	})
	return nil
}

// CheckRegistration applies the MDS status check and the app's lists to a
// credential that passed WebAuthn verification at /register/complete.
// aaguid is the AAGUID of the authenticator data (16 bytes; nil or any
// other length counts as the zero AAGUID); attestationPreference is the
// attestation conveyance of the ceremony ("none", "direct", "indirect").
func (s *Service) CheckRegistration(ctx context.Context, app store.App, aaguid []byte, attestationPreference string) error {
	var id uuid.UUID
	if len(aaguid) == 16 {
		id = uuid.UUID(aaguid)
	}
	if status, bad := s.md().UndesiredStatus(id); bad {
		return problem.BadRequest(CodeInvalidRegistration, "Authenticator found with undesirable status. Was "+status)
	}
	if !app.Features.AllowAttestation {
		return nil
	}
	key := id.String()
	blocked, err := s.st.ListAuthenticators(ctx, app.ID, false)
	if err != nil {
		return internal("list blocklist", err)
	}
	if listed(blocked, key) {
		return problem.BadRequest(CodeNotAllowed, titleBlocklisted)
	}
	allowed, err := s.st.ListAuthenticators(ctx, app.ID, true)
	if err != nil {
		return internal("list allowlist", err)
	}
	if len(allowed) > 0 && !listed(allowed, key) {
		if attestationPreference == "" || strings.EqualFold(attestationPreference, "none") {
			return problem.BadRequest(CodeAttestationRequired, titleNoneUsed)
		}
		return problem.BadRequest(CodeNotAllowed, titleNotListed)
	}
	return nil
}

func listed(rows []store.AuthenticatorEntry, key string) bool {
	for _, r := range rows {
		if strings.EqualFold(r.AAGUID, key) {
			return true
		}
	}
	return false
}

// AttestationTypes is GET /mds/attestation-types.
func (s *Service) AttestationTypes() []string { return s.md().AttestationTypes() }

// CertificationStatuses is GET /mds/certification-statuses.
func (s *Service) CertificationStatuses() []string { return s.md().CertificationStatuses() }

var filterPattern = regexp.MustCompile(`^[a-zA-Z0-9_]*$`)

// Entries is GET /mds/entries?attestationTypes=…&certificationStatuses=…
// (each parameter repeatable; empty = no filter).
func (s *Service) Entries(attestationTypes, certificationStatuses []string) ([]mds.EntryView, error) {
	errs := map[string][]string{}
	check := func(field, name string, values []string) {
		for _, v := range values {
			if !filterPattern.MatchString(v) {
				errs[field] = []string{fmt.Sprintf("The field %s must match the regular expression '%s'.", name, filterPattern)}
				return
			}
		}
	}
	check("attestationTypes", "AttestationTypes", attestationTypes)
	check("certificationStatuses", "CertificationStatuses", certificationStatuses)
	if len(errs) > 0 {
		return nil, problem.Validation(errs)
	}
	return s.md().Entries(attestationTypes, certificationStatuses), nil
}
