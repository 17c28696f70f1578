// Package mds holds the FIDO Metadata Service (MDS3) BLOB the server uses
// for the undesired-status check at registration, the existence check of
// /authenticators/add and the /mds/* endpoints (api-spec.md §6.6).
//
// The BLOB is a JWT as served by the FIDO Alliance. Its signature and
// certificate chain are validated by go-webauthn's metadata decoder against
// a configured root (by default the production MDS root). A nil *Metadata
// stands for "no BLOB configured" and behaves as an empty one.
package mds

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/go-webauthn/webauthn/metadata"
)

// ProtocolFamilyFIDO2 is the protocol family every query is restricted to.
const ProtocolFamilyFIDO2 = "fido2"

// undesiredStatuses are the statuses that reject a registration when they
// are an authenticator's current status (api-spec.md §6.3 step 9).
var undesiredStatuses = []metadata.AuthenticatorStatus{
	metadata.AttestationKeyCompromise,
	metadata.UserVerificationBypass,
	metadata.UserKeyRemoteCompromise,
	metadata.UserKeyPhysicalCompromise,
	metadata.Revoked,
}

// Entry is one fido2 authenticator of the BLOB.
type Entry struct {
	AAGUID         uuid.UUID
	Description    string
	ProtocolFamily string
	// AttestationTypes in BLOB order (e.g. "basic_full", "attca").
	AttestationTypes []string
	// Statuses are the statuses of all status reports, in BLOB order,
	// without repetitions.
	Statuses []string
	// Icon is the data: URL of the icon as written in the BLOB ("" when
	// absent).
	Icon string
	// Reports are the status reports reduced to what the status decision
	// needs (status, effective and sunset dates); always set.
	Reports []metadata.StatusReport
	// Parsed is go-webauthn's fully parsed entry (attestation root
	// certificates and all), or nil when the library could not parse this
	// entry; the entry is then kept with the fields above only.
	Parsed *metadata.Entry
}

// EntryView is an entry as the /mds/entries endpoint renders it.
type EntryView struct {
	AAGUID                string   `json:"aaGuid"`
	Name                  string   `json:"name"`
	CertificationStatuses []string `json:"certificationStatuses"`
	AttestationTypes      []string `json:"attestationTypes"`
	Icon                  *string  `json:"icon"`
}

// Metadata is a loaded, validated BLOB. It is immutable; the Watcher swaps
// whole values. All methods are safe on a nil receiver.
type Metadata struct {
	number     int
	nextUpdate time.Time
	// entries are the fido2 entries with an AAGUID, sorted by description
	// (then AAGUID).
	entries  []*Entry
	byAAGUID map[uuid.UUID]*Entry
	// partial counts entries the library could not fully parse.
	partial int
	now     func() time.Time
}

// Load reads the BLOB at path and validates it against root (nil: the
// production FIDO MDS root). now is the clock status reports are evaluated
// with (nil: time.Now).
func Load(path string, root *x509.Certificate, now func() time.Time) (*Metadata, error) {
	blob, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mds: read blob: %w", err)
	}
	return Parse(blob, root, now)
}

// Parse validates and decodes a BLOB held in memory; see Load.
func Parse(blob []byte, root *x509.Certificate, now func() time.Time) (*Metadata, error) {
	if now == nil {
		now = time.Now
	}
	var opts []metadata.DecoderOption
	if root != nil {
		opts = append(opts, metadata.WithRootCertificate(base64.StdEncoding.EncodeToString(root.Raw)))
	}
	dec, err := metadata.NewDecoder(opts...)
	if err != nil {
		return nil, fmt.Errorf("mds: %w", err)
	}
	payload, err := dec.DecodeBytes(bytes.TrimSpace(blob))
	if err != nil {
		return nil, fmt.Errorf("mds: invalid blob: %w", err)
	}
	m := &Metadata{number: payload.Number, byAAGUID: map[uuid.UUID]*Entry{}, now: now}
	if m.nextUpdate, err = time.Parse(time.DateOnly, payload.NextUpdate); err != nil {
		return nil, fmt.Errorf("mds: invalid nextUpdate %q: %w", payload.NextUpdate, err)
	}
	for _, j := range payload.Entries {
		e, ok := newEntry(j)
		if !ok {
			continue
		}
		if e.Parsed == nil {
			m.partial++
		}
		if _, dup := m.byAAGUID[e.AAGUID]; dup {
			continue // the first entry of an AAGUID wins
		}
		m.byAAGUID[e.AAGUID] = e
		m.entries = append(m.entries, e)
	}
	slices.SortFunc(m.entries, func(a, b *Entry) int {
		if c := strings.Compare(a.Description, b.Description); c != 0 {
			return c
		}
		return strings.Compare(a.AAGUID.String(), b.AAGUID.String())
	})
	return m, nil
}

