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
	"strconv"
	"strings"
	"time"
)

// Config is the whole server configuration.
type Config struct {
	// Addr is the listen address (PASSWORDLESS_ADDR, default localhost:5701).
	Addr string
	// Database selects the store (PASSWORDLESS_DATABASE): a file path for
	// the embedded SQLite store (default passwordless.db), or a postgres://
	// URL or libpq keyword/value string (see IsPostgresDSN).
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
	// AAGUIDFile is a list of authenticator names by AAGUID
	// (PASSWORDLESS_AAGUID_FILE, the format of the community
	// passkey-authenticator-aaguids list); reloaded when it changes. Empty:
	// names come from the MDS BLOB only.
	AAGUIDFile string
	// PublicRateLimit is the number of public-endpoint requests one client
	// IP may make per minute for one app (PASSWORDLESS_PUBLIC_RATE_LIMIT,
	// default 600; 0 disables).
	PublicRateLimit int
	// ClientIPHeader names a header set by a trusted reverse proxy that
	// carries the client IP (PASSWORDLESS_CLIENT_IP_HEADER, e.g.
	// X-Forwarded-For); empty means the connection's address.
	ClientIPHeader string
	// AllowCounterRegression accepts sign-ins whose signature counter did
	// not grow instead of refusing them (PASSWORDLESS_ALLOW_COUNTER_REGRESSION,
	// default false).
	AllowCounterRegression bool
	// MaxInFlight bounds concurrent requests (PASSWORDLESS_MAX_IN_FLIGHT,
	// default 1000; 0 disables).
	MaxInFlight int
	// MaxBodyMemoryMiB bounds the request bodies held in memory at once,
	// across all requests, in MiB (PASSWORDLESS_MAX_BODY_MEMORY, default 64).
	MaxBodyMemoryMiB int
	// SQLiteMaxWALMiB bounds the SQLite write-ahead log file, in MiB
	// (PASSWORDLESS_SQLITE_MAX_WAL, default 64, at least 4).
	SQLiteMaxWALMiB int
	// ShutdownTimeout is how long requests in flight may run on after
	// SIGTERM or SIGINT (PASSWORDLESS_SHUTDOWN_TIMEOUT, default 15s).
	ShutdownTimeout time.Duration
	// MetricsAddr is the listen address of the Prometheus metrics
	// (PASSWORDLESS_METRICS_ADDR); empty: no metrics. A listener apart from
	// Addr, so that the metrics are not published with the API by accident.
	MetricsAddr string
	// Pprof adds Go's profiling handlers to the metrics listener
	// (PASSWORDLESS_PPROF, default false).
	Pprof bool

	// Mail: with SMTPHost set, e-mail goes through that server; without,
	// every message is written as an .eml file into MailDir.
	SMTPHost     string // PASSWORDLESS_SMTP_HOST
	SMTPPort     int    // PASSWORDLESS_SMTP_PORT (587)
	SMTPUsername string // PASSWORDLESS_SMTP_USERNAME
	SMTPPassword string // PASSWORDLESS_SMTP_PASSWORD
	SMTPTLS      string // PASSWORDLESS_SMTP_TLS: mandatory, opportunistic (default), none
	// SMTPCAFile is a PEM bundle of certificates trusted for the SMTP
	// server's STARTTLS certificate in addition to the system roots
	// (PASSWORDLESS_SMTP_CA_FILE), for relays with a private CA.
	SMTPCAFile   string
	MailFrom     string // PASSWORDLESS_MAIL_FROM
	MailFromName string // PASSWORDLESS_MAIL_FROM_NAME
	MailDir      string // PASSWORDLESS_MAIL_DIR (default "mail")
	// MagicLinkNewAppWindow: apps younger than this may only mail their
	// admin address (PASSWORDLESS_MAGIC_LINK_NEW_APP_WINDOW, default 0: off).
	MagicLinkNewAppWindow time.Duration
	// MagicLinkRateLimit is the number of magic links an app may send per
	// 5 minutes (PASSWORDLESS_MAGIC_LINK_RATE_LIMIT, default 10; 0
	// disables).
	MagicLinkRateLimit int
}

