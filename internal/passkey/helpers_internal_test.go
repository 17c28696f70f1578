package passkey

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/passwordless-oss/server/internal/problem"
)

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com", "https://example.com"},
		{"https://example.com:443", "https://example.com"},
		{"http://example.com:80", "http://example.com"},
		// Only the scheme's own default port is dropped.
		{"https://example.com:80", "https://example.com:80"},
		{"http://example.com:443", "http://example.com:443"},
		{"https://example.com:8443", "https://example.com:8443"},
		// Paths, queries, fragments and user info are ignored.
		{"https://example.com/login/", "https://example.com"},
		{"https://example.com:8443/a/b?x=1#top", "https://example.com:8443"},
		{"https://alice:secret@example.com", "https://example.com"},
		{"HTTPS://Example.COM", "https://example.com"},
		{" https://example.com ", "https://example.com"},
		{"http://[::1]:8080/", "http://[::1]:8080"},
		{"http://[::1]:80", "http://[::1]"},
		// Values without a scheme and a host come back unchanged.
		{"android:apk-key-hash:AbCd", "android:apk-key-hash:AbCd"},
		{"not a url", "not a url"},
		{"example.com", "example.com"},
		{"//example.com", "//example.com"},
		{"https://", "https://"},
		{"https://exa mple.com", "https://exa mple.com"},
		{"%zz", "%zz"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := normalizeOrigin(tt.in); got != tt.want {
			t.Errorf("normalizeOrigin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAttachmentFor(t *testing.T) {
	tests := []struct {
		requested string
		hints     []string
		want      string
	}{
		{"", nil, ""},
		{"platform", nil, "platform"},
		{"cross-platform", []string{}, "cross-platform"},
		// The first hint overrides the requested attachment.
		{"platform", []string{"security-key"}, "cross-platform"},
		{"platform", []string{"hybrid"}, "cross-platform"},
		{"cross-platform", []string{"client-device"}, "platform"},
		{"", []string{"client-device"}, "platform"},
		{"", []string{"security-key"}, "cross-platform"},
		// Only the first hint counts.
		{"", []string{"client-device", "security-key"}, "platform"},
		{"platform", []string{"hybrid", "client-device"}, "cross-platform"},
	}
	for _, tt := range tests {
		if got := attachmentFor(tt.requested, tt.hints); got != tt.want {
			t.Errorf("attachmentFor(%q, %q) = %q, want %q", tt.requested, tt.hints, got, tt.want)
		}
	}
}

func TestHumanize(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "no time"},
		{999 * time.Microsecond, "no time"},
		{-5 * time.Second, "no time"},
		{time.Millisecond, "1 millisecond"},
		{999 * time.Millisecond, "999 milliseconds"},
		{1500 * time.Millisecond, "1 second"},
		{10 * time.Second, "10 seconds"},
		{59*time.Second + 999*time.Millisecond, "59 seconds"},
		{time.Minute, "1 minute"},
		{119 * time.Second, "1 minute"},
		{2 * time.Minute, "2 minutes"},
		{time.Hour, "1 hour"},
		{3*time.Hour + 59*time.Minute, "3 hours"},
		{day, "1 day"},
		{6*day + 23*time.Hour, "6 days"},
		{7 * day, "1 week"},
		{30 * day, "4 weeks"},
		{400 * day, "57 weeks"},
	}
	for _, tt := range tests {
		if got := Humanize(tt.d); got != tt.want {
			t.Errorf("Humanize(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestCheckBeginOrigin(t *testing.T) {
	tests := []struct {
		origin, rpid string
		badField     string // "" when accepted
	}{
		{"https://example.com", "", ""},
		{"https://example.com/login", "", ""},
		{"http://localhost:5701", "", ""},
		{"chrome-extension://abcdef", "", ""},
		{"android:apk-key-hash:AbCd", "example.com", ""},
		{"ios:bundle-id:com.example.app", "example.com", ""},
		{"android:apk-key-hash:AbCd", "", "rpid"},
		{"android:apk-key-hash:AbCd", "  ", "rpid"},
		{"not a url", "", "origin"},
		{"not a url", "example.com", "origin"},
		{"example.com", "example.com", "origin"},
		{"//example.com", "", "origin"},
		{"https://", "example.com", "origin"},
		{"mailto:alice@example.com", "example.com", "origin"},
		{"android:", "example.com", "origin"},
	}
	for _, tt := range tests {
		err := checkBeginOrigin(tt.origin, tt.rpid)
		p, _ := err.(*problem.Problem)
		switch {
		case tt.badField == "" && err != nil:
			t.Errorf("checkBeginOrigin(%q, %q) = %v, want nil", tt.origin, tt.rpid, err)
		case tt.badField != "" && (p == nil || p.Status != 400 || len(p.Errors[tt.badField]) == 0):
			t.Errorf("checkBeginOrigin(%q, %q) = %v, want a 400 validation problem on %s", tt.origin, tt.rpid, err, tt.badField)
		}
	}
}

func TestRPIDFor(t *testing.T) {
	tests := []struct{ rpid, origin, want string }{
		{"example.com", "https://login.example.com", "example.com"},
		{"  example.com ", "https://login.example.com", "example.com"},
		{"", "https://login.example.com:8443/path", "login.example.com"},
		{"", "HTTPS://Login.Example.COM", "login.example.com"},
		{"", "http://localhost:5701", "localhost"},
		{"", "https://[::1]:443", "::1"},
		{"", "%zz", ""},
	}
	for _, tt := range tests {
		if got := rpIDFor(tt.rpid, tt.origin); got != tt.want {
			t.Errorf("rpIDFor(%q, %q) = %q, want %q", tt.rpid, tt.origin, got, tt.want)
		}
	}
}

func TestWebauthnMessageHasNoGoNil(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{protocol.ErrAssertionSignature.WithDetails(fmt.Sprintf("Error validating the assertion signature: %+v", error(nil))),
			"Error validating the assertion signature"},
		{protocol.ErrAssertionSignature.WithDetails("Error validating the assertion signature: crypto/rsa: verification error"),
			"Error validating the assertion signature: crypto/rsa: verification error"},
		{protocol.ErrVerification.WithDetails("Error validating origin").WithInfo(fmt.Sprintf("%v", nil)),
			"Error validating origin"},
		{fmt.Errorf("bare: %v", error(nil)), "bare"},
	}
	for _, tt := range tests {
		if got := webauthnMessage(tt.err); got != tt.want {
			t.Errorf("webauthnMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
