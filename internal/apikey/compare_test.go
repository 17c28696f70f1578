package apikey

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/store"
)

// nearMisses returns values that differ from v in one place each, at every
// position class: the first, a middle and the last character changed (same
// length), one character more or less at the end or in the middle, and the
// empty value.
func nearMisses(v string) map[string]string {
	change := func(i int) string {
		b := []byte(v)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	mid := len(v) / 2
	return map[string]string{
		"first changed":          change(0),
		"middle changed":         change(mid),
		"last changed":           change(len(v) - 1),
		"one more at the end":    v + "0",
		"one more in the middle": v[:mid] + "0" + v[mid:],
		"one more at the start":  "0" + v,
		"one less at the end":    v[:len(v)-1],
		"one less in the middle": v[:mid] + v[mid+1:],
		"one less at the start":  v[1:],
		"empty":                  "",
	}
}

func TestEqualPublicComparesTheWholeKey(t *testing.T) {
	key := Generate("app", store.KeyPublic)
	if !EqualPublic(key, key) {
		t.Fatal("a public key does not equal itself")
	}
	for name, v := range nearMisses(key) {
		if EqualPublic(key, v) {
			t.Errorf("%s: EqualPublic(%q, %q) = true", name, key, v)
		}
		if EqualPublic(v, key) {
			t.Errorf("%s: EqualPublic(%q, %q) = true (stored and presented swapped)", name, v, key)
		}
	}
}

func TestVerifySecretRefusesNearMisses(t *testing.T) {
	secret := Generate("app", store.KeySecret)
	stored := HashSecret(secret)
	for name, v := range nearMisses(secret) {
		if VerifySecret(stored, v) {
			t.Errorf("%s: VerifySecret accepted %q", name, v)
		}
	}
	legacy := "4RtmMr0hVknaQAIhaRtPHw==:xR7bg3NVsC80a8GDDhH39g=="
	legacySecret := "test:secret:a679563b331846c79c20b114a4f56d02"
	for name, v := range nearMisses(legacySecret) {
		if VerifySecret(legacy, v) {
			t.Errorf("legacy, %s: VerifySecret accepted %q", name, v)
		}
	}
}

// TestVerifySecretComparesTheWholeHash changes the stored digest (and the
// salt) of a right secret at every position class. A wrong secret gives a
// digest that differs everywhere, so only a tampered stored value shows a
// comparison that looks at part of the digest.
func TestVerifySecretComparesTheWholeHash(t *testing.T) {
	secret := Generate("app", store.KeySecret)
	stored := HashSecret(secret)
	saltB64, sumB64, _ := strings.Cut(strings.TrimPrefix(stored, "sha256$"), "$")
	sum, _ := base64.StdEncoding.DecodeString(sumB64)
	salt, _ := base64.StdEncoding.DecodeString(saltB64)
	if len(sum) != 32 || len(salt) != 16 {
		t.Fatalf("stored hash %q: digest %d bytes, salt %d bytes", stored, len(sum), len(salt))
	}
	enc := func(salt, sum []byte) string {
		return "sha256$" + base64.StdEncoding.EncodeToString(salt) + "$" + base64.StdEncoding.EncodeToString(sum)
	}
	if !VerifySecret(enc(salt, sum), secret) {
		t.Fatal("the re-encoded stored hash does not verify")
	}
	for name, bad := range tamperedBytes(sum) {
		if VerifySecret(enc(salt, bad), secret) {
			t.Errorf("digest %s: VerifySecret accepted the secret", name)
		}
	}
	for name, bad := range tamperedBytes(salt) {
		if VerifySecret(enc(bad, sum), secret) {
			t.Errorf("salt %s: VerifySecret accepted the secret", name)
		}
	}

	// The original server's PBKDF2 format, the same way.
	legacySecret := "test:secret:a679563b331846c79c20b114a4f56d02"
	legacySalt, _ := base64.StdEncoding.DecodeString("4RtmMr0hVknaQAIhaRtPHw==")
	legacySum, _ := base64.StdEncoding.DecodeString("xR7bg3NVsC80a8GDDhH39g==")
	legacyEnc := func(salt, sum []byte) string {
		return base64.StdEncoding.EncodeToString(salt) + ":" + base64.StdEncoding.EncodeToString(sum)
	}
	if !VerifySecret(legacyEnc(legacySalt, legacySum), legacySecret) {
		t.Fatal("the legacy vector does not verify")
	}
	for name, bad := range tamperedBytes(legacySum) {
		if VerifySecret(legacyEnc(legacySalt, bad), legacySecret) {
			t.Errorf("legacy digest %s: VerifySecret accepted the secret", name)
		}
	}
	for name, bad := range tamperedBytes(legacySalt) {
		if VerifySecret(legacyEnc(bad, legacySum), legacySecret) {
			t.Errorf("legacy salt %s: VerifySecret accepted the secret", name)
		}
	}
}

// tamperedBytes returns copies of b changed at the first, a middle and the
// last byte, one byte longer and one byte shorter.
func tamperedBytes(b []byte) map[string][]byte {
	flip := func(i int) []byte {
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		return c
	}
	return map[string][]byte{
		"first byte changed":  flip(0),
		"middle byte changed": flip(len(b) / 2),
		"last byte changed":   flip(len(b) - 1),
		"one byte longer":     append(append([]byte(nil), b...), 0),
		"one byte shorter":    append([]byte(nil), b[:len(b)-1]...),
	}
}

// TestVerifySecretRefusesCorruptStoredHashes appends stray characters to
// one field of an otherwise right stored hash. Go's base64 decoder returns
// the bytes it decoded before the error, and those are the right salt or
// digest here: only the decoding errors themselves refuse these values.
func TestVerifySecretRefusesCorruptStoredHashes(t *testing.T) {
	secret := Generate("app", store.KeySecret)
	salt := []byte("0123456789abcdef")
	sum := saltedSHA256(salt, secret)
	b64 := base64.StdEncoding.EncodeToString
	if !VerifySecret("sha256$"+b64(salt)+"$"+b64(sum), secret) {
		t.Fatal("the hand-made stored hash does not verify")
	}
	legacySecret := "test:secret:a679563b331846c79c20b114a4f56d02"
	legacySalt, legacySum := "4RtmMr0hVknaQAIhaRtPHw==", "xR7bg3NVsC80a8GDDhH39g=="
	for name, c := range map[string]struct{ stored, secret string }{
		"salt with stray characters":          {"sha256$" + b64(salt) + "!!!!$" + b64(sum), secret},
		"digest with stray characters":        {"sha256$" + b64(salt) + "$" + b64(sum) + "!!!!", secret},
		"legacy salt with stray characters":   {legacySalt + "!!!!:" + legacySum, legacySecret},
		"legacy digest with stray characters": {legacySalt + ":" + legacySum + "!!!!", legacySecret},
	} {
		if VerifySecret(c.stored, c.secret) {
			t.Errorf("%s: VerifySecret accepted %q", name, c.stored)
		}
	}
}

func TestIDOfShortValues(t *testing.T) {
	for v, want := range map[string]string{"": "", "abc": "", "abcd": "abcd", "xabcd": "abcd"} {
		if got := ID(v); got != want {
			t.Errorf("ID(%q) = %q, want %q", v, got, want)
		}
	}
}
