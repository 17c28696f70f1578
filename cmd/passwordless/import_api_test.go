package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/apimigrate"
)

// aliasOnlySource serves the private API of an app whose users have one
// hashed alias each and no credentials; /users/list holds n users.
func aliasOnlySource(t *testing.T, appID string, n int) string {
	t.Helper()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("ApiSecret") != appID+":secret:0123456789abcdef0123456789abcdef" {
			w.WriteHeader(401)
			return
		}
		user := r.URL.Query().Get("userId")
		switch r.URL.Path {
		case "/users/list":
			var values []map[string]any
			for i := range n {
				values = append(values, map[string]any{"userId": "user" + strings.Repeat("x", i%3) + string(rune('a'+i%26)), "aliasCount": 1})
			}
			reply(w, map[string]any{"values": values})
		case "/credentials/list":
			reply(w, map[string]any{"values": []any{}})
		case "/alias/list":
			sum := sha256.Sum256([]byte(appID + user + "@example.com"))
			reply(w, map[string]any{"values": []any{map[string]any{"userId": user, "alias": base64.StdEncoding.EncodeToString(sum[:]), "plaintext": nil, "tenant": appID}}})
		case "/auth-configs/list":
			reply(w, map[string]any{"configurations": []any{}})
		case "/authenticators/list":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(403)
			w.Write([]byte(`{"status":403,"errorCode":"attestation_not_supported_on_plan"}`))
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestImportFromAPICommand(t *testing.T) {
	const secret = "shop:secret:0123456789abcdef0123456789abcdef"
	dir := t.TempDir()
	db := filepath.Join(dir, "target.db")
	env := func(k string) string {
		if k == sourceSecretEnv {
			return secret
		}
		return ""
	}
	noenv := func(string) string { return "" }
	var out, errOut bytes.Buffer

	cut := aliasOnlySource(t, "shop", apimigrate.ListLimit)
	err := run([]string{"import", "--from-api", cut, "--database", filepath.Join(dir, "other.db")}, env, &out, &errOut)
	if !errors.Is(err, apimigrate.ErrListCut) || !strings.Contains(err.Error(), "--users-file") {
		t.Fatalf("a full user list: %v, want the cut error", err)
	}

	// A dry run creates no database.
	file := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(file, []byte("alice\n\n  bob  \r\ncarol\nalice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"import", "--from-api=" + cut, "--users-file", file, "--dry-run", "--database", db}, env, &out, &errOut); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the dry run created the database (%v)", err)
	}
	if !strings.Contains(out.String(), "users:             3 read") || !strings.Contains(out.String(), "aliases:           3") {
		t.Errorf("dry-run output:\n%s", out.String())
	}

	out.Reset()
	errOut.Reset()
	if err := run([]string{"import", "--from-api", cut, "--users-file", file, "--database", db}, env, &out, &errOut); err != nil {
		t.Fatalf("import: %v", err)
	}
	for _, want := range []string{`Created app "shop"`, "ApiSecret: shop:secret:", "aliases:           3", "is complete"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "progress: users 3/3 100%") {
		t.Errorf("progress on stderr:\n%s", errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "0123456789abcdef0123456789abcdef") {
		t.Error("the source secret was printed")
	}

	for name, c := range map[string]struct {
		args []string
		env  func(string) string
		want string
	}{
		"no secret":     {[]string{"import", "--from-api", cut, "--database", db}, noenv, sourceSecretEnv},
		"public key":    {[]string{"import", "--from-api", cut, "--api-secret", "shop:public:0123", "--database", db}, noenv, "public ApiKey"},
		"no users file": {[]string{"import", "--from-api", cut, "--users-file", filepath.Join(dir, "none"), "--database", db}, env, "--users-file"},
		"extra":         {[]string{"import", "--from-api", cut, "--database", db, "extra"}, env, "usage"},
		"again":         {[]string{"import", "--from-api", cut, "--users-file", file, "--database", db}, env, "refusing to merge"},
	} {
		if err := run(c.args, c.env, &out, &errOut); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, c.want)
		}
	}
}

func TestWantsAPIImport(t *testing.T) {
	for args, want := range map[string]bool{
		"--from-api x":       true,
		"-from-api=x":        true,
		"--in f":             false,
		"--in -- --from-api": false,
		"--in from-api":      false,
	} {
		if got := wantsAPIImport(strings.Fields(args)); got != want {
			t.Errorf("%q: %v, want %v", args, got, want)
		}
	}
}
