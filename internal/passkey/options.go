package passkey

import (
	"encoding/base64"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// The option objects below are what the official browser client hands to
// navigator.credentials.create/get unchanged; their members and order
// follow the original server (api-spec.md §4.1, §6.2, §6.4).

// credentialAlgorithms is the pubKeyCredParams order of the original
// server. Authenticators take the first algorithm they support, so the
// order decides which key type a user gets (EdDSA first).
var credentialAlgorithms = []webauthncose.COSEAlgorithmIdentifier{
	webauthncose.AlgEdDSA, webauthncose.AlgES256, webauthncose.AlgRS256,
	webauthncose.AlgPS256, webauthncose.AlgES384, webauthncose.AlgRS384,
	webauthncose.AlgPS384, webauthncose.AlgES512, webauthncose.AlgRS512,
	webauthncose.AlgPS512,
}

type relyingParty struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type userEntity struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

type credentialParameter struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

type authenticatorSelection struct {
	AuthenticatorAttachment string `json:"authenticatorAttachment,omitempty"`
	ResidentKey             string `json:"residentKey"`
	RequireResidentKey      bool   `json:"requireResidentKey"`
	UserVerification        string `json:"userVerification"`
}

// Descriptor is a PublicKeyCredentialDescriptor (id in base64url).
type Descriptor struct {
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	Transports []string `json:"transports,omitempty"`
}

// CreationOptions is PublicKeyCredentialCreationOptions as JSON.
type CreationOptions struct {
	RP                     relyingParty           `json:"rp"`
	User                   userEntity             `json:"user"`
	Challenge              string                 `json:"challenge"`
	PubKeyCredParams       []credentialParameter  `json:"pubKeyCredParams"`
	Timeout                int                    `json:"timeout"`
	Attestation            string                 `json:"attestation"`
	AttestationFormats     []string               `json:"attestationFormats"`
	AuthenticatorSelection authenticatorSelection `json:"authenticatorSelection"`
	Hints                  []string               `json:"hints"`
	ExcludeCredentials     []Descriptor           `json:"excludeCredentials"`
	Extensions             map[string]any         `json:"extensions"`
}

// AssertionOptions is PublicKeyCredentialRequestOptions as JSON.
type AssertionOptions struct {
	Challenge        string       `json:"challenge"`
	Timeout          int          `json:"timeout"`
	RPID             string       `json:"rpId"`
	AllowCredentials []Descriptor `json:"allowCredentials"`
	UserVerification string       `json:"userVerification"`
	Hints            []string     `json:"hints"`
}

// SessionResponse is the body of register/begin and signin/begin.
type SessionResponse[T any] struct {
	Data    T      `json:"data"`
	Session string `json:"session"`
}

func credentialParameters() []credentialParameter {
	params := make([]credentialParameter, len(credentialAlgorithms))
	for i, alg := range credentialAlgorithms {
		params[i] = credentialParameter{Type: "public-key", Alg: int64(alg)}
	}
	return params
}

// sessionCredParams is the same list in go-webauthn's form, for checking
// the algorithm of a new credential.
func sessionCredParams() []protocol.CredentialParameter {
	params := make([]protocol.CredentialParameter, len(credentialAlgorithms))
	for i, alg := range credentialAlgorithms {
		params[i] = protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: alg}
	}
	return params
}

func descriptor(id []byte, transports []string) Descriptor {
	return Descriptor{Type: "public-key", ID: base64.RawURLEncoding.EncodeToString(id), Transports: transports}
}

// hintValues are the W3C credential hints, in the order of the original
// server's enum (security-key = 0, client-device = 1, hybrid = 2).
var hintValues = []string{"security-key", "client-device", "hybrid"}
