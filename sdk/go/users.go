package passwordless

import (
	"context"
	"net/url"
)

// listResponse is the {"values": [...]} wrapper of the list endpoints.
type listResponse[T any] struct {
	Values []T `json:"values"`
}

// userIDRequest is the body of the endpoints that take only a user id.
type userIDRequest struct {
	UserID string `json:"userId"`
}

// SetAliases replaces all aliases of a user (an empty list removes them).
// Aliases let a user sign in with a name such as an e-mail address. An
// alias of another user is a 409 "alias_conflict" *Problem. hashed false
// also stores the plain text, which ListAliases and ListUsers then show.
func (c *Client) SetAliases(ctx context.Context, userID string, aliases []string, hashed bool) error {
	if aliases == nil {
		aliases = []string{} // null is refused; [] clears
	}
	return c.post(ctx, "/alias", struct {
		UserID  string   `json:"userId"`
		Aliases []string `json:"aliases"`
		Hashing bool     `json:"hashing"`
	}{userID, aliases, hashed}, nil)
}

// Alias is one alias of a user.
type Alias struct {
	UserID string `json:"userId"`
	// Hash is the stored hash of the alias (standard base64).
	Hash string `json:"alias"`
	// Plaintext is the alias itself when it was stored unhashed, else "".
	Plaintext string `json:"plaintext"`
	// Tenant is the application id.
	Tenant string `json:"tenant"`
}

// ListAliases returns the aliases of a user.
func (c *Client) ListAliases(ctx context.Context, userID string) ([]Alias, error) {
	var res listResponse[Alias]
	if err := c.get(ctx, "/alias/list", url.Values{"userId": {userID}}, &res); err != nil {
		return nil, err
	}
	return res.Values, nil
}

// Descriptor identifies a credential.
type Descriptor struct {
	Type string `json:"type"`
	// ID is the credential id, base64url without padding; pass it to
	// DeleteCredential.
	ID         string   `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// Credential is a passkey of a user.
type Credential struct {
	Descriptor Descriptor `json:"descriptor"`
	// PublicKey is the COSE key, UserHandle the user handle, both in
	// standard base64.
	PublicKey        string `json:"publicKey"`
	UserHandle       string `json:"userHandle"`
	SignatureCounter uint32 `json:"signatureCounter"`
	AttestationFmt   string `json:"attestationFmt"`
	CreatedAt        Time   `json:"createdAt"`
	LastUsedAt       Time   `json:"lastUsedAt"`
	// AAGUID identifies the authenticator model (may be empty or all zero).
	AAGUID string `json:"aaGuid"`
	// AuthenticatorName is the name of the authenticator model or passkey
	// provider ("iCloud Keychain", "YubiKey 5 Series"), when the server
	// knows it. Only this server sends it; empty from Passwordless.dev.
	AuthenticatorName string `json:"authenticatorName,omitempty"`
	RPID              string `json:"rpid"`
	Origin            string `json:"origin"`
	Country           string `json:"country"`
	Device            string `json:"device"`
	Nickname          string `json:"nickname"`
	UserID            string `json:"userId"`
	BackupState       bool   `json:"backupState"`
	IsBackupEligible  bool   `json:"isBackupEligible"`
	IsDiscoverable    bool   `json:"isDiscoverable"`
}

// ListCredentials returns the passkeys of a user (none for an unknown user).
func (c *Client) ListCredentials(ctx context.Context, userID string) ([]Credential, error) {
	var res listResponse[Credential]
	if err := c.get(ctx, "/credentials/list", url.Values{"userId": {userID}}, &res); err != nil {
		return nil, err
	}
	return res.Values, nil
}

// DeleteCredential deletes a passkey, given its Descriptor.ID.
func (c *Client) DeleteCredential(ctx context.Context, credentialID string) error {
	return c.post(ctx, "/credentials/delete", struct {
		CredentialID string `json:"credentialId"`
	}{credentialID}, nil)
}

// UserSummary is one user of the application.
type UserSummary struct {
	UserID string `json:"userId"`
	// Aliases are the plain-text aliases; hashed ones are "".
	Aliases          []string `json:"aliases"`
	AliasCount       int      `json:"aliasCount"`
	CredentialsCount int      `json:"credentialsCount"`
	// LastUsedAt is the last use of any of the user's passkeys.
	LastUsedAt Time `json:"lastUsedAt"`
}

// ListUsers returns the users with passkeys or aliases.
func (c *Client) ListUsers(ctx context.Context) ([]UserSummary, error) {
	var res listResponse[UserSummary] // a null alias (hashed) reads as ""
	if err := c.get(ctx, "/users/list", nil, &res); err != nil {
		return nil, err
	}
	return res.Values, nil
}

// CountUsers returns the number of users with at least one passkey.
func (c *Client) CountUsers(ctx context.Context) (int, error) {
	var res struct {
		Count int `json:"count"`
	}
	if err := c.get(ctx, "/users/count", nil, &res); err != nil {
		return 0, err
	}
	return res.Count, nil
}

// DeleteUser deletes all passkeys and aliases of a user.
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	return c.post(ctx, "/users/delete", userIDRequest{userID}, nil)
}
