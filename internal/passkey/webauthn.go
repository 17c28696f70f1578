package passkey

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// newRelyingParty configures go-webauthn for one request. As in the
// original server, the RP ID and the single allowed origin come from the
// request: the browser binds both to the page, and the verify token reports
// them so the backend can check them.
func newRelyingParty(rpID, origin string) (*webauthn.WebAuthn, error) {
	cfg := &webauthn.Config{
		RPID:          rpID,
		RPDisplayName: rpID,
		// Outputs of extensions we did not ask for are ignored, not fatal:
		// browsers and password managers add them freely.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	}
	o := normalizeOrigin(origin)
	if protocol.IsOpaqueOrigin(o) {
		cfg.RPOpaqueOrigins = []string{o}
	} else {
		cfg.RPOrigins = []string{o}
	}
	return webauthn.New(cfg)
}

// webauthnUser adapts a user id and (for sign-in) its one credential to
// go-webauthn's User interface.
type webauthnUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u webauthnUser) WebAuthnID() []byte                         { return u.id }
func (u webauthnUser) WebAuthnName() string                       { return string(u.id) }
func (u webauthnUser) WebAuthnDisplayName() string                { return string(u.id) }
func (u webauthnUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// webauthnMessage is the problem title for a failed verification: the
// library's description plus its developer detail, which names the
// mismatching values (never secrets).
func webauthnMessage(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		msg := pe.Details
		if pe.DevInfo != "" && !strings.Contains(msg, pe.DevInfo) {
			msg += ": " + pe.DevInfo
		}
		if msg = withoutGoNil(msg); msg != "" {
			return msg
		}
	}
	return withoutGoNil(err.Error())
}

// withoutGoNil drops the "<nil>" that fmt writes for a nil error: the
// library formats the error it wraps into some messages even when there
// is none ("Error validating the assertion signature: <nil>" for a
// signature that simply does not match), and that means nothing to a
// client.
func withoutGoNil(msg string) string {
	msg = strings.ReplaceAll(msg, ": <nil>", "")
	msg = strings.ReplaceAll(msg, "<nil>", "")
	return strings.TrimSpace(msg)
}

// credPropsRK reads clientExtensionResults.credProps.rk from the client's
// response: whether the new credential is discoverable (nil if unknown).
func credPropsRK(response json.RawMessage) *bool {
	var r struct {
		ClientExtensionResults struct {
			CredProps *struct {
				RK *bool `json:"rk"`
			} `json:"credProps"`
		} `json:"clientExtensionResults"`
	}
	if json.Unmarshal(response, &r) != nil || r.ClientExtensionResults.CredProps == nil {
		return nil
	}
	return r.ClientExtensionResults.CredProps.RK
}
