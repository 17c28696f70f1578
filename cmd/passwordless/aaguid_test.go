package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/mds/mdstest"
)

func TestStartAAGUIDNames(t *testing.T) {
	const example, exampleName = "6f1c2a0e-3b7d-4c55-9e21-8a4f0d9b7c31", "Example Passkey Provider"
	md := mdstest.Metadata(t)
	noMetadata := func() *mds.Metadata { return nil }
	metadata := func() *mds.Metadata { return md }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// No file: nothing is built in; the BLOB names what it holds.
	none, err := startAAGUIDNames(ctx, config.Config{}, noMetadata, nil)
	if err != nil || none.Name(example) != "" {
		t.Fatalf("without a file: %q, %v", none.Name(example), err)
	}
	blobOnly, err := startAAGUIDNames(ctx, config.Config{}, metadata, nil)
	if err != nil || blobOnly.Name(mdstest.Certified.String()) != mdstest.CertifiedName {
		t.Fatalf("BLOB only: %q, %v", blobOnly.Name(mdstest.Certified.String()), err)
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "aaguid.json")
	if err := os.WriteFile(good, []byte(`{"`+example+`":{"name":"`+exampleName+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := startAAGUIDNames(ctx, config.Config{AAGUIDFile: good}, metadata, nil)
	if err != nil || fromFile.Name(example) != exampleName || fromFile.Name(mdstest.Uncertified.String()) != mdstest.UncertifiedName {
		t.Fatalf("file and BLOB: %q, %q, %v", fromFile.Name(example), fromFile.Name(mdstest.Uncertified.String()), err)
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
