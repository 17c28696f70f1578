// Package store defines the persistence contract of the server: the domain
// records it keeps and the Store interface every backend (SQLite, PostgreSQL)
// implements. Every method that touches application data takes the appID
// explicitly; a backend must never return or change another app's rows.
//
// The conformance suite in package storetest is the executable form of this
// contract; run it against any new backend.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every Store implementation. Callers test with errors.Is.
var (
	// ErrNotFound means the addressed row does not exist (in this app).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a unique key is taken: an app id, an API key id within
	// an app, or a credential id within an app.
	ErrConflict = errors.New("store: conflict")
	// ErrAliasConflict means an alias hash already belongs to another user of
	// the same app.
	ErrAliasConflict = errors.New("store: alias belongs to another user")
	// ErrAlreadyUsed means a single-use identifier was consumed before.
	ErrAlreadyUsed = errors.New("store: already used")
	// ErrCounterRegression means a sign-in reported a signature counter that
	// is not greater than the stored one (a possible cloned authenticator).
	ErrCounterRegression = errors.New("store: signature counter did not increase")
)

// App is one customer application (tenant).
type App struct {
	ID         string
	AdminEmail string
	CreatedAt  time.Time
	// DeleteAt is set while the app is scheduled for deletion.
	DeleteAt *time.Time
	Features Features
}

// Features are the per-app switches and limits (api-spec.md §12).
type Features struct {
	EventLoggingEnabled        bool
	EventLoggingRetentionDays  int
	MagicLinkMonthlyQuota      int
	MaxUsers                   *int64
	AllowAttestation           bool
	GenerateSignInTokenEnabled bool
	MagicLinksEnabled          bool
	DeveloperLoggingEndsAt     *time.Time
}

// KeyKind tells public keys from secrets. The values are the wire integers
// of the management API's key list.
type KeyKind int

// Key kinds.
const (
	KeyPublic KeyKind = 1
	KeySecret KeyKind = 2
)

// APIKey is a public key or a secret of an app. ID is the last four
// characters of the key, the handle the management API and the
// authentication lookup use.
type APIKey struct {
	AppID string
	ID    string
	Kind  KeyKind
	// Value is the full key for public keys and a hash (see package apikey)
	// for secrets; secrets are never stored in clear.
	Value          string
	Scopes         []string
	Locked         bool
	LastLockedAt   *time.Time
	LastUnlockedAt *time.Time
	CreatedAt      time.Time
}

// TokenKey is a per-app key for sealing tokens.
type TokenKey struct {
	AppID     string
	ID        uint32
	Material  []byte
	CreatedAt time.Time
}

// Credential is a registered passkey.
type Credential struct {
	AppID          string
	ID             []byte
	UserID         string
	UserHandle     []byte
	PublicKey      []byte // COSE_Key bytes
	SignCount      uint32
	AttestationFmt string
	AAGUID         []byte // 16 bytes, or nil
	CreatedAt      time.Time
	LastUsedAt     time.Time
	RPID           string
	Origin         string
	Country        string
	Device         string
	Nickname       string
	BackupEligible bool
	BackupState    bool
	Discoverable   *bool
	Transports     []string
}

// CredentialUse is what a successful sign-in changes on a credential.
type CredentialUse struct {
	SignCount  uint32
	LastUsedAt time.Time
	Device     string
	Country    string
}

// Alias is one alias of a user: the hash (api-spec.md §7) and, when the
// caller chose not to hash, the plaintext ("" otherwise).
type Alias struct {
	Hash      string
	Plaintext string
}

