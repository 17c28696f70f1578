// Command passwordless is a self-hostable passkey server that speaks the
// Passwordless.dev API.
//
// Usage:
//
//	passwordless serve [flags]     run the HTTP API
//	passwordless migrate [flags]   bring the database schema up to date and exit
//	passwordless export [flags]    write one app to a file (JSON Lines)
//	passwordless import [flags]    read an exported app into the database
//	passwordless version           print the version
//	passwordless help [command]    list the commands, or a command's flags and settings
package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-webauthn/x/revoke"

	"github.com/passwordless-oss/server/internal/aaguid"
	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/console"
	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/jobs"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/reports"
	"github.com/passwordless-oss/server/internal/singleuse"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/store/storeopen"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/transfer"
	"github.com/passwordless-oss/server/internal/users"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(exitCode(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr), os.Stderr))
}

// exitCode reports err on stderr and returns the process's exit code: 0
// for success, 2 for a wrong command line, 1 for a failure of the work.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "passwordless:", err)
	var usage usageError
	if errors.As(err, &usage) {
		return 2
	}
	return 1
}

// usageError is a command line that names no command, an unknown one, or
// flags its command does not take; the process exits with code 2 for it,
// as command-line tools do, and with 1 for a failure of the work itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command is one subcommand of the binary.
type command struct {
	name, args, summary string
	// run does the work; args are the arguments after the command name.
	run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
	// env lists the settings the command reads only from the environment.
	env []console.EnvSetting
	// listFlags writes the list of flags; nil means running the command
	// with -h, whose flag set lists them and stops.
	listFlags func(w io.Writer)
}

