package passkey

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/useragent"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

// Limits of /register/token (api-spec.md §4.2, §7).
const (
	maxHints        = 3
	maxNicknameRune = 64
)

// RegisterTokenRequest is the body of POST /register/token.
type RegisterTokenRequest struct {
	UserID            *wire.String   `json:"userId"`
	Username          *wire.String   `json:"username"`
	DisplayName       *wire.String   `json:"displayName"`
	Attestation       *wire.String   `json:"attestation"`
	AuthenticatorType *wire.String   `json:"authenticatorType"`
	Discoverable      *bool          `json:"discoverable"`
	UserVerification  *wire.String   `json:"userVerification"`
	Aliases           []*wire.String `json:"aliases"`
	AliasHashing      *bool          `json:"aliasHashing"`
	Hints             []wire.String  `json:"hints"`
	ExpiresAt         *wire.Time     `json:"expiresAt"`
	TokenID           *wire.String   `json:"tokenId"`
	Type              *wire.String   `json:"type"`
}

// registerPayload is the content of a register_ token: every option the
// backend chose, carried to /register/begin.
type registerPayload struct {
	ExpiresAt         time.Time `json:"exp"`
	TokenID           string    `json:"tid,omitempty"`
	Type              string    `json:"typ,omitempty"`
	UserID            string    `json:"uid"`
	Username          string    `json:"un"`
	DisplayName       string    `json:"dn,omitempty"`
	Attestation       string    `json:"att"`
	AuthenticatorType string    `json:"at,omitempty"`
	Discoverable      bool      `json:"disc"`
	UserVerification  string    `json:"uv"`
	Aliases           []string  `json:"al,omitempty"`
	AliasHashing      bool      `json:"ah"`
	Hints             []string  `json:"h,omitempty"`
}

// sessionPayload is the content of a session_ token: what begin decided
// and complete verifies against.
type sessionPayload struct {
	ID               string    `json:"id"`
	Ceremony         string    `json:"c"`
	ExpiresAt        time.Time `json:"exp"`
	Challenge        string    `json:"ch"`
	RPID             string    `json:"rp"`
	UserID           string    `json:"uid,omitempty"`
	UserVerification string    `json:"uv"`
	AllowedIDs       [][]byte  `json:"allow,omitempty"`
	Attestation      string    `json:"att,omitempty"`
	Aliases          []string  `json:"al,omitempty"`
	AliasHashing     bool      `json:"ah,omitempty"`
	Purpose          string    `json:"p,omitempty"`
	Origin           string    `json:"o,omitempty"` // see checkOrigin
}

const (
	ceremonyRegister = "register"
	ceremonySignin   = "signin"
)

// RegisterToken implements POST /register/token.
func (s *Service) RegisterToken(ctx context.Context, app store.App, req RegisterTokenRequest) (TokenResponse, error) {
	p, err := s.validateRegisterToken(app, req)
	if err != nil {
		return TokenResponse{}, err
	}
	if err := s.checkUserLimit(ctx, app, p.UserID); err != nil {
		return TokenResponse{}, err
	}
	if err := s.checkAliasesFree(ctx, app.ID, p.UserID, p.Aliases); err != nil {
		return TokenResponse{}, err
	}
	tok, err := s.tokens.Seal(ctx, app.ID, token.Register, p)
	if err != nil {
		return TokenResponse{}, internal("seal register token", err)
	}
	events.Record(ctx, events.Event{Type: events.UserRegistered, PerformedBy: p.UserID,
		Message: fmt.Sprintf("Created registration token for %s", p.UserID)})
	return TokenResponse{Token: tok}, nil
}

