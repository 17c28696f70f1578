// Package softauthn is a software WebAuthn authenticator and client.
//
// It plays the part of navigator.credentials.create and navigator.credentials.get
// for a relying party that speaks the Passwordless.dev API: it takes the options
// JSON the server returns from /register/begin and /signin/begin (the "data"
// member), creates or uses resident credentials with real keys, and returns the
// PublicKeyCredential JSON exactly as the official browser client sends it.
//
// Registration uses the "none" attestation format. Credentials are kept in the
// Authenticator, so later assertions can be discoverable (empty
// allowCredentials) or targeted (allowCredentials).
//
// An Authenticator is safe for concurrent use.
package softauthn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// Alg is a COSE algorithm identifier.
type Alg int

// Supported algorithms.
const (
	ES256 Alg = -7   // ECDSA P-256 with SHA-256, ASN.1 DER signatures
	EdDSA Alg = -8   // Ed25519, raw 64-byte signatures
	RS256 Alg = -257 // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys
)

// String returns the JOSE name of the algorithm.
func (a Alg) String() string {
	switch a {
	case ES256:
		return "ES256"
	case EdDSA:
		return "EdDSA"
	case RS256:
		return "RS256"
	}
	return "Alg(" + strconv.Itoa(int(a)) + ")"
}

func (a Alg) supported() bool { return a == ES256 || a == EdDSA || a == RS256 }

// Flags are the authenticator data flags.
type Flags byte

// Authenticator data flag bits.
const (
	FlagUP Flags = 0x01 // user present
	FlagUV Flags = 0x04 // user verified
	FlagBE Flags = 0x08 // backup eligible
	FlagBS Flags = 0x10 // backup state
	FlagAT Flags = 0x40 // attested credential data included
	FlagED Flags = 0x80 // extension data included
)

// Client data types.
const (
	TypeCreate = "webauthn.create"
	TypeGet    = "webauthn.get"
)

// Errors returned by Create and Get.
var (
	// ErrExcluded is returned by Create when excludeCredentials lists a
	// credential held by the authenticator (InvalidStateError in a browser).
	ErrExcluded = errors.New("softauthn: authenticator holds an excluded credential")
	// ErrNoCredential is returned by Get when no usable credential is held
	// (NotAllowedError in a browser).
	ErrNoCredential = errors.New("softauthn: no matching credential")
	// ErrUnsupportedAlg is returned by Create when none of pubKeyCredParams is
	// supported, or a forced algorithm is not.
	ErrUnsupportedAlg = errors.New("softauthn: no supported algorithm")
)

// Authenticator is a software authenticator holding resident credentials.
// Change its exported fields only while no Create or Get is running.
type Authenticator struct {
	// AAGUID is reported in the attested credential data. Zero by default.
	AAGUID [16]byte
	// UserVerified sets the UV flag. New sets it to true.
	UserVerified bool
	// BackupEligible and BackupState set the BE and BS flags.
	BackupEligible bool
	BackupState    bool
	// CounterStep is added to a credential's sign count before each
	// assertion. New sets it to 1; 0 keeps counters constant.
	CounterStep uint32

	mu     sync.Mutex
	creds  []*Credential
	byID   map[string]*Credential
	lastRP map[string]*Credential // most recently created credential per RP ID
}

// New returns an empty authenticator that verifies the user and steps
// counters by 1.
func New() *Authenticator {
	return &Authenticator{UserVerified: true, CounterStep: 1}
}

// Credential is a credential held by an Authenticator.
//
// SignCount is updated by Get while holding the authenticator's lock; read or
// change it only while no Get using the credential is running.
type Credential struct {
	ID         []byte
	Alg        Alg
	RPID       string
	UserHandle []byte
	SignCount  uint32

	signer   crypto.Signer
	cose     []byte   // COSE_Key encoding of the public key
	rpIDHash [32]byte // SHA-256(RPID)
}

// COSEPublicKey returns the CBOR-encoded COSE_Key of the credential's public key.
func (c *Credential) COSEPublicKey() []byte { return append([]byte(nil), c.cose...) }

// PublicKey returns the credential's public key (*ecdsa.PublicKey,
// ed25519.PublicKey or *rsa.PublicKey).
func (c *Credential) PublicKey() crypto.PublicKey { return c.signer.Public() }

// Sign returns the assertion signature over authData || SHA-256(clientDataJSON).
func (c *Credential) Sign(authData, clientDataJSON []byte) ([]byte, error) {
	cdh := sha256.Sum256(clientDataJSON)
	msg := make([]byte, 0, len(authData)+len(cdh))
	msg = append(append(msg, authData...), cdh[:]...)
	switch k := c.signer.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256(msg)
		return ecdsa.SignASN1(rand.Reader, k, h[:])
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	case *rsa.PrivateKey:
		h := sha256.Sum256(msg)
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	}
	return nil, fmt.Errorf("softauthn: unexpected key type %T", c.signer)
}

