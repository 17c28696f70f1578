package apps

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// FeatureChanges describes, one entry per feature, what differs between
// two versions of an app's features ("event log retention 30 -> 90
// days"), in a fixed order; nil when nothing does. The console writes it
// to the event log when an administrator saves the features.
func FeatureChanges(before, after store.Features) []string {
	var out []string
	add := func(name string, was, is any) {
		if fmt.Sprint(was) != fmt.Sprint(is) {
			out = append(out, fmt.Sprintf("%s %v -> %v", name, was, is))
		}
	}
	add("event logging", onOff(before.EventLoggingEnabled), onOff(after.EventLoggingEnabled))
	add("event log retention (days)", before.EventLoggingRetentionDays, after.EventLoggingRetentionDays)
	add("magic link monthly quota", before.MagicLinkMonthlyQuota, after.MagicLinkMonthlyQuota)
	add("maximum users", limit(before.MaxUsers), limit(after.MaxUsers))
	add("attestation", onOff(before.AllowAttestation), onOff(after.AllowAttestation))
	add("generated sign-in tokens", onOff(before.GenerateSignInTokenEnabled), onOff(after.GenerateSignInTokenEnabled))
	add("magic links", onOff(before.MagicLinksEnabled), onOff(after.MagicLinksEnabled))
	add("developer logging until", until(before.DeveloperLoggingEndsAt), until(after.DeveloperLoggingEndsAt))
	if !slices.Equal(before.AllowedOrigins, after.AllowedOrigins) {
		add("allowed origins", list(before.AllowedOrigins), list(after.AllowedOrigins))
	}
	if !slices.Equal(before.AllowedRPIDs, after.AllowedRPIDs) {
		add("allowed RP IDs", list(before.AllowedRPIDs), list(after.AllowedRPIDs))
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func limit(n *int64) string {
	if n == nil {
		return "none"
	}
	return fmt.Sprint(*n)
}

func until(t *time.Time) string {
	if t == nil {
		return "off"
	}
	return t.UTC().Format(time.RFC3339)
}

func list(l []string) string {
	if len(l) == 0 {
		return "any"
	}
	return "[" + strings.Join(l, " ") + "]"
}
