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
package main

import (
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
	"syscall"
	"time"

	"github.com/go-webauthn/x/revoke"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/attestation"
	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/config"
	"github.com/passwordless-oss/server/internal/console"
	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/jobs"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mds"
	"github.com/passwordless-oss/server/internal/passkey"
	"github.com/passwordless-oss/server/internal/ratelimit"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/postgres"
	"github.com/passwordless-oss/server/internal/store/sqlite"
	"github.com/passwordless-oss/server/internal/token"
	"github.com/passwordless-oss/server/internal/transfer"
	"github.com/passwordless-oss/server/internal/users"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "passwordless:", err)
		os.Exit(1)
	}
}

const usage = `usage: passwordless <command> [flags]
  serve     run the HTTP API
  migrate   bring the database schema up to date and exit
  export    write one app to a file: export --app <id> [--database <dsn>] [--out <file>]
  import    read an exported app: import [--database <dsn>] [--in <file>]
  version   print the version
Run "passwordless <command> -h" for the flags of a command.`

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "serve":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrate(context.Background(), args[1:], getenv, stdout, stderr)
	case "export":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return exportApp(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return importApp(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	log.Info("starting", append([]any{"version", version}, cfg.Redacted()...)...)

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

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
	attest := attestation.New(st, metadata, nil)
	configs := authconfig.New(st, nil)
	passkeys := passkey.New(passkey.Deps{Store: st, Tokens: sealer, Configs: configs, Policy: attest,
		AllowCounterRegression: cfg.AllowCounterRegression, Log: log})
	mailer, err := newMailer(cfg, log)
	if err != nil {
		return err
	}
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
		Users:          users.New(st),
		Configs:        configs,
		Store:          st,
		ManagementKey:  cfg.ManagementKey,
		Version:        version,
		PublicLimiter:  ratelimit.New(cfg.PublicRateLimit, time.Minute, nil),
		ClientIPHeader: cfg.ClientIPHeader,
		MaxInFlight:    cfg.MaxInFlight,
		MaxBodyMemory:  int64(cfg.MaxBodyMemoryMiB) << 20,
		HSTS:           !cfg.Dev,
		Log:            log,
	})
	go jobs.Run(ctx, st, time.Hour, log)

	// Admin console and demo under /console (docs/console.md).
	var consoleHandler http.Handler
	if on, consoleURL, err := console.Settings(getenv); err != nil {
		return err
	} else if on {
		if consoleHandler, err = console.New(ctx, console.Config{Apps: appSvc, Users: users.New(st), Configs: configs,
			Passkeys: passkeys, Tokens: sealer, Store: st, Dev: cfg.Dev, HSTS: !cfg.Dev, PublicURL: consoleURL,
			ListenAddr: cfg.Addr, Out: stdout, Log: log}); err != nil {
			return err
		}
	}
	return listenAndServe(ctx, cfg.Addr, console.Mount(handler, consoleHandler), cfg.ShutdownTimeout, log)
}

// openStore opens the configured store; both apply their migrations.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.IsPostgres() {
		st, err := postgres.Open(ctx, cfg.Database)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("open SQLite store %s: %w", cfg.Database, err)
	}
	return st, nil
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

// listenAndServe runs the server until ctx ends, then lets in-flight
// requests finish for up to grace. Requests still running then make it
// fail, so that the exit code tells the operator some were cut off.
func listenAndServe(ctx context.Context, addr string, h http.Handler, grace time.Duration, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "url", "http://"+ln.Addr().String())
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