func (s *Service) validateRegisterToken(app store.App, req RegisterTokenRequest) (registerPayload, error) {
	errs := map[string][]string{}
	userID, username := req.UserID.String(), req.Username.String()
	if userID == "" {
		errs["userId"] = append(errs["userId"], "The UserId field is required.")
	} else if len(userID) > users.MaxUserIDBytes {
		errs["userId"] = append(errs["userId"], users.UserIDTooLong)
	}
	if username == "" {
		errs["username"] = append(errs["username"], "The Username field is required.")
	}
	aliases, aliasErr := users.NormalizeAliases(req.Aliases)
	if aliasErr != "" {
		errs["aliases"] = []string{aliasErr}
	}
	hints, hintErr := normalizeHints(req.Hints)
	if hintErr != "" {
		errs["hints"] = []string{hintErr}
	}
	if len(errs) > 0 {
		return registerPayload{}, problem.Validation(errs)
	}
	attestation, err := checkAttestation(app, req.Attestation.String())
	if err != nil {
		return registerPayload{}, err
	}
	p := registerPayload{
		ExpiresAt:        s.now().Add(defaultRegisterTokenTTL).UTC(),
		TokenID:          req.TokenID.String(),
		Type:             req.Type.String(),
		UserID:           userID,
		Username:         username,
		DisplayName:      req.DisplayName.String(),
		Attestation:      attestation,
		Discoverable:     req.Discoverable == nil || *req.Discoverable,
		UserVerification: "preferred",
		Aliases:          aliases,
		AliasHashing:     req.AliasHashing == nil || *req.AliasHashing,
		Hints:            hints,
	}
	if req.ExpiresAt != nil {
		p.ExpiresAt = req.ExpiresAt.UTC()
	}
	// The original accepts anything here and fails later at
	// /register/begin; checking now tells the backend developer at once.
	if p.AuthenticatorType, err = parseAttachment(req.AuthenticatorType.String()); err != nil {
		return registerPayload{}, err
	}
	if uv := req.UserVerification.String(); uv != "" {
		if p.UserVerification, err = parseUserVerification(uv); err != nil {
			return registerPayload{}, err
		}
	}
	return p, nil
}

func normalizeHints(in []wire.String) ([]string, string) {
	if len(in) > maxHints {
		return nil, "The field Hints must be a string or array type with a maximum length of '3'."
	}
	out := make([]string, 0, len(in))
	for _, h := range in {
		v := strings.ToLower(string(h))
		if !slices.Contains(hintValues, v) {
			return nil, fmt.Sprintf("The value '%s' is not a valid hint. Use security-key, client-device or hybrid.", h)
		}
		out = append(out, v)
	}
	return out, ""
}

// checkAttestation applies the original rules: none (any case, or empty),
// direct or indirect (exact lower case, and only on apps that allow
// attestation).
func checkAttestation(app store.App, v string) (string, error) {
	switch {
	case v == "" || strings.EqualFold(v, "none"):
		return "none", nil
	case v == "direct" || v == "indirect":
		if !app.Features.AllowAttestation {
			return "", problem.BadRequest("attestation_not_supported_on_plan", "Attestation type not supported on your plan")
		}
		return v, nil
	}
	return "", problem.BadRequest("invalid_attestation", "Attestation type not supported")
}

// parseAttachment maps authenticatorType to the WebAuthn attachment ("" for
// any). It accepts the W3C values in any case and the .NET enum names.
func parseAttachment(v string) (string, error) {
	switch strings.ToLower(v) {
	case "", "any":
		return "", nil
	case "platform":
		return "platform", nil
	case "cross-platform", "crossplatform":
		return "cross-platform", nil
	}
	return "", problem.BadRequest("invalid_argument", fmt.Sprintf("Value '%s' is not a valid authenticatorType. Use any, platform or cross-platform.", v))
}

func parseUserVerification(v string) (string, error) {
	switch l := strings.ToLower(v); l {
	case "required", "preferred", "discouraged":
		return l, nil
	}
	return "", problem.BadRequest("invalid_argument", fmt.Sprintf("Value '%s' is not a valid userVerification. Use required, preferred or discouraged.", v))
}

// checkUserLimit enforces the app's MaxUsers for users without credentials.
func (s *Service) checkUserLimit(ctx context.Context, app store.App, userID string) error {
	if app.Features.MaxUsers == nil {
		return nil
	}
	creds, err := s.store.ListCredentials(ctx, app.ID, userID)
	if err != nil {
		return internal("list credentials", err)
	}
	if len(creds) > 0 {
		return nil
	}
	n, err := s.store.CountUsers(ctx, app.ID)
	if err != nil {
		return internal("count users", err)
	}
	if n >= *app.Features.MaxUsers {
		return problem.BadRequest("max_users_reached", "Maximum number of users reached")
	}
	return nil
}

