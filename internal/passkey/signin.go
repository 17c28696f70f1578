package passkey

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/useragent"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

// SigninBeginRequest is the body of POST /signin/begin.
type SigninBeginRequest struct {
	UserID  wire.String  `json:"userId"`
	Alias   wire.String  `json:"alias"`
	Purpose *wire.String `json:"purpose"`
	Origin  wire.String  `json:"origin"`
	RPID    wire.String  `json:"rpid"`
}

// SigninBegin implements POST /signin/begin.
func (s *Service) SigninBegin(ctx context.Context, app store.App, req SigninBeginRequest) (SessionResponse[AssertionOptions], error) {
	var none SessionResponse[AssertionOptions]
	if err := requireOrigin(string(req.Origin)); err != nil {
		return none, err
	}
	if err := checkBeginOrigin(string(req.Origin), string(req.RPID)); err != nil {
		return none, err
	}
	userID, err := s.signinUser(ctx, app.ID, string(req.UserID), string(req.Alias))
	if err != nil {
		return none, err
	}
	allowed := []Descriptor{}
	var allowedIDs [][]byte
	if userID != "" {
		creds, err := s.store.ListCredentials(ctx, app.ID, userID)
		if err != nil {
			return none, internal("list credentials", err)
		}
		for _, c := range creds {
			allowed = append(allowed, descriptor(c.ID, c.Transports))
			allowedIDs = append(allowedIDs, c.ID)
		}
	}
	// An explicit null or "" purpose crashed the original; we treat it as
	// absent.
	cfg, err := s.configs.Resolve(ctx, app.ID, req.Purpose.String())
	if err != nil {
		return none, err
	}
	rpID := rpIDFor(string(req.RPID), string(req.Origin))
	if err := checkAllowed(app, string(req.Origin), rpID); err != nil {
		return none, err
	}
	hints := cfg.Hints
	if hints == nil {
		hints = []string{}
	}
	opts := AssertionOptions{
		Challenge:        newChallenge(),
		Timeout:          ceremonyTimeout,
		RPID:             rpID,
		AllowCredentials: allowed,
		UserVerification: cfg.UserVerification,
		Hints:            hints,
	}
	sess := sessionPayload{
		ID:               newID(),
		Ceremony:         ceremonySignin,
		ExpiresAt:        s.now().Add(sessionTTL).UTC(),
		Challenge:        opts.Challenge,
		RPID:             rpID,
		Origin:           normalizeOrigin(string(req.Origin)),
		UserVerification: cfg.UserVerification,
		AllowedIDs:       allowedIDs,
		Purpose:          cfg.Purpose,
	}
	tok, err := s.tokens.Seal(ctx, app.ID, token.Session, sess)
	if err != nil {
		return none, internal("seal session", err)
	}
	return SessionResponse[AssertionOptions]{Data: opts, Session: tok}, nil
}

// signinUser resolves the user a sign-in is for: the userId if given, else
// the alias owner, else nobody (discoverable sign-in). An unknown alias is
// not an error; it yields an empty allow list.
func (s *Service) signinUser(ctx context.Context, appID, userID, alias string) (string, error) {
	if userID != "" || alias == "" {
		return userID, nil
	}
	owner, err := s.store.AliasOwner(ctx, appID, users.HashAlias(appID, alias))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", internal("alias owner", err)
	}
	return owner, nil
}

// SigninCompleteRequest is the body of POST /signin/complete.
type SigninCompleteRequest struct {
	Session  *wire.String    `json:"session"`
	Response json.RawMessage `json:"response"`
	Origin   wire.String     `json:"origin"`
	RPID     wire.String     `json:"rpid"`
}

