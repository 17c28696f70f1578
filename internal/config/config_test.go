package config

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{
			name:    "defaults need a management key",
			wantErr: "PASSWORDLESS_MANAGEMENT_KEY is not set",
		},
		{
			name: "dev mode fills the key",
			args: []string{"--dev"},
			want: Config{Addr: "localhost:5701", Database: "passwordless.db", ManagementKey: DevManagementKey, Dev: true, LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second},
		},
		{
			name: "environment",
			env:  map[string]string{"PASSWORDLESS_ADDR": "127.0.0.1:9000", "PASSWORDLESS_DATABASE": "/tmp/x.db", "PASSWORDLESS_MANAGEMENT_KEY": "0123456789abcdef0123"},
			want: Config{Addr: "127.0.0.1:9000", Database: "/tmp/x.db", ManagementKey: "0123456789abcdef0123", LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second},
		},
		{
			name: "flags win over environment",
			args: []string{"--addr", "127.0.0.1:1"},
			env:  map[string]string{"PASSWORDLESS_ADDR": "127.0.0.1:9000", "PASSWORDLESS_MANAGEMENT_KEY": "0123456789abcdef0123"},
			want: Config{Addr: "127.0.0.1:1", Database: "passwordless.db", ManagementKey: "0123456789abcdef0123", LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second},
		},
		{
			name: "authenticator names file",
			args: []string{"--dev", "--aaguid-file", "/etc/passwordless/aaguid.json"},
			env:  map[string]string{"PASSWORDLESS_AAGUID_FILE": "/elsewhere.json"},
			want: Config{Addr: "localhost:5701", Database: "passwordless.db", ManagementKey: DevManagementKey, Dev: true, LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second, AAGUIDFile: "/etc/passwordless/aaguid.json"},
		},
		{
			name:    "short key outside dev",
			env:     map[string]string{"PASSWORDLESS_MANAGEMENT_KEY": "short"},
			wantErr: "shorter than 16",
		},
		{
			name:    "bad address",
			args:    []string{"--dev", "--addr", "nocolon"},
			wantErr: "not host:port",
		},
		{
			name:    "bad log level",
			args:    []string{"--dev", "--log-level", "loud"},
			wantErr: "PASSWORDLESS_LOG_LEVEL",
		},
		{
			name:    "bad rate limit",
			env:     map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_PUBLIC_RATE_LIMIT": "lots"},
			wantErr: "PASSWORDLESS_PUBLIC_RATE_LIMIT",
		},
		{
			name: "magic-link rate limit 0 disables",
			env:  map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_MAGIC_LINK_RATE_LIMIT": "0"},
			want: Config{Addr: "localhost:5701", Database: "passwordless.db", ManagementKey: DevManagementKey, Dev: true, LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 0, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second},
		},
		{
			name:    "negative magic-link rate limit",
			env:     map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_MAGIC_LINK_RATE_LIMIT": "-1"},
			wantErr: "PASSWORDLESS_MAGIC_LINK_RATE_LIMIT",
		},
		{
			name: "SMTP CA file",
			env:  map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_SMTP_HOST": "relay.internal", "PASSWORDLESS_SMTP_TLS": "mandatory", "PASSWORDLESS_SMTP_CA_FILE": "/etc/relay-ca.pem"},
			want: Config{Addr: "localhost:5701", Database: "passwordless.db", ManagementKey: DevManagementKey, Dev: true, LogLevel: "info", PublicRateLimit: 600, SMTPHost: "relay.internal", SMTPPort: 587, SMTPTLS: "mandatory", SMTPCAFile: "/etc/relay-ca.pem", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second},
		},
		{
			name:    "SMTP CA file without SMTP host",
			args:    []string{"--dev", "--smtp-ca-file", "/etc/relay-ca.pem"},
			wantErr: "PASSWORDLESS_SMTP_CA_FILE is set but PASSWORDLESS_SMTP_HOST is not",
		},
		{
			name:    "SMTP CA file without TLS",
			args:    []string{"--dev", "--smtp-host", "relay.internal", "--smtp-tls", "none", "--smtp-ca-file", "/etc/relay-ca.pem"},
			wantErr: "PASSWORDLESS_SMTP_TLS is none",
		},
		{
			name:    "body memory too small for one body",
			args:    []string{"--dev", "--max-body-memory", "1"},
			wantErr: "PASSWORDLESS_MAX_BODY_MEMORY",
		},
		{
			name:    "bad body memory",
			env:     map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_MAX_BODY_MEMORY": "64MiB"},
			wantErr: "PASSWORDLESS_MAX_BODY_MEMORY",
		},
		{
			name: "shutdown timeout",
			args: []string{"--dev", "--shutdown-timeout", "2s"},
			want: Config{Addr: "localhost:5701", Database: "passwordless.db", ManagementKey: DevManagementKey, Dev: true, LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 2 * time.Second},
		},
		{
			name:    "bad shutdown timeout",
			env:     map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_SHUTDOWN_TIMEOUT": "15"},
			wantErr: "PASSWORDLESS_SHUTDOWN_TIMEOUT",
		},
		{
			name:    "zero shutdown timeout",
			args:    []string{"--dev", "--shutdown-timeout", "0s"},
			wantErr: "PASSWORDLESS_SHUTDOWN_TIMEOUT",
		},
		{
			name: "metrics and pprof",
			args: []string{"--dev", "--pprof"},
			env:  map[string]string{"PASSWORDLESS_METRICS_ADDR": "localhost:9464"},
			want: Config{Addr: "localhost:5701", Database: "passwordless.db", ManagementKey: DevManagementKey, Dev: true, LogLevel: "info", PublicRateLimit: 600, SMTPPort: 587, SMTPTLS: "opportunistic", MailFrom: "no-reply@localhost", MailDir: "mail", MagicLinkRateLimit: 10, MaxInFlight: 1000, MaxBodyMemoryMiB: 64, SQLiteMaxWALMiB: 64, ShutdownTimeout: 15 * time.Second, MetricsAddr: "localhost:9464", Pprof: true},
		},
		{
			name:    "bad metrics address",
			args:    []string{"--dev", "--metrics-addr", "9464"},
			wantErr: "PASSWORDLESS_METRICS_ADDR",
		},
		{
			name:    "metrics on the API's address",
			args:    []string{"--dev", "--metrics-addr", "localhost:5701"},
			wantErr: "must differ from PASSWORDLESS_ADDR",
		},
		{
			name:    "pprof without metrics",
			env:     map[string]string{"PASSWORDLESS_DEV": "1", "PASSWORDLESS_PPROF": "true"},
			wantErr: "PASSWORDLESS_PPROF is set but PASSWORDLESS_METRICS_ADDR is not",
		},
		{
			name:    "stray argument",
			args:    []string{"--dev", "extra"},
			wantErr: "unexpected arguments",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := Config{Addr: "a:1", Database: "postgres://u:secretpw@h/db", ManagementKey: "supersecretvalue123", LogLevel: "info", SMTPPassword: "smtpsecretpass"}
	s := fmt.Sprint(c.Redacted()...)
	for _, secret := range []string{"secretpw", "supersecretvalue123", "smtpsecretpass"} {
		if strings.Contains(s, secret) {
			t.Fatalf("redacted config leaks %q: %s", secret, s)
		}
	}
	if !strings.Contains(s, "postgres://u:***@h/db") {
		t.Fatalf("redacted database URL missing: %s", s)
	}
	if !c.IsPostgres() {
		t.Fatal("IsPostgres = false")
	}
	// The other places a password can be: the query string and the
	// keyword/value form.
	for _, db := range []string{"postgres://u@h/db?password=secretpw", "host=h dbname=db password=secretpw"} {
		c.Database = db
		if s := fmt.Sprint(c.Redacted()...); strings.Contains(s, "secretpw") {
			t.Errorf("redacted config leaks the password of %q: %s", db, s)
		}
	}
}
