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
	"fmt"
	"time"
	"unicode/utf8"
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
	// ErrQuotaExceeded means a reservation was refused because the app has
	// used up its quota; nothing was written.
	ErrQuotaExceeded = errors.New("store: quota exceeded")
	// ErrTooLong means a value is longer than the store accepts (see
	// MaxStoredUserIDBytes); nothing was written.
	ErrTooLong = errors.New("store: value too long")
	// ErrUnavailable means the storage itself failed, not the request: the
	// same request may succeed when retried later.
	ErrUnavailable = errors.New("store: storage unavailable")
	// ErrFull means a write was refused because the database cannot grow
	// (its disk, or its configured size, is full); nothing was written.
	// Reads keep working. It is also an ErrUnavailable.
	ErrFull = fmt.Errorf("store: database is full: %w", ErrUnavailable)
)

// MaxStoredUserIDBytes is the longest user id every Store accepts. User ids
// are indexed, and PostgreSQL refuses index entries over about 2.7 kB with
// an error that says nothing about the input, so writes that store a user
// id refuse a longer one with ErrTooLong before touching the database, on
// every backend alike. The API admits far less (users.MaxUserIDBytes); the
// margin is for data imported from elsewhere.
const MaxStoredUserIDBytes = 1024

// CheckUserID returns ErrTooLong for a user id over MaxStoredUserIDBytes.
func CheckUserID(userID string) error {
	if len(userID) > MaxStoredUserIDBytes {
		return ErrTooLong
	}
	return nil
}

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
	// AllowedOrigins and AllowedRPIDs, when not empty, restrict the
	// origins and relying-party ids ceremonies may use (an addition over the
	// original server, which accepts any).
	AllowedOrigins []string
	AllowedRPIDs   []string
}

// Opt is an optional change: Value is written only when Set, and then even
// when it is a zero value or a nil pointer.
type Opt[T any] struct {
	Value T
	Set   bool
}

// To returns the change that writes v.
func To[T any](v T) Opt[T] { return Opt[T]{Value: v, Set: true} }

// FeaturesUpdate names the features UpdateFeatures writes; members not Set
// keep their stored values. Writing only what a request names keeps two
// requests that change different features (on different instances, or
// from a stale copy of the app) from undoing each other.
type FeaturesUpdate struct {
	EventLoggingEnabled        Opt[bool]
	EventLoggingRetentionDays  Opt[int]
	MagicLinkMonthlyQuota      Opt[int]
	MaxUsers                   Opt[*int64]
	AllowAttestation           Opt[bool]
	GenerateSignInTokenEnabled Opt[bool]
	MagicLinksEnabled          Opt[bool]
	DeveloperLoggingEndsAt     Opt[*time.Time]
	AllowedOrigins             Opt[[]string]
	AllowedRPIDs               Opt[[]string]
}

// AllFeatures returns the update that writes every member of f.
func AllFeatures(f Features) FeaturesUpdate {
	return FeaturesUpdate{
		EventLoggingEnabled:        To(f.EventLoggingEnabled),
		EventLoggingRetentionDays:  To(f.EventLoggingRetentionDays),
		MagicLinkMonthlyQuota:      To(f.MagicLinkMonthlyQuota),
		MaxUsers:                   To(f.MaxUsers),
		AllowAttestation:           To(f.AllowAttestation),
		GenerateSignInTokenEnabled: To(f.GenerateSignInTokenEnabled),
		MagicLinksEnabled:          To(f.MagicLinksEnabled),
		DeveloperLoggingEndsAt:     To(f.DeveloperLoggingEndsAt),
		AllowedOrigins:             To(f.AllowedOrigins),
		AllowedRPIDs:               To(f.AllowedRPIDs),
	}
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
	// BackupEligible and BackupState are the flags the authenticator
	// reported in this sign-in; they replace the stored ones.
	BackupEligible bool
	BackupState    bool
}

