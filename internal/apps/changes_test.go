package apps

import (
	"slices"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
)

func TestFeatureChanges(t *testing.T) {
	n := int64(5)
	base := store.Features{EventLoggingEnabled: true, EventLoggingRetentionDays: 30, MagicLinkMonthlyQuota: 2000}
	for _, tt := range []struct {
		name   string
		change func(f *store.Features)
		want   []string
	}{
		{"nothing", func(*store.Features) {}, nil},
		{"retention and limit", func(f *store.Features) { f.EventLoggingRetentionDays, f.MaxUsers = 90, &n },
			[]string{"event log retention (days) 30 -> 90", "maximum users none -> 5"}},
		{"switches", func(f *store.Features) { f.EventLoggingEnabled, f.AllowAttestation = false, true },
			[]string{"event logging on -> off", "attestation off -> on"}},
		{"origins", func(f *store.Features) { f.AllowedOrigins = []string{"https://a.example", "https://b.example"} },
			[]string{"allowed origins any -> [https://a.example https://b.example]"}},
		{"empty and nil origins are the same", func(f *store.Features) { f.AllowedOrigins = []string{} }, nil},
	} {
		after := base
		tt.change(&after)
		if got := FeatureChanges(base, after); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