// Store is the persistence interface. Implementations are safe for
// concurrent use, and every single-use or uniqueness rule is enforced
// atomically by the backend so that several server instances sharing one
// database behave like one.
type Store interface {
	// Ping checks that the backend is reachable.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error

	// CreateApp stores a new app together with its initial API keys, all or
	// nothing. It returns ErrConflict if the app id is taken.
	CreateApp(ctx context.Context, app App, keys []APIKey) error
	// GetApp returns the app or ErrNotFound.
	GetApp(ctx context.Context, appID string) (App, error)
	// UpdateFeatures overwrites the app's features; ErrNotFound if unknown.
	UpdateFeatures(ctx context.Context, appID string, f Features) error
	// SetDeleteAt schedules (non-nil) or unschedules (nil) the app's deletion.
	// ErrNotFound if unknown.
	SetDeleteAt(ctx context.Context, appID string, at *time.Time) error
	// ListAppsDueForDeletion returns the ids of apps whose DeleteAt <= now,
	// sorted.
	ListAppsDueForDeletion(ctx context.Context, now time.Time) ([]string, error)
	// DeleteApp removes the app and every row that belongs to it.
	// ErrNotFound if unknown.
	DeleteApp(ctx context.Context, appID string) error

	// AddAPIKey stores a key; ErrConflict if the app already has a key with
	// the same ID.
	AddAPIKey(ctx context.Context, key APIKey) error
	// GetAPIKey returns the key or ErrNotFound.
	GetAPIKey(ctx context.Context, appID, keyID string) (APIKey, error)
	// ListAPIKeys returns the app's keys ordered by CreatedAt, then ID.
	ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error)
	// SetAPIKeyLocked locks or unlocks one key and records the time in
	// LastLockedAt or LastUnlockedAt. ErrNotFound if unknown.
	SetAPIKeyLocked(ctx context.Context, appID, keyID string, locked bool, at time.Time) error
	// SetAllAPIKeysLocked locks or unlocks every key of the app.
	SetAllAPIKeysLocked(ctx context.Context, appID string, locked bool, at time.Time) error
	// DeleteAPIKey removes one key; ErrNotFound if unknown.
	DeleteAPIKey(ctx context.Context, appID, keyID string) error

	// ListTokenKeys returns the app's token keys, newest first.
	ListTokenKeys(ctx context.Context, appID string) ([]TokenKey, error)
	// AddTokenKey stores a token key; ErrConflict if the id is taken.
	AddTokenKey(ctx context.Context, key TokenKey) error
	// DeleteTokenKeysCreatedBefore removes the app's token keys created
	// before t.
	DeleteTokenKeysCreatedBefore(ctx context.Context, appID string, t time.Time) error

	// ConsumeOnce records that the single-use identifier id (a session or
	// verify token id) has been used. The first call for an (appID, id) pair
	// succeeds; every later one returns ErrAlreadyUsed, across all instances
	// sharing the database. expiresAt says when the record may be purged.
	ConsumeOnce(ctx context.Context, appID, id string, expiresAt time.Time) error
	// PurgeConsumedBefore deletes single-use records that expired before t.
	PurgeConsumedBefore(ctx context.Context, t time.Time) error

	// AddCredential stores a new credential. If aliases is not empty the
	// user's alias set is replaced by it in the same transaction. It returns
	// ErrConflict if the credential id exists in the app, ErrAliasConflict if
	// an alias belongs to another user; nothing is written then.
	AddCredential(ctx context.Context, cred Credential, aliases []Alias) error
	// GetCredential returns the credential with that id or ErrNotFound.
	GetCredential(ctx context.Context, appID string, credentialID []byte) (Credential, error)
	// ListCredentials returns the user's credentials ordered by CreatedAt.
	ListCredentials(ctx context.Context, appID, userID string) ([]Credential, error)
	// RecordCredentialUse applies a successful sign-in. The update is
	// conditional: when use.SignCount is non-zero it must be greater than the
	// stored counter, else ErrCounterRegression and nothing changes. A
	// reported 0 never lowers the stored counter, so a later lower non-zero
	// counter is still caught.
	// ErrNotFound if the credential is gone.
	RecordCredentialUse(ctx context.Context, appID string, credentialID []byte, use CredentialUse) error
	// CountUsers returns the number of distinct user ids owning credentials.
	CountUsers(ctx context.Context, appID string) (int64, error)

	// ReplaceAliases atomically replaces the user's whole alias set (an
	// empty slice removes all). ErrAliasConflict if a hash belongs to another
	// user; nothing changes then.
	ReplaceAliases(ctx context.Context, appID, userID string, aliases []Alias) error
	// AliasOwner returns the user id owning the alias hash, or ErrNotFound.
	AliasOwner(ctx context.Context, appID, hash string) (string, error)
	// ListAliases returns the user's aliases ordered by hash.
	ListAliases(ctx context.Context, appID, userID string) ([]Alias, error)
}
