package transfer

// FuzzImport runs on an in-memory store, not a database, to keep each run
// cheap. New inputs are minimised for up to a minute each by default, which
// stalls progress on this target; a short budget keeps it fuzzing:
//
//	go test -run '^$' -fuzz FuzzImport -fuzzminimizetime 1s ./internal/transfer

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// sampleExport is a small valid export made without a store.
func sampleExport(t testing.TB) []string {
	t.Helper()
	now := time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC)
	var lines []string
	add := func(v any) {
		b, err := marshalLine(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.TrimSuffix(string(b), "\n"))
	}
	add(header{Format: Format, Version: Version, App: fromApp(store.App{ID: "app1", AdminEmail: "a@example.com", CreatedAt: now})})
	key, err := fromAPIKey(store.APIKey{ID: "abcd", Kind: store.KeySecret, Value: "sha256$c2FsdA==$c3Vt", Scopes: []string{"login"}, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	add(key)
	add(fromTokenKey(store.TokenKey{ID: 7, Material: bytes.Repeat([]byte{7}, 32), CreatedAt: now}))
	add(fromAuthConfig(store.AuthConfig{Purpose: "sign-in", UserVerification: "preferred", TTL: time.Minute, LastUsedOn: &now}))
	add(fromAuthenticator(store.AuthenticatorEntry{AAGUID: "00000000-0000-0000-0000-000000000001", IsAllowed: true, CreatedAt: now}))
	add(fromCredential(store.Credential{ID: []byte{1, 2}, UserID: "u1", UserHandle: []byte("u1"), PublicKey: []byte{0xa5},
		SignCount: 3, AAGUID: make([]byte, 16), CreatedAt: now, LastUsedAt: now, Transports: []string{"usb"}}))
	add(fromAlias(store.UserAlias{UserID: "u1", Alias: store.Alias{Hash: "h1", Plaintext: "alice"}}))
	add(endRecord{Kind: kindEnd, counts: counts{APIKeys: 1, TokenKeys: 1, AuthConfigs: 1, Authenticators: 1, Credentials: 1, Aliases: 1}})
	return lines
}

func TestImportSampleIntoMemory(t *testing.T) {
	m := newMemStore()
	appID, err := Import(t.Context(), m, strings.NewReader(strings.Join(sampleExport(t), "\n")))
	if err != nil || appID != "app1" || !m.apps["app1"] || len(m.creds) != 1 || len(m.aliases) != 1 {
		t.Fatalf("import: %q, %v; store %+v", appID, err, m)
	}
}

// memStore is the part of store.Store that Import uses, in memory, for
// fuzzing without a database. Any other method panics (nil embedded
// interface), which the fuzzer would report.
type memStore struct {
	store.Store
	apps    map[string]bool
	creds   map[string]bool
	aliases map[string]bool
}

func newMemStore() *memStore {
	return &memStore{apps: map[string]bool{}, creds: map[string]bool{}, aliases: map[string]bool{}}
}

func (m *memStore) GetApp(_ context.Context, appID string) (store.App, error) {
	if !m.apps[appID] {
		return store.App{}, store.ErrNotFound
	}
	return store.App{ID: appID}, nil
}

func (m *memStore) CreateApp(_ context.Context, app store.App, _ []store.APIKey) error {
	if m.apps[app.ID] {
		return store.ErrConflict
	}
	m.apps[app.ID] = true
	return nil
}

func (m *memStore) DeleteApp(_ context.Context, appID string) error {
	delete(m.apps, appID)
	return nil
}

func (m *memStore) AddAPIKey(context.Context, store.APIKey) error     { return nil }
func (m *memStore) AddTokenKey(context.Context, store.TokenKey) error { return nil }
func (m *memStore) PutAuthConfig(context.Context, store.AuthConfig) error {
	return nil
}
func (m *memStore) TouchAuthConfig(context.Context, string, string, time.Time, store.AuthConfig) error {
	return nil
}
func (m *memStore) PutAuthenticators(context.Context, string, []string, bool, time.Time) error {
	return nil
}

func (m *memStore) ImportCredentials(_ context.Context, creds []store.Credential) error {
	seen := map[string]bool{}
	for _, c := range creds {
		k := c.AppID + "\x00" + string(c.ID)
		if m.creds[k] || seen[k] {
			return store.ErrConflict
		}
		seen[k] = true
	}
	for k := range seen {
		m.creds[k] = true
	}
	return nil
}

func (m *memStore) ImportAliases(_ context.Context, appID string, aliases []store.UserAlias) error {
	seen := map[string]bool{}
	for _, a := range aliases {
		k := appID + "\x00" + a.Hash
		if m.aliases[k] || seen[k] {
			return store.ErrAliasConflict
		}
		seen[k] = true
	}
	for k := range seen {
		m.aliases[k] = true
	}
	return nil
}

// FuzzImport feeds arbitrary input to Import and each of its lines to the
// line parser: neither may panic, an import either fails or yields the
// header's app, and a record that parses survives re-encoding.
func FuzzImport(f *testing.F) {
	base := sampleExport(f)
	f.Add([]byte(strings.Join(base, "\n") + "\n"))
	f.Add([]byte(strings.Join(base[:len(base)-1], "\n")))
	f.Add([]byte(base[0] + "\n" + `{"kind":"end","apiKeys":0,"tokenKeys":0,"authConfigs":0,"authenticators":0,"credentials":0,"aliases":0}`))
	f.Add([]byte(base[0] + "\n" + `{"kind":"credential","id":"AQ==","userId":"u","publicKey":"AQ=="}` + "\n"))
	f.Add([]byte(`{"format":"passwordless-export","version":1,"app":null}`))
	f.Add([]byte("{}\n{\"kind\":1}\n"))
	for _, l := range base {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newMemStore()
		appID, err := Import(context.Background(), m, bytes.NewReader(data))
		switch {
		case err == nil && !m.apps[appID]:
			t.Fatalf("import of %q succeeded but the app is not stored", appID)
		case err != nil && len(m.apps) != 0:
			t.Fatalf("failed import left apps behind: %v", err)
		}
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			rec, err := parseRecord(line)
			if err != nil {
				continue
			}
			enc, err := marshalLine(rec)
			if err != nil {
				t.Fatalf("parsed record %q does not re-encode: %v", line, err)
			}
			again, err := parseRecord(enc)
			if err != nil {
				t.Fatalf("re-encoded record %q does not parse: %v", enc, err)
			}
			if !reflect.DeepEqual(again, rec) {
				t.Fatalf("record changed on re-encoding:\n %#v\n %#v", rec, again)
			}
		}
	})
}
