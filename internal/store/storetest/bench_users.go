package storetest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// UsersSeededEnv sets the number of users BenchUsers seeds (default
// usersSeeded); the console's target is PASSWORDLESS_BENCH_USERS=1000000.
const UsersSeededEnv = "PASSWORDLESS_BENCH_USERS"

// usersSeeded is BenchUsers' default size: large enough that a query
// reading the whole app shows, small enough to seed in seconds.
const usersSeeded = 100_000

// BenchUsers times the console's user lookups on an app with many users
// (one credential and one hashed alias each, written through
// ImportCredentials and ImportAliases): the first page, a page deep in
// the list, a user id prefix, an exact user id, an alias and a credential
// id. Each is one index range or point read, so each takes about as long
// at a million users as at a thousand. analyze, if not nil, runs after
// seeding.
func BenchUsers(b *testing.B, open func(b *testing.B) store.Store, analyze func(b *testing.B, s store.Store)) {
	n := usersSeeded
	if v := os.Getenv(UsersSeededEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("%s=%q: want a whole number of at least 1000", UsersSeededEnv, v)
		}
	}
	s := open(b)
	start := time.Now()
	seedUsers(b, s, n)
	if analyze != nil {
		analyze(b, s)
	}
	b.Logf("seeded %d users in %s", n, time.Since(start).Round(time.Millisecond))
	deep := benchUserID(n * 9 / 10)
	probe := n / 2
	for _, q := range []struct {
		name string
		run  func() (int, error)
	}{
		{"FirstPage", func() (int, error) {
			l, err := s.ListUsersPage(b.Context(), "users", store.UserPage{Limit: 50})
			return len(l), err
		}},
		{"DeepPage", func() (int, error) {
			l, err := s.ListUsersPage(b.Context(), "users", store.UserPage{After: deep, Limit: 50})
			return len(l), err
		}},
		{"UserIDPrefix", func() (int, error) {
			// Ten users share the prefix of all but the last digit.
			id := benchUserID(probe)
			l, err := s.ListUsersPage(b.Context(), "users", store.UserPage{Prefix: id[:len(id)-1], Limit: 50})
			return len(l), err
		}},
		{"UserIDExact", func() (int, error) {
			l, err := s.ListUsersPage(b.Context(), "users", store.UserPage{Prefix: benchUserID(probe), Limit: 1})
			return len(l), err
		}},
		{"Alias", func() (int, error) {
			_, err := s.AliasOwner(b.Context(), "users", benchAliasHash(probe))
			return 1, err
		}},
		{"CredentialID", func() (int, error) {
			_, err := s.GetCredential(b.Context(), "users", benchCredentialID(probe))
			return 1, err
		}},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				got, err := q.run()
				if err != nil {
					b.Fatal(err)
				}
				if got == 0 {
					b.Fatal("found nothing")
				}
			}
		})
	}
}

func benchUserID(i int) string       { return fmt.Sprintf("user-%08d", i) }
func benchCredentialID(i int) []byte { return fmt.Appendf(nil, "credential-%08d", i) }
func benchAliasHash(i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "usersalias-%08d", i))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// seedUsers creates app "users" with n users in batches.
func seedUsers(b *testing.B, s store.Store, n int) {
	b.Helper()
	ctx := b.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := s.CreateApp(ctx, store.App{ID: "users", AdminEmail: "a@example.com", CreatedAt: now}, nil); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	creds := make([]store.Credential, 0, batch)
	aliases := make([]store.UserAlias, 0, batch)
	for i := range n {
		u := benchUserID(i)
		creds = append(creds, store.Credential{AppID: "users", ID: benchCredentialID(i), UserID: u, UserHandle: []byte(u),
			PublicKey: make([]byte, 77), AttestationFmt: "none", CreatedAt: now, LastUsedAt: now,
			RPID: "example.com", Origin: "https://example.com", Device: "Chrome, Linux"})
		aliases = append(aliases, store.UserAlias{UserID: u, Alias: store.Alias{Hash: benchAliasHash(i)}})
		if len(creds) == batch || i == n-1 {
			if err := s.ImportCredentials(ctx, creds); err != nil {
				b.Fatal(err)
			}
			if err := s.ImportAliases(ctx, "users", aliases); err != nil {
				b.Fatal(err)
			}
			creds, aliases = creds[:0], aliases[:0]
		}
	}
}
