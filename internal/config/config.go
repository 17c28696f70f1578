// Package config reads the server's configuration from flags and
// environment variables (flags win), validates it, and renders it for the
// start-up log with secrets redacted.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
)

// Config is the whole server configuration.
type Config struct {
	// Addr is the listen address (PASSWORDLESS_ADDR, default localhost:5701).
	Addr string
	// Database selects the store (PASSWORDLESS_DATABASE): a file path for
	// the embedded SQLite store (default passwordless.db), or a postgres://
	// URL.
	Database string
	// ManagementKey is the ManagementKey header value
	// (PASSWORDLESS_MANAGEMENT_KEY). Required unless Dev.
	ManagementKey string
	// Dev enables development mode (PASSWORDLESS_DEV=true or --dev).
	Dev bool
	// LogLevel is debug, info, warn or error (PASSWORDLESS_LOG_LEVEL).
	LogLevel string
	// MDSFile is a FIDO Metadata Service BLOB (a JWT file) to check
	// authenticators against (PASSWORDLESS_MDS_FILE); empty disables it.
	MDSFile string
	// MDSRoot is a PEM file with the root certificate the BLOB must chain
	// to (PASSWORDLESS_MDS_ROOT); empty means the FIDO Alliance's root.
	MDSRoot string
}

// DevManagementKey is the management key of development mode, the same as
// the original server's development default.
const DevManagementKey = "shared_dev_key"

// Load parses args (without the program and subcommand names) over the
// environment given by getenv.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := Config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", env("PASSWORDLESS_ADDR", "localhost:5701"), "listen address (PASSWORDLESS_ADDR)")
	fs.StringVar(&c.Database, "database", env("PASSWORDLESS_DATABASE", "passwordless.db"), "SQLite file path or postgres:// URL (PASSWORDLESS_DATABASE)")
	fs.StringVar(&c.ManagementKey, "management-key", getenv("PASSWORDLESS_MANAGEMENT_KEY"), "value of the ManagementKey header (PASSWORDLESS_MANAGEMENT_KEY)")
	fs.BoolVar(&c.Dev, "dev", isTrue(getenv("PASSWORDLESS_DEV")), "development mode: default management key and a demo app 'test' with well-known keys (PASSWORDLESS_DEV)")
	fs.StringVar(&c.LogLevel, "log-level", env("PASSWORDLESS_LOG_LEVEL", "info"), "debug, info, warn or error (PASSWORDLESS_LOG_LEVEL)")
	fs.StringVar(&c.MDSFile, "mds-file", getenv("PASSWORDLESS_MDS_FILE"), "FIDO MDS3 BLOB file (PASSWORDLESS_MDS_FILE)")
	fs.StringVar(&c.MDSRoot, "mds-root", getenv("PASSWORDLESS_MDS_ROOT"), "PEM root certificate of the MDS BLOB; default: the FIDO Alliance root (PASSWORDLESS_MDS_ROOT)")
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.Dev && c.ManagementKey == "" {
		c.ManagementKey = DevManagementKey
	}
	return c, c.Validate()
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Validate checks the configuration and explains what to fix.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("PASSWORDLESS_ADDR %q is not host:port: %v", c.Addr, err))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("PASSWORDLESS_DATABASE is empty"))
	}
	if c.ManagementKey == "" {
		errs = append(errs, errors.New("PASSWORDLESS_MANAGEMENT_KEY is not set: set it to a long random value (for example `openssl rand -hex 32`), or start with --dev for local development"))
	} else if !c.Dev && len(c.ManagementKey) < 16 {
		errs = append(errs, errors.New("PASSWORDLESS_MANAGEMENT_KEY is shorter than 16 characters; use a long random value"))
	}
	if c.MDSRoot != "" && c.MDSFile == "" {
		errs = append(errs, errors.New("PASSWORDLESS_MDS_ROOT is set but PASSWORDLESS_MDS_FILE is not"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("PASSWORDLESS_LOG_LEVEL %q is not one of debug, info, warn, error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// IsPostgres reports whether Database names a PostgreSQL server.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://")
}

// Redacted returns the configuration as log attributes without secrets.
func (c Config) Redacted() []any {
	return []any{
		"addr", c.Addr,
		"database", redactURL(c.Database),
		"management_key", redact(c.ManagementKey, c.Dev),
		"dev", c.Dev,
		"log_level", c.LogLevel,
		"mds_file", c.MDSFile,
	}
}

func redact(secret string, dev bool) string {
	switch {
	case secret == "":
		return "(unset)"
	case dev && secret == DevManagementKey:
		return DevManagementKey + " (development default)"
	}
	return "(set, redacted)"
}

// redactURL hides a password in a database URL.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return s
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":***@" + host
	}
	return s
}
