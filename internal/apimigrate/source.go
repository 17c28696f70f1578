package apimigrate

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// The answers of the source's private API (api-spec.md §4.2), decoded
// with pointers where a member must be present, so that an answer of
// another shape is an error instead of empty data.

type userListAnswer struct {
	Values *[]userEntry `json:"values"`
}

type userEntry struct {
	UserID           *string `json:"userId"`
	AliasCount       int     `json:"aliasCount"`
	CredentialsCount int     `json:"credentialsCount"`
}

type credentialListAnswer struct {
	Values *[]credentialEntry `json:"values"`
}

type credentialEntry struct {
	Descriptor *struct {
		ID         string   `json:"id"`
		Transports []string `json:"transports"`
	} `json:"descriptor"`
	PublicKey        *string    `json:"publicKey"`
	UserHandle       *string    `json:"userHandle"`
	SignatureCounter *uint32    `json:"signatureCounter"`
	AttestationFmt   *string    `json:"attestationFmt"`
	CreatedAt        *wire.Time `json:"createdAt"`
	AAGUID           *string    `json:"aaGuid"`
	LastUsedAt       *wire.Time `json:"lastUsedAt"`
	RPID             *string    `json:"rpid"`
	Origin           *string    `json:"origin"`
	Country          *string    `json:"country"`
	Device           *string    `json:"device"`
	Nickname         *string    `json:"nickname"`
	UserID           *string    `json:"userId"`
	BackupState      *bool      `json:"backupState"`
	IsBackupEligible *bool      `json:"isBackupEligible"`
	IsDiscoverable   *bool      `json:"isDiscoverable"`
}

type aliasListAnswer struct {
	Values *[]aliasEntry `json:"values"`
}

type aliasEntry struct {
	UserID    *string `json:"userId"`
	Alias     *string `json:"alias"`
	Plaintext *string `json:"plaintext"`
}

type authConfigListAnswer struct {
	Configurations *[]authConfigEntry `json:"configurations"`
}

type authConfigEntry struct {
	Purpose                     *string    `json:"purpose"`
	UserVerificationRequirement *string    `json:"userVerificationRequirement"`
	TimeToLive                  *float64   `json:"timeToLive"`
	Hints                       *string    `json:"hints"`
	CreatedBy                   *string    `json:"createdBy"`
	CreatedOn                   *wire.Time `json:"createdOn"`
	EditedBy                    *string    `json:"editedBy"`
	EditedOn                    *wire.Time `json:"editedOn"`
	LastUsedOn                  *wire.Time `json:"lastUsedOn"`
}

type authenticatorEntry struct {
	AAGUID    *string    `json:"aaGuid"`
	CreatedAt *wire.Time `json:"createdAt"`
}

// shapeError is an answer of the wrong shape; the request it came from is
// added by the caller.
func shapeError(format string, args ...any) error {
	return fmt.Errorf("unexpected answer: "+format, args...)
}

// source reads one app through the private API.
type source struct {
	c     *client
	appID string
}

// users returns the ids of GET /users/list, in its order.
func (s *source) users(ctx context.Context) ([]string, error) {
	var a userListAnswer
	if err := s.c.get(ctx, "/users/list", nil, &a); err != nil {
		return nil, err
	}
	if a.Values == nil {
		return nil, &RequestError{Request: "GET /users/list", Status: 200, Err: shapeError(`no "values" list`)}
	}
	ids := make([]string, 0, len(*a.Values))
	for i, u := range *a.Values {
		if u.UserID == nil || *u.UserID == "" {
			return nil, &RequestError{Request: "GET /users/list", Status: 200, Err: shapeError("entry %d has no userId", i)}
		}
		ids = append(ids, *u.UserID)
	}
	return ids, nil
}

// credentials returns the user's credentials as the target stores them.
func (s *source) credentials(ctx context.Context, userID string) ([]store.Credential, error) {
	q := url.Values{"userId": {userID}}
	var a credentialListAnswer
	if err := s.c.get(ctx, "/credentials/list", q, &a); err != nil {
		return nil, err
	}
	fail := func(err error) error {
		return &RequestError{Request: "GET /credentials/list?" + q.Encode(), Status: 200, Err: err}
	}
	if a.Values == nil {
		return nil, fail(shapeError(`no "values" list`))
	}
	out := make([]store.Credential, 0, len(*a.Values))
	for i, e := range *a.Values {
		c, err := e.credential(s.appID, userID)
		if err != nil {
			return nil, fail(shapeError("credential %d: %v", i, err))
		}
		out = append(out, c)
	}
	return out, nil
}