// Once is a single-use identifier (a ceremony session id) consumed together
// with a write, in the same transaction. The write fails with ErrAlreadyUsed
// if the identifier was consumed before, and the identifier is not consumed
// if the write fails. ExpiresAt says when the consumed record may be purged,
// as for ConsumeOnce.
type Once struct {
	ID        string
	ExpiresAt time.Time
}

// Alias is one alias of a user: the hash (api-spec.md §7) and, when the
// caller chose not to hash, the plaintext ("" otherwise).
type Alias struct {
	Hash      string
	Plaintext string
}

// UserSummary is one entry of the user list: a user id owning credentials
// and/or aliases.
type UserSummary struct {
	UserID           string
	CredentialsCount int
	// AliasPlaintexts has one entry per alias: the plaintext, or "" for a
	// hashed alias.
	AliasPlaintexts []string
	// LastUsedAt is the latest use of any of the user's credentials (nil
	// for users with aliases only).
	LastUsedAt *time.Time
}

// AuthConfig is a stored authentication configuration (sign-in purpose).
type AuthConfig struct {
	AppID            string
	Purpose          string
	UserVerification string // W3C value: required, preferred, discouraged
	TTL              time.Duration
	Hints            []string // W3C values
	CreatedBy        string
	CreatedOn        *time.Time
	EditedBy         string // "" when never edited
	EditedOn         *time.Time
	LastUsedOn       *time.Time
}

// Event is one audit event (api-spec.md §10).
type Event struct {
	ID          string // UUID
	AppID       string
	PerformedAt time.Time
	Type        int
	Message     string
	Severity    int
	PerformedBy string
	Subject     string
	APIKeyID    string
}

// DispatchedEmail records a sent magic-link e-mail, for quota accounting.
type DispatchedEmail struct {
	ID           string // UUID
	AppID        string
	CreatedAt    time.Time
	UserID       string
	EmailAddress string
	LinkTemplate string
}

// AuthenticatorEntry is an AAGUID on an app's allow list (IsAllowed) or
// block list.
type AuthenticatorEntry struct {
	AAGUID    string // lower-case 8-4-4-4-12
	IsAllowed bool
	CreatedAt time.Time
}

// CredentialReport is the daily credentials report row of an app.
type CredentialReport struct {
	Date        time.Time // midnight UTC
	Users       int
	Credentials int
}

// ActiveUserReport is the daily active-users report row of an app.
type ActiveUserReport struct {
	Date   time.Time // midnight UTC
	Daily  int
	Weekly int
	Total  int
}

// UserAlias is an alias with its owner, for export and import.
type UserAlias struct {
	UserID string
	Alias
}

// UserPage selects one page of ListUsersPage. Paging is by key: the next
// page starts after the last user id of the previous one, so a deep page
// costs what the first one does.
type UserPage struct {
	// After, when not "", keeps only user ids that sort after it (byte
	// order).
	After string
	// Prefix, when not "", keeps only user ids that start with it.
	Prefix string
	// Limit is the page size; zero or less returns nothing.
	Limit int
}

// ConsoleSession is a signed-in session of a console administrator. The
// store keeps it so that every instance sharing the database agrees on
// which sessions are alive: a row that is gone is a session that ended.
type ConsoleSession struct {
	// ID is the session's handle in the store (the console stores a hash
	// of the secret its cookie carries, never the secret itself).
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is when the session ends unless it is seen again; the row
	// may be purged after it.
	ExpiresAt time.Time
	UserAgent string
	Address   string
}