// checkAliasesFree returns alias_conflict if an alias belongs to another
// user. Nothing is written; the aliases are applied at /register/complete.
func (s *Service) checkAliasesFree(ctx context.Context, appID, userID string, aliases []string) error {
	for _, a := range aliases {
		owner, err := s.store.AliasOwner(ctx, appID, users.HashAlias(appID, a))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return internal("alias owner", err)
		case owner != userID:
			return users.AliasConflict()
		}
	}
	return nil
}

// RegisterBeginRequest is the body of POST /register/begin.
type RegisterBeginRequest struct {
	Token  *wire.String `json:"token"`
	Origin wire.String  `json:"origin"`
	RPID   wire.String  `json:"rpid"`
}

// RegisterBegin implements POST /register/begin.
func (s *Service) RegisterBegin(ctx context.Context, app store.App, req RegisterBeginRequest) (SessionResponse[CreationOptions], error) {
	var none SessionResponse[CreationOptions]
	var rt registerPayload
	if err := s.tokens.Open(ctx, app.ID, token.Register, (*string)(req.Token), &rt); err != nil {
		return none, err
	}
	if err := s.expired(rt.ExpiresAt); err != nil {
		return none, err
	}
	if err := requireOrigin(string(req.Origin)); err != nil {
		return none, err
	}
	if err := checkBeginOrigin(string(req.Origin), string(req.RPID)); err != nil {
		return none, err
	}
	if rt.UserID == "" {
		return none, problem.BadRequest("missing_userid", "The token does not contain a valid userId")
	}
	// The plan may have changed since the token was minted.
	if _, err := checkAttestation(app, rt.Attestation); err != nil {
		return none, err
	}
	existing, err := s.store.ListCredentials(ctx, app.ID, rt.UserID)
	if err != nil {
		return none, internal("list credentials", err)
	}
	rpID := rpIDFor(string(req.RPID), string(req.Origin))
	if err := checkAllowed(app, string(req.Origin), rpID); err != nil {
		return none, err
	}
	opts := creationOptions(rt, rpID, existing)
	sess := sessionPayload{
		ID:               newID(),
		Ceremony:         ceremonyRegister,
		ExpiresAt:        s.now().Add(sessionTTL).UTC(),
		Challenge:        opts.Challenge,
		RPID:             rpID,
		Origin:           normalizeOrigin(string(req.Origin)),
		UserID:           rt.UserID,
		UserVerification: rt.UserVerification,
		Attestation:      rt.Attestation,
		Aliases:          rt.Aliases,
		AliasHashing:     rt.AliasHashing,
	}
	tok, err := s.tokens.Seal(ctx, app.ID, token.Session, sess)
	if err != nil {
		return none, internal("seal session", err)
	}
	events.Record(ctx, events.Event{Type: events.PasskeyRegistrationBegan, PerformedBy: rt.UserID,
		Message: fmt.Sprintf("Began passkey registration for user %s", rt.UserID)})
	return SessionResponse[CreationOptions]{Data: opts, Session: tok}, nil
}

func creationOptions(rt registerPayload, rpID string, existing []store.Credential) CreationOptions {
	displayName := rt.DisplayName
	if displayName == "" {
		displayName = rt.Username
	}
	residentKey := "discouraged"
	if rt.Discoverable {
		residentKey = "required"
	}
	exclude := make([]Descriptor, 0, len(existing))
	for _, c := range existing {
		exclude = append(exclude, descriptor(c.ID, c.Transports))
	}
	hints := rt.Hints
	if hints == nil {
		hints = []string{}
	}
	return CreationOptions{
		RP:                 relyingParty{ID: rpID, Name: rpID},
		User:               userEntity{Name: rt.Username, ID: base64.RawURLEncoding.EncodeToString([]byte(rt.UserID)), DisplayName: displayName},
		Challenge:          newChallenge(),
		PubKeyCredParams:   credentialParameters(),
		Timeout:            ceremonyTimeout,
		Attestation:        rt.Attestation,
		AttestationFormats: []string{},
		AuthenticatorSelection: authenticatorSelection{
			AuthenticatorAttachment: attachmentFor(rt.AuthenticatorType, rt.Hints),
			ResidentKey:             residentKey,
			RequireResidentKey:      rt.Discoverable,
			UserVerification:        rt.UserVerification,
		},
		Hints:              hints,
		ExcludeCredentials: exclude,
		Extensions:         map[string]any{"credProps": true},
	}
}

