// Package transfer exports one app from a store and imports it into
// another, for instance to move from SQLite to PostgreSQL.
//
// The format is JSON Lines (one JSON object per line, UTF-8). The first
// line is the header:
//
//	{"format":"passwordless-export","version":1,"app":{...}}
//
// whose "app" member holds the app and its features. Every following line
// is one record with a "kind" member:
//
//   - "apiKey": an API key in its stored form: public keys in clear,
//     secrets as their stored hash (plaintext secrets are never stored, so
//     they cannot be exported; clients keep using the secrets they have);
//   - "tokenKey": a key that seals tokens, so tokens minted before the move
//     (verify tokens, register tokens) still open afterwards;
//   - "authConfig": a stored authentication configuration;
//   - "authenticator": an AAGUID on the app's allow or block list;
//   - "credential": a passkey with all its fields;
//   - "alias": an alias hash with its owner and, if it was not hashed, its
//     plaintext;
//   - "end": the last line, with the number of records of each kind, so
//     that an export cut at a line boundary is not taken for a whole one.
//
// Byte fields are standard base64 with padding, times RFC 3339 with
// sub-second digits, durations Go duration strings ("3m0s"). Credentials
// and aliases are read page by page (in id and hash order), so exporting
// millions of them takes little memory; Import writes them in batches.
// The pages are not one snapshot: stop the server (or at least sign-ups)
// while exporting, or changes made meanwhile may be missing.
//
// Import refuses an app id that exists in the target store. If it fails
// part way, it deletes what it wrote of the app, so it can be run again.
//
// Not exported: audit events, the credential and active-user reports,
// dispatched e-mail records, rate-limit counters and single-use records
// (consumed session and token ids). Events and reports are history the new
// store starts afresh; the single-use records expire within minutes, so
// finish sign-ins in flight before moving.
package transfer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// Format and Version identify the export format in its header line.
const (
	Format  = "passwordless-export"
	Version = 1
)

// pageSize is the number of credentials or aliases read per page, and
// batchSize the number written per import batch.
const (
	pageSize  = 1000
	batchSize = 1000
)

// Kinds of record lines.
const (
	kindAPIKey        = "apiKey"
	kindTokenKey      = "tokenKey"
	kindAuthConfig    = "authConfig"
	kindAuthenticator = "authenticator"
	kindCredential    = "credential"
	kindAlias         = "alias"
	kindEnd           = "end"
)

type header struct {
	Format  string     `json:"format"`
	Version int        `json:"version"`
	App     *appRecord `json:"app"`
}

type appRecord struct {
	ID         string         `json:"id"`
	AdminEmail string         `json:"adminEmail"`
	CreatedAt  time.Time      `json:"createdAt"`
	DeleteAt   *time.Time     `json:"deleteAt,omitempty"`
	Features   featuresRecord `json:"features"`
}

type featuresRecord struct {
	EventLoggingEnabled        bool       `json:"eventLoggingEnabled"`
	EventLoggingRetentionDays  int        `json:"eventLoggingRetentionDays"`
	MagicLinkMonthlyQuota      int        `json:"magicLinkMonthlyQuota"`
	MaxUsers                   *int64     `json:"maxUsers,omitempty"`
	AllowAttestation           bool       `json:"allowAttestation"`
	GenerateSignInTokenEnabled bool       `json:"generateSignInTokenEnabled"`
	MagicLinksEnabled          bool       `json:"magicLinksEnabled"`
	DeveloperLoggingEndsAt     *time.Time `json:"developerLoggingEndsAt,omitempty"`
	AllowedOrigins             []string   `json:"allowedOrigins,omitempty"`
	AllowedRPIDs               []string   `json:"allowedRpIds,omitempty"`
}

