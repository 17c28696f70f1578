package demo

import (
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

var scriptTag = regexp.MustCompile(`<script\b[^>]*>`)

func attr(tag, name string) string {
	m := regexp.MustCompile(`\b` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

// The page loads the official client from the pinned URL with its
// integrity hash, before its own script, and nothing else from elsewhere.
func TestPageLoadsThePinnedOfficialClient(t *testing.T) {
	page, err := fs.ReadFile(Files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	tags := scriptTag.FindAllString(string(page), -1)
	if len(tags) != 2 {
		t.Fatalf("want the client and demo.js, got %q", tags)
	}
	client, own := tags[0], tags[1]
	if attr(client, "src") != ClientScriptURL || attr(client, "integrity") != ClientIntegrity || attr(client, "crossorigin") != "anonymous" {
		t.Errorf("client script tag %s; want src %s, integrity %s, crossorigin anonymous", client, ClientScriptURL, ClientIntegrity)
	}
	if attr(own, "src") != "demo.js" {
		t.Errorf("second script %s; want demo.js after the client", own)
	}
	if strings.Contains(string(page), "webauthn.js") {
		t.Error("the demo still loads the console's own WebAuthn script")
	}
	if !strings.Contains(ClientScriptURL, "@"+ClientVersion+"/") {
		t.Errorf("the URL %s does not pin version %s", ClientScriptURL, ClientVersion)
	}
}

// When the end-to-end suite's npm packages are installed, the integrity
// hash must be that of the package's file.
func TestIntegrityMatchesNpmPackage(t *testing.T) {
	const dir = "../e2e/node_modules/@passwordlessdev/passwordless-client/"
	b, err := os.ReadFile(dir + "dist/umd/passwordless.umd.min.js")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("e2e/node_modules is not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	if pkg, _ := os.ReadFile(dir + "package.json"); !strings.Contains(string(pkg), `"version": "`+ClientVersion+`"`) {
		t.Fatalf("the installed client is not version %s", ClientVersion)
	}
	sum := sha512.Sum384(b)
	if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != ClientIntegrity {
		t.Fatalf("the npm file hashes to %s, ClientIntegrity is %s", got, ClientIntegrity)
	}
}
