// Package events records the audit events of api-spec.md §10. Domain code
// calls Record with the request's context; the HTTP layer gives every
// request a buffer and, when the request ends, stores the buffered events
// if the app has event logging enabled (failed requests included, as in the
// original server).
package events

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/store"
)

// Type is an event type; the numbers are the original server's.
type Type int

// Event types emitted by the API.
const (
	UserRegistered               Type = 1000
	PasskeyRegistrationBegan     Type = 1001
	PasskeyRegistrationCompleted Type = 1002
	InvalidSecretKeyUsed         Type = 1003
	InvalidPublicKeyUsed         Type = 1004
	DisabledSecretKeyUsed        Type = 1005
	DisabledPublicKeyUsed        Type = 1006
	UserSetAliases               Type = 1100
	UserDeleteCredential         Type = 1101
	UserSignInCompleted          Type = 1103
	UserSignInVerified           Type = 1104
	UserDeleted                  Type = 1105
	UserMagicLinkCreated         Type = 1107
	AppMarkedForDeletion         Type = 1200
	AppDeletionCancelled         Type = 1201
	AppFrozen                    Type = 1203
	AppUnfrozen                  Type = 1204
	AuthenticatorsAllowlisted    Type = 1300
	AuthenticatorsDelisted       Type = 1302
	AuthConfigCreated            Type = 1400
	AuthConfigUpdated            Type = 1401
	AuthConfigDeleted            Type = 1402
	APIKeyCreated                Type = 7008
	APIKeyDeleted                Type = 7009
	APIKeyLocked                 Type = 7010
	APIKeyUnlocked               Type = 7011
	APIKeysEnumerated            Type = 7012
	GenerateSignInTokenEnabled   Type = 7013
	GenerateSignInTokenDisabled  Type = 7014
	MagicLinksEnabled            Type = 7015
	MagicLinksDisabled           Type = 7016
)

// Event types of the admin console. The first three are the original's
// (its admin console writes them to an organisation log; here they go to
// the log of the console's own app); AdminFeaturesChanged is an addition
// over the original.
const (
	AdminSendAdminInvite Type = 7001
	AdminDeleteAdmin     Type = 7003
	AdminAcceptedInvite  Type = 7006
	AdminFeaturesChanged Type = 7100
)

// names are the wire names of the types (the original's enum members).
var names = map[Type]string{
	UserRegistered:               "ApiAuthUserRegistered",
	PasskeyRegistrationBegan:     "ApiAuthPasskeyRegistrationBegan",
	PasskeyRegistrationCompleted: "ApiAuthPasskeyRegistrationCompleted",
	InvalidSecretKeyUsed:         "ApiAuthInvalidSecretKeyUsed",
	InvalidPublicKeyUsed:         "ApiAuthInvalidPublicKeyUsed",
	DisabledSecretKeyUsed:        "ApiAuthDisabledSecretKeyUsed",
	DisabledPublicKeyUsed:        "ApiAuthDisabledPublicKeyUsed",
	UserSetAliases:               "ApiUserSetAliases",
	UserDeleteCredential:         "ApiUserDeleteCredential",
	1102:                         "ApiUserSignInBegan",
	UserSignInCompleted:          "ApiUserSignInCompleted",
	UserSignInVerified:           "ApiUserSignInVerified",
	UserDeleted:                  "ApiUserDeleted",
	1106:                         "ApiUserSigninTokenCreated",
	UserMagicLinkCreated:         "ApiUserMagicLinkCreated",
	AppMarkedForDeletion:         "ApiManagementAppMarkedForDeletion",
	AppDeletionCancelled:         "ApiManagementAppDeletionCancelled",
	1202:                         "ApiManagementAppCreated",
	AppFrozen:                    "ApiManagementAppFrozen",
	AppUnfrozen:                  "ApiManagementAppUnfrozen",
	AuthenticatorsAllowlisted:    "ApiAuthenticatorsAllowlisted",
	1301:                         "ApiAuthenticatorsBlacklisted",
	AuthenticatorsDelisted:       "ApiAuthenticatorsDelisted",
	AuthConfigCreated:            "ApiAuthenticationConfigurationCreated",
	AuthConfigUpdated:            "ApiAuthenticationConfigurationUpdated",
	AuthConfigDeleted:            "ApiAuthenticationConfigurationDeleted",
	APIKeyCreated:                "AdminApiKeyCreated",
	APIKeyDeleted:                "AdminApiKeyDeleted",
	APIKeyLocked:                 "AdminApiKeyLocked",
	APIKeyUnlocked:               "AdminApiKeyUnlocked",
	APIKeysEnumerated:            "AdminApiKeysEnumerated",
	GenerateSignInTokenEnabled:   "AdminGenerateSignInTokenEndpointEnabled",
	GenerateSignInTokenDisabled:  "AdminGenerateSignInTokenEndpointDisabled",
	MagicLinksEnabled:            "AdminMagicLinksEnabled",
	MagicLinksDisabled:           "AdminMagicLinksDisabled",
	AdminSendAdminInvite:         "AdminSendAdminInvite",
	AdminDeleteAdmin:             "AdminDeleteAdmin",
	AdminAcceptedInvite:          "AdminAcceptedInvite",
	AdminFeaturesChanged:         "AdminFeaturesChanged",
}