// Credentials returns the credentials held, oldest first.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Credential(nil), a.creds...)
}

// ClientData is the collected client data serialised as clientDataJSON.
type ClientData struct {
	Type        string `json:"type"`
	Challenge   string `json:"challenge"`
	Origin      string `json:"origin"`
	CrossOrigin bool   `json:"crossOrigin"`
	TopOrigin   string `json:"topOrigin,omitempty"`
}

// JSON returns the clientDataJSON bytes.
func (c ClientData) JSON() []byte {
	b, _ := json.Marshal(c) // cannot fail: strings and a bool
	return b
}

// Options.

// CreateOption configures one Create call.
type CreateOption interface{ applyCreate(*createConfig) }

// GetOption configures one Get call.
type GetOption interface{ applyGet(*getConfig) }

// Option configures either ceremony.
type Option interface {
	CreateOption
	GetOption
}

type common struct {
	signCount    uint32
	hasSignCount bool
	flags        []func(Flags) Flags
	clientData   []func(*ClientData)
	extensions   json.RawMessage
}

type createConfig struct {
	common
	alg    Alg
	credID []byte
}

type getConfig struct {
	common
	userHandle bool
	cred       *Credential
}

type commonOption func(*common)

func (f commonOption) applyCreate(c *createConfig) { f(&c.common) }
func (f commonOption) applyGet(c *getConfig)       { f(&c.common) }

type createOption func(*createConfig)

func (f createOption) applyCreate(c *createConfig) { f(c) }

type getOption func(*getConfig)

func (f getOption) applyGet(c *getConfig) { f(c) }

// WithSignCount sets the counter explicitly: the initial count of a created
// credential, or the count used (and stored) by an assertion instead of
// SignCount+CounterStep, which lets tests make a counter go backwards.
func WithSignCount(n uint32) Option {
	return commonOption(func(c *common) { c.signCount, c.hasSignCount = n, true })
}

// WithFlags rewrites the authenticator data flags before they are used.
func WithFlags(f func(Flags) Flags) Option {
	return commonOption(func(c *common) { c.flags = append(c.flags, f) })
}

// WithClientData edits the collected client data before it is serialised.
func WithClientData(f func(*ClientData)) Option {
	return commonOption(func(c *common) { c.clientData = append(c.clientData, f) })
}

// WithType overrides the client data type.
func WithType(typ string) Option {
	return WithClientData(func(cd *ClientData) { cd.Type = typ })
}

// WithExtensionResults replaces clientExtensionResults in the response JSON.
// It must be valid JSON.
func WithExtensionResults(raw json.RawMessage) Option {
	return commonOption(func(c *common) { c.extensions = raw })
}

// WithAlg forces the credential algorithm, ignoring pubKeyCredParams.
func WithAlg(alg Alg) CreateOption {
	return createOption(func(c *createConfig) { c.alg = alg })
}

// WithCredentialID uses id instead of 32 random bytes as the credential ID.
func WithCredentialID(id []byte) CreateOption {
	return createOption(func(c *createConfig) { c.credID = append([]byte(nil), id...) })
}

// WithUserHandle includes response.userHandle in the assertion.
func WithUserHandle() GetOption {
	return getOption(func(c *getConfig) { c.userHandle = true })
}

// WithCredential asserts with cred regardless of rpId and allowCredentials.
// cred must be held by the authenticator.
func WithCredential(cred *Credential) GetOption {
	return getOption(func(c *getConfig) { c.cred = cred })
}

// Server options.

type credDescriptor struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type creationOptions struct {
	RP struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Challenge        string `json:"challenge"`
	PubKeyCredParams []struct {
		Type string `json:"type"`
		Alg  Alg    `json:"alg"`
	} `json:"pubKeyCredParams"`
	ExcludeCredentials []credDescriptor `json:"excludeCredentials"`
}

type requestOptions struct {
	Challenge        string           `json:"challenge"`
	RPID             string           `json:"rpId"`
	AllowCredentials []credDescriptor `json:"allowCredentials"`
}

// Create plays navigator.credentials.create and returns the registration
// response JSON and the new credential.
func (a *Authenticator) Create(optionsJSON []byte, origin string, opts ...CreateOption) (responseJSON []byte, cred *Credential, err error) {
	att, cred, err := a.MakeCredential(optionsJSON, origin, opts...)
	if err != nil {
		return nil, nil, err
	}
	responseJSON, err = json.Marshal(att)
	return responseJSON, cred, err
}