var commands = []command{
	{name: "serve", args: "[flags]", summary: "run the HTTP API, the admin console and the demo", run: serve, env: console.Environment,
		listFlags: func(w io.Writer) { config.Load([]string{"-h"}, noEnvironment, w) }},
	{name: "migrate", args: "[--database <dsn>]", summary: "bring the database schema up to date and exit", run: migrate},
	{name: "export", args: "--app <id> [--database <dsn>] [--out <file>]", summary: "write one app to a file (JSON Lines)", run: exportApp},
	{name: "import", args: "[--database <dsn>] [--in <file>]\n   or: passwordless import --from-api <url> [--api-secret <secret>] [--users-file <file>] [--dry-run] [--database <dsn>]",
		summary: "read an exported app into the database, or copy a live app through its API",
		run: func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
			return importApp(ctx, args, getenv, os.Stdin, stdout, stderr)
		},
		listFlags: listImportFlags},
	{name: "version", summary: "print the version"},
	{name: "help", args: "[command]", summary: "print this list, or the flags and settings of a command"},
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usage is the list of commands, one line each.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: passwordless <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun \"passwordless <command> --help\" for the flags and settings of a command.\n")
	return b.String()
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return usageError{"no command given"}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" && !wantsHelp(args[1:2]) {
			return commandHelp(args[1], stdout)
		}
		fmt.Fprint(stdout, usage())
		return nil
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version)
		return nil
	}
	cmd, ok := findCommand(args[0])
	if !ok {
		fmt.Fprint(stderr, usage())
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	if wantsHelp(args[1:]) {
		return commandHelp(cmd.name, stdout)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The flag package reports bad flags itself; say where to read more.
	err := cmd.run(ctx, args[1:], getenv, stdout, stderr)
	if isFlagError(err) {
		return usageError{fmt.Sprintf("%v\nRun \"passwordless %s --help\" for its flags.", err, cmd.name)}
	}
	return err
}

// wantsHelp reports whether the flags of a command ask for its help.
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// isFlagError reports whether err comes from parsing a command's flags.
// The flag package's errors have no type of their own; config.Load and the
// commands return them unwrapped, and every one starts like these.
func isFlagError(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	for _, prefix := range []string{"flag provided but not defined", "invalid value", "invalid boolean", "bad flag syntax", "flag needs an argument", "unexpected arguments", "usage: "} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// commandHelp prints a command's usage, its flags, and its
// environment-only settings.
func commandHelp(name string, stdout io.Writer) error {
	cmd, ok := findCommand(name)
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q\n%s", name, usage())}
	}
	fmt.Fprintf(stdout, "usage: passwordless %s %s\n\n%s.\n", cmd.name, cmd.args, upperFirst(cmd.summary))
	if cmd.run != nil {
		flags, err := flagDefaults(cmd)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nFlags (each also set by the environment variable named in parentheses; a flag wins;\nthe defaults shown are the built-in ones):\n%s", flags)
	}
	if len(cmd.env) > 0 {
		fmt.Fprint(stdout, "\nSettings read only from the environment:\n")
		for _, e := range cmd.env {
			fmt.Fprintf(stdout, "  %s (default: %s)\n    \t%s\n", e.Name, e.Default, e.Meaning)
		}
	}
	return nil
}

// noEnvironment stands for an empty environment.
func noEnvironment(string) string { return "" }

// flagDefaults returns the list of the command's flags with their built-in
// defaults. The environment is left out: it would show up as the
// defaults, and it may hold secrets (a management key, a database
// password).
func flagDefaults(cmd command) (string, error) {
	var out bytes.Buffer
	if cmd.listFlags != nil {
		cmd.listFlags(&out)
	} else if err := cmd.run(context.Background(), []string{"-h"}, noEnvironment, io.Discard, &out); !errors.Is(err, flag.ErrHelp) {
		return "", fmt.Errorf("list the flags of %s: %v", cmd.name, err)
	}
	// Drop the flag package's own heading ("Usage of serve:").
	list := out.String()
	if first, rest, ok := strings.Cut(list, "\n"); ok && strings.HasPrefix(first, "Usage of ") {
		list = rest
	}
	return list, nil
}

// listImportFlags lists the flags of both forms of import.
func listImportFlags(w io.Writer) {
	importApp(context.Background(), []string{"-h"}, noEnvironment, nil, io.Discard, w)
	fmt.Fprint(w, "\nWith --from-api (copy a live app, passkeys included, through the source's private API):\n")
	var api bytes.Buffer
	importFromAPI(context.Background(), []string{"-h"}, noEnvironment, io.Discard, &api)
	_, list, _ := strings.Cut(api.String(), "\n") // without "Usage of import:"
	fmt.Fprint(w, list)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// The flag package would list every flag after a wrong one, with the
	// environment's values (secrets among them) as defaults; the error
	// alone is reported, with a pointer to --help.
	cfg, err := config.Load(args, getenv, io.Discard)
	if err != nil {
		return err
	}
	consoleOn, consoleURL, err := console.Settings(getenv)
	if err != nil {
		return err
	}
	demoClient, err := console.DemoClientSettings(getenv)
	if err != nil {
		return err
	}
	// Bind first: a port in use is then the only thing reported, before
	// any banner, setup link, seeding or maintenance.
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	log := newLogger(stderr, cfg.LogLevel)
	log.Info("starting", append([]any{"version", version}, cfg.Redacted()...)...)

	var m *metrics.Metrics // nil: no metrics, at no cost
	if cfg.MetricsAddr != "" {
		m = metrics.New(version)
		stop, err := serveMetrics(cfg.MetricsAddr, m.Handler(cfg.Pprof), log)
		if err != nil {
			return err
		}
		defer stop()
	}

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	st = m.InstrumentStore(st)

	sealer := token.NewSealer(st, nil)
	appSvc := apps.New(st, sealer, nil)
	if cfg.Dev {
		if err := seedDev(ctx, appSvc, cfg.ManagementKey, stdout); err != nil {
			return err
		}
	}
	metadata, err := startMDS(ctx, cfg, log)
	if err != nil {
		return err
	}
	authenticators, err := startAAGUIDNames(ctx, cfg, metadata, log)
	if err != nil {
		return err
	}
	attest := attestation.New(st, metadata, nil)
	configs := authconfig.New(st, nil)
	passkeys := passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest,
		AllowCounterRegression: cfg.AllowCounterRegression, Log: log})
	mailer, err := newMailer(cfg, log)
	if err != nil {
		return err
	}
	mailer = m.WrapMailer(mailer)
	eventLog := events.New(st, log)
	reportSvc := reports.New(st)
	handler := httpapi.New(httpapi.Config{
		Passkeys: passkeys,
		MagicLinks: magiclink.New(st, passkeys, mailer, magiclink.Config{
			NewAppWindow: cfg.MagicLinkNewAppWindow,
			RateLimit:    cfg.MagicLinkRateLimit,
			RateWindow:   magiclink.DefaultRateWindow,
			From:         cfg.MailFrom,
			FromName:     cfg.MailFromName,
		}, nil),
		Attestation:    attest,
		Apps:           appSvc,
		Users:          users.New(st).WithAuthenticatorNames(authenticators.Name),
		Configs:        configs,
		Events:         eventLog,
		Reports:        reportSvc,
		Health:         st,
		ManagementKey:  cfg.ManagementKey,
		Version:        version,
		PublicLimiter:  ratelimit.New(cfg.PublicRateLimit, time.Minute, nil),
		ClientIPHeader: cfg.ClientIPHeader,
		MaxInFlight:    cfg.MaxInFlight,
		MaxBodyMemory:  int64(cfg.MaxBodyMemoryMiB) << 20,
		HSTS:           !cfg.Dev,
		Metrics:        m,
		Log:            log,
	})
	go jobs.New(st, reportSvc, eventLog).Run(ctx, time.Hour, log)

	// Admin console and demo under /console (docs/console.md).
	var consoleHandler http.Handler
	if consoleOn {
		if consoleHandler, err = console.New(ctx, console.Config{Apps: appSvc, Users: users.New(st), Configs: configs, Authenticators: authenticators,
			Passkeys: passkeys, Tokens: sealer, Events: eventLog, Reports: reportSvc, SingleUse: singleuse.New(st),
			Sessions: consolesession.New(st, console.DefaultIdleTimeout, console.DefaultMaxAge, nil), ClientIPHeader: cfg.ClientIPHeader,
			Dev: cfg.Dev, HSTS: !cfg.Dev, PublicURL: consoleURL,
			ListenAddr: ln.Addr().String(), DemoClient: demoClient, Out: stdout, Log: log}); err != nil {
			return err
		}
		// One route label for all of the console keeps the label bounded.
		consoleHandler = m.InstrumentRoute(console.Prefix, consoleHandler)
	}
	return serveOn(ctx, ln, console.Mount(handler, consoleHandler), consoleOn, cfg.ShutdownTimeout, log)
}

