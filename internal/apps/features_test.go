package apps_test

import (
	"reflect"
	"testing"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/wire"
)

// TestFeaturesFromStaleKeyCheck: instance B holds a cached key check (the
// app as it was), instance A changes features through the management API,
// then B's backend toggles a self-service feature. Both changes must
// remain; before, B wrote back its stale copy of every feature.
func TestFeaturesFromStaleKeyCheck(t *testing.T) {
	origins := []string{"https://shop.example.com"}
	tests := []struct {
		name   string
		manage apps.SetFeaturesRequest
		self   apps.SelfFeaturesRequest
		check  func(f apps.FeaturesResponse) bool
	}{
		{
			name:   "allowed origins kept by a magic-link toggle",
			manage: apps.SetFeaturesRequest{EventLoggingRetentionPeriod: 30, AllowedOrigins: &origins},
			self:   apps.SelfFeaturesRequest{EnableMagicLinks: ptr(false)},
			check: func(f apps.FeaturesResponse) bool {
				return reflect.DeepEqual(f.AllowedOrigins, origins) && !f.IsMagicLinksEnabled && f.EventLoggingRetentionPeriod == 30
			},
		},
		{
			name:   "max users and event logging kept by a token toggle",
			manage: apps.SetFeaturesRequest{EventLoggingIsEnabled: true, EventLoggingRetentionPeriod: 7, MaxUsers: ptr(wire.Int(10))},
			self:   apps.SelfFeaturesRequest{EnableManuallyGeneratedAuthenticationTokens: ptr(false)},
			check: func(f apps.FeaturesResponse) bool {
				return f.EventLoggingIsEnabled && f.MaxUsers != nil && *f.MaxUsers == 10 && !f.IsGenerateSignInTokenEndpointEnabled
			},
		},
		{
			name:   "allow attestation kept by a retention change",
			manage: apps.SetFeaturesRequest{AllowAttestation: true, EventLoggingRetentionPeriod: 30},
			self:   apps.SelfFeaturesRequest{EventLoggingRetentionPeriod: ptr(wire.Int(14))},
			check: func(f apps.FeaturesResponse) bool {
				return f.AllowAttestation && f.EventLoggingRetentionPeriod == 14 && f.IsMagicLinksEnabled
			},
		},
	}
	for kind, open := range teststores.Both {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				ctx := t.Context()
				st := open(t)
				a := apps.New(st, token.NewSealer(st, nil), nil)
				b := apps.New(st, token.NewSealer(st, nil), nil)
				keys, err := a.Create(ctx, "app1", apps.CreateRequest{AdminEmail: "a@example.com"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := b.Authenticate(ctx, store.KeySecret, keys.APISecret1); err != nil {
					t.Fatal(err)
				}
				if err := a.SetFeatures(ctx, "app1", tt.manage); err != nil {
					t.Fatal(err)
				}
				p, err := b.Authenticate(ctx, store.KeySecret, keys.APISecret1)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.App.Features.AllowedOrigins) != 0 || p.App.Features.AllowAttestation || p.App.Features.MaxUsers != nil {
					t.Fatal("instance B's key check is not the stale cached one; the test does not test what it says")
				}
				if err := b.SetSelfFeatures(ctx, p.App, tt.self); err != nil {
					t.Fatal(err)
				}
				got, err := a.Features(ctx, "app1")
				if err != nil {
					t.Fatal(err)
				}
				if !tt.check(got) {
					t.Errorf("features after both changes: %+v", got)
				}
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }
