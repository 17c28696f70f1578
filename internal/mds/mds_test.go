package mds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
)

func TestLoadAndQueries(t *testing.T) {
	m := mdstest.Metadata(t)

	if got := m.Number(); got != 1 {
		t.Errorf("Number = %d, want 1", got)
	}
	if got := m.Len(); got != 4 {
		t.Errorf("Len = %d, want 4 fido2 entries", got)
	}
	if m.Partial() != 0 {
		t.Errorf("Partial = %d, want 0", m.Partial())
	}

	e, ok := m.Entry(mdstest.Certified)
	if !ok || e.Description != mdstest.CertifiedName || e.Icon != mdstest.Icon || e.Parsed == nil {
		t.Fatalf("Entry(Certified) = %+v, %v", e, ok)
	}
	if len(e.Parsed.MetadataStatement.AttestationRootCertificates) != 1 {
		t.Errorf("parsed entry lacks its attestation root")
	}
	for _, id := range []uuid.UUID{mdstest.U2F, mdstest.Unknown, uuid.Nil} {
		if _, ok := m.Entry(id); ok {
			t.Errorf("Entry(%s) found", id)
		}
	}

	if got, want := m.AttestationTypes(), []string{"anonca", "attca", "basic_full", "basic_surrogate", "none"}; !slices.Equal(got, want) {
		t.Errorf("AttestationTypes = %q, want %q", got, want)
	}
	if got, want := m.CertificationStatuses(), []string{"FIDO_CERTIFIED", "FIDO_CERTIFIED_L1", "NOT_FIDO_CERTIFIED",
		"REVOKED", "UPDATE_AVAILABLE", "USER_VERIFICATION_BYPASS"}; !slices.Equal(got, want) {
		t.Errorf("CertificationStatuses = %q, want %q", got, want)
	}
}