// MakeCredential is Create returning the response as parts, which tests can
// alter before serialising it with json.Marshal.
func (a *Authenticator) MakeCredential(optionsJSON []byte, origin string, opts ...CreateOption) (*Attestation, *Credential, error) {
	var cfg createConfig
	for _, o := range opts {
		o.applyCreate(&cfg)
	}
	var o creationOptions
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	if o.Challenge == "" {
		return nil, nil, errors.New("softauthn: creation options: missing challenge")
	}
	rpID, err := rpIDFor(o.RP.ID, origin)
	if err != nil {
		return nil, nil, err
	}
	userHandle, err := decodeB64(o.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: creation options: user.id: %w", err)
	}

	alg := cfg.alg
	if alg == 0 {
		if alg = pickAlg(&o); alg == 0 {
			return nil, nil, ErrUnsupportedAlg
		}
	} else if !alg.supported() {
		return nil, nil, fmt.Errorf("%w: %v", ErrUnsupportedAlg, alg)
	}

	if err := a.checkExcluded(o.ExcludeCredentials, rpID); err != nil {
		return nil, nil, err
	}

	cred, err := newCredential(alg, rpID, userHandle, cfg.credID)
	if err != nil {
		return nil, nil, err
	}
	if cfg.hasSignCount {
		cred.SignCount = cfg.signCount
	}

	flags := a.flags() | FlagAT
	for _, f := range cfg.flags {
		flags = f(flags)
	}
	authData := authenticatorData(cred.rpIDHash, flags, cred.SignCount,
		AttestedCredentialData(a.AAGUID, cred.ID, cred.cose))
	attObj, err := NoneAttestationObject(authData)
	if err != nil {
		return nil, nil, err
	}

	a.mu.Lock()
	if a.byID == nil {
		a.byID = make(map[string]*Credential)
		a.lastRP = make(map[string]*Credential)
	}
	a.creds = append(a.creds, cred)
	a.byID[string(cred.ID)] = cred
	a.lastRP[rpID] = cred
	a.mu.Unlock()

	ext := cfg.extensions
	if ext == nil {
		ext = credPropsRK
	}
	return &Attestation{
		CredentialID:           cred.ID,
		ClientDataJSON:         clientDataJSON(&cfg.common, TypeCreate, o.Challenge, origin),
		AttestationObject:      attObj,
		ClientExtensionResults: ext,
	}, cred, nil
}

var credPropsRK = json.RawMessage(`{"credProps":{"rk":true}}`)

// Get plays navigator.credentials.get and returns the assertion response JSON.
func (a *Authenticator) Get(optionsJSON []byte, origin string, opts ...GetOption) (responseJSON []byte, err error) {
	as, _, err := a.GetAssertion(optionsJSON, origin, opts...)
	if err != nil {
		return nil, err
	}
	return json.Marshal(as)
}

// GetAssertion is Get returning the response as parts, which tests can alter
// before serialising it with json.Marshal, and the credential used.
func (a *Authenticator) GetAssertion(optionsJSON []byte, origin string, opts ...GetOption) (*Assertion, *Credential, error) {
	var cfg getConfig
	for _, o := range opts {
		o.applyGet(&cfg)
	}
	var o requestOptions
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	if o.Challenge == "" {
		return nil, nil, errors.New("softauthn: request options: missing challenge")
	}
	rpID, err := rpIDFor(o.RPID, origin)
	if err != nil {
		return nil, nil, err
	}

	a.mu.Lock()
	cred := cfg.cred
	if cred == nil {
		if cred, err = a.find(o.AllowCredentials, rpID); err != nil {
			a.mu.Unlock()
			return nil, nil, err
		}
	}
	if cfg.hasSignCount {
		cred.SignCount = cfg.signCount
	} else {
		cred.SignCount += a.CounterStep
	}
	count := cred.SignCount
	a.mu.Unlock()

	flags := a.flags()
	for _, f := range cfg.flags {
		flags = f(flags)
	}
	authData := authenticatorData(cred.rpIDHash, flags, count, nil)
	cdj := clientDataJSON(&cfg.common, TypeGet, o.Challenge, origin)
	sig, err := cred.Sign(authData, cdj)
	if err != nil {
		return nil, nil, err
	}
	as := &Assertion{
		CredentialID:           cred.ID,
		AuthenticatorData:      authData,
		ClientDataJSON:         cdj,
		Signature:              sig,
		ClientExtensionResults: cfg.extensions,
	}
	if cfg.userHandle {
		as.UserHandle = cred.UserHandle
	}
	return as, cred, nil
}

