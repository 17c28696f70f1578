package apps_test

import (
	"encoding/json"
	"fmt"
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
			manage: apps.SetFeaturesRequest{EventLoggingRetentionPeriod: ptr(wire.Int(30)), AllowedOrigins: &origins},
			self:   apps.SelfFeaturesRequest{EnableMagicLinks: ptr(false)},
			check: func(f apps.FeaturesResponse) bool {
				return reflect.DeepEqual(f.AllowedOrigins, origins) && !f.IsMagicLinksEnabled && f.EventLoggingRetentionPeriod == 30
			},
		},
		{
			name:   "max users and event logging kept by a token toggle",
			manage: apps.SetFeaturesRequest{EventLoggingIsEnabled: ptr(true), EventLoggingRetentionPeriod: ptr(wire.Int(7)), MaxUsers: apps.Null(ptr(wire.Int(10)))},
			self:   apps.SelfFeaturesRequest{EnableManuallyGeneratedAuthenticationTokens: ptr(false)},
			check: func(f apps.FeaturesResponse) bool {
				return f.EventLoggingIsEnabled && f.MaxUsers != nil && *f.MaxUsers == 10 && !f.IsGenerateSignInTokenEndpointEnabled
			},
		},
		{
			name:   "allow attestation kept by a retention change",
			manage: apps.SetFeaturesRequest{AllowAttestation: ptr(true), EventLoggingRetentionPeriod: ptr(wire.Int(30))},
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

// TestFeaturesUpdateOnlyWhatTheyName: a features request changes the
// members it names and keeps every other one, on both stores.
func TestFeaturesUpdateOnlyWhatTheyName(t *testing.T) {
	origins := []string{"https://shop.example.com"}
	// The app starts with every member away from its default.
	initial := apps.SetFeaturesRequest{
		EventLoggingIsEnabled: ptr(true), EventLoggingRetentionPeriod: ptr(wire.Int(365)),
		MagicLinkEmailMonthlyQuota: ptr(wire.Int(50)), MaxUsers: apps.Null(ptr(wire.Int(10))),
		AllowAttestation: ptr(true), AllowedOrigins: &origins,
	}
	tests := []struct {
		body string
		want func(f *apps.FeaturesResponse) // the change the body makes
	}{
		{`{"magicLinkEmailMonthlyQuota":100}`, func(f *apps.FeaturesResponse) { f.MagicLinkEmailMonthlyQuota = 100 }},
		{`{"eventLoggingRetentionPeriod":30}`, func(f *apps.FeaturesResponse) { f.EventLoggingRetentionPeriod = 30 }},
		{`{"eventLoggingIsEnabled":false}`, func(f *apps.FeaturesResponse) { f.EventLoggingIsEnabled = false }},
		{`{"maxUsers":null}`, func(f *apps.FeaturesResponse) { f.MaxUsers = nil }},
		{`{"maxUsers":"7"}`, func(f *apps.FeaturesResponse) { f.MaxUsers = ptr(int64(7)) }},
		{`{"allowAttestation":false}`, func(f *apps.FeaturesResponse) { f.AllowAttestation = false }},
		{`{"allowedOrigins":[]}`, func(f *apps.FeaturesResponse) { f.AllowedOrigins = []string{} }},
		{`{}`, func(*apps.FeaturesResponse) {}},
		{`{"eventLoggingIsEnabled":null,"magicLinkEmailMonthlyQuota":null}`, func(*apps.FeaturesResponse) {}},
	}
	for kind, open := range teststores.Both {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.body, func(t *testing.T) {
				ctx := t.Context()
				st := open(t)
				a := apps.New(st, token.NewSealer(st, nil), nil)
				if _, err := a.Create(ctx, "app1", apps.CreateRequest{}); err != nil {
					t.Fatal(err)
				}
				if err := a.SetFeatures(ctx, "app1", initial); err != nil {
					t.Fatal(err)
				}
				want, err := a.Features(ctx, "app1")
				if err != nil {
					t.Fatal(err)
				}
				tt.want(&want)
				var req apps.SetFeaturesRequest
				if err := json.Unmarshal([]byte(tt.body), &req); err != nil {
					t.Fatal(err)
				}
				if err := a.SetFeatures(ctx, "app1", req); err != nil {
					t.Fatal(err)
				}
				got, err := a.Features(ctx, "app1")
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("after %s:\n got %+v\nwant %+v", tt.body, got, want)
				}
			})
		}
	}
}

// TestOneRetentionRule: the retention an app is created with by default
// can be set again through both features requests, and the same range
// holds at creation.
func TestOneRetentionRule(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		st := open(t)
		ctx := t.Context()
		a := apps.New(st, token.NewSealer(st, nil), nil)
		if _, err := a.Create(ctx, "app1", apps.CreateRequest{}); err != nil {
			t.Fatal(err)
		}
		f, err := a.Features(ctx, "app1")
		if err != nil || f.EventLoggingRetentionPeriod != apps.MaxRetentionDays {
			t.Fatalf("a new app's retention: %d, %v; want %d", f.EventLoggingRetentionPeriod, err, apps.MaxRetentionDays)
		}
		app, err := a.Get(ctx, "app1")
		if err != nil {
			t.Fatal(err)
		}
		for _, days := range []wire.Int{0, 90, apps.MaxRetentionDays, -1, apps.MaxRetentionDays + 1} {
			valid := days >= 0 && days <= apps.MaxRetentionDays
			errs := map[string]error{
				"management":   a.SetFeatures(ctx, "app1", apps.SetFeaturesRequest{EventLoggingRetentionPeriod: ptr(days)}),
				"self-service": a.SetSelfFeatures(ctx, app, apps.SelfFeaturesRequest{EventLoggingRetentionPeriod: ptr(days)}),
			}
			_, errs["creation"] = a.Create(ctx, fmt.Sprintf("new%d", days+10), apps.CreateRequest{EventLoggingRetentionPeriod: ptr(days)})
			for via, err := range errs {
				if (err == nil) != valid {
					t.Errorf("retention %d through %s: %v", days, via, err)
				}
			}
		}
	})
}

func ptr[T any](v T) *T { return &v }
