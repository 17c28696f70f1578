package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/users"
)

// IsPostgres reports whether a database setting names PostgreSQL, by the
// server's own rule.
func IsPostgres(database string) bool { return config.IsPostgresDSN(database) }

// SeedResult describes a seeding.
type SeedResult struct {
	Existing int64         `json:"existing"` // credentials of the app before
	Added    int64         `json:"added"`
	Took     time.Duration `json:"tookNs"`
	PerSec   float64       `json:"perSec"`
}

// SeedStore is the part of store.Store Seed uses.
type SeedStore interface {
	CountCredentials(ctx context.Context, appID string) (int64, error)
	ImportCredentials(ctx context.Context, creds []store.Credential) error
	ImportAliases(ctx context.Context, appID string, aliases []store.UserAlias) error
}

// Seed fills the app with filler users up to total credentials: one
// credential and one hashed alias per user, each credential with its own
// freshly generated public key of alg, written through ImportCredentials
// and ImportAliases in batches. The private keys are discarded: seeded
// users make the tables and indexes as large as a real app's, while the
// measured users are registered through real ceremonies.
func Seed(ctx context.Context, st SeedStore, appID, alg, rpID, origin string, total int64, batch int, progress io.Writer) (SeedResult, error) {
	existing, err := st.CountCredentials(ctx, appID)
	if err != nil {
		return SeedResult{}, fmt.Errorf("count credentials: %w", err)
	}
	res := SeedResult{Existing: existing}
	if existing >= total {
		return res, nil
	}
	if batch <= 0 {
		batch = 5000
	}
	enc, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return res, err
	}
	start := time.Now()
	now := start.UTC()
	// Filler ids continue after any earlier seeding of the app.
	next := existing
	for next < total {
		n := int(min(int64(batch), total-next))
		creds := make([]store.Credential, n)
		aliases := make([]store.UserAlias, n)
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		errs := make([]error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += workers {
					idx := next + int64(i)
					userID := fmt.Sprintf("seed-%08d", idx)
					pub, err := newCOSEKey(enc, alg)
					if err != nil {
						errs[w] = err
						return
					}
					id := make([]byte, 32)
					rand.Read(id)
					disc := true
					creds[i] = store.Credential{
						AppID: appID, ID: id, UserID: userID, UserHandle: []byte(userID),
						PublicKey: pub, AttestationFmt: "none", AAGUID: make([]byte, 16),
						CreatedAt: now, LastUsedAt: now, RPID: rpID, Origin: origin,
						Device: "Chrome, Linux", Nickname: "seeded", Discoverable: &disc,
					}
					aliases[i] = store.UserAlias{UserID: userID, Alias: store.Alias{Hash: users.HashAlias(appID, userID+"@example.com")}}
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				return res, e
			}
		}
		if err := st.ImportCredentials(ctx, creds); err != nil {
			return res, fmt.Errorf("import credentials: %w", err)
		}
		if err := st.ImportAliases(ctx, appID, aliases); err != nil {
			return res, fmt.Errorf("import aliases: %w", err)
		}
		next += int64(n)
		res.Added += int64(n)
		if progress != nil {
			el := time.Since(start)
			fmt.Fprintf(progress, "\rseeding: %d/%d credentials (%.0f/s)   ", next, total, float64(res.Added)/el.Seconds())
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	res.Took = time.Since(start)
	res.PerSec = float64(res.Added) / res.Took.Seconds()
	return res, nil
}

// newCOSEKey generates a key pair and returns the COSE_Key of its public
// half, encoded as an authenticator would.
func newCOSEKey(enc cbor.EncMode, alg string) ([]byte, error) {
	if alg == "EdDSA" {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return enc.Marshal(map[int]any{1: 1, 3: -8, -1: 6, -2: []byte(pub)})
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	b, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	return enc.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: b[1:33], -3: b[33:65]})
}
