// Package mdstest builds signed FIDO MDS3 BLOBs for tests: a fresh root CA,
// an intermediate and a BLOB signing certificate (ECDSA P-256), and a small
// set of well-known entries.
package mdstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/mds"
)

// AAGUIDs of the default entries.
var (
	// Certified is a fido2 authenticator, FIDO_CERTIFIED then
	// FIDO_CERTIFIED_L1, attestation basic_full; its statement carries an
	// attestation root certificate.
	Certified = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	// Revoked is a fido2 authenticator whose latest report is REVOKED;
	// attestation basic_full and attca.
	Revoked = uuid.MustParse("22222222-2222-4222-8222-222222222222")
	// U2F is an entry of protocol family u2f (invisible to every query).
	U2F = uuid.MustParse("33333333-3333-4333-8333-333333333333")
	// Uncertified is a fido2 authenticator, NOT_FIDO_CERTIFIED, attestation
	// none and anonca.
	Uncertified = uuid.MustParse("44444444-4444-4444-8444-444444444444")
	// Fixed is a fido2 authenticator that reported USER_VERIFICATION_BYPASS
	// and later UPDATE_AVAILABLE: its current status is not undesired.
	Fixed = uuid.MustParse("55555555-5555-4555-8555-555555555555")
	// Unknown is in no entry.
	Unknown = uuid.MustParse("99999999-9999-4999-8999-999999999999")
)

// Descriptions of the default fido2 entries.
const (
	CertifiedName   = "Alpha Security Key"
	RevokedName     = "Beta Token"
	U2FName         = "Legacy U2F Key"
	UncertifiedName = "Gamma Passkey Provider"
	FixedName       = "Delta Key"
)

// Icon is the icon of the Certified entry.
const Icon = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// Signer holds a root CA, an intermediate CA and the BLOB signing key.
type Signer struct {
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	Leaf         *x509.Certificate
	leafKey      *ecdsa.PrivateKey
}

// NewSigner generates a fresh certificate chain.
func NewSigner(t testing.TB) *Signer {
	t.Helper()
	rootKey := newKey(t)
	root := newCert(t, "MDS Test Root", true, rootKey, nil, nil)
	intKey := newKey(t)
	inter := newCert(t, "MDS Test Intermediate", true, intKey, root, rootKey)
	leafKey := newKey(t)
	leaf := newCert(t, "MDS Test BLOB Signer", false, leafKey, inter, intKey)
	return &Signer{Root: root, Intermediate: inter, Leaf: leaf, leafKey: leafKey}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCert(t testing.TB, cn string, ca bool, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"MDS Test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		BasicConstraintsValid: true,
		IsCA:                  ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// Sign returns the payload (marshalled as JSON) as an ES256 JWT whose x5c
// header holds the signing and intermediate certificates, as the FIDO
// Alliance serves it.
func (s *Signer) Sign(t testing.TB, payload any) []byte {
	t.Helper()
	header, err := json.Marshal(map[string]any{
		"alg": "ES256",
		"typ": "JWT",
		"x5c": []string{
			base64.StdEncoding.EncodeToString(s.Leaf.Raw),
			base64.StdEncoding.EncodeToString(s.Intermediate.Raw),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(body)
	digest := sha256.Sum256([]byte(signed))
	r, sv, err := ecdsa.Sign(rand.Reader, s.leafKey, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return []byte(signed + "." + enc.EncodeToString(sig))
}

// Payload returns a BLOB payload with serial number no.
func Payload(no int, entries ...map[string]any) map[string]any {
	if entries == nil {
		entries = []map[string]any{}
	}
	return map[string]any{
		"legalHeader": "Test metadata; not for production use.",
		"no":          no,
		"nextUpdate":  time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		"entries":     entries,
	}
}

// Report is a status report of an entry; an empty Date omits the
// effective date.
type Report struct {
	Status string
	Date   string // yyyy-mm-dd
}

// NewEntry returns a payload entry.
func NewEntry(aaguid uuid.UUID, family, description string, attestationTypes []string, reports ...Report) map[string]any {
	srs := []map[string]any{}
	for _, r := range reports {
		sr := map[string]any{"status": r.Status}
		if r.Date != "" {
			sr["effectiveDate"] = r.Date
		}
		srs = append(srs, sr)
	}
	return map[string]any{
		"aaguid": aaguid.String(),
		"metadataStatement": map[string]any{
			"legalHeader":          "Test metadata; not for production use.",
			"aaguid":               aaguid.String(),
			"description":          description,
			"authenticatorVersion": 1,
			"protocolFamily":       family,
			"schema":               3,
			"upv":                  []map[string]any{{"major": 1, "minor": 0}},
			"attestationTypes":     attestationTypes,
		},
		"statusReports":          srs,
		"timeOfLastStatusChange": "2024-01-01",
	}
}

// DefaultEntries returns the entries of the AAGUIDs declared above.
func (s *Signer) DefaultEntries() []map[string]any {
	certified := NewEntry(Certified, "fido2", CertifiedName, []string{"basic_full"},
		Report{"FIDO_CERTIFIED", "2021-01-01"}, Report{"FIDO_CERTIFIED_L1", "2022-01-01"})
	st := certified["metadataStatement"].(map[string]any)
	st["icon"] = Icon
	st["attestationRootCertificates"] = []string{base64.StdEncoding.EncodeToString(s.Root.Raw)}
	return []map[string]any{
		certified,
		NewEntry(Revoked, "fido2", RevokedName, []string{"basic_full", "attca"},
			Report{"FIDO_CERTIFIED_L1", "2020-01-01"}, Report{"REVOKED", "2023-01-01"}),
		NewEntry(U2F, "u2f", U2FName, []string{"ecdaa"},
			Report{"FIDO_CERTIFIED_L2", "2019-01-01"}, Report{"USER_KEY_REMOTE_COMPROMISE", "2020-01-01"}),
		NewEntry(Uncertified, "fido2", UncertifiedName, []string{"none", "anonca"},
			Report{"NOT_FIDO_CERTIFIED", ""}),
		NewEntry(Fixed, "fido2", FixedName, []string{"basic_surrogate"},
			Report{"USER_VERIFICATION_BYPASS", "2020-01-01"}, Report{"UPDATE_AVAILABLE", "2020-06-01"}),
	}
}

// BLOB returns the default BLOB (serial number 1) and the root it chains to.
func BLOB(t testing.TB) (blob []byte, root *x509.Certificate) {
	t.Helper()
	s := NewSigner(t)
	return s.Sign(t, Payload(1, s.DefaultEntries()...)), s.Root
}

// WriteFile writes blob into a fresh temporary directory and returns its
// path.
func WriteFile(t testing.TB, blob []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mds.jwt")
	if err := os.WriteFile(path, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Metadata returns the default BLOB loaded through mds.Load.
func Metadata(t testing.TB) *mds.Metadata {
	t.Helper()
	blob, root := BLOB(t)
	m, err := mds.Load(WriteFile(t, blob), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