// String returns the wire name of the type.
func (t Type) String() string {
	if n, ok := names[t]; ok {
		return n
	}
	return "Unknown"
}

// Severity of an event; the numbers are the original server's.
type Severity int

// Severities.
const (
	Alert         Severity = 1
	Warning       Severity = 2
	Informational Severity = 3
	Error         Severity = 5
)

// String returns the wire name of the severity.
func (s Severity) String() string {
	switch s {
	case Alert:
		return "Alert"
	case Warning:
		return "Warning"
	case Informational:
		return "Informational"
	case Error:
		return "Error"
	}
	return "Unknown"
}

// UnknownUser is the performer of events without a known user.
const UnknownUser = "Unknown User"

// Event is what domain code records. Subject defaults to the app id.
type Event struct {
	Type        Type
	Severity    Severity // default Informational
	Message     string
	PerformedBy string // default UnknownUser
	Subject     string // default the app id
}

// Buffer collects the events of one request.
type Buffer struct {
	mu       sync.Mutex
	appID    string
	apiKeyID string
	start    time.Time
	events   []Event

	// performer, when set, is who performed every event of the buffer.
	performer string
}

type ctxKey struct{}

// NewContext returns ctx carrying a fresh buffer for a request that started
// at start.
func NewContext(ctx context.Context, start time.Time) (context.Context, *Buffer) {
	b := &Buffer{start: start}
	return context.WithValue(ctx, ctxKey{}, b), b
}

// SetCaller records which app (and key, by id) the request acts for.
func (b *Buffer) SetCaller(appID, apiKeyID string) {
	b.mu.Lock()
	b.appID, b.apiKeyID = appID, apiKeyID
	b.mu.Unlock()
}

// Record adds an event to the request's buffer; without one it does nothing.
func Record(ctx context.Context, e Event) {
	b, _ := ctx.Value(ctxKey{}).(*Buffer)
	if b == nil {
		return
	}
	b.mu.Lock()
	b.events = append(b.events, e)
	b.mu.Unlock()
}

// Take returns the buffered events as store rows for the caller's app and
// empties the buffer. It returns nil if no app is known.
func (b *Buffer) Take() (appID string, rows []store.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.appID == "" || len(b.events) == 0 {
		return b.appID, nil
	}
	for _, e := range b.events {
		rows = append(rows, b.row(e))
	}
	b.events = nil
	return b.appID, rows
}

func (b *Buffer) row(e Event) store.Event {
	r := store.Event{
		ID:          uuid.Must(uuid.NewV7()).String(),
		AppID:       b.appID,
		PerformedAt: b.start.UTC(),
		Type:        int(e.Type),
		Message:     e.Message,
		Severity:    int(e.Severity),
		PerformedBy: e.PerformedBy,
		Subject:     e.Subject,
		APIKeyID:    b.apiKeyID,
	}
	if r.Severity == 0 {
		r.Severity = int(Informational)
	}
	if b.performer != "" {
		r.PerformedBy = b.performer
	}
	if r.PerformedBy == "" {
		r.PerformedBy = UnknownUser
	}
	if r.Subject == "" {
		r.Subject = b.appID
	}
	return r
}