func TestEntries(t *testing.T) {
	m := mdstest.Metadata(t)
	names := func(vs []mds.EntryView) []string {
		out := []string{}
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return out
	}
	all := []string{mdstest.CertifiedName, mdstest.RevokedName, mdstest.FixedName, mdstest.UncertifiedName}
	tests := []struct {
		name     string
		types    []string
		statuses []string
		want     []string
	}{
		{"no filter", nil, nil, all},
		{"empty filters", []string{}, []string{}, all},
		{"one type", []string{"basic_full"}, nil, []string{mdstest.CertifiedName, mdstest.RevokedName}},
		{"any of types", []string{"attca", "none"}, nil, []string{mdstest.RevokedName, mdstest.UncertifiedName}},
		{"u2f type invisible", []string{"ecdaa"}, nil, []string{}},
		{"status of any report", []string{}, []string{"FIDO_CERTIFIED_L1"}, []string{mdstest.CertifiedName, mdstest.RevokedName}},
		{"type and status", []string{"basic_full"}, []string{"REVOKED", "NOT_FIDO_CERTIFIED"}, []string{mdstest.RevokedName}},
		{"case sensitive", []string{"BASIC_FULL"}, nil, []string{}},
		{"no match", nil, []string{"FIDO_CERTIFIED_L3"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(m.Entries(tc.types, tc.statuses)); !slices.Equal(got, tc.want) {
				t.Errorf("Entries = %q, want %q", got, tc.want)
			}
		})
	}

	got, err := json.Marshal(m.Entries([]string{"basic_full"}, []string{"FIDO_CERTIFIED"}))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"aaGuid":"11111111-1111-4111-8111-111111111111","name":"Alpha Security Key",` +
		`"certificationStatuses":["FIDO_CERTIFIED","FIDO_CERTIFIED_L1"],"attestationTypes":["basic_full"],` +
		`"icon":"` + mdstest.Icon + `"}]`
	if string(got) != want {
		t.Errorf("JSON = %s\nwant   %s", got, want)
	}
	got, _ = json.Marshal(m.Entries([]string{"none"}, nil))
	if !strings.Contains(string(got), `"icon":null`) {
		t.Errorf("entry without icon = %s, want icon null", got)
	}
	got, _ = json.Marshal(m.Entries([]string{"nothing"}, nil))
	if string(got) != "[]" {
		t.Errorf("empty result = %s, want []", got)
	}
}

func TestUndesiredStatus(t *testing.T) {
	m := mdstest.Metadata(t)
	tests := []struct {
		id   uuid.UUID
		want string
	}{
		{mdstest.Certified, ""},
		{mdstest.Revoked, "REVOKED"},
		{mdstest.U2F, ""}, // compromised, but not fido2
		{mdstest.Uncertified, ""},
		{mdstest.Fixed, ""}, // the bypass report is superseded
		{mdstest.Unknown, ""},
	}
	for _, tc := range tests {
		got, ok := m.UndesiredStatus(tc.id)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("UndesiredStatus(%s) = %q, %v; want %q", tc.id, got, ok, tc.want)
		}
	}
}

func TestUndesiredStatusUsesClock(t *testing.T) {
	s := mdstest.NewSigner(t)
	id := uuid.MustParse("66666666-6666-4666-8666-666666666666")
	blob := s.Sign(t, mdstest.Payload(3, mdstest.NewEntry(id, "FIDO2", "Clocked", []string{"basic_full"},
		mdstest.Report{Status: "FIDO_CERTIFIED", Date: "2020-01-01"},
		mdstest.Report{Status: "USER_KEY_PHYSICAL_COMPROMISE", Date: "2030-01-01"})))
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC), true},
	} {
		m, err := mds.Parse(blob, s.Root, func() time.Time { return tc.now })
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.UndesiredStatus(id); ok != tc.want {
			t.Errorf("at %s: undesired = %v, want %v", tc.now, ok, tc.want)
		}
	}
}

func TestNilMetadata(t *testing.T) {
	var m *mds.Metadata
	if _, ok := m.Entry(mdstest.Certified); ok {
		t.Error("Entry found on nil")
	}
	if _, ok := m.UndesiredStatus(mdstest.Revoked); ok {
		t.Error("UndesiredStatus on nil")
	}
	for name, got := range map[string]any{
		"AttestationTypes":      m.AttestationTypes(),
		"CertificationStatuses": m.CertificationStatuses(),
		"Entries":               m.Entries(nil, nil),
	} {
		b, _ := json.Marshal(got)
		if string(b) != "[]" {
			t.Errorf("%s on nil = %s, want []", name, b)
		}
	}
	if m.Len() != 0 || m.Number() != 0 || m.Partial() != 0 || !m.NextUpdate().IsZero() {
		t.Error("nil metadata not empty")
	}
}

func TestPartiallyParsedEntryIsKept(t *testing.T) {
	s := mdstest.NewSigner(t)
	id := uuid.MustParse("77777777-7777-4777-8777-777777777777")
	e := mdstest.NewEntry(id, "fido2", "Odd Key", []string{"attca"}, mdstest.Report{Status: "REVOKED"})
	e["metadataStatement"].(map[string]any)["attestationRootCertificates"] = []string{"not a certificate"}
	m, err := mds.Parse(s.Sign(t, mdstest.Payload(1, e)), s.Root, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := m.Entry(id)
	if !ok || got.Parsed != nil || m.Partial() != 1 {
		t.Fatalf("Entry = %+v, %v; partial %d", got, ok, m.Partial())
	}
	if st, ok := m.UndesiredStatus(id); !ok || st != "REVOKED" {
		t.Errorf("UndesiredStatus = %q, %v", st, ok)
	}
	if _, err := mds.NewProvider(func() *mds.Metadata { return m }).GetEntry(context.Background(), id); err != nil {
		t.Error(err)
	}
}

func TestLoadRejects(t *testing.T) {
	blob, root := mdstest.BLOB(t)
	other := mdstest.NewSigner(t)

	if _, err := mds.Parse(blob, other.Root, nil); err == nil {
		t.Error("BLOB accepted with another root")
	}
	if _, err := mds.Parse(blob, nil, nil); err == nil {
		t.Error("test BLOB accepted with the production root")
	}
	parts := bytes.Split(blob, []byte("."))
	forged := other.Sign(t, mdstest.Payload(2))
	tampered := bytes.Join([][]byte{parts[0], bytes.Split(forged, []byte("."))[1], parts[2]}, []byte("."))
	if _, err := mds.Parse(tampered, root, nil); err == nil {
		t.Error("BLOB with a replaced payload accepted")
	}
	if _, err := mds.Parse([]byte("not a jwt"), root, nil); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := mds.Load(t.TempDir()+"/missing.jwt", root, nil); err == nil {
		t.Error("missing file accepted")
	}
	// Trailing newline (as editors and curl leave it) is fine.
	if _, err := mds.Parse(append(slices.Clone(blob), '\n'), root, nil); err != nil {
		t.Errorf("BLOB with trailing newline: %v", err)
	}
}

func TestProvider(t *testing.T) {
	m := mdstest.Metadata(t)
	ctx := context.Background()
	p := mds.NewProvider(func() *mds.Metadata { return m })
	e, err := p.GetEntry(ctx, mdstest.Certified)
	if err != nil || e == nil || e.AaGUID != mdstest.Certified {
		t.Fatalf("GetEntry = %v, %v", e, err)
	}
	if e, _ := p.GetEntry(ctx, mdstest.Unknown); e != nil {
		t.Error("entry for unknown AAGUID")
	}
	if !p.GetValidateTrustAnchor(ctx) || p.GetValidateEntry(ctx) || p.GetValidateStatus(ctx) {
		t.Error("unexpected provider switches")
	}
	if e, _ := mds.NewProvider(func() *mds.Metadata { return nil }).GetEntry(ctx, mdstest.Certified); e != nil {
		t.Error("entry from nil metadata")
	}
}

// safeBuffer is a log sink read while the watcher writes to it.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestWatcher(t *testing.T) {
	s := mdstest.NewSigner(t)
	path := mdstest.WriteFile(t, s.Sign(t, mdstest.Payload(1, s.DefaultEntries()...)))
	var logs safeBuffer
	w := mds.NewWatcher(path, s.Root, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if w.Current() != nil {
		t.Fatal("metadata before the first check")
	}
	if reloaded, err := w.Check(); err != nil || !reloaded {
		t.Fatalf("first Check = %v, %v", reloaded, err)
	}
	first := w.Current()
	if first.Number() != 1 {
		t.Fatalf("Number = %d", first.Number())
	}
	if reloaded, err := w.Check(); err != nil || reloaded {
		t.Fatalf("unchanged Check = %v, %v", reloaded, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; log:\n%s", what, logs.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// A new BLOB with one more entry is picked up.
	extra := uuid.MustParse("88888888-8888-4888-8888-888888888888")
	entries := append(s.DefaultEntries(), mdstest.NewEntry(extra, "fido2", "Epsilon", []string{"attca"}))
	writeFile(t, path, s.Sign(t, mdstest.Payload(2, entries...)))
	waitFor("reload", func() bool { return w.Current().Number() == 2 })
	if _, ok := w.Current().Entry(extra); !ok {
		t.Error("new entry missing after reload")
	}
	if _, ok := first.Entry(extra); ok {
		t.Error("old metadata value changed")
	}

	// A BLOB signed under another root is refused; the last good one stays.
	other := mdstest.NewSigner(t)
	writeFile(t, path, other.Sign(t, mdstest.Payload(3, other.DefaultEntries()...)))
	waitFor("error log", func() bool { return strings.Contains(logs.String(), "keeping the previous metadata blob") })
	if got := w.Current().Number(); got != 2 {
		t.Errorf("Number after bad BLOB = %d, want 2", got)
	}

	// A removed file keeps the last BLOB too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor("missing-file log", func() bool { return strings.Contains(logs.String(), "does not exist") })
	if _, err := w.Check(); !errors.Is(err, mds.ErrNoBlob) {
		t.Errorf("Check on missing file = %v", err)
	}
	if got := w.Current().Number(); got != 2 {
		t.Errorf("Number after removal = %d, want 2", got)
	}

	// And a good file after that is loaded again.
	writeFile(t, path, s.Sign(t, mdstest.Payload(4, s.DefaultEntries()...)))
	waitFor("recovery", func() bool { return w.Current().Number() == 4 })
}

func TestNilWatcher(t *testing.T) {
	var w *mds.Watcher
	if w.Current() != nil {
		t.Error("nil watcher has metadata")
	}
}

// writeFile replaces the file atomically, as a deployment would.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