// newEntry builds the entry of a fido2 payload entry with an AAGUID; ok is
// false for other entries.
func newEntry(j metadata.EntryJSON) (*Entry, bool) {
	st := j.MetadataStatement
	if !strings.EqualFold(st.ProtocolFamily, ProtocolFamilyFIDO2) {
		return nil, false
	}
	raw := j.AaGUID
	if raw == "" {
		raw = st.AaGUID
	}
	id, err := uuid.Parse(raw)
	if err != nil || id == uuid.Nil {
		return nil, false
	}
	e := &Entry{
		AAGUID:           id,
		Description:      st.Description,
		ProtocolFamily:   st.ProtocolFamily,
		AttestationTypes: make([]string, 0, len(st.AttestationTypes)),
		Statuses:         []string{},
		Icon:             st.Icon,
	}
	for _, t := range st.AttestationTypes {
		e.AttestationTypes = append(e.AttestationTypes, string(t))
	}
	for _, r := range j.StatusReports {
		s := string(r.Status)
		if !slices.Contains(e.Statuses, s) {
			e.Statuses = append(e.Statuses, s)
		}
		e.Reports = append(e.Reports, metadata.StatusReport{
			Status:        r.Status,
			EffectiveDate: parseDate(r.EffectiveDate),
			SunsetDate:    parseDate(r.SunsetDate),
		})
	}
	if p, err := j.Parse(); err == nil {
		e.Parsed = &p
	}
	return e, true
}

func parseDate(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &t
}

// Number is the serial number of the BLOB (0 for nil).
func (m *Metadata) Number() int {
	if m == nil {
		return 0
	}
	return m.number
}

// NextUpdate is the date by which the BLOB says a newer one is published.
func (m *Metadata) NextUpdate() time.Time {
	if m == nil {
		return time.Time{}
	}
	return m.nextUpdate
}

// Len is the number of fido2 entries.
func (m *Metadata) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}

// Partial is the number of fido2 entries go-webauthn could not fully parse
// (kept with their identifying fields, statuses and attestation types).
func (m *Metadata) Partial() int {
	if m == nil {
		return 0
	}
	return m.partial
}

// Entry returns the fido2 entry of the AAGUID.
func (m *Metadata) Entry(aaguid uuid.UUID) (Entry, bool) {
	if m == nil {
		return Entry{}, false
	}
	e, ok := m.byAAGUID[aaguid]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// AttestationTypes returns the sorted distinct attestation types of the
// fido2 entries.
func (m *Metadata) AttestationTypes() []string {
	return m.distinct(func(e *Entry) []string { return e.AttestationTypes })
}

// CertificationStatuses returns the sorted distinct status names of all
// status reports of the fido2 entries.
func (m *Metadata) CertificationStatuses() []string {
	return m.distinct(func(e *Entry) []string { return e.Statuses })
}

func (m *Metadata) distinct(values func(*Entry) []string) []string {
	out := []string{}
	if m == nil {
		return out
	}
	seen := map[string]bool{}
	for _, e := range m.entries {
		for _, v := range values(e) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Entries returns the fido2 entries sorted by description, keeping those
// with any of attestationTypes and any of statuses (a status of any of the
// entry's reports). An empty filter does not filter.
func (m *Metadata) Entries(attestationTypes, statuses []string) []EntryView {
	out := []EntryView{}
	if m == nil {
		return out
	}
	for _, e := range m.entries {
		if len(attestationTypes) > 0 && !containsAny(e.AttestationTypes, attestationTypes) {
			continue
		}
		if len(statuses) > 0 && !containsAny(e.Statuses, statuses) {
			continue
		}
		v := EntryView{
			AAGUID:                e.AAGUID.String(),
			Name:                  e.Description,
			CertificationStatuses: slices.Clone(e.Statuses),
			AttestationTypes:      slices.Clone(e.AttestationTypes),
		}
		if e.Icon != "" {
			icon := e.Icon
			v.Icon = &icon
		}
		out = append(out, v)
	}
	return out
}

func containsAny(have, want []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// UndesiredStatus reports whether the current status report of the AAGUID's
// fido2 entry (the latest one in effect now) is ATTESTATION_KEY_COMPROMISE,
// USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE,
// USER_KEY_PHYSICAL_COMPROMISE or REVOKED, and returns that status.
func (m *Metadata) UndesiredStatus(aaguid uuid.UUID) (string, bool) {
	if m == nil {
		return "", false
	}
	e, ok := m.byAAGUID[aaguid]
	if !ok {
		return "", false
	}
	cur := metadata.CurrentStatusReportAt(e.Reports, m.now())
	if cur == nil || !slices.Contains(undesiredStatuses, cur.Status) {
		return "", false
	}
	return string(cur.Status), true
}

// ErrNoBlob is returned by a Watcher's Check while its file does not exist.
var ErrNoBlob = errors.New("mds: blob file does not exist")
