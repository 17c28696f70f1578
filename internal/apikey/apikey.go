// Package apikey makes and checks the API keys of an app: public keys
// ("<app>:public:<32 hex>") sent by browsers and secrets
// ("<app>:secret:<32 hex>") held by backends. Secrets are stored only as
// salted hashes and compared in constant time.
package apikey

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/passwordless-oss/server/internal/store"
)

// Scopes (api-spec.md §2.3).
const (
	ScopeRegister      = "register"
	ScopeLogin         = "login"
	ScopeTokenRegister = "token_register"
	ScopeTokenVerify   = "token_verify"
)

// Generate returns a new key of the given kind for appID. The random part
// is a version-4 UUID without dashes, as the original server makes them.
func Generate(appID string, kind store.KeyKind) string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return appID + ":" + kindWord(kind) + ":" + hex.EncodeToString(b[:])
}

func kindWord(kind store.KeyKind) string {
	if kind == store.KeySecret {
		return "secret"
	}
	return "public"
}

// ID returns the key id: the last four characters of the key ("" if the
// value is shorter).
func ID(key string) string {
	if len(key) < 4 {
		return ""
	}
	return key[len(key)-4:]
}

// AppID returns everything before the first ':' and whether there is one.
func AppID(key string) (string, bool) {
	app, _, ok := strings.Cut(key, ":")
	return app, ok
}

// Masked renders a secret for listings: the prefix, then the key id
// left-padded with '*' to 32 characters.
func Masked(appID, keyID string) string {
	return appID + ":secret:" + strings.Repeat("*", 32-len(keyID)) + keyID
}

// The secret hash is "sha256$" + base64(salt) + "$" + base64(SHA-256(salt || secret)).
// A secret carries 122 random bits, so a fast salted hash resists offline
// guessing as well as a slow one would, while keeping every backend call
// cheap. Hashes in the original server's PBKDF2 format are also accepted so
// imported apps keep working.
const hashPrefix = "sha256$"

// HashSecret returns the stored form of a secret.
func HashSecret(secret string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	return hashPrefix + base64.StdEncoding.EncodeToString(salt) + "$" +
		base64.StdEncoding.EncodeToString(saltedSHA256(salt, secret))
}

func saltedSHA256(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// VerifySecret reports whether secret matches the stored hash.
func VerifySecret(stored, secret string) bool {
	if rest, ok := strings.CutPrefix(stored, hashPrefix); ok {
		saltB64, sumB64, ok := strings.Cut(rest, "$")
		salt, err1 := base64.StdEncoding.DecodeString(saltB64)
		sum, err2 := base64.StdEncoding.DecodeString(sumB64)
		if !ok || err1 != nil || err2 != nil {
			return false
		}
		return subtle.ConstantTimeCompare(sum, saltedSHA256(salt, secret)) == 1
	}
	return verifyLegacy(stored, secret)
}

// verifyLegacy checks the original server's format:
// base64(salt) ":" base64(PBKDF2-HMAC-SHA512(secret, salt, 10000, 16)).
func verifyLegacy(stored, secret string) bool {
	saltB64, sumB64, ok := strings.Cut(stored, ":")
	salt, err1 := base64.StdEncoding.DecodeString(saltB64)
	sum, err2 := base64.StdEncoding.DecodeString(sumB64)
	if !ok || err1 != nil || err2 != nil || len(sum) != 16 {
		return false
	}
	derived, err := pbkdf2.Key(sha512.New, secret, salt, 10000, 16)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(sum, derived) == 1
}

// EqualPublic compares a presented public key with the stored one in
// constant time.
func EqualPublic(stored, presented string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(presented)) == 1
}