func (e credentialEntry) credential(appID, userID string) (store.Credential, error) {
	if e.Descriptor == nil || e.PublicKey == nil || e.UserID == nil || e.SignatureCounter == nil ||
		e.CreatedAt == nil || e.LastUsedAt == nil {
		return store.Credential{}, errors.New("descriptor, publicKey, userId, signatureCounter, createdAt or lastUsedAt missing")
	}
	if *e.UserID != userID {
		return store.Credential{}, fmt.Errorf("belongs to user %q, not the user asked for", *e.UserID)
	}
	id, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e.Descriptor.ID, "="))
	if err != nil || len(id) == 0 {
		return store.Credential{}, errors.New("descriptor.id is not base64url")
	}
	pub, err := base64.StdEncoding.DecodeString(*e.PublicKey)
	if err != nil {
		return store.Credential{}, errors.New("publicKey is not base64")
	}
	// A key the target cannot parse would fail every sign-in; better to
	// say so now.
	if _, err := webauthncose.ParsePublicKey(pub); err != nil {
		return store.Credential{}, fmt.Errorf("publicKey is not a COSE key: %v", err)
	}
	handle := []byte(userID) // what the original stores
	if e.UserHandle != nil && *e.UserHandle != "" {
		if handle, err = base64.StdEncoding.DecodeString(*e.UserHandle); err != nil {
			return store.Credential{}, errors.New("userHandle is not base64")
		}
	}
	var aaguid []byte
	if e.AAGUID != nil {
		g, err := uuid.Parse(*e.AAGUID)
		if err != nil {
			return store.Credential{}, fmt.Errorf("aaGuid %q is not a GUID", *e.AAGUID)
		}
		aaguid = g[:]
	}
	return store.Credential{
		AppID: appID, ID: id, UserID: userID, UserHandle: handle, PublicKey: pub,
		SignCount: *e.SignatureCounter, AttestationFmt: deref(e.AttestationFmt), AAGUID: aaguid,
		CreatedAt: e.CreatedAt.Time, LastUsedAt: e.LastUsedAt.Time,
		RPID: deref(e.RPID), Origin: deref(e.Origin), Country: deref(e.Country), Device: deref(e.Device),
		Nickname: deref(e.Nickname), BackupEligible: deref(e.IsBackupEligible), BackupState: deref(e.BackupState),
		Discoverable: e.IsDiscoverable, Transports: e.Descriptor.Transports,
	}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// aliases returns the user's aliases: hashes, and plaintexts where the
// source keeps them.
func (s *source) aliases(ctx context.Context, userID string) ([]store.Alias, error) {
	q := url.Values{"userId": {userID}}
	var a aliasListAnswer
	if err := s.c.get(ctx, "/alias/list", q, &a); err != nil {
		return nil, err
	}
	fail := func(err error) error {
		return &RequestError{Request: "GET /alias/list?" + q.Encode(), Status: 200, Err: err}
	}
	if a.Values == nil {
		return nil, fail(shapeError(`no "values" list`))
	}
	out := make([]store.Alias, 0, len(*a.Values))
	for i, e := range *a.Values {
		if e.Alias == nil || e.UserID == nil {
			return nil, fail(shapeError("alias %d has no alias or userId", i))
		}
		if *e.UserID != userID {
			return nil, fail(shapeError("alias %d belongs to user %q, not the user asked for", i, *e.UserID))
		}
		if h, err := base64.StdEncoding.DecodeString(*e.Alias); err != nil || len(h) != 32 {
			return nil, fail(shapeError("alias %d is not a base64 SHA-256 hash", i))
		}
		out = append(out, store.Alias{Hash: *e.Alias, Plaintext: deref(e.Plaintext)})
	}
	return out, nil
}

// hintValues maps the hint names of the list answer to the W3C values the
// store keeps.
var hintValues = map[string]string{"SecurityKey": "security-key", "ClientDevice": "client-device", "Hybrid": "hybrid"}

var userVerifications = map[string]bool{"required": true, "preferred": true, "discouraged": true}

