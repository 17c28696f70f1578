package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/mds"
)

func TestStartAAGUIDNames(t *testing.T) {
	const google, acme = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", "6f1c2a0e-3b7d-4c55-9e21-8a4f0d9b7c31"
	noMetadata := func() *mds.Metadata { return nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	builtIn, err := startAAGUIDNames(ctx, config.Config{}, noMetadata, nil)
	if err != nil || builtIn.Name(google) != "Google Password Manager" {
		t.Fatalf("built-in list: %q, %v", builtIn.Name(google), err)
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "names.json")
	if err := os.WriteFile(good, []byte(`{"`+acme+`":{"name":"Acme"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := startAAGUIDNames(ctx, config.Config{AAGUIDFile: good}, noMetadata, nil)
	if err != nil || fromFile.Name(acme) != "Acme" || fromFile.Name(google) != "" {
		t.Fatalf("file list: %q, %q, %v", fromFile.Name(acme), fromFile.Name(google), err)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"acme":`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.json")} {
		if _, err := startAAGUIDNames(ctx, config.Config{AAGUIDFile: path}, noMetadata, nil); err == nil || !strings.Contains(err.Error(), "PASSWORDLESS_AAGUID_FILE") {
			t.Errorf("start with %s: %v", filepath.Base(path), err)
		}
	}
}
