// Package token seals and opens the opaque tokens of the API: register_,
// session_ and verify_. A token is
//
//	prefix + base64url(keyID[4] || nonce[12] || AES-256-GCM(payload JSON))
//
// with the prefix, app id and key id as additional authenticated data, so a
// token is bound to its kind and its app and cannot be read or altered by
// clients. Keys are per app, stored through KeyStore so every instance
// sharing a database can open every other instance's tokens, and rotate
// weekly with a 30-day verification window (api-spec.md §5.3).
//
// Expiry and single use are properties of the payloads and are enforced by
// the callers; this package only proves integrity and origin.
package token

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
)

// Kind is a token kind, named by its wire prefix.
type Kind string

// Token kinds.
const (
	Register Kind = "register_"
	Session  Kind = "session_"
	Verify   Kind = "verify_"
)

const (
	// RotateAfter is the age at which a new signing key is made.
	RotateAfter = 7 * 24 * time.Hour
	// Retention is how long a key keeps opening tokens; no token outlives it.
	Retention = 30 * 24 * time.Hour
	// cacheTTL bounds how long an instance signs with a key after another
	// instance rotated. Opening never waits for it: an unknown key id is
	// looked up in the store at once.
	cacheTTL = time.Minute

	keyIDSize = 4
	nonceSize = 12
)

// KeyStore is the part of the store the sealer needs.
type KeyStore interface {
	ListTokenKeys(ctx context.Context, appID string) ([]store.TokenKey, error)
	GetTokenKey(ctx context.Context, appID string, id uint32) (store.TokenKey, error)
	AddTokenKey(ctx context.Context, key store.TokenKey) error
	DeleteTokenKeysCreatedBefore(ctx context.Context, appID string, t time.Time) error
}

// Sealer seals and opens tokens. It is safe for concurrent use.
type Sealer struct {
	keys KeyStore
	now  func() time.Time

	mu    sync.Mutex
	rings map[string]*ring
	// rotateMu makes concurrent requests of one instance create one new
	// key, not one each.
	rotateMu sync.Mutex
}

type ring struct {
	keys     []sealKey // newest first
	loadedAt time.Time
}

type sealKey struct {
	id        uint32
	createdAt time.Time
	aead      cipher.AEAD
}

// NewSealer returns a sealer over keys; now is the clock (time.Now if nil).
func NewSealer(keys KeyStore, now func() time.Time) *Sealer {
	if now == nil {
		now = time.Now
	}
	return &Sealer{keys: keys, now: now, rings: map[string]*ring{}}
}

// Seal encodes payload as a token of the given kind for appID.
func (s *Sealer) Seal(ctx context.Context, appID string, kind Kind, payload any) (string, error) {
	plain, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("token: encode payload: %w", err)
	}
	key, err := s.signingKey(ctx, appID)
	if err != nil {
		return "", err
	}
	buf := make([]byte, keyIDSize+nonceSize, keyIDSize+nonceSize+len(plain)+key.aead.Overhead())
	binary.BigEndian.PutUint32(buf, key.id)
	rand.Read(buf[keyIDSize:])
	buf = key.aead.Seal(buf, buf[keyIDSize:], plain, aad(kind, appID, buf[:keyIDSize]))
	return string(kind) + base64.RawURLEncoding.EncodeToString(buf), nil
}

// Open checks and decodes a token of the given kind into payload. A nil
// token is "missing"; every failure is a 400 problem with the errorCode the
// original server uses (missing_token, invalid_token, invalid_token_format).
func (s *Sealer) Open(ctx context.Context, appID string, kind Kind, tok *string, payload any) error {
	if tok == nil {
		return problem.BadRequest("missing_token",
			fmt.Sprintf("This operation requires a token that starts with '%s' to be passed.", kind))
	}
	if len(*tok) < len(kind) || !strings.EqualFold((*tok)[:len(kind)], string(kind)) {
		return problem.BadRequest("invalid_token", fmt.Sprintf(
			"The token you sent was not correct. The token used for this endpoint should start with '%s'. "+
				"Make sure you are not sending the wrong value. The value you sent started with '%s'",
			kind, firstRunes(*tok, 10)))
	}
	// Strict decoding: a lenient decoder ignores the unused low bits of the
	// last character, so several spellings would open as the same token.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight((*tok)[len(kind):], "="))
	if err != nil || len(raw) < keyIDSize+nonceSize+16 {
		return problem.BadRequest("invalid_token_format",
			"The token you supplied was not formatted correctly. It should be valid base64url.")
	}
	invalid := problem.BadRequest("invalid_token",
		"The token you supplied was not valid. It could be that the token has expired or that it was not issued for this tenant.")
	key, err := s.verifyingKey(ctx, appID, binary.BigEndian.Uint32(raw))
	if err != nil {
		return err
	}
	if key == nil {
		return invalid
	}
	plain, err := key.aead.Open(nil, raw[keyIDSize:keyIDSize+nonceSize], raw[keyIDSize+nonceSize:], aad(kind, appID, raw[:keyIDSize]))
	if err != nil {
		return invalid
	}
	if err := json.Unmarshal(plain, payload); err != nil {
		// Authenticated but undecodable: a payload from an incompatible
		// version. Treat as invalid rather than failing the request.
		return invalid.WithCause(err)
	}
	return nil
}