// find picks the credential for an assertion; a.mu must be held.
func (a *Authenticator) find(allow []credDescriptor, rpID string) (*Credential, error) {
	if len(allow) == 0 {
		if c := a.lastRP[rpID]; c != nil {
			return c, nil
		}
		return nil, ErrNoCredential
	}
	for _, d := range allow {
		id, err := decodeB64(d.ID)
		if err != nil {
			return nil, fmt.Errorf("softauthn: request options: allowCredentials id: %w", err)
		}
		if c := a.byID[string(id)]; c != nil && c.RPID == rpID {
			return c, nil
		}
	}
	return nil, ErrNoCredential
}

func (a *Authenticator) checkExcluded(exclude []credDescriptor, rpID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range exclude {
		id, err := decodeB64(d.ID)
		if err != nil {
			return fmt.Errorf("softauthn: creation options: excludeCredentials id: %w", err)
		}
		if c := a.byID[string(id)]; c != nil && c.RPID == rpID {
			return ErrExcluded
		}
	}
	return nil
}

func (a *Authenticator) flags() Flags {
	f := FlagUP
	if a.UserVerified {
		f |= FlagUV
	}
	if a.BackupEligible {
		f |= FlagBE
	}
	if a.BackupState {
		f |= FlagBS
	}
	return f
}

// pickAlg returns the first supported algorithm of pubKeyCredParams, ES256
// when the list is empty (the WebAuthn default), or 0.
func pickAlg(o *creationOptions) Alg {
	if len(o.PubKeyCredParams) == 0 {
		return ES256
	}
	for _, p := range o.PubKeyCredParams {
		if (p.Type == "public-key" || p.Type == "") && p.Alg.supported() {
			return p.Alg
		}
	}
	return 0
}

// rpIDFor returns rpID, or the host of origin when rpID is empty.
func rpIDFor(rpID, origin string) (string, error) {
	if rpID != "" {
		return rpID, nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("softauthn: no rp id and cannot derive one from origin %q", origin)
	}
	return u.Hostname(), nil
}

func clientDataJSON(c *common, typ, challenge, origin string) []byte {
	cd := ClientData{Type: typ, Challenge: challenge, Origin: origin}
	for _, f := range c.clientData {
		f(&cd)
	}
	return cd.JSON()
}

// decodeB64 decodes base64url, padded or not, falling back to standard base64.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

var b64 = base64.RawURLEncoding

// Keys and encodings.

func newCredential(alg Alg, rpID string, userHandle, id []byte) (*Credential, error) {
	if id == nil {
		id = make([]byte, 32)
		if _, err := rand.Read(id); err != nil {
			return nil, err
		}
	}
	var (
		signer crypto.Signer
		key    any
	)
	switch alg {
	case ES256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		pt, err := k.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, err
		}
		signer, key = k, coseEC2{Kty: 2, Alg: int(ES256), Crv: 1, X: pt[1:33], Y: pt[33:65]}
	case EdDSA:
		pub, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		signer, key = k, coseOKP{Kty: 1, Alg: int(EdDSA), Crv: 6, X: pub}
	case RS256:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		e := big.NewInt(int64(k.E)).Bytes()
		signer, key = k, coseRSA{Kty: 3, Alg: int(RS256), N: k.N.Bytes(), E: e}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedAlg, alg)
	}
	cose, err := ctap2.Marshal(key)
	if err != nil {
		return nil, err
	}
	return &Credential{
		ID:         id,
		Alg:        alg,
		RPID:       rpID,
		UserHandle: userHandle,
		signer:     signer,
		cose:       cose,
		rpIDHash:   sha256.Sum256([]byte(rpID)),
	}, nil
}

var ctap2 = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

type coseEC2 struct {
	Kty int    `cbor:"1,keyasint"`
	Alg int    `cbor:"3,keyasint"`
	Crv int    `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

type coseOKP struct {
	Kty int    `cbor:"1,keyasint"`
	Alg int    `cbor:"3,keyasint"`
	Crv int    `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
}

type coseRSA struct {
	Kty int    `cbor:"1,keyasint"`
	Alg int    `cbor:"3,keyasint"`
	N   []byte `cbor:"-1,keyasint"`
	E   []byte `cbor:"-2,keyasint"`
}

type attestationObject struct {
	Fmt      string   `cbor:"fmt"`
	AttStmt  struct{} `cbor:"attStmt"`
	AuthData []byte   `cbor:"authData"`
}

