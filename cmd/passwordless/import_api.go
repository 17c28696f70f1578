package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/passwordless-oss/server/internal/apimigrate"
	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/store"
)

// sourceSecretEnv holds the source's API secret, so that it need not be
// typed on the command line (and kept in the shell's history).
const sourceSecretEnv = "PASSWORDLESS_SOURCE_API_SECRET"

const importAPIUsage = "usage: passwordless import --from-api <url> [--api-secret <secret>] [--users-file <file>] [--dry-run] [--database <dsn>]"

// wantsAPIImport reports whether the import arguments name --from-api.
func wantsAPIImport(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "from-api" {
			return true
		}
	}
	return false
}

// importFromAPI copies a live app from a Passwordless.dev API into the
// database (package apimigrate).
func importFromAPI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", config.DefaultDatabase(getenv), "SQLite file path or postgres:// URL (PASSWORDLESS_DATABASE)")
	from := fs.String("from-api", "", "base URL of the source API, e.g. https://v4.passwordless.dev")
	secret := fs.String("api-secret", "", "the app's ApiSecret on the source ("+sourceSecretEnv+")")
	usersFile := fs.String("users-file", "", "file of the user ids to copy, one a line, instead of GET /users/list")
	dryRun := fs.Bool("dry-run", false, "read everything from the source and print what would be copied; write nothing")
	adminEmail := fs.String("admin-email", "", "admin e-mail of the app created in the database")
	concurrency := fs.Int("concurrency", 4, "users read and written at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *from == "" {
		return errors.New(importAPIUsage)
	}
	if *secret == "" {
		*secret = getenv(sourceSecretEnv)
	}
	if *secret == "" {
		return fmt.Errorf("the source's API secret is missing: set %s (or pass --api-secret)", sourceSecretEnv)
	}
	if *concurrency < 1 || *concurrency > 64 {
		return errors.New("--concurrency must be between 1 and 64")
	}
	var userIDs []string
	if *usersFile != "" {
		ids, err := readUserIDs(*usersFile)
		if err != nil {
			return err
		}
		userIDs = ids
	}
	// Check the secret's form before opening (and maybe creating) a database.
	if _, err := apimigrate.AppID(*secret); err != nil {
		return err
	}

	cfg := config.Config{Database: *database}
	var st store.Store
	if _, err := os.Stat(cfg.Database); *dryRun && !cfg.IsPostgres() && errors.Is(err, os.ErrNotExist) {
		// A dry run creates no database; a missing one holds no app.
	} else {
		s, err := openStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	}
	sum, err := apimigrate.Run(ctx, st, apimigrate.Options{
		SourceURL: *from, Secret: *secret, UserIDs: userIDs, DryRun: *dryRun, AdminEmail: *adminEmail,
		Concurrency: *concurrency, Out: stdout, Progress: stderr, Terminal: isTerminal(stderr),
	})
	if sum != nil && (sum.Users > 0 || sum.Resumed || err == nil) {
		sum.Print(stdout)
	}
	return err
}

// readUserIDs reads one user id a line; blank lines are skipped and
// surrounding white space is dropped.
func readUserIDs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--users-file: %w", err)
	}
	defer f.Close()
	ids := []string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if id := strings.TrimSpace(sc.Text()); id != "" {
			ids = append(ids, id)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--users-file %s: %w", path, err)
	}
	return ids, nil
}

// isTerminal reports whether w is a terminal (a character device), where
// the progress bar is redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
