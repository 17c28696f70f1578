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

// Made-up entries: the tests bring their own list, as operators do.
const (
	exampleAAGUID = "6f1c2a0e-3b7d-4c55-9e21-8a4f0d9b7c31"
	exampleName   = "Example Passkey Provider"
	otherAAGUID   = "0c7f4e92-5a1b-4d3e-b8c6-2f9a71e4d058"
	otherName     = "Example Security Key"
	unlistedUUID  = "a3d5b7e9-1c2f-4a6b-8d0e-3f5a7c9b1d2e"
	svgIcon       = "data:image/svg+xml;base64,PHN2Zy8+"
)

// exampleList is a list file as an operator would download it: keys in
// any letter case, icons, and the all-zero AAGUID, which must name nothing.
var exampleList = `{
 "` + exampleAAGUID + `": {"name": "` + exampleName + `", "icon_light": "` + svgIcon + `"},
 "` + strings.ToUpper(otherAAGUID) + `": {"name": "  ` + otherName + `  "},
 "00000000-0000-0000-0000-000000000000": {"name": "Anonymous"}
}`

// writeList writes a list file with an explicit modification time, so that
// two writes within the file system's timestamp resolution still look
// like a change to a Watcher.
func writeList(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// loadedDirectory returns a directory over exampleList read from a file.
func loadedDirectory(t *testing.T, metadata func() *mds.Metadata) *aaguid.Directory {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aaguid.json")
	writeList(t, path, exampleList, time.Now())
	w := aaguid.NewWatcher(path, nil)
	if _, err := w.Check(); err != nil {
		t.Fatal(err)
	}
	return aaguid.NewDirectory(w.Current, metadata)
}

func TestLookupFromAListFile(t *testing.T) {
	d := loadedDirectory(t, nil)
	for _, tc := range []struct {
		name, aaguid, want string
	}{
		{"listed", exampleAAGUID, exampleName},
		{"upper-case lookup", strings.ToUpper(exampleAAGUID), exampleName},
		{"upper-case key, name trimmed", otherAAGUID, otherName},
		{"unlisted", unlistedUUID, ""},
		{"all-zero AAGUID, even when listed", "00000000-0000-0000-0000-000000000000", ""},
		{"not an AAGUID", "not-a-uuid", ""},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := d.Lookup(tc.aaguid)
			if p.Name != tc.want || ok != (tc.want != "") {
				t.Errorf("Lookup(%q) = %+v, %v; want name %q", tc.aaguid, p, ok, tc.want)
			}
		})
	}
	if p, _ := d.Lookup(exampleAAGUID); p.Icon() != svgIcon {
		t.Errorf("icon = %q, want the list's SVG", p.Icon())
	}
}

func TestWithoutAListNothingIsNamed(t *testing.T) {
	for _, d := range []*aaguid.Directory{
		aaguid.NewDirectory(nil, nil),
		aaguid.NewDirectory(func() *aaguid.List { return nil }, func() *mds.Metadata { return nil }),
		nil,
	} {
		if p, ok := d.Lookup(exampleAAGUID); ok || d.Name(exampleAAGUID) != "" {
			t.Errorf("Lookup = %+v, %v", p, ok)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		entries  int // -1: must fail
	}{
		{"example list", exampleList, 3},
		{"empty object", `{}`, 0},
		{"not an object", `[]`, -1},
		{"null", `null`, -1},
		{"bad key", `{"acme":{"name":"Acme"}}`, -1},
		{"no name", `{"` + exampleAAGUID + `":{"icon_light":"` + svgIcon + `"}}`, -1},
		{"blank name", `{"` + exampleAAGUID + `":{"name":"  "}}`, -1},
		{"truncated", `{"` + exampleAAGUID + `":{"name":"Acme"`, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := aaguid.Parse([]byte(tc.in))
			switch {
			case tc.entries < 0 && err == nil:
				t.Errorf("Parse accepted %s", tc.in)
			case tc.entries >= 0 && err != nil:
				t.Errorf("Parse error = %v", err)
			case tc.entries >= 0 && l.Len() != tc.entries:
				t.Errorf("Len = %d, want %d", l.Len(), tc.entries)
			}
		})
	}
}

