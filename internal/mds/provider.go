package mds

import (
	"context"

	"github.com/google/uuid"

	"github.com/go-webauthn/webauthn/metadata"
)

// Provider adapts the current BLOB to go-webauthn's metadata.Provider
// (webauthn.Config.MDS) for the attestation trust-anchor check of
// api-spec.md §6.3 step 8: when the BLOB has a fully parsed entry for the
// AAGUID and the attestation carries a certificate path, the path must
// chain to the entry's attestation roots. Authenticators without an entry
// pass, and status reports are left to Metadata.UndesiredStatus (which
// yields the original error text).
type Provider struct {
	md func() *Metadata
}

// NewProvider returns a provider reading the BLOB md returns at each call,
// so a Watcher can swap it.
func NewProvider(md func() *Metadata) *Provider { return &Provider{md: md} }

var _ metadata.Provider = (*Provider)(nil)

// GetEntry implements metadata.Provider; nil when there is no usable entry.
func (p *Provider) GetEntry(_ context.Context, aaguid uuid.UUID) (*metadata.Entry, error) {
	if p == nil || p.md == nil {
		return nil, nil
	}
	e, ok := p.md().Entry(aaguid)
	if !ok || e.Parsed == nil {
		return nil, nil
	}
	return e.Parsed, nil
}

// GetValidateEntry implements metadata.Provider: unknown authenticators are
// accepted.
func (p *Provider) GetValidateEntry(context.Context) bool { return false }

// GetValidateEntryPermitZeroAAGUID implements metadata.Provider.
func (p *Provider) GetValidateEntryPermitZeroAAGUID(context.Context) bool { return true }

// GetValidateTrustAnchor implements metadata.Provider.
func (p *Provider) GetValidateTrustAnchor(context.Context) bool { return true }

// GetValidateStatus implements metadata.Provider (see the type comment).
func (p *Provider) GetValidateStatus(context.Context) bool { return false }

// GetValidateAttestationTypes implements metadata.Provider.
func (p *Provider) GetValidateAttestationTypes(context.Context) bool { return false }

// ValidateStatusReports implements metadata.Provider.
func (p *Provider) ValidateStatusReports(context.Context, []metadata.StatusReport) error { return nil }