func aad(kind Kind, appID string, keyID []byte) []byte {
	var b bytes.Buffer
	b.WriteString(string(kind))
	b.WriteByte(0)
	b.WriteString(appID)
	b.WriteByte(0)
	b.Write(keyID)
	return b.Bytes()
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// signingKey returns the app's newest key, making a new one when there is
// none or the newest is due for rotation.
func (s *Sealer) signingKey(ctx context.Context, appID string) (sealKey, error) {
	r, err := s.ring(ctx, appID)
	if err != nil {
		return sealKey{}, err
	}
	now := s.now()
	if fresh(r, now) {
		return r.keys[0], nil
	}
	s.rotateMu.Lock()
	defer s.rotateMu.Unlock()
	// Another request may have rotated while we waited. Its ring may
	// since have been replaced by a load that read the store before the
	// new key was added and finished after, so when the cache shows no
	// fresh key, the store decides.
	if r, err = s.ring(ctx, appID); err != nil {
		return sealKey{}, err
	}
	if fresh(r, now) {
		return r.keys[0], nil
	}
	if r, err = s.load(ctx, appID); err != nil {
		return sealKey{}, err
	}
	if fresh(r, now) {
		return r.keys[0], nil
	}
	return s.rotate(ctx, appID, now)
}

// fresh reports whether the ring's newest key may still sign.
func fresh(r *ring, now time.Time) bool {
	return len(r.keys) > 0 && now.Sub(r.keys[0].createdAt) < RotateAfter
}

// verifyingKey finds the key with id among the app's keys still inside the
// retention window. A key id the cache does not know is looked up in the
// store: another instance may have rotated a moment ago, and a token can
// only carry a real key's id after that key was stored. The lookup is one
// indexed read, so a forged key id costs no more than that. It returns nil
// if there is no such key.
func (s *Sealer) verifyingKey(ctx context.Context, appID string, id uint32) (*sealKey, error) {
	r, err := s.ring(ctx, appID)
	if err != nil {
		return nil, err
	}
	key := r.find(id)
	if key == nil {
		if key, err = s.fetch(ctx, appID, id); key == nil || err != nil {
			return nil, err
		}
	}
	if s.now().Sub(key.createdAt) > Retention {
		return nil, nil
	}
	return key, nil
}

func (r *ring) find(id uint32) *sealKey {
	for i := range r.keys {
		if r.keys[i].id == id {
			return &r.keys[i]
		}
	}
	return nil
}

// fetch reads one key by id and adds it to the app's cached ring, so the
// next token with that id, and the next seal, use it without a query.
func (s *Sealer) fetch(ctx context.Context, appID string, id uint32) (*sealKey, error) {
	stored, err := s.keys.GetTokenKey(ctx, appID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token: get key: %w", err)
	}
	key, err := newSealKey(appID, stored)
	if err != nil {
		return nil, err
	}
	s.learn(appID, key)
	return &key, nil
}

// learn adds key to the app's cached ring, newest first. The ring is
// replaced rather than changed, since readers use it without the lock.
func (s *Sealer) learn(appID string, key sealKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.rings[appID]
	if cur == nil || cur.find(key.id) != nil {
		return
	}
	next := &ring{loadedAt: cur.loadedAt, keys: make([]sealKey, 0, len(cur.keys)+1)}
	i := 0
	for i < len(cur.keys) && !key.createdAt.After(cur.keys[i].createdAt) {
		i++
	}
	next.keys = append(append(append(next.keys, cur.keys[:i]...), key), cur.keys[i:]...)
	s.rings[appID] = next
}

// ring returns the cached keys of the app, loading them when absent or
// stale.
func (s *Sealer) ring(ctx context.Context, appID string) (*ring, error) {
	s.mu.Lock()
	r := s.rings[appID]
	s.mu.Unlock()
	if r != nil && s.now().Sub(r.loadedAt) < cacheTTL {
		return r, nil
	}
	return s.load(ctx, appID)
}

func (s *Sealer) load(ctx context.Context, appID string) (*ring, error) {
	stored, err := s.keys.ListTokenKeys(ctx, appID)
	if err != nil {
		return nil, fmt.Errorf("token: load keys: %w", err)
	}
	r := &ring{loadedAt: s.now()}
	for _, k := range stored {
		sk, err := newSealKey(appID, k)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, sk)
	}
	s.mu.Lock()
	s.rings[appID] = r
	s.mu.Unlock()
	return r, nil
}

func (s *Sealer) rotate(ctx context.Context, appID string, now time.Time) (sealKey, error) {
	k := store.TokenKey{AppID: appID, Material: make([]byte, 32), CreatedAt: now}
	rand.Read(k.Material)
	var idb [4]byte
	for attempt := 0; ; attempt++ {
		rand.Read(idb[:])
		k.ID = binary.BigEndian.Uint32(idb[:])
		err := s.keys.AddTokenKey(ctx, k)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 3 {
			return sealKey{}, fmt.Errorf("token: add key: %w", err)
		}
	}
	if err := s.keys.DeleteTokenKeysCreatedBefore(ctx, appID, now.Add(-Retention)); err != nil {
		return sealKey{}, fmt.Errorf("token: purge keys: %w", err)
	}
	if _, err := s.load(ctx, appID); err != nil {
		return sealKey{}, err
	}
	return newSealKey(appID, k)
}

// Forget drops the cached keys of an app (after the app is deleted).
func (s *Sealer) Forget(appID string) {
	s.mu.Lock()
	delete(s.rings, appID)
	s.mu.Unlock()
}

func newSealKey(appID string, k store.TokenKey) (sealKey, error) {
	// Derive the cipher key so the stored material is never used directly
	// and keys of different apps are separated even if material repeated.
	derived, err := hkdf.Key(sha256.New, k.Material, nil, "passwordless token v1 "+appID, 32)
	if err != nil {
		return sealKey{}, fmt.Errorf("token: derive key: %w", err)
	}
	block, err := aes.NewCipher(derived)
	if err != nil {
		return sealKey{}, fmt.Errorf("token: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealKey{}, fmt.Errorf("token: gcm: %w", err)
	}
	return sealKey{id: k.ID, createdAt: k.CreatedAt, aead: aead}, nil
}