// NoneAttestationObject returns the CBOR attestation object
// {"fmt":"none","attStmt":{},"authData":authData}.
func NoneAttestationObject(authData []byte) ([]byte, error) {
	return ctap2.Marshal(attestationObject{Fmt: "none", AuthData: authData})
}

// AuthenticatorData returns SHA-256(rpID) | flags | signCount (big-endian) |
// attestedCredentialData.
func AuthenticatorData(rpID string, flags Flags, signCount uint32, attestedCredentialData []byte) []byte {
	return authenticatorData(sha256.Sum256([]byte(rpID)), flags, signCount, attestedCredentialData)
}

func authenticatorData(rpIDHash [32]byte, flags Flags, signCount uint32, attested []byte) []byte {
	b := make([]byte, 0, 37+len(attested))
	b = append(b, rpIDHash[:]...)
	b = append(b, byte(flags))
	b = binary.BigEndian.AppendUint32(b, signCount)
	return append(b, attested...)
}

// AttestedCredentialData returns AAGUID | len(credID) (uint16 big-endian) |
// credID | COSE public key.
func AttestedCredentialData(aaguid [16]byte, credID, cosePublicKey []byte) []byte {
	b := make([]byte, 0, 18+len(credID)+len(cosePublicKey))
	b = append(b, aaguid[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(credID)))
	b = append(b, credID...)
	return append(b, cosePublicKey...)
}

// Responses.

// Attestation is a registration response in parts. json.Marshal produces
// {"id","rawId","type","clientExtensionResults","response":{"attestationObject","clientDataJSON"}}
// with binary members base64url-encoded without padding. Slices returned by
// MakeCredential may share memory with the Credential: replace them rather
// than modifying them in place.
type Attestation struct {
	CredentialID           []byte
	ClientDataJSON         []byte
	AttestationObject      []byte
	ClientExtensionResults json.RawMessage // {} when nil
}

type attestationJSON struct {
	ID                     string          `json:"id"`
	RawID                  string          `json:"rawId"`
	Type                   string          `json:"type"`
	ClientExtensionResults json.RawMessage `json:"clientExtensionResults"`
	Response               struct {
		AttestationObject string `json:"attestationObject"`
		ClientDataJSON    string `json:"clientDataJSON"`
	} `json:"response"`
}

// MarshalJSON implements json.Marshaler.
func (r Attestation) MarshalJSON() ([]byte, error) {
	id := b64.EncodeToString(r.CredentialID)
	j := attestationJSON{ID: id, RawID: id, Type: "public-key", ClientExtensionResults: orEmpty(r.ClientExtensionResults)}
	j.Response.AttestationObject = b64.EncodeToString(r.AttestationObject)
	j.Response.ClientDataJSON = b64.EncodeToString(r.ClientDataJSON)
	return json.Marshal(j)
}

// Assertion is an authentication response in parts. json.Marshal produces
// {"id","rawId","type","clientExtensionResults","response":{"authenticatorData","clientDataJSON","signature"[,"userHandle"]}}
// with binary members base64url-encoded without padding; userHandle is
// omitted when nil. Slices returned by GetAssertion may share memory with the
// Credential: replace them rather than modifying them in place.
type Assertion struct {
	CredentialID           []byte
	AuthenticatorData      []byte
	ClientDataJSON         []byte
	Signature              []byte
	UserHandle             []byte
	ClientExtensionResults json.RawMessage // {} when nil
}

type assertionJSON struct {
	ID                     string          `json:"id"`
	RawID                  string          `json:"rawId"`
	Type                   string          `json:"type"`
	ClientExtensionResults json.RawMessage `json:"clientExtensionResults"`
	Response               struct {
		AuthenticatorData string  `json:"authenticatorData"`
		ClientDataJSON    string  `json:"clientDataJSON"`
		Signature         string  `json:"signature"`
		UserHandle        *string `json:"userHandle,omitempty"`
	} `json:"response"`
}

// MarshalJSON implements json.Marshaler.
func (r Assertion) MarshalJSON() ([]byte, error) {
	id := b64.EncodeToString(r.CredentialID)
	j := assertionJSON{ID: id, RawID: id, Type: "public-key", ClientExtensionResults: orEmpty(r.ClientExtensionResults)}
	j.Response.AuthenticatorData = b64.EncodeToString(r.AuthenticatorData)
	j.Response.ClientDataJSON = b64.EncodeToString(r.ClientDataJSON)
	j.Response.Signature = b64.EncodeToString(r.Signature)
	if r.UserHandle != nil {
		uh := b64.EncodeToString(r.UserHandle)
		j.Response.UserHandle = &uh
	}
	return json.Marshal(j)
}

func orEmpty(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage(`{}`)
	}
	return raw
}