// DefaultShutdownTimeout is the default ShutdownTimeout.
const DefaultShutdownTimeout = 15 * time.Second

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
	fs.StringVar(&c.Database, "database", DefaultDatabase(getenv), "SQLite file path or postgres:// URL (PASSWORDLESS_DATABASE)")
	fs.StringVar(&c.ManagementKey, "management-key", getenv("PASSWORDLESS_MANAGEMENT_KEY"), "value of the ManagementKey header (PASSWORDLESS_MANAGEMENT_KEY)")
	fs.BoolVar(&c.Dev, "dev", isTrue(getenv("PASSWORDLESS_DEV")), "development mode: default management key and a demo app 'test' with well-known keys (PASSWORDLESS_DEV)")
	fs.StringVar(&c.LogLevel, "log-level", env("PASSWORDLESS_LOG_LEVEL", "info"), "debug, info, warn or error (PASSWORDLESS_LOG_LEVEL)")
	fs.StringVar(&c.MDSFile, "mds-file", getenv("PASSWORDLESS_MDS_FILE"), "FIDO MDS3 BLOB file (PASSWORDLESS_MDS_FILE)")
	fs.StringVar(&c.MDSRoot, "mds-root", getenv("PASSWORDLESS_MDS_ROOT"), "PEM root certificate of the MDS BLOB; default: the FIDO Alliance root (PASSWORDLESS_MDS_ROOT)")
	fs.StringVar(&c.AAGUIDFile, "aaguid-file", getenv("PASSWORDLESS_AAGUID_FILE"), "JSON file of authenticator names by AAGUID, in the format of the community passkey-authenticator-aaguids list (PASSWORDLESS_AAGUID_FILE)")
	fs.IntVar(&c.PublicRateLimit, "public-rate-limit", envInt(getenv, "PASSWORDLESS_PUBLIC_RATE_LIMIT", 600), "public-endpoint requests per minute per app and client IP; 0 disables (PASSWORDLESS_PUBLIC_RATE_LIMIT)")
	fs.StringVar(&c.ClientIPHeader, "client-ip-header", getenv("PASSWORDLESS_CLIENT_IP_HEADER"), "header with the client IP set by a trusted proxy (PASSWORDLESS_CLIENT_IP_HEADER)")
	fs.BoolVar(&c.AllowCounterRegression, "allow-counter-regression", isTrue(getenv("PASSWORDLESS_ALLOW_COUNTER_REGRESSION")), "accept sign-ins whose signature counter did not increase (possible cloned authenticator) instead of refusing them (PASSWORDLESS_ALLOW_COUNTER_REGRESSION)")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", envInt(getenv, "PASSWORDLESS_MAX_IN_FLIGHT", 1000), "requests handled at once before answering 503; 0 disables (PASSWORDLESS_MAX_IN_FLIGHT)")
	fs.IntVar(&c.MaxBodyMemoryMiB, "max-body-memory", envInt(getenv, "PASSWORDLESS_MAX_BODY_MEMORY", 64), "MiB of request bodies held in memory at once before answering 503; at least 2 (PASSWORDLESS_MAX_BODY_MEMORY)")
	fs.IntVar(&c.SQLiteMaxWALMiB, "sqlite-max-wal", envInt(getenv, "PASSWORDLESS_SQLITE_MAX_WAL", 64), "MiB the SQLite write-ahead log may reach; at least 4 (PASSWORDLESS_SQLITE_MAX_WAL)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration(getenv, "PASSWORDLESS_SHUTDOWN_TIMEOUT", DefaultShutdownTimeout), "how long requests in flight may run on after SIGTERM or SIGINT (PASSWORDLESS_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", getenv("PASSWORDLESS_METRICS_ADDR"), "listen address of the Prometheus metrics at /metrics, e.g. localhost:9464; empty: off (PASSWORDLESS_METRICS_ADDR)")
	fs.BoolVar(&c.Pprof, "pprof", isTrue(getenv("PASSWORDLESS_PPROF")), "serve Go's profiling handlers under /debug/pprof/ on the metrics listener (PASSWORDLESS_PPROF)")
	fs.StringVar(&c.SMTPHost, "smtp-host", getenv("PASSWORDLESS_SMTP_HOST"), "SMTP server for e-mail (PASSWORDLESS_SMTP_HOST)")
	fs.IntVar(&c.SMTPPort, "smtp-port", envInt(getenv, "PASSWORDLESS_SMTP_PORT", 587), "SMTP port (PASSWORDLESS_SMTP_PORT)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", getenv("PASSWORDLESS_SMTP_USERNAME"), "SMTP user (PASSWORDLESS_SMTP_USERNAME)")
	fs.StringVar(&c.SMTPPassword, "smtp-password", getenv("PASSWORDLESS_SMTP_PASSWORD"), "SMTP password (PASSWORDLESS_SMTP_PASSWORD)")
	fs.StringVar(&c.SMTPTLS, "smtp-tls", env("PASSWORDLESS_SMTP_TLS", "opportunistic"), "SMTP TLS policy: mandatory, opportunistic or none (PASSWORDLESS_SMTP_TLS)")
	fs.StringVar(&c.SMTPCAFile, "smtp-ca-file", getenv("PASSWORDLESS_SMTP_CA_FILE"), "PEM certificates trusted for the SMTP server in addition to the system roots (PASSWORDLESS_SMTP_CA_FILE)")
	fs.StringVar(&c.MailFrom, "mail-from", env("PASSWORDLESS_MAIL_FROM", "no-reply@localhost"), "sender address (PASSWORDLESS_MAIL_FROM)")
	fs.StringVar(&c.MailFromName, "mail-from-name", getenv("PASSWORDLESS_MAIL_FROM_NAME"), "sender name (PASSWORDLESS_MAIL_FROM_NAME)")
	fs.StringVar(&c.MailDir, "mail-dir", env("PASSWORDLESS_MAIL_DIR", "mail"), "directory for .eml files when no SMTP host is set (PASSWORDLESS_MAIL_DIR)")
	fs.DurationVar(&c.MagicLinkNewAppWindow, "magic-link-new-app-window", envDuration(getenv, "PASSWORDLESS_MAGIC_LINK_NEW_APP_WINDOW", 0), "apps younger than this may only mail their admin address (PASSWORDLESS_MAGIC_LINK_NEW_APP_WINDOW)")
	fs.IntVar(&c.MagicLinkRateLimit, "magic-link-rate-limit", envInt(getenv, "PASSWORDLESS_MAGIC_LINK_RATE_LIMIT", 10), "magic links per app per 5 minutes; 0 disables (PASSWORDLESS_MAGIC_LINK_RATE_LIMIT)")
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

// envDuration reads a duration variable; a malformed value becomes -1 so
// that Validate reports it.
func envDuration(getenv func(string) string, name string, def time.Duration) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}

// envInt reads an integer variable; a malformed value becomes -1 so that
// Validate reports it.
func envInt(getenv func(string) string, name string, def int) int {
	v := getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
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
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("PASSWORDLESS_METRICS_ADDR %q is not host:port: %v", c.MetricsAddr, err))
		} else if c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
			errs = append(errs, errors.New("PASSWORDLESS_METRICS_ADDR must differ from PASSWORDLESS_ADDR: the metrics have a listener of their own"))
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		errs = append(errs, errors.New("PASSWORDLESS_PPROF is set but PASSWORDLESS_METRICS_ADDR is not: the profiling handlers are served on the metrics listener"))
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
	if c.MaxInFlight < 0 {
		errs = append(errs, errors.New("PASSWORDLESS_MAX_IN_FLIGHT must be a whole number, 0 or more"))
	}
	if c.SQLiteMaxWALMiB < 4 || c.SQLiteMaxWALMiB > 1<<20 {
		errs = append(errs, fmt.Errorf("PASSWORDLESS_SQLITE_MAX_WAL must be between 4 and %d MiB, got %d", 1<<20, c.SQLiteMaxWALMiB))
	}
	if c.MaxBodyMemoryMiB < 2 || c.MaxBodyMemoryMiB > 1<<20 {
		// A quarter is kept for ordinary requests; the rest must fit a 1 MiB body.
		errs = append(errs, errors.New("PASSWORDLESS_MAX_BODY_MEMORY must be a whole number of MiB from 2 to 1048576"))
	}
	if c.PublicRateLimit < 0 {
		errs = append(errs, errors.New("PASSWORDLESS_PUBLIC_RATE_LIMIT must be a whole number, 0 or more"))
	}
	if c.SMTPHost != "" && (c.SMTPPort <= 0 || c.SMTPPort > 65535) {
		errs = append(errs, errors.New("PASSWORDLESS_SMTP_PORT must be a port number"))
	}
	switch strings.ToLower(c.SMTPTLS) {
	case "mandatory", "opportunistic", "none":
	default:
		errs = append(errs, fmt.Errorf("PASSWORDLESS_SMTP_TLS %q is not one of mandatory, opportunistic, none", c.SMTPTLS))
	}
	if c.SMTPCAFile != "" && c.SMTPHost == "" {
		errs = append(errs, errors.New("PASSWORDLESS_SMTP_CA_FILE is set but PASSWORDLESS_SMTP_HOST is not"))
	}
	if c.SMTPCAFile != "" && strings.EqualFold(c.SMTPTLS, "none") {
		errs = append(errs, errors.New("PASSWORDLESS_SMTP_CA_FILE is set but PASSWORDLESS_SMTP_TLS is none, so no certificate is checked"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("PASSWORDLESS_SHUTDOWN_TIMEOUT must be a positive duration such as 15s"))
	}
	if c.MagicLinkNewAppWindow < 0 {
		errs = append(errs, errors.New("PASSWORDLESS_MAGIC_LINK_NEW_APP_WINDOW must be a duration such as 24h"))
	}
	if c.MagicLinkRateLimit < 0 {
		errs = append(errs, errors.New("PASSWORDLESS_MAGIC_LINK_RATE_LIMIT must be a whole number, 0 or more"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("PASSWORDLESS_LOG_LEVEL %q is not one of debug, info, warn, error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// DefaultDatabase returns PASSWORDLESS_DATABASE or the default SQLite file.
func DefaultDatabase(getenv func(string) string) string {
	if v := getenv("PASSWORDLESS_DATABASE"); v != "" {
		return v
	}
	return "passwordless.db"
}

// IsPostgres reports whether Database names a PostgreSQL server.
func (c Config) IsPostgres() bool { return IsPostgresDSN(c.Database) }

// Redacted returns the configuration as log attributes without secrets.
func (c Config) Redacted() []any {
	return []any{
		"addr", c.Addr,
		"database", RedactDSN(c.Database),
		"management_key", redact(c.ManagementKey, c.Dev),
		"dev", c.Dev,
		"log_level", c.LogLevel,
		"mds_file", c.MDSFile,
		"aaguid_file", c.AAGUIDFile,
		"public_rate_limit", c.PublicRateLimit,
		"client_ip_header", c.ClientIPHeader,
		"max_body_memory_mib", c.MaxBodyMemoryMiB,
		"sqlite_max_wal_mib", c.SQLiteMaxWALMiB,
		"shutdown_timeout", c.ShutdownTimeout,
		"metrics_addr", c.MetricsAddr,
		"pprof", c.Pprof,
		"smtp_host", c.SMTPHost,
		"smtp_password", redact(c.SMTPPassword, false),
		"smtp_ca_file", c.SMTPCAFile,
		"mail_dir", c.MailDir,
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