// SigninComplete implements POST /signin/complete.
func (s *Service) SigninComplete(ctx context.Context, app store.App, req SigninCompleteRequest, client Client) (TokenResponse, error) {
	if err := requireOrigin(string(req.Origin)); err != nil {
		return TokenResponse{}, err
	}
	sess, err := s.openSession(ctx, app.ID, req.Session, ceremonySignin)
	if err != nil {
		return TokenResponse{}, err
	}
	if err := checkAllowed(app, string(req.Origin), sess.RPID); err != nil {
		return TokenResponse{}, err
	}
	if err := sess.checkOrigin(string(req.Origin)); err != nil {
		return TokenResponse{}, err
	}
	fail := func(err error) error {
		return problem.BadRequest("signin_complete_error", webauthnMessage(err)).WithCause(err)
	}
	if len(req.Response) == 0 {
		return TokenResponse{}, fail(errors.New("response is missing"))
	}
	// The credential is looked up before the rest of the response is
	// checked, as in the original (api-spec.md §6.4), so an unknown passkey
	// is reported as such whatever else is wrong with the body. A response
	// go-webauthn can parse names its credential; one it cannot parse is
	// read for its id alone.
	parsed, parseErr := protocol.ParseCredentialRequestResponseBytes(req.Response)
	var id string
	var rawID []byte
	if parseErr == nil {
		id, rawID = parsed.ID, parsed.RawID
	} else if id, rawID, err = assertionID(req.Response); err != nil {
		return TokenResponse{}, fail(err)
	}
	var use store.CredentialUse
	check := func(cred store.Credential) (store.CredentialUse, error) {
		if parseErr != nil {
			return use, fail(parseErr)
		}
		var err error
		if use, err = verifyAssertion(sess, string(req.Origin), cred, parsed); err != nil {
			return use, fail(err)
		}
		if use.SignCount != 0 && use.SignCount <= cred.SignCount {
			if err := s.counterRegressed(app.ID, cred); err != nil {
				return use, err
			}
			use.SignCount = 0 // accepted: keep the stored counter
		}
		use.LastUsedAt = s.now().UTC()
		use.Device = useragent.Device(client.UserAgent)
		use.Country = client.Country
		return use, nil
	}
	// The session is consumed in the same transaction as the update, so a
	// refused sign-in leaves it unconsumed.
	once := &store.Once{ID: sess.ID, ExpiresAt: sess.ExpiresAt}
	cred, err := s.store.SignIn(ctx, app.ID, rawID, once, check)
	if errors.Is(err, store.ErrCounterRegression) {
		err = s.recordRegressed(ctx, app.ID, cred, use, once)
	}
	if err != nil {
		return TokenResponse{}, signInFailed(id, err)
	}
	cfg, err := s.configs.Resolve(ctx, app.ID, sess.Purpose)
	if err != nil {
		return TokenResponse{}, err
	}
	if err := s.configs.Touch(ctx, app.ID, cfg.Purpose); err != nil {
		return TokenResponse{}, err
	}
	events.Record(ctx, events.Event{Type: events.UserSignInCompleted, PerformedBy: cred.UserID,
		Message: fmt.Sprintf("User %s signed in with a passkey", cred.UserID)})
	return s.mintVerify(ctx, app.ID, verifyPayload{
		Type:         "passkey_signin",
		UserID:       cred.UserID,
		RPID:         ptr(sess.RPID), // the RP ID the assertion was verified against
		Origin:       ptr(string(req.Origin)),
		Device:       ptr(use.Device),
		Country:      ptr(use.Country),
		Nickname:     ptr(cred.Nickname),
		CredentialID: cred.ID,
		Purpose:      ptr(cfg.Purpose),
	}, cfg.TTL)
}

// assertionID reads the credential id of an assertion response that
// go-webauthn could not parse: the id member as sent and the bytes it
// encodes, so that an unknown passkey is still reported as such.
func assertionID(response json.RawMessage) (string, []byte, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(response, &r); err != nil {
		return "", nil, protocol.ErrBadRequest.WithDetails("Parse error for Assertion").WithInfo(err.Error())
	}
	if r.ID == "" {
		return "", nil, protocol.ErrBadRequest.WithDetails("CredentialAssertionResponse with ID missing")
	}
	// The same decoding as go-webauthn's, so both agree on the bytes.
	raw, err := base64.RawURLEncoding.DecodeString(r.ID)
	if err != nil || len(raw) == 0 {
		return "", nil, protocol.ErrBadRequest.WithDetails("CredentialAssertionResponse with ID not base64url encoded")
	}
	return r.ID, raw, nil
}

// MintMagicLink returns a verify token of type magic_link for userID,
// valid for ttl (used by the magic-link sender).
func (s *Service) MintMagicLink(ctx context.Context, appID, userID string, ttl time.Duration) (string, error) {
	res, err := s.mintVerify(ctx, appID, verifyPayload{Type: "magic_link", UserID: userID}, ttl)
	return res.Token, err
}