// listen binds the listen address, and says what to do when it is taken.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is in use, probably by another server; stop it, or choose another address with --addr or PASSWORDLESS_ADDR", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// openStore opens the configured store; both apply their migrations.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	return storeopen.Open(ctx, cfg.Database, sqlite.Options{MaxWAL: int64(cfg.SQLiteMaxWALMiB) << 20})
}

// migrate applies the schema migrations of the configured database, for
// operators who migrate before rolling out new instances.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", config.DefaultDatabase(getenv), "SQLite file path or postgres:// URL (PASSWORDLESS_DATABASE)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, config.Config{Database: *database})
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintln(stdout, "the database schema is up to date")
	return nil
}

// exportApp writes one app of the database to --out (default: stdout).
func exportApp(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", config.DefaultDatabase(getenv), "SQLite file path or postgres:// URL (PASSWORDLESS_DATABASE)")
	appID := fs.String("app", "", "id of the app to export (required)")
	out := fs.String("out", "", "file to write; default: standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *appID == "" || fs.NArg() > 0 {
		return errors.New("usage: passwordless export --app <id> [--database <dsn>] [--out <file>]")
	}
	cfg := config.Config{Database: *database}
	if !cfg.IsPostgres() {
		// Opening a missing SQLite file would create an empty database.
		if _, err := os.Stat(cfg.Database); err != nil {
			return fmt.Errorf("SQLite database: %w", err)
		}
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *out == "" {
		return transfer.Export(ctx, st, *appID, stdout)
	}
	// Write next to the target and rename when complete, so a failed
	// export leaves no partial file behind under the requested name.
	f, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := transfer.Export(ctx, st, *appID, f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), *out)
}

// importApp reads an exported app from --in (default: stdin) into the
// database.
func importApp(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if wantsAPIImport(args) {
		return importFromAPI(ctx, args, getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	database := fs.String("database", config.DefaultDatabase(getenv), "SQLite file path or postgres:// URL (PASSWORDLESS_DATABASE)")
	in := fs.String("in", "", "export file to read; default: standard input")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New("usage: passwordless import [--database <dsn>] [--in <file>]")
	}
	r := stdin
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	st, err := openStore(ctx, config.Config{Database: *database})
	if err != nil {
		return err
	}
	defer st.Close()
	appID, err := transfer.Import(ctx, st, r)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported app %q\n", appID)
	return nil
}

// startMDS loads the configured metadata BLOB and keeps watching the file
// for updates (operators replace it; this server never downloads it).
func startMDS(ctx context.Context, cfg config.Config, log *slog.Logger) (func() *mds.Metadata, error) {
	if cfg.MDSFile == "" {
		return func() *mds.Metadata { return nil }, nil
	}
	// Revocation checks of the BLOB's certificates go over the network; do
	// not let an offline host stall start-up.
	revoke.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	var root *x509.Certificate
	if cfg.MDSRoot != "" {
		pemBytes, err := os.ReadFile(cfg.MDSRoot)
		if err != nil {
			return nil, fmt.Errorf("PASSWORDLESS_MDS_ROOT: %w", err)
		}
		block, _ := pem.Decode(pemBytes)
		if block == nil {
			return nil, errors.New("PASSWORDLESS_MDS_ROOT: no PEM certificate found")
		}
		if root, err = x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("PASSWORDLESS_MDS_ROOT: %w", err)
		}
	}
	w := mds.NewWatcher(cfg.MDSFile, root, nil, log)
	if _, err := w.Check(); err != nil {
		return nil, fmt.Errorf("PASSWORDLESS_MDS_FILE: %w", err)
	}
	go w.Run(ctx, time.Minute)
	return w.Current, nil
}