// authConfigs returns the stored sign-in purposes; the presets the list
// adds when they were never stored are left out, as the target adds them
// the same way.
func (s *source) authConfigs(ctx context.Context) ([]store.AuthConfig, error) {
	var a authConfigListAnswer
	if err := s.c.get(ctx, "/auth-configs/list", nil, &a); err != nil {
		return nil, err
	}
	fail := func(err error) error {
		return &RequestError{Request: "GET /auth-configs/list", Status: 200, Err: err}
	}
	if a.Configurations == nil {
		return nil, fail(shapeError(`no "configurations" list`))
	}
	var out []store.AuthConfig
	for i, e := range *a.Configurations {
		c, err := e.config(s.appID)
		if err != nil {
			return nil, fail(shapeError("configuration %d: %v", i, err))
		}
		if isUnstoredPreset(c) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

func (e authConfigEntry) config(appID string) (store.AuthConfig, error) {
	if e.Purpose == nil || *e.Purpose == "" || e.UserVerificationRequirement == nil || e.TimeToLive == nil {
		return store.AuthConfig{}, errors.New("purpose, userVerificationRequirement or timeToLive missing")
	}
	uv := strings.ToLower(*e.UserVerificationRequirement)
	if !userVerifications[uv] {
		return store.AuthConfig{}, fmt.Errorf("userVerificationRequirement %q", *e.UserVerificationRequirement)
	}
	var hints []string
	for name := range strings.SplitSeq(deref(e.Hints), ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		v, ok := hintValues[name]
		if !ok {
			return store.AuthConfig{}, fmt.Errorf("unknown hint %q", name)
		}
		hints = append(hints, v)
	}
	c := store.AuthConfig{
		AppID: appID, Purpose: *e.Purpose, UserVerification: uv,
		TTL:       time.Duration(*e.TimeToLive * float64(time.Second)),
		Hints:     hints,
		CreatedBy: deref(e.CreatedBy), EditedBy: deref(e.EditedBy),
		CreatedOn: timePtr(e.CreatedOn), EditedOn: timePtr(e.EditedOn), LastUsedOn: timePtr(e.LastUsedOn),
	}
	return c, nil
}

func timePtr(t *wire.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// presetTTL is the lifetime of the sign-in and step-up presets.
const presetTTL = 120 * time.Second

func isUnstoredPreset(c store.AuthConfig) bool {
	return (c.Purpose == "sign-in" || c.Purpose == "step-up") && c.CreatedOn == nil && c.EditedOn == nil &&
		c.LastUsedOn == nil && c.EditedBy == "" && c.UserVerification == "preferred" && c.TTL == presetTTL &&
		len(c.Hints) == 0
}

// codeNotOnPlan is the errorCode of the authenticator lists when the app
// may not use attestation.
const codeNotOnPlan = "attestation_not_supported_on_plan"

// authenticators returns the allow or block list, and false when the
// app's plan has no attestation (then the lists do not exist).
func (s *source) authenticators(ctx context.Context, allowed bool) ([]store.AuthenticatorEntry, bool, error) {
	q := url.Values{"isAllowed": {fmt.Sprint(allowed)}}
	var a *[]authenticatorEntry
	onPlan := true
	err := s.c.getOr(ctx, "/authenticators/list", q, &a, func(status int, p problemBody) bool {
		onPlan = false
		return status == http.StatusForbidden && p.ErrorCode == codeNotOnPlan
	})
	if err != nil || !onPlan {
		return nil, false, err
	}
	fail := func(err error) ([]store.AuthenticatorEntry, bool, error) {
		return nil, false, &RequestError{Request: "GET /authenticators/list?" + q.Encode(), Status: 200, Err: err}
	}
	if a == nil {
		return fail(shapeError("not a list"))
	}
	out := make([]store.AuthenticatorEntry, 0, len(*a))
	for i, e := range *a {
		if e.AAGUID == nil {
			return fail(shapeError("entry %d has no aaGuid", i))
		}
		g, err := uuid.Parse(*e.AAGUID)
		if err != nil {
			return fail(shapeError("entry %d: aaGuid %q is not a GUID", i, *e.AAGUID))
		}
		entry := store.AuthenticatorEntry{AAGUID: g.String(), IsAllowed: allowed}
		if e.CreatedAt != nil {
			entry.CreatedAt = e.CreatedAt.Time
		}
		out = append(out, entry)
	}
	return out, true, nil
}

// sameCredential reports whether the target holds c as the source has it,
// to the store's microsecond precision.
func sameCredential(a, b store.Credential) bool {
	return bytes.Equal(a.ID, b.ID) && a.UserID == b.UserID && bytes.Equal(a.UserHandle, b.UserHandle) &&
		bytes.Equal(a.PublicKey, b.PublicKey) && a.SignCount == b.SignCount && a.AttestationFmt == b.AttestationFmt &&
		bytes.Equal(a.AAGUID, b.AAGUID) && closeTimes(a.CreatedAt, b.CreatedAt) && closeTimes(a.LastUsedAt, b.LastUsedAt) &&
		a.RPID == b.RPID && a.Origin == b.Origin && a.Country == b.Country && a.Device == b.Device &&
		a.Nickname == b.Nickname && a.BackupEligible == b.BackupEligible && a.BackupState == b.BackupState &&
		equalBoolPtr(a.Discoverable, b.Discoverable) && slices.Equal(a.Transports, b.Transports)
}

func closeTimes(a, b time.Time) bool { return a.Sub(b).Abs() <= time.Microsecond }

func equalBoolPtr(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
