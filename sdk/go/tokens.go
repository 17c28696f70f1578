package passwordless

import (
	"context"
	"time"
)

// RegisterOptions are the settings of a registration token: who registers
// a passkey, and how.
type RegisterOptions struct {
	// UserID is the backend's stable identifier of the user (required; at
	// most 64 bytes, the WebAuthn limit). It becomes the passkey's user handle.
	UserID string `json:"userId"`
	// Username is shown by the authenticator (required), e.g. an e-mail address.
	Username string `json:"username"`
	// DisplayName is shown by the authenticator; default: Username.
	DisplayName string `json:"displayName,omitempty"`
	// Attestation is "none" (default), "direct" or "indirect"; the latter
	// two need the app's attestation feature.
	Attestation string `json:"attestation,omitempty"`
	// AuthenticatorType is "any" (default), "platform" or "cross-platform".
	AuthenticatorType string `json:"authenticatorType,omitempty"`
	// Discoverable asks for a discoverable credential (default true).
	Discoverable *bool `json:"discoverable,omitempty"`
	// UserVerification is "required", "preferred" (default) or "discouraged".
	UserVerification string `json:"userVerification,omitempty"`
	// Aliases replace the user's aliases when the registration completes
	// (at most 10, each at most 250 characters).
	Aliases []string `json:"aliases,omitempty"`
	// AliasHashing stores aliases hashed only (default true); false also
	// keeps the plain text, which ListUsers and ListAliases then return.
	AliasHashing *bool `json:"aliasHashing,omitempty"`
	// Hints are WebAuthn hints: "security-key", "client-device", "hybrid".
	Hints []string `json:"hints,omitempty"`
	// ExpiresAt is when the token expires (default: in 120 seconds).
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// tokenResponse is the answer of the endpoints that mint a token.
type tokenResponse struct {
	Token string `json:"token"`
}

// CreateRegisterToken returns a "register_…" token for the browser
// client's register call.
func (c *Client) CreateRegisterToken(ctx context.Context, opts RegisterOptions) (string, error) {
	var res tokenResponse
	if err := c.post(ctx, "/register/token", opts, &res); err != nil {
		return "", err
	}
	return res.Token, nil
}

// VerifiedUser is what a verify token says about a completed sign-in (or
// registration, magic link or generated token).
type VerifiedUser struct {
	// Success is always true: failures are errors.
	Success bool   `json:"success"`
	UserID  string `json:"userId"`
	// Timestamp is when the token was minted, ExpiresAt when it expires.
	Timestamp Time `json:"timestamp"`
	ExpiresAt Time `json:"expiresAt"`
	// RPID and Origin are those the browser used; check them against your
	// site's. Empty for magic links.
	RPID   string `json:"rpId"`
	Origin string `json:"origin"`
	// Device and Country describe the browser that completed the ceremony.
	Device  string `json:"device"`
	Country string `json:"country"`
	// Nickname is the nickname of the passkey used.
	Nickname string `json:"nickname"`
	// CredentialID is the passkey's id in standard base64 (empty for
	// magic links and generated tokens).
	CredentialID string `json:"credentialId"`
	// Purpose is the sign-in purpose ("sign-in", "step-up", …).
	Purpose string `json:"purpose"`
	// TokenID identifies the verify token.
	TokenID string `json:"tokenId"`
	// Type is "passkey_signin", "passkey_register", "generated_signin" or
	// "magic_link".
	Type string `json:"type"`
}

// VerifyToken checks a "verify_…" token returned by the browser client
// and says whom it signs in. An invalid, used or expired token is a
// *Problem ("invalid_token", "expired_token", …).
func (c *Client) VerifyToken(ctx context.Context, token string) (*VerifiedUser, error) {
	var res VerifiedUser
	if err := c.post(ctx, "/signin/verify", struct {
		Token string `json:"token"`
	}{token}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// GenerateTokenOptions are the settings of a verify token minted without
// a passkey ceremony (account recovery, links of your own).
type GenerateTokenOptions struct {
	// UserID is the user the token signs in (required).
	UserID string `json:"userId"`
	// TimeToLive is the token's lifetime (default 120 s; at most 7 days),
	// sent in whole seconds.
	TimeToLive time.Duration `json:"-"`
	// Purpose is reported by VerifyToken (default "sign-in").
	Purpose string `json:"purpose,omitempty"`
	// Origin and RPID are copied into the token.
	Origin string `json:"origin,omitempty"`
	RPID   string `json:"rpid,omitempty"`
}

// GenerateToken mints a "verify_…" token for a user without a ceremony.
// The app can turn this endpoint off (SetFeatures), which makes it a 403
// *Problem.
func (c *Client) GenerateToken(ctx context.Context, opts GenerateTokenOptions) (string, error) {
	body := struct {
		GenerateTokenOptions
		TimeToLive int64 `json:"timeToLive,omitempty"`
	}{opts, seconds(opts.TimeToLive)}
	var res tokenResponse
	if err := c.post(ctx, "/signin/generate-token", body, &res); err != nil {
		return "", err
	}
	return res.Token, nil
}

// seconds rounds d to whole seconds, up, so a positive duration never
// becomes 0 (which the API would refuse).
func seconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