// verifyAssertion runs the WebAuthn assertion checks and returns what the
// authenticator reported: its signature counter (the counter rule is the
// caller's) and its backup flags.
func verifyAssertion(sess sessionPayload, origin string, cred store.Credential, parsed *protocol.ParsedCredentialAssertionData) (store.CredentialUse, error) {
	wa, err := newRelyingParty(sess.RPID, origin)
	if err != nil {
		return store.CredentialUse{}, err
	}
	// The original never compares the backup flags with the stored ones
	// (api-spec.md §6.4), and nothing here depends on them, so go-webauthn
	// is given the flags of this assertion: its check that the BE flag did
	// not change then passes (credentials imported without the flag keep
	// working), while its check that BS is never set without BE still
	// applies. The signature covers the flags; they are stored afterwards.
	reported := parsed.Response.AuthenticatorData.Flags
	user := webauthnUser{id: cred.UserHandle, creds: []webauthn.Credential{{
		ID:                cred.ID,
		PublicKey:         cred.PublicKey,
		AttestationFormat: cred.AttestationFmt,
		Flags:             webauthn.CredentialFlags{BackupEligible: reported.HasBackupEligible(), BackupState: reported.HasBackupState()},
		Authenticator:     webauthn.Authenticator{AAGUID: cred.AAGUID, SignCount: cred.SignCount},
	}}}
	// The browser client sends no userHandle, so the session cannot name
	// the user; the credential found by id does.
	data := webauthn.SessionData{
		Challenge:            sess.Challenge,
		RelyingPartyID:       sess.RPID,
		UserID:               cred.UserHandle,
		AllowedCredentialIDs: sess.AllowedIDs,
		UserVerification:     protocol.UserVerificationRequirement(sess.UserVerification),
	}
	if len(data.AllowedCredentialIDs) > 0 && !containsID(data.AllowedCredentialIDs, cred.ID) {
		return store.CredentialUse{}, protocol.ErrBadRequest.WithDetails("Credential ID not in allowed credentials")
	}
	// Only the allowed id that belongs to this credential matters to the
	// library's ownership check, which would otherwise reject lists that
	// name several users' credentials (alias sign-in never does, but a
	// stale list might).
	if len(data.AllowedCredentialIDs) > 0 {
		data.AllowedCredentialIDs = [][]byte{cred.ID}
	}
	if _, err := wa.ValidateLogin(user, data, parsed); err != nil {
		return store.CredentialUse{}, err
	}
	// go-webauthn only flags a regressed counter; the rule is applied by
	// the caller and, atomically, by the store.
	return store.CredentialUse{
		SignCount:      parsed.Response.AuthenticatorData.Counter,
		BackupEligible: reported.HasBackupEligible(),
		BackupState:    reported.HasBackupState(),
	}, nil
}

// counterRegressed applies the policy for a signature counter that did not
// grow (api-spec.md §6.4: 0 means "no counter" and is always fine). By
// default the sign-in is refused, since the credential may have been
// cloned; with AllowCounterRegression it is logged and accepted.
func (s *Service) counterRegressed(appID string, cred store.Credential) error {
	if !s.allowCounterRegression {
		return problem.BadRequest("signin_complete_error", "SignCount must be greater than the current SignatureCounter")
	}
	s.log.Warn("signature counter did not increase; accepted by policy", "app", appID, "user", cred.UserID)
	return nil
}

// recordRegressed handles a sign-in whose counter a concurrent sign-in
// with the same credential raised between the check and the write: the
// counter policy applies to it as to any other, and if it accepts, the use
// is recorded keeping the stored counter. The refused write was rolled
// back, once included, so the retry passes the same once again.
func (s *Service) recordRegressed(ctx context.Context, appID string, cred store.Credential, use store.CredentialUse, once *store.Once) error {
	if err := s.counterRegressed(appID, cred); err != nil {
		return err
	}
	use.SignCount = 0
	return s.store.RecordCredentialUse(ctx, appID, cred.ID, use, once)
}

// signInFailed turns a failure of the sign-in's storage step into its
// problem; problems (from the checks) pass through.
func signInFailed(credentialID string, err error) error {
	var p *problem.Problem
	switch {
	case errors.As(err, &p):
		return err
	case errors.Is(err, store.ErrAlreadyUsed):
		return sessionUsed(err)
	case errors.Is(err, store.ErrNotFound):
		p := problem.BadRequest("unknown_credential", "We don't recognize the passkey you sent us.")
		p.Extra = map[string]any{"credentialId": credentialID}
		return p
	}
	return internal("record credential use", err)
}

func containsID(ids [][]byte, id []byte) bool {
	for _, x := range ids {
		if bytes.Equal(x, id) {
			return true
		}
	}
	return false
}

// verifyPayload is the content of a verify_ token.
type verifyPayload struct {
	ID           string    `json:"id"`
	ExpiresAt    time.Time `json:"exp"`
	Timestamp    time.Time `json:"ts"`
	Type         string    `json:"typ"`
	UserID       string    `json:"uid"`
	RPID         *string   `json:"rp,omitempty"`
	Origin       *string   `json:"o,omitempty"`
	Device       *string   `json:"d,omitempty"`
	Country      *string   `json:"c,omitempty"`
	Nickname     *string   `json:"n,omitempty"`
	CredentialID []byte    `json:"cid,omitempty"`
	Purpose      *string   `json:"p,omitempty"`
}