// startAAGUIDNames returns the directory of authenticator names: the
// configured file, if any, which is watched for changes, then the metadata
// BLOB.
func startAAGUIDNames(ctx context.Context, cfg config.Config, metadata func() *mds.Metadata, log *slog.Logger) (*aaguid.Directory, error) {
	if cfg.AAGUIDFile == "" {
		return aaguid.NewDirectory(nil, metadata), nil
	}
	w := aaguid.NewWatcher(cfg.AAGUIDFile, log)
	if _, err := w.Check(); err != nil {
		return nil, fmt.Errorf("PASSWORDLESS_AAGUID_FILE: %w", err)
	}
	go w.Run(ctx, time.Minute)
	return aaguid.NewDirectory(w.Current, metadata), nil
}

// newMailer sends through SMTP when a host is configured, else writes
// .eml files so development setups can read their magic links.
func newMailer(cfg config.Config, log *slog.Logger) (mail.Mailer, error) {
	if cfg.SMTPHost != "" {
		var roots *x509.CertPool // nil: the system's
		if cfg.SMTPCAFile != "" {
			var err error
			if roots, err = mail.LoadCertPool(cfg.SMTPCAFile); err != nil {
				return nil, fmt.Errorf("PASSWORDLESS_SMTP_CA_FILE: %w", err)
			}
		}
		return mail.NewSMTPMailer(mail.SMTPConfig{
			Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
			TLSPolicy: cfg.SMTPTLS, RootCAs: roots, From: cfg.MailFrom, FromName: cfg.MailFromName,
		})
	}
	d, err := mail.NewDirMailer(cfg.MailDir)
	if err != nil {
		return nil, fmt.Errorf("PASSWORDLESS_MAIL_DIR: %w", err)
	}
	d.From, d.FromName = cfg.MailFrom, cfg.MailFromName
	log.Info("no SMTP server configured; e-mail is written to files", "dir", d.Dir())
	return d, nil
}

func seedDev(ctx context.Context, a *apps.Service, managementKey string, stdout io.Writer) error {
	if _, err := a.SeedDevApp(ctx); err != nil {
		return err
	}
	shownKey := config.DevManagementKey
	if managementKey != config.DevManagementKey {
		shownKey = "the value of PASSWORDLESS_MANAGEMENT_KEY" // never print a key of the operator's
	}
	fmt.Fprintf(stdout, `
  Development mode: do not use in production.
  ManagementKey: %s
  App "%s":  ApiKey: %s
             ApiSecret: %s

`, shownKey, apps.DevAppID, apps.DevPublicKey, apps.DevSecret)
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// maxHeaderBytes makes the documented limit of a request head (request
// line and header lines, as sent) exactly 64 KiB: Go's server reads
// MaxHeaderBytes plus 4096 bytes of slack before answering 431.
const maxHeaderBytes = 64<<10 - 4096

// serveMetrics serves the metrics (and profiles) on a listener of their
// own until stop is called.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PASSWORDLESS_METRICS_ADDR: %w", err)
	}
	// No WriteTimeout: a CPU profile or trace streams for as long as asked.
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener failed", "err", err)
		}
	}()
	log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { srv.Close() }, nil
}

// serveOn serves on ln until ctx ends, then lets in-flight requests
// finish for up to grace. Requests still running then make it fail, so
// that the exit code tells the operator some were cut off.
func serveOn(ctx context.Context, ln net.Listener, h http.Handler, consoleOn bool, grace time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// The URLs are the ones to open in a browser: WebAuthn needs a domain
	// name, so a loopback or wildcard address is written as localhost.
	addr, base := ln.Addr().String(), console.BrowserURL(ln.Addr().String())
	if consoleOn {
		log.Info("listening", "addr", addr, "url", base, "console", base+console.Prefix, "demo", base+console.Prefix+"/demo")
	} else {
		log.Info("listening", "addr", addr, "url", base)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("requests were still running when the shutdown grace of %v ran out: %w", grace, err)
	}
	return nil
}