type apiKeyRecord struct {
	Kind           string     `json:"kind"`
	ID             string     `json:"id"`
	Type           string     `json:"type"` // "public" or "secret"
	Value          string     `json:"value"`
	Scopes         []string   `json:"scopes,omitempty"`
	Locked         bool       `json:"locked"`
	LastLockedAt   *time.Time `json:"lastLockedAt,omitempty"`
	LastUnlockedAt *time.Time `json:"lastUnlockedAt,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
}

type tokenKeyRecord struct {
	Kind      string    `json:"kind"`
	ID        uint32    `json:"id"`
	Material  []byte    `json:"material"`
	CreatedAt time.Time `json:"createdAt"`
}

type authConfigRecord struct {
	Kind             string     `json:"kind"`
	Purpose          string     `json:"purpose"`
	UserVerification string     `json:"userVerification"`
	TTL              string     `json:"ttl"`
	Hints            []string   `json:"hints,omitempty"`
	CreatedBy        string     `json:"createdBy"`
	CreatedOn        *time.Time `json:"createdOn,omitempty"`
	EditedBy         string     `json:"editedBy,omitempty"`
	EditedOn         *time.Time `json:"editedOn,omitempty"`
	LastUsedOn       *time.Time `json:"lastUsedOn,omitempty"`
}

type authenticatorRecord struct {
	Kind      string    `json:"kind"`
	AAGUID    string    `json:"aaguid"`
	IsAllowed bool      `json:"isAllowed"`
	CreatedAt time.Time `json:"createdAt"`
}

type credentialRecord struct {
	Kind           string    `json:"kind"`
	ID             []byte    `json:"id"`
	UserID         string    `json:"userId"`
	UserHandle     []byte    `json:"userHandle"`
	PublicKey      []byte    `json:"publicKey"`
	SignCount      uint32    `json:"signCount"`
	AttestationFmt string    `json:"attestationFmt"`
	AAGUID         []byte    `json:"aaguid,omitempty"`
	CreatedAt      time.Time `json:"createdAt"`
	LastUsedAt     time.Time `json:"lastUsedAt"`
	RPID           string    `json:"rpId"`
	Origin         string    `json:"origin"`
	Country        string    `json:"country"`
	Device         string    `json:"device"`
	Nickname       string    `json:"nickname"`
	BackupEligible bool      `json:"backupEligible"`
	BackupState    bool      `json:"backupState"`
	Discoverable   *bool     `json:"discoverable,omitempty"`
	Transports     []string  `json:"transports,omitempty"`
}

type aliasRecord struct {
	Kind      string `json:"kind"`
	UserID    string `json:"userId"`
	Hash      string `json:"hash"`
	Plaintext string `json:"plaintext,omitempty"`
}

// counts is the body of the end record: how many records of each kind
// precede it.
type counts struct {
	APIKeys        int64 `json:"apiKeys"`
	TokenKeys      int64 `json:"tokenKeys"`
	AuthConfigs    int64 `json:"authConfigs"`
	Authenticators int64 `json:"authenticators"`
	Credentials    int64 `json:"credentials"`
	Aliases        int64 `json:"aliases"`
}

type endRecord struct {
	Kind string `json:"kind"`
	counts
}

// Conversions between store types and records.

func fromApp(a store.App) *appRecord {
	f := a.Features
	return &appRecord{
		ID: a.ID, AdminEmail: a.AdminEmail, CreatedAt: a.CreatedAt, DeleteAt: a.DeleteAt,
		Features: featuresRecord{
			EventLoggingEnabled:        f.EventLoggingEnabled,
			EventLoggingRetentionDays:  f.EventLoggingRetentionDays,
			MagicLinkMonthlyQuota:      f.MagicLinkMonthlyQuota,
			MaxUsers:                   f.MaxUsers,
			AllowAttestation:           f.AllowAttestation,
			GenerateSignInTokenEnabled: f.GenerateSignInTokenEnabled,
			MagicLinksEnabled:          f.MagicLinksEnabled,
			DeveloperLoggingEndsAt:     f.DeveloperLoggingEndsAt,
			AllowedOrigins:             f.AllowedOrigins,
			AllowedRPIDs:               f.AllowedRPIDs,
		},
	}
}

func (r *appRecord) app() store.App {
	f := r.Features
	return store.App{
		ID: r.ID, AdminEmail: r.AdminEmail, CreatedAt: r.CreatedAt, DeleteAt: r.DeleteAt,
		Features: store.Features{
			EventLoggingEnabled:        f.EventLoggingEnabled,
			EventLoggingRetentionDays:  f.EventLoggingRetentionDays,
			MagicLinkMonthlyQuota:      f.MagicLinkMonthlyQuota,
			MaxUsers:                   f.MaxUsers,
			AllowAttestation:           f.AllowAttestation,
			GenerateSignInTokenEnabled: f.GenerateSignInTokenEnabled,
			MagicLinksEnabled:          f.MagicLinksEnabled,
			DeveloperLoggingEndsAt:     f.DeveloperLoggingEndsAt,
			AllowedOrigins:             f.AllowedOrigins,
			AllowedRPIDs:               f.AllowedRPIDs,
		},
	}
}

func (r *appRecord) validate() error {
	if r == nil {
		return errors.New(`header has no "app"`)
	}
	if r.ID == "" {
		return errors.New("app id is empty")
	}
	return nil
}

var keyTypes = map[store.KeyKind]string{store.KeyPublic: "public", store.KeySecret: "secret"}

func fromAPIKey(k store.APIKey) (apiKeyRecord, error) {
	typ, ok := keyTypes[k.Kind]
	if !ok {
		return apiKeyRecord{}, fmt.Errorf("API key %q has unknown kind %d", k.ID, k.Kind)
	}
	return apiKeyRecord{Kind: kindAPIKey, ID: k.ID, Type: typ, Value: k.Value, Scopes: k.Scopes,
		Locked: k.Locked, LastLockedAt: k.LastLockedAt, LastUnlockedAt: k.LastUnlockedAt, CreatedAt: k.CreatedAt}, nil
}

func (r apiKeyRecord) key(appID string) (store.APIKey, error) {
	var kind store.KeyKind
	switch r.Type {
	case "public":
		kind = store.KeyPublic
	case "secret":
		kind = store.KeySecret
		if isPlainSecret(r.Value) {
			return store.APIKey{}, fmt.Errorf("API key %q: secret in clear; an export holds secrets only as their stored hash", r.ID)
		}
	default:
		return store.APIKey{}, fmt.Errorf("API key %q: type %q, want \"public\" or \"secret\"", r.ID, r.Type)
	}
	if r.ID == "" || r.Value == "" {
		return store.APIKey{}, errors.New("API key without id or value")
	}
	return store.APIKey{AppID: appID, ID: r.ID, Kind: kind, Value: r.Value, Scopes: r.Scopes,
		Locked: r.Locked, LastLockedAt: r.LastLockedAt, LastUnlockedAt: r.LastUnlockedAt, CreatedAt: r.CreatedAt}, nil
}

// isPlainSecret tells a secret ("app:secret:random") from a stored hash
// ("sha256$salt$sum", or the original server's "salt:sum").
func isPlainSecret(v string) bool {
	return strings.Contains(v, ":secret:")
}

func fromTokenKey(k store.TokenKey) tokenKeyRecord {
	return tokenKeyRecord{Kind: kindTokenKey, ID: k.ID, Material: k.Material, CreatedAt: k.CreatedAt}
}

func (r tokenKeyRecord) key(appID string) (store.TokenKey, error) {
	if len(r.Material) == 0 {
		return store.TokenKey{}, fmt.Errorf("token key %d without material", r.ID)
	}
	return store.TokenKey{AppID: appID, ID: r.ID, Material: r.Material, CreatedAt: r.CreatedAt}, nil
}

func fromAuthConfig(c store.AuthConfig) authConfigRecord {
	return authConfigRecord{Kind: kindAuthConfig, Purpose: c.Purpose, UserVerification: c.UserVerification,
		TTL: c.TTL.String(), Hints: c.Hints, CreatedBy: c.CreatedBy, CreatedOn: c.CreatedOn,
		EditedBy: c.EditedBy, EditedOn: c.EditedOn, LastUsedOn: c.LastUsedOn}
}

func (r authConfigRecord) config(appID string) (store.AuthConfig, error) {
	if r.Purpose == "" {
		return store.AuthConfig{}, errors.New("auth config without purpose")
	}
	ttl, err := time.ParseDuration(r.TTL)
	if err != nil {
		return store.AuthConfig{}, fmt.Errorf("auth config %q: ttl: %w", r.Purpose, err)
	}
	return store.AuthConfig{AppID: appID, Purpose: r.Purpose, UserVerification: r.UserVerification,
		TTL: ttl, Hints: r.Hints, CreatedBy: r.CreatedBy, CreatedOn: r.CreatedOn,
		EditedBy: r.EditedBy, EditedOn: r.EditedOn, LastUsedOn: r.LastUsedOn}, nil
}

func fromAuthenticator(e store.AuthenticatorEntry) authenticatorRecord {
	return authenticatorRecord{Kind: kindAuthenticator, AAGUID: e.AAGUID, IsAllowed: e.IsAllowed, CreatedAt: e.CreatedAt}
}

func (r authenticatorRecord) validate() error {
	if r.AAGUID == "" {
		return errors.New("authenticator without aaguid")
	}
	return nil
}

func fromCredential(c store.Credential) credentialRecord {
	return credentialRecord{Kind: kindCredential, ID: c.ID, UserID: c.UserID, UserHandle: c.UserHandle,
		PublicKey: c.PublicKey, SignCount: c.SignCount, AttestationFmt: c.AttestationFmt, AAGUID: c.AAGUID,
		CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt, RPID: c.RPID, Origin: c.Origin,
		Country: c.Country, Device: c.Device, Nickname: c.Nickname, BackupEligible: c.BackupEligible,
		BackupState: c.BackupState, Discoverable: c.Discoverable, Transports: c.Transports}
}

func (r credentialRecord) credential(appID string) (store.Credential, error) {
	if len(r.ID) == 0 || r.UserID == "" || len(r.PublicKey) == 0 {
		return store.Credential{}, errors.New("credential without id, userId or publicKey")
	}
	return store.Credential{AppID: appID, ID: r.ID, UserID: r.UserID, UserHandle: r.UserHandle,
		PublicKey: r.PublicKey, SignCount: r.SignCount, AttestationFmt: r.AttestationFmt, AAGUID: r.AAGUID,
		CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, RPID: r.RPID, Origin: r.Origin,
		Country: r.Country, Device: r.Device, Nickname: r.Nickname, BackupEligible: r.BackupEligible,
		BackupState: r.BackupState, Discoverable: r.Discoverable, Transports: r.Transports}, nil
}

func fromAlias(a store.UserAlias) aliasRecord {
	return aliasRecord{Kind: kindAlias, UserID: a.UserID, Hash: a.Hash, Plaintext: a.Plaintext}
}

func (r aliasRecord) alias() (store.UserAlias, error) {
	if r.Hash == "" || r.UserID == "" {
		return store.UserAlias{}, errors.New("alias without hash or userId")
	}
	return store.UserAlias{UserID: r.UserID, Alias: store.Alias{Hash: r.Hash, Plaintext: r.Plaintext}}, nil
}

// marshalLine encodes v as one line. encoding/json escapes line breaks
// inside strings, so the result never spans lines.
func marshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