func (s *Service) mintVerify(ctx context.Context, appID string, p verifyPayload, ttl time.Duration) (TokenResponse, error) {
	now := s.now().UTC()
	p.ID = newID()
	p.Timestamp = now
	p.ExpiresAt = now.Add(ttl)
	tok, err := s.tokens.Seal(ctx, appID, token.Verify, p)
	if err != nil {
		return TokenResponse{}, internal("seal verify token", err)
	}
	return TokenResponse{Token: tok}, nil
}

// VerifyRequest is the body of POST /signin/verify.
type VerifyRequest struct {
	Token *wire.String `json:"token"`
}

// VerifiedUser is the body returned by POST /signin/verify; every member is
// always present, null when it does not apply.
type VerifiedUser struct {
	UserID       string  `json:"userId"`
	Timestamp    string  `json:"timestamp"`
	RPID         *string `json:"rpId"`
	Origin       *string `json:"origin"`
	Success      bool    `json:"success"`
	Device       *string `json:"device"`
	Country      *string `json:"country"`
	Nickname     *string `json:"nickname"`
	CredentialID *string `json:"credentialId"`
	Purpose      *string `json:"purpose"`
	ExpiresAt    string  `json:"expiresAt"`
	TokenID      string  `json:"tokenId"`
	Type         string  `json:"type"`
}

// Verify implements POST /signin/verify. Unlike the original server a
// token verifies only once.
func (s *Service) Verify(ctx context.Context, app store.App, req VerifyRequest) (VerifiedUser, error) {
	var p verifyPayload
	if err := s.tokens.Open(ctx, app.ID, token.Verify, (*string)(req.Token), &p); err != nil {
		return VerifiedUser{}, err
	}
	if err := s.expired(p.ExpiresAt); err != nil {
		return VerifiedUser{}, err
	}
	if err := s.store.ConsumeOnce(ctx, app.ID, p.ID, p.ExpiresAt); err != nil {
		if errors.Is(err, store.ErrAlreadyUsed) {
			return VerifiedUser{}, problem.BadRequest("invalid_token", "The token has already been used.").WithCause(err)
		}
		return VerifiedUser{}, internal("consume verify token", err)
	}
	events.Record(ctx, events.Event{Type: events.UserSignInVerified, PerformedBy: p.UserID,
		Message: fmt.Sprintf("Verified sign-in token of type %s for user %s", p.Type, p.UserID)})
	v := VerifiedUser{
		UserID:    p.UserID,
		Timestamp: wire.FormatZ(p.Timestamp),
		RPID:      p.RPID,
		Origin:    p.Origin,
		Success:   true,
		Device:    p.Device,
		Country:   p.Country,
		Nickname:  p.Nickname,
		Purpose:   p.Purpose,
		ExpiresAt: wire.FormatZ(p.ExpiresAt),
		TokenID:   p.ID,
		Type:      p.Type,
	}
	if p.CredentialID != nil {
		v.CredentialID = ptr(base64.StdEncoding.EncodeToString(p.CredentialID))
	}
	return v, nil
}

// GenerateTokenRequest is the body of POST /signin/generate-token.
type GenerateTokenRequest struct {
	UserID     wire.String  `json:"userId"`
	TimeToLive *wire.Int    `json:"timeToLive"`
	Purpose    *wire.String `json:"purpose"`
	Origin     *wire.String `json:"origin"`
	RPID       *wire.String `json:"rpid"`
}

const (
	defaultGeneratedTTL = 120
	maxTokenTTL         = 604800 // 7 days, in seconds
)

// GenerateToken implements POST /signin/generate-token.
func (s *Service) GenerateToken(ctx context.Context, app store.App, req GenerateTokenRequest) (TokenResponse, error) {
	errs := map[string][]string{}
	if req.UserID == "" {
		errs["userId"] = []string{"The UserId field is required."}
	}
	ttl := int64(defaultGeneratedTTL)
	if req.TimeToLive != nil {
		ttl = int64(*req.TimeToLive)
	}
	if ttl < 1 || ttl > maxTokenTTL {
		errs["timeToLive"] = []string{"The field TimeToLive must be between 1 and 604800."}
	}
	if len(errs) > 0 {
		return TokenResponse{}, problem.Validation(errs)
	}
	if !app.Features.GenerateSignInTokenEnabled {
		return TokenResponse{}, problem.New(http.StatusForbidden, "", "The 'POST /signin/generate-token' endpoint is disabled")
	}
	purpose := authconfig.SignIn
	if p := req.Purpose.String(); p != "" {
		purpose = p
	}
	return s.mintVerify(ctx, app.ID, verifyPayload{
		Type:    "generated_signin",
		UserID:  string(req.UserID),
		RPID:    (*string)(req.RPID),
		Origin:  (*string)(req.Origin),
		Purpose: ptr(purpose),
	}, time.Duration(ttl)*time.Second)
}