// Store is the persistence interface. Implementations are safe for
// concurrent use, and every single-use or uniqueness rule is enforced
// atomically by the backend so that several server instances sharing one
// database behave like one.
type Store interface {
	// Ping checks that the backend is reachable.
	Ping(ctx context.Context) error
	// Degraded reports why writes are being refused while reads work (an
	// error wrapping ErrFull), or nil.
	Degraded() error
	// Close releases the backend's resources.
	Close() error

	// CreateApp stores a new app together with its initial API keys, all or
	// nothing. It returns ErrConflict if the app id is taken.
	CreateApp(ctx context.Context, app App, keys []APIKey) error
	// GetApp returns the app or ErrNotFound.
	GetApp(ctx context.Context, appID string) (App, error)
	// UpdateFeatures writes the members of u that are Set, and only those,
	// in one statement: a concurrent update of other members is never
	// undone. ErrNotFound if the app is unknown (also when nothing is Set).
	UpdateFeatures(ctx context.Context, appID string, u FeaturesUpdate) error
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
	// GetTokenKey returns one token key of the app, or ErrNotFound.
	GetTokenKey(ctx context.Context, appID string, id uint32) (TokenKey, error)
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
	// user's alias set is replaced by it in the same transaction. If once is
	// not nil, once.ID is consumed for cred.AppID (as by ConsumeOnce) in that
	// transaction too, before anything else: ErrAlreadyUsed if it was
	// consumed before. It returns ErrConflict if the credential id exists in
	// the app, ErrAliasConflict if an alias belongs to another user,
	// ErrTooLong if the user id is too long (see CheckUserID). On any error
	// nothing is written, and once is not consumed.
	AddCredential(ctx context.Context, cred Credential, aliases []Alias, once *Once) error
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
	// If once is not nil, once.ID is consumed for appID (as by ConsumeOnce)
	// in the same transaction, before the update: ErrAlreadyUsed if it was
	// consumed before. On any error nothing changes and once is not
	// consumed, so a caller may retry with the same once.
	RecordCredentialUse(ctx context.Context, appID string, credentialID []byte, use CredentialUse, once *Once) error
	// SignIn is the storage of one sign-in in as few steps as the backend
	// allows: it reads the credential (ErrNotFound, without calling check,
	// if there is none), passes it to check, which verifies the assertion
	// and returns what to record, and records that use with once as
	// RecordCredentialUse does (ErrAlreadyUsed, ErrCounterRegression,
	// ErrNotFound; nothing changes then). An error of check is returned as
	// is, and nothing changes. It returns the credential as it was read.
	// A backend may keep the credential locked while check runs, so that
	// sign-ins with one credential apply in turn; check may run again if
	// the backend retries a step that never reached the database.
	SignIn(ctx context.Context, appID string, credentialID []byte, once *Once, check func(Credential) (CredentialUse, error)) (Credential, error)
	// CountUsers returns the number of distinct user ids owning credentials.
	CountUsers(ctx context.Context, appID string) (int64, error)

	// ReplaceAliases atomically replaces the user's whole alias set (an
	// empty slice removes all). ErrAliasConflict if a hash belongs to another
	// user, ErrTooLong if the user id is too long; nothing changes then.
	ReplaceAliases(ctx context.Context, appID, userID string, aliases []Alias) error
	// AliasOwner returns the user id owning the alias hash, or ErrNotFound.
	AliasOwner(ctx context.Context, appID, hash string) (string, error)
	// ListAliases returns the user's aliases ordered by hash.
	ListAliases(ctx context.Context, appID, userID string) ([]Alias, error)

	// DeleteCredential removes one credential and returns its owner's user
	// id; ErrNotFound if the app has no such credential.
	DeleteCredential(ctx context.Context, appID string, credentialID []byte) (userID string, err error)
	// ListUsers returns up to limit users (ids owning credentials or
	// aliases), ordered by user id.
	ListUsers(ctx context.Context, appID string, limit int) ([]UserSummary, error)
	// DeleteUser removes all credentials and aliases of the user, in one
	// transaction. Deleting an unknown user is not an error.
	DeleteUser(ctx context.Context, appID, userID string) error
	// CountActiveUsers returns the number of distinct users with a
	// credential used at or after since.
	CountActiveUsers(ctx context.Context, appID string, since time.Time) (int64, error)
	// CountCredentials returns the number of credentials of the app.
	CountCredentials(ctx context.Context, appID string) (int64, error)

	// ListAuthConfigs returns the app's stored configurations ordered by
	// purpose.
	ListAuthConfigs(ctx context.Context, appID string) ([]AuthConfig, error)
	// GetAuthConfig returns the stored configuration or ErrNotFound.
	GetAuthConfig(ctx context.Context, appID, purpose string) (AuthConfig, error)
	// AddAuthConfig stores a new configuration; ErrConflict if the purpose
	// is stored already.
	AddAuthConfig(ctx context.Context, c AuthConfig) error
	// PutAuthConfig inserts a configuration, or overwrites every field of a
	// stored one except LastUsedOn, which only TouchAuthConfig moves (so an
	// edit cannot undo a concurrent sign-in's update).
	PutAuthConfig(ctx context.Context, c AuthConfig) error
	// DeleteAuthConfig removes a configuration; ErrNotFound if not stored.
	DeleteAuthConfig(ctx context.Context, appID, purpose string) error
	// TouchAuthConfig sets LastUsedOn of the purpose; if it is not stored,
	// it stores ifMissing (with LastUsedOn = at) instead.
	TouchAuthConfig(ctx context.Context, appID, purpose string, at time.Time, ifMissing AuthConfig) error

	// AddEvents stores events (of any apps).
	AddEvents(ctx context.Context, events []Event) error
	// ListEvents returns one page of the app's events, newest first
	// (PerformedAt, then ID, descending), and the app's total count.
	ListEvents(ctx context.Context, appID string, offset, limit int) ([]Event, int64, error)
	// DeleteEventsBefore removes the app's events performed before t.
	DeleteEventsBefore(ctx context.Context, appID string, t time.Time) error

	// AddDispatchedEmail records a sent e-mail.
	AddDispatchedEmail(ctx context.Context, e DispatchedEmail) error
	// ReserveDispatchedEmail records e unless the app (e.AppID) already has
	// limit or more records created at or after since; then it returns
	// ErrQuotaExceeded and writes nothing. The check and the insert are
	// atomic across instances sharing the database, so concurrent
	// reservations never exceed limit. A taken id is ErrConflict, as for
	// AddDispatchedEmail. A limit of 0 or less refuses every reservation.
	ReserveDispatchedEmail(ctx context.Context, e DispatchedEmail, since time.Time, limit int64) error
	// DeleteDispatchedEmail removes one record of the app (a send that
	// failed after its reservation); ErrNotFound if absent.
	DeleteDispatchedEmail(ctx context.Context, appID, id string) error
	// CountDispatchedEmailsSince counts the app's e-mails sent at or after t.
	CountDispatchedEmailsSince(ctx context.Context, appID string, t time.Time) (int64, error)
	// PurgeDispatchedEmailsBefore removes records of all apps older than t.
	PurgeDispatchedEmailsBefore(ctx context.Context, t time.Time) error

	// ListAuthenticators returns the app's allow-list (isAllowed) or
	// block-list entries ordered by AAGUID.
	ListAuthenticators(ctx context.Context, appID string, isAllowed bool) ([]AuthenticatorEntry, error)
	// PutAuthenticators inserts the AAGUIDs or overwrites their IsAllowed,
	// keeping CreatedAt of existing entries.
	PutAuthenticators(ctx context.Context, appID string, aaguids []string, isAllowed bool, now time.Time) error
	// RemoveAuthenticators deletes the entries with these AAGUIDs.
	RemoveAuthenticators(ctx context.Context, appID string, aaguids []string) error

	// PutCredentialReport inserts or replaces the app's row for r.Date.
	PutCredentialReport(ctx context.Context, appID string, r CredentialReport) error
	// ListCredentialReports returns rows with from <= Date <= to (zero
	// times: unbounded), by date ascending.
	ListCredentialReports(ctx context.Context, appID string, from, to time.Time) ([]CredentialReport, error)
	// PutActiveUserReport inserts or replaces the app's row for r.Date.
	PutActiveUserReport(ctx context.Context, appID string, r ActiveUserReport) error
	// ListActiveUserReports is ListCredentialReports for active users.
	ListActiveUserReports(ctx context.Context, appID string, from, to time.Time) ([]ActiveUserReport, error)
	// ListAppIDs returns every app id, sorted (for background jobs).
	ListAppIDs(ctx context.Context) ([]string, error)

	// ListCredentialsPage returns up to limit of the app's credentials whose
	// id sorts after after (byte order; nil: from the start), ordered by id.
	ListCredentialsPage(ctx context.Context, appID string, after []byte, limit int) ([]Credential, error)
	// ImportCredentials stores many credentials of one or more apps in one
	// transaction; ErrConflict (and nothing written) if an id exists,
	// ErrTooLong (and nothing written) if a user id is too long.
	ImportCredentials(ctx context.Context, creds []Credential) error
	// ListAliasesPage returns up to limit of the app's aliases whose hash
	// sorts after after (byte order), ordered by hash.
	ListAliasesPage(ctx context.Context, appID, after string, limit int) ([]UserAlias, error)
	// ImportAliases stores aliases in one transaction; ErrAliasConflict (and
	// nothing written) if a hash is taken, ErrTooLong (and nothing written)
	// if a user id is too long.
	ImportAliases(ctx context.Context, appID string, aliases []UserAlias) error

	// HitRateLimit adds one hit to the counter key in the fixed window that
	// starts at window and returns the count after the hit, atomically
	// across instances. expiresAt says when the counter may be purged.
	HitRateLimit(ctx context.Context, key string, window, expiresAt time.Time) (int64, error)
	// PurgeRateLimitsBefore removes counters that expired before t.
	PurgeRateLimitsBefore(ctx context.Context, t time.Time) error

	// ListUsersPage returns the app's users (ids owning credentials or
	// aliases) selected by p, ordered by user id, as ListUsers does. Each
	// page is an index range read whatever its depth or prefix.
	ListUsersPage(ctx context.Context, appID string, p UserPage) ([]UserSummary, error)

	// AddConsoleSession stores a new console session; ErrConflict if the
	// id is taken.
	AddConsoleSession(ctx context.Context, s ConsoleSession) error
	// GetConsoleSession returns the session or ErrNotFound.
	GetConsoleSession(ctx context.Context, id string) (ConsoleSession, error)
	// TouchConsoleSession sets the session's LastSeenAt and ExpiresAt;
	// ErrNotFound if it is gone.
	TouchConsoleSession(ctx context.Context, id string, seen, expiresAt time.Time) error
	// ListConsoleSessions returns the user's sessions, newest first
	// (CreatedAt, then ID, descending), expired ones included.
	ListConsoleSessions(ctx context.Context, userID string) ([]ConsoleSession, error)
	// DeleteConsoleSession removes one session of the user; ErrNotFound if
	// the user has no session with that id.
	DeleteConsoleSession(ctx context.Context, userID, id string) error
	// DeleteConsoleSessions removes every session of the user.
	DeleteConsoleSessions(ctx context.Context, userID string) error
	// PurgeConsoleSessionsBefore removes sessions that expired before t.
	PurgeConsoleSessionsBefore(ctx context.Context, t time.Time) error
}

// PrefixEnd returns the smallest string greater than every string that
// starts with prefix, in byte order, so that a prefix search is the range
// prefix <= id < end of an index. ok is false when there is no such
// string (an empty prefix, or one of nothing but the highest code point
// or 0xff bytes): the range is then open above. For valid UTF-8 the end
// is valid UTF-8 too (the last code point plus one), which PostgreSQL
// requires of a text parameter.
func PrefixEnd(prefix string) (end string, ok bool) {
	if utf8.ValidString(prefix) {
		runes := []rune(prefix)
		for i := len(runes) - 1; i >= 0; i-- {
			next := runes[i] + 1
			if next == 0xD800 { // skip the surrogates, which UTF-8 cannot hold
				next = 0xE000
			}
			if next <= utf8.MaxRune {
				runes[i] = next
				return string(runes[:i+1]), true
			}
		}
		return "", false
	}
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
