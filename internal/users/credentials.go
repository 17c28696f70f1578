package users

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/wire"
)

// Descriptor is a credential descriptor on the wire (id in base64url).
type Descriptor struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// CredentialView is one entry of /credentials/list. Byte fields use the
// original's flavours: descriptor.id base64url, publicKey and userHandle
// standard base64.
type CredentialView struct {
	Descriptor       Descriptor `json:"descriptor"`
	PublicKey        string     `json:"publicKey"`
	UserHandle       string     `json:"userHandle"`
	SignatureCounter uint32     `json:"signatureCounter"`
	AttestationFmt   string     `json:"attestationFmt"`
	CreatedAt        string     `json:"createdAt"`
	AAGUID           *string    `json:"aaGuid"`
	LastUsedAt       string     `json:"lastUsedAt"`
	RPID             string     `json:"rpid"`
	Origin           string     `json:"origin"`
	Country          string     `json:"country"`
	Device           *string    `json:"device"`
	Nickname         *string    `json:"nickname"`
	UserID           string     `json:"userId"`
	BackupState      bool       `json:"backupState"`
	IsBackupEligible bool       `json:"isBackupEligible"`
	IsDiscoverable   *bool      `json:"isDiscoverable"`
	// AuthenticatorName is ours, not the original's: the authenticator
	// model or passkey provider, when known. The official SDKs ignore
	// members they do not know (docs/authenticator-names.md).
	AuthenticatorName string `json:"authenticatorName,omitempty"`
}

func (s *Service) credentialView(c store.Credential) CredentialView {
	v := CredentialView{
		Descriptor:       Descriptor{Type: "public-key", ID: base64.RawURLEncoding.EncodeToString(c.ID), Transports: c.Transports},
		PublicKey:        base64.StdEncoding.EncodeToString(c.PublicKey),
		UserHandle:       base64.StdEncoding.EncodeToString(c.UserHandle),
		SignatureCounter: c.SignCount,
		AttestationFmt:   c.AttestationFmt,
		CreatedAt:        wire.FormatStored(c.CreatedAt),
		LastUsedAt:       wire.FormatStored(c.LastUsedAt),
		RPID:             c.RPID,
		Origin:           c.Origin,
		Country:          c.Country,
		UserID:           c.UserID,
		BackupState:      c.BackupState,
		IsBackupEligible: c.BackupEligible,
		IsDiscoverable:   c.Discoverable,
	}
	if id, err := uuid.FromBytes(c.AAGUID); err == nil {
		text := id.String()
		v.AAGUID = &text
		if s.authenticatorName != nil {
			v.AuthenticatorName = s.authenticatorName(text)
		}
	}
	if c.Device != "" {
		v.Device = &c.Device
	}
	if c.Nickname != "" {
		v.Nickname = &c.Nickname
	}
	return v
}

// ListCredentials implements GET|POST /credentials/list. An unknown user
// has an empty list.
func (s *Service) ListCredentials(ctx context.Context, app store.App, userID string) (ListResponse[CredentialView], error) {
	if userID == "" {
		return ListResponse[CredentialView]{}, problem.Field("userId", "The UserId field is required.")
	}
	creds, err := s.store.ListCredentials(ctx, app.ID, userID)
	if err != nil {
		return ListResponse[CredentialView]{}, internal("list credentials", err)
	}
	out := make([]CredentialView, 0, len(creds))
	for _, c := range creds {
		out = append(out, s.credentialView(c))
	}
	return ListResponse[CredentialView]{Values: out}, nil
}

// UserIDRequest is a body holding only a user id.
type UserIDRequest struct {
	UserID wire.String `json:"userId"`
}

// DeleteCredentialRequest is the body of POST /credentials/delete.
type DeleteCredentialRequest struct {
	CredentialID wire.String `json:"credentialId"`
}

// DeleteCredential implements POST /credentials/delete. Deleting an id
// that does not exist succeeds (the original crashed with a 500): the
// caller's intent, that the credential be gone, holds, and retries are
// safe.
func (s *Service) DeleteCredential(ctx context.Context, app store.App, req DeleteCredentialRequest) error {
	raw := strings.TrimRight(string(req.CredentialID), "=")
	if raw == "" {
		return problem.BadRequest("", "credentialId must not be null or empty")
	}
	id, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return problem.Field("credentialId", "The credentialId must be base64url encoded.")
	}
	userID, err := s.store.DeleteCredential(ctx, app.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return internal("delete credential", err)
	}
	events.Record(ctx, events.Event{Type: events.UserDeleteCredential, PerformedBy: "System", Subject: userID,
		Message: fmt.Sprintf("Deleted credential for user %s", userID)})
	return nil
}