// attachmentFor applies the original rule: the first hint overrides the
// requested attachment.
func attachmentFor(requested string, hints []string) string {
	if len(hints) == 0 {
		return requested
	}
	if hints[0] == "client-device" {
		return "platform"
	}
	return "cross-platform"
}

func newChallenge() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RegisterCompleteRequest is the body of POST /register/complete. Response
// is the PublicKeyCredential JSON exactly as the browser client sent it;
// go-webauthn parses it (member names are matched case-insensitively, so
// the client's "AttestationObject"/"clientDataJson" spellings work).
type RegisterCompleteRequest struct {
	Session  *wire.String    `json:"session"`
	Response json.RawMessage `json:"response"`
	Nickname wire.String     `json:"nickname"`
	Origin   wire.String     `json:"origin"`
	RPID     wire.String     `json:"rpid"`
}

// RegisterComplete implements POST /register/complete.
func (s *Service) RegisterComplete(ctx context.Context, app store.App, req RegisterCompleteRequest, client Client) (TokenResponse, error) {
	if utf8.RuneCountInString(string(req.Nickname)) > maxNicknameRune {
		return TokenResponse{}, problem.Field("nickname", "Nickname cannot be longer than 64 characters.")
	}
	sess, err := s.openSession(ctx, app.ID, req.Session, ceremonyRegister)
	if err != nil {
		return TokenResponse{}, err
	}
	if err := requireOrigin(string(req.Origin)); err != nil {
		return TokenResponse{}, err
	}
	if err := checkAllowed(app, string(req.Origin), sess.RPID); err != nil {
		return TokenResponse{}, err
	}
	if err := sess.checkOrigin(string(req.Origin)); err != nil {
		return TokenResponse{}, err
	}
	cred, err := s.verifyAttestation(sess, req)
	if err != nil {
		return TokenResponse{}, err
	}
	if s.policy != nil {
		if err := s.policy.CheckRegistration(ctx, app, cred.Authenticator.AAGUID, sess.Attestation); err != nil {
			return TokenResponse{}, err
		}
	}
	now := s.now().UTC()
	stored := store.Credential{
		AppID:          app.ID,
		ID:             cred.ID,
		UserID:         sess.UserID,
		UserHandle:     []byte(sess.UserID),
		PublicKey:      cred.PublicKey,
		SignCount:      cred.Authenticator.SignCount,
		AttestationFmt: cred.AttestationFormat,
		AAGUID:         cred.Authenticator.AAGUID,
		CreatedAt:      now,
		LastUsedAt:     now,
		RPID:           sess.RPID,
		Origin:         string(req.Origin),
		Country:        client.Country,
		Device:         useragent.Device(client.UserAgent),
		Nickname:       string(req.Nickname),
		BackupEligible: cred.Flags.BackupEligible,
		BackupState:    cred.Flags.BackupState,
		Discoverable:   credPropsRK(req.Response),
		Transports:     transports(cred),
	}
	// The session is consumed in the same transaction as the write, so a
	// refused registration leaves it unconsumed.
	once := &store.Once{ID: sess.ID, ExpiresAt: sess.ExpiresAt}
	switch err := s.store.AddCredential(ctx, stored, users.StoredAliases(app.ID, sess.Aliases, sess.AliasHashing), once); {
	case errors.Is(err, store.ErrAlreadyUsed):
		return TokenResponse{}, sessionUsed(err)
	case errors.Is(err, store.ErrConflict):
		return TokenResponse{}, problem.BadRequest("fido2_invalid_registration", "CredentialId is not unique to this user")
	case errors.Is(err, store.ErrAliasConflict):
		return TokenResponse{}, users.AliasConflict()
	case err != nil:
		return TokenResponse{}, internal("add credential", err)
	}
	msg := fmt.Sprintf("Completed passkey registration for user %s", sess.UserID)
	// The AAGUID lets the console name the authenticator in the event log.
	if id, err := uuid.FromBytes(stored.AAGUID); err == nil && id != uuid.Nil {
		msg += " with authenticator " + id.String()
	}
	events.Record(ctx, events.Event{Type: events.PasskeyRegistrationCompleted, PerformedBy: sess.UserID, Message: msg})
	return s.mintVerify(ctx, app.ID, verifyPayload{
		Type:         "passkey_register",
		UserID:       sess.UserID,
		RPID:         ptr(sess.RPID),
		Origin:       ptr(string(req.Origin)),
		Device:       ptr(stored.Device),
		Country:      ptr(stored.Country),
		Nickname:     ptr(stored.Nickname),
		CredentialID: stored.ID,
	}, registerVerifyTTL)
}

