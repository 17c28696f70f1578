package aaguid_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/aaguid"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
)

const (
	googlePM  = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
	svgIcon   = "data:image/svg+xml;base64,PHN2Zy8+"
	otherUUID = "6f1c2a0e-3b7d-4c55-9e21-8a4f0d9b7c31"
)

func TestEmbeddedListNamesKnownProviders(t *testing.T) {
	d := aaguid.NewDirectory(nil, nil)
	if got := d.Name(googlePM); got != "Google Password Manager" {
		t.Errorf("Name(%s) = %q", googlePM, got)
	}
	// AAGUIDs are matched whatever their letter case.
	if got := d.Name(strings.ToUpper(googlePM)); got != "Google Password Manager" {
		t.Errorf("upper-case AAGUID: %q", got)
	}
	if aaguid.Embedded().Len() < 40 {
		t.Errorf("embedded list has %d entries", aaguid.Embedded().Len())
	}
}

func TestLookupRefusesWhatNamesNothing(t *testing.T) {
	d := aaguid.NewDirectory(nil, nil)
	for _, in := range []string{"", "00000000-0000-0000-0000-000000000000", "not-a-uuid", otherUUID} {
		if p, ok := d.Lookup(in); ok {
			t.Errorf("Lookup(%q) = %+v", in, p)
		}
	}
	var nilDir *aaguid.Directory
	if nilDir.Name(googlePM) != "" {
		t.Error("a nil directory named something")
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"names and icons", `{"` + otherUUID + `":{"name":"Acme","icon_light":"` + svgIcon + `"}}`, true},
		{"empty object", `{}`, true},
		{"not an object", `[]`, false},
		{"null", `null`, false},
		{"bad key", `{"acme":{"name":"Acme"}}`, false},
		{"no name", `{"` + otherUUID + `":{"icon_light":"` + svgIcon + `"}}`, false},
		{"blank name", `{"` + otherUUID + `":{"name":"  "}}`, false},
		{"truncated", `{"` + otherUUID + `":{"name":"Acme"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := aaguid.Parse([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Errorf("Parse error = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestIconsOtherThanSVGDataURLsAreDropped(t *testing.T) {
	l, err := aaguid.Parse([]byte(`{"` + otherUUID + `":{"name":"Acme","icon_light":"https://tracker.example/x.svg","icon_dark":"` + svgIcon + `"}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := aaguid.NewDirectory(func() *aaguid.List { return l }, nil).Lookup(otherUUID)
	if !ok || p.IconLight != "" || p.IconDark != svgIcon || p.Icon() != svgIcon {
		t.Fatalf("provider = %+v", p)
	}
}

func TestMetadataNamesWhatTheListLacks(t *testing.T) {
	md := mdstest.Metadata(t)
	listed, err := aaguid.Parse([]byte(`{"` + mdstest.Certified.String() + `":{"name":"Listed name"}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := aaguid.NewDirectory(func() *aaguid.List { return listed }, func() *mds.Metadata { return md })
	if got := d.Name(mdstest.Uncertified.String()); got != mdstest.UncertifiedName {
		t.Errorf("from the BLOB: %q, want %q", got, mdstest.UncertifiedName)
	}
	if got := d.Name(mdstest.Certified.String()); got != "Listed name" {
		t.Errorf("the list must win over the BLOB: %q", got)
	}
	if got := d.Name(mdstest.Unknown.String()); got != "" {
		t.Errorf("unknown AAGUID named %q", got)
	}
}

func TestWatcherReloadsAndKeepsTheLastGoodList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "names.json")
	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// Explicit times: two writes within the file system's timestamp
		// resolution must still look like a change.
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now().Add(-time.Hour)
	write(`{"`+otherUUID+`":{"name":"First"}}`, start)

	w := aaguid.NewWatcher(path, nil)
	d := aaguid.NewDirectory(w.Current, nil)
	if d.Name(otherUUID) != "" {
		t.Fatal("named before the first load")
	}
	if reloaded, err := w.Check(); err != nil || !reloaded {
		t.Fatalf("first Check = %v, %v", reloaded, err)
	}
	if got := d.Name(otherUUID); got != "First" {
		t.Fatalf("after load: %q", got)
	}
	// The file replaces the embedded list rather than adding to it.
	if got := d.Name(googlePM); got != "" {
		t.Errorf("embedded name %q leaked through a file list", got)
	}
	if reloaded, err := w.Check(); err != nil || reloaded {
		t.Fatalf("unchanged file: Check = %v, %v", reloaded, err)
	}

	write(`{"`+otherUUID+`":{"name":"Second"}}`, start.Add(time.Minute))
	if reloaded, err := w.Check(); err != nil || !reloaded {
		t.Fatalf("changed file: Check = %v, %v", reloaded, err)
	}
	if got := d.Name(otherUUID); got != "Second" {
		t.Fatalf("after reload: %q", got)
	}

	write(`{"`+otherUUID+`":{"name":`, start.Add(2*time.Minute))
	if _, err := w.Check(); err == nil {
		t.Fatal("a broken file loaded")
	}
	if got := d.Name(otherUUID); got != "Second" {
		t.Fatalf("after a bad file: %q, want the previous list kept", got)
	}
	// A broken file is not parsed again until it changes.
	if reloaded, err := w.Check(); err != nil || reloaded {
		t.Fatalf("unchanged broken file: Check = %v, %v", reloaded, err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Check(); err == nil {
		t.Fatal("a missing file reported no error")
	}
	if got := d.Name(otherUUID); got != "Second" {
		t.Fatalf("after the file went away: %q", got)
	}
}
