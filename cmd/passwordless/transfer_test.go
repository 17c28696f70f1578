package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
)

// TestExportImportCommands runs the commands on SQLite files: what it
// tests is the commands' wiring (flags, files, the database from the
// environment, no SQLite file made for a missing one); internal/transfer
// runs export and import on both stores.
func TestExportImportCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	st, err := sqlite.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	err = st.CreateApp(ctx, store.App{ID: "app1", AdminEmail: "a@example.com", CreatedAt: time.Now()}, nil)
	if err == nil {
		err = st.AddCredential(ctx, store.Credential{AppID: "app1", ID: []byte{1}, UserID: "u1", PublicKey: []byte{2},
			CreatedAt: time.Now(), LastUsedAt: time.Now()}, nil, nil)

	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	noenv := func(string) string { return "" }
	file := filepath.Join(dir, "app1.jsonl")
	var out, errOut bytes.Buffer

	if err := run([]string{"export", "--database", src, "--app", "app1", "--out", file}, noenv, &out, &errOut); err != nil {
		t.Fatalf("export: %v (%s)", err, errOut.String())
	}
	data, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(data, []byte(`{"format":"passwordless-export","version":1,`)) {
		t.Fatalf("export file: %v %q", err, data)
	}
	// To standard output, with the database from the environment.
	out.Reset()
	env := func(k string) string {
		if k == "PASSWORDLESS_DATABASE" {
			return src
		}
		return ""
	}
	if err := run([]string{"export", "--app", "app1"}, env, &out, &errOut); err != nil {
		t.Fatalf("export to stdout: %v", err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Error("export to stdout differs from the file")
	}

	out.Reset()
	if err := run([]string{"import", "--database", dst, "--in", file}, noenv, &out, &errOut); err != nil {
		t.Fatalf("import: %v", err)
	}
	if got := out.String(); got != "imported app \"app1\"\n" {
		t.Errorf("import output %q", got)
	}
	err = run([]string{"import", "--database", dst, "--in", file}, noenv, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second import: %v, want an error saying the app exists", err)
	}
	out.Reset()
	if err := run([]string{"export", "--database", dst, "--app", "app1"}, noenv, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Error("export of the imported app differs")
	}

	for name, args := range map[string][]string{
		"no app":          {"export", "--database", src},
		"unknown app":     {"export", "--database", src, "--app", "nope", "--out", filepath.Join(dir, "nope.jsonl")},
		"missing sqlite":  {"export", "--database", filepath.Join(dir, "missing.db"), "--app", "app1"},
		"missing input":   {"import", "--database", dst, "--in", filepath.Join(dir, "missing.jsonl")},
		"extra arguments": {"import", "--database", dst, "extra"},
	} {
		if err := run(args, noenv, &out, &errOut); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".nope.jsonl*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	for _, p := range []string{filepath.Join(dir, "nope.jsonl"), filepath.Join(dir, "missing.db")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}
