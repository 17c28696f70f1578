package apikey

import (
	"regexp"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
)

func TestGenerateFormat(t *testing.T) {
	tests := []struct {
		kind store.KeyKind
		re   string
	}{
		{store.KeyPublic, `^myapp:public:[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`},
		{store.KeySecret, `^myapp:secret:[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`},
	}
	for _, tt := range tests {
		for range 50 {
			k := Generate("myapp", tt.kind)
			if !regexp.MustCompile(tt.re).MatchString(k) {
				t.Fatalf("Generate(%v) = %q, want match %s", tt.kind, k, tt.re)
			}
		}
	}
}

func TestVerifySecret(t *testing.T) {
	secret := Generate("app", store.KeySecret)
	stored := HashSecret(secret)
	tests := []struct {
		name     string
		stored   string
		secret   string
		wantOkay bool
	}{
		{"own hash", stored, secret, true},
		{"other secret", stored, secret + "x", false},
		{"empty secret", stored, "", false},
		{"second hash differs but verifies", HashSecret(secret), secret, true},
		// Test vector of the original server's PBKDF2 format.
		{"legacy vector", "4RtmMr0hVknaQAIhaRtPHw==:xR7bg3NVsC80a8GDDhH39g==", "test:secret:a679563b331846c79c20b114a4f56d02", true},
		{"legacy wrong", "4RtmMr0hVknaQAIhaRtPHw==:xR7bg3NVsC80a8GDDhH39g==", "test:secret:a679563b331846c79c20b114a4f56d03", false},
		{"garbage stored", "nonsense", secret, false},
		{"bad base64", "sha256$!!$!!", secret, false},
		{"truncated", "sha256$abc", secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySecret(tt.stored, tt.secret); got != tt.wantOkay {
				t.Fatalf("VerifySecret = %v, want %v", got, tt.wantOkay)
			}
		})
	}
	if stored == HashSecret(secret) {
		t.Fatal("hashes must be salted")
	}
}

func TestIDAndMask(t *testing.T) {
	if got := ID("app:secret:0123456789abcdef0123456789ab6d02"); got != "6d02" {
		t.Fatalf("ID = %q", got)
	}
	if got := ID("abc"); got != "" {
		t.Fatalf("ID(short) = %q", got)
	}
	if got := Masked("test", "6d02"); got != "test:secret:****************************6d02" {
		t.Fatalf("Masked = %q", got)
	}
	if app, ok := AppID("a:b:c"); !ok || app != "a" {
		t.Fatalf("AppID = %q %v", app, ok)
	}
}