func TestIconsOtherThanSVGDataURLsAreDropped(t *testing.T) {
	l, err := aaguid.Parse([]byte(`{"` + exampleAAGUID + `":{"name":"Acme","icon_light":"https://tracker.example/x.svg","icon_dark":"` + svgIcon + `"}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := aaguid.NewDirectory(func() *aaguid.List { return l }, nil).Lookup(exampleAAGUID)
	if !ok || p.IconLight != "" || p.IconDark != svgIcon || p.Icon() != svgIcon {
		t.Fatalf("provider = %+v", p)
	}
}

func TestMetadataNamesWhatTheListLacks(t *testing.T) {
	md := mdstest.Metadata(t)
	metadata := func() *mds.Metadata { return md }
	path := filepath.Join(t.TempDir(), "aaguid.json")
	writeList(t, path, `{"`+mdstest.Certified.String()+`":{"name":"`+exampleName+`"}}`, time.Now())
	w := aaguid.NewWatcher(path, nil)
	if _, err := w.Check(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name    string
		d       *aaguid.Directory
		aaguid  string
		want    string
		wantImg string
	}{
		{"the list wins over the BLOB", aaguid.NewDirectory(w.Current, metadata), mdstest.Certified.String(), exampleName, ""},
		{"the BLOB names what the list lacks", aaguid.NewDirectory(w.Current, metadata), mdstest.Uncertified.String(), mdstest.UncertifiedName, ""},
		{"the BLOB alone, without a list", aaguid.NewDirectory(nil, metadata), mdstest.Certified.String(), mdstest.CertifiedName, mdstest.Icon},
		{"in neither", aaguid.NewDirectory(w.Current, metadata), mdstest.Unknown.String(), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := tc.d.Lookup(tc.aaguid)
			if p.Name != tc.want || p.Icon() != tc.wantImg {
				t.Errorf("Lookup(%s) = %+v, want name %q icon %q", tc.aaguid, p, tc.want, tc.wantImg)
			}
		})
	}
}

func TestWatcherReloadsAndKeepsTheLastGoodList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aaguid.json")
	start := time.Now().Add(-time.Hour)
	writeList(t, path, exampleList, start)

	w := aaguid.NewWatcher(path, nil)
	d := aaguid.NewDirectory(w.Current, nil)
	if d.Name(exampleAAGUID) != "" {
		t.Fatal("named before the first load")
	}
	if reloaded, err := w.Check(); err != nil || !reloaded {
		t.Fatalf("first Check = %v, %v", reloaded, err)
	}
	if got := d.Name(exampleAAGUID); got != exampleName {
		t.Fatalf("after load: %q", got)
	}
	if reloaded, err := w.Check(); err != nil || reloaded {
		t.Fatalf("unchanged file: Check = %v, %v", reloaded, err)
	}

	// A new file replaces the list: renamed entries change, dropped ones go.
	writeList(t, path, `{"`+exampleAAGUID+`":{"name":"Example Provider, renamed"}}`, start.Add(time.Minute))
	if reloaded, err := w.Check(); err != nil || !reloaded {
		t.Fatalf("changed file: Check = %v, %v", reloaded, err)
	}
	if got := d.Name(exampleAAGUID); got != "Example Provider, renamed" {
		t.Fatalf("after reload: %q", got)
	}
	if got := d.Name(otherAAGUID); got != "" {
		t.Fatalf("an entry the new file dropped is still named %q", got)
	}

	writeList(t, path, `{"`+exampleAAGUID+`":{"name":`, start.Add(2*time.Minute))
	if _, err := w.Check(); err == nil {
		t.Fatal("a broken file loaded")
	}
	if got := d.Name(exampleAAGUID); got != "Example Provider, renamed" {
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
	if got := d.Name(exampleAAGUID); got != "Example Provider, renamed" {
		t.Fatalf("after the file went away: %q", got)
	}

	// Once fixed, the file loads again.
	writeList(t, path, exampleList, start.Add(3*time.Minute))
	if reloaded, err := w.Check(); err != nil || !reloaded {
		t.Fatalf("fixed file: Check = %v, %v", reloaded, err)
	}
	if got := d.Name(otherAAGUID); got != otherName {
		t.Fatalf("after the fix: %q", got)
	}
}