// openSession opens a session token of the given ceremony and checks that
// it has not expired.
func (s *Service) openSession(ctx context.Context, appID string, tok *wire.String, ceremony string) (sessionPayload, error) {
	var sess sessionPayload
	if err := s.tokens.Open(ctx, appID, token.Session, (*string)(tok), &sess); err != nil {
		return sess, err
	}
	if sess.Ceremony != ceremony {
		return sess, problem.BadRequest("invalid_token", fmt.Sprintf("The session was begun for a different ceremony (%s).", sess.Ceremony))
	}
	if err := s.expired(sess.ExpiresAt); err != nil {
		return sess, err
	}
	return sess, nil
}

// checkOrigin refuses to complete a ceremony from another origin than the
// one it was begun from (both normalised). Without it, a session begun by
// a page on one origin could be completed with a response the browser made
// for another, and the verify token would report that other origin.
// Sessions sealed before the origin was recorded in them (Origin empty)
// are let through, so that ceremonies in flight survive an upgrade.
func (sess sessionPayload) checkOrigin(origin string) error {
	if sess.Origin == "" || normalizeOrigin(origin) == sess.Origin {
		return nil
	}
	return problem.BadRequest("origin_mismatch", fmt.Sprintf(
		"The origin '%s' is not the origin the ceremony was begun from ('%s'). Complete it from the page that began it.", origin, sess.Origin))
}

func sessionUsed(err error) error {
	if errors.Is(err, store.ErrAlreadyUsed) {
		return problem.BadRequest("invalid_token", "The session has already been used. Begin a new ceremony.")
	}
	return internal("consume session", err)
}

// verifyAttestation runs the WebAuthn registration checks against the
// session. Origin comes from the completing request, as in the original.
func (s *Service) verifyAttestation(sess sessionPayload, req RegisterCompleteRequest) (*webauthn.Credential, error) {
	fail := func(err error) error {
		return problem.BadRequest("fido2_invalid_registration", webauthnMessage(err)).WithCause(err)
	}
	if len(req.Response) == 0 {
		return nil, fail(errors.New("response is missing"))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Response)
	if err != nil {
		return nil, fail(err)
	}
	wa, err := newRelyingParty(sess.RPID, string(req.Origin))
	if err != nil {
		return nil, fail(err)
	}
	data := webauthn.SessionData{
		Challenge:        sess.Challenge,
		RelyingPartyID:   sess.RPID,
		UserID:           []byte(sess.UserID),
		UserVerification: protocol.UserVerificationRequirement(sess.UserVerification),
		CredParams:       sessionCredParams(),
		Extensions:       protocol.SessionExtensions{Requested: []string{"credProps"}},
	}
	cred, err := wa.CreateCredential(webauthnUser{id: []byte(sess.UserID)}, data, parsed)
	if err != nil {
		return nil, fail(err)
	}
	return cred, nil
}

func transports(cred *webauthn.Credential) []string {
	out := make([]string, 0, len(cred.Transport))
	for _, t := range cred.Transport {
		out = append(out, string(t))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
