package mail_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
)

var sample = mail.Message{
	To:       "alice@example.com",
	From:     "sender@example.org",
	FromName: "Sign in to app.example.com",
	Subject:  "Sign in to app.example.com – é",
	Text:     "Open https://app.example.com/login?token=abc_DEF-123 to log in.\nA long line " + strings.Repeat("x", 120) + "\n",
	HTML:     `<p>Open <a href="https://app.example.com/login?token=abc_DEF-123">the link</a> = sign in</p>`,
}

func newSMTP(t *testing.T, srv *mailtest.Server, mod func(*mail.SMTPConfig)) *mail.SMTPMailer {
	t.Helper()
	cfg := mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLSPolicy: "none", From: "default@example.org", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	m, err := mail.NewSMTPMailer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkParsed(t *testing.T, p *mailtest.Parsed, want mail.Message) {
	t.Helper()
	if p.Subject != want.Subject {
		t.Errorf("subject = %q, want %q", p.Subject, want.Subject)
	}
	if p.From.Address != want.From || p.From.Name != want.FromName {
		t.Errorf("from = %q <%s>, want %q <%s>", p.From.Name, p.From.Address, want.FromName, want.From)
	}
	if len(p.To) != 1 || p.To[0].Address != want.To {
		t.Errorf("to = %v, want %s", p.To, want.To)
	}
	if p.ContentType != "multipart/alternative" {
		t.Errorf("content type = %q", p.ContentType)
	}
	if p.Text != want.Text {
		t.Errorf("text = %q, want %q", p.Text, want.Text)
	}
	if p.HTML != want.HTML {
		t.Errorf("html = %q, want %q", p.HTML, want.HTML)
	}
	if p.Header.Get("Date") == "" || p.Header.Get("Message-Id") == "" {
		t.Errorf("missing Date or Message-ID: %v", p.Header)
	}
}

func TestSMTPMailerSends(t *testing.T) {
	srv := mailtest.NewServer(t)
	m := newSMTP(t, srv, nil)
	if err := m.Send(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	got := msgs[0]
	if got.From != sample.From || len(got.To) != 1 || got.To[0] != sample.To {
		t.Errorf("envelope = %s -> %v", got.From, got.To)
	}
	if !strings.Contains(strings.ToLower(string(got.Data)), "content-transfer-encoding: quoted-printable") {
		t.Errorf("parts are not quoted-printable:\n%s", got.Data)
	}
	p, err := mailtest.Parse(got.Data)
	if err != nil {
		t.Fatal(err)
	}
	checkParsed(t, p, sample)
}

func TestSMTPMailerDefaultSender(t *testing.T) {
	srv := mailtest.NewServer(t)
	m := newSMTP(t, srv, func(c *mail.SMTPConfig) { c.FromName = "Default Name" })
	msg := sample
	msg.From, msg.FromName, msg.HTML = "", "", ""
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.Parse(srv.Messages()[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if p.From.Address != "default@example.org" || p.From.Name != "Default Name" {
		t.Errorf("from = %v", p.From)
	}
	if p.ContentType != "text/plain" || p.Text != msg.Text {
		t.Errorf("text-only message = %q %q", p.ContentType, p.Text)
	}
}

func TestSMTPMailerErrors(t *testing.T) {
	srv := mailtest.NewServer(t)
	m := newSMTP(t, srv, nil)

	bad := sample
	bad.To = "not an address"
	if err := m.Send(context.Background(), bad); err == nil {
		t.Error("invalid recipient accepted")
	}

	srv.SetDataHook(func() error { return errors.New("rejected") })
	if err := m.Send(context.Background(), sample); err == nil {
		t.Error("rejected message reported as sent")
	}

	// A server that stalls must not outlive the caller's context.
	release := make(chan struct{})
	defer close(release)
	srv.SetDataHook(func() error { <-release; return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Send(ctx, sample)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled send: err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stalled send took %v", d)
	}

	// Mandatory TLS against a server without STARTTLS fails.
	srv.SetDataHook(nil)
	tlsm := newSMTP(t, srv, func(c *mail.SMTPConfig) { c.TLSPolicy = "mandatory" })
	if err := tlsm.Send(context.Background(), sample); err == nil {
		t.Error("mandatory TLS without STARTTLS succeeded")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}

	// A cancelled context sends nothing.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := m.Send(cctx, sample); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled send: err = %v", err)
	}
}

// TestSMTPMailerSTARTTLSAndAuth delivers to a server that offers STARTTLS
// with a certificate no system root knows, and AUTH PLAIN only once the
// connection is encrypted.
func TestSMTPMailerSTARTTLSAndAuth(t *testing.T) {
	cert, certPEM := mailtest.Certificate(t)
	srv := mailtest.NewServer(t,
		mailtest.WithSTARTTLS(&tls.Config{Certificates: []tls.Certificate{cert}}),
		mailtest.WithAuth("relay-user", "relay-pass"))
	trusted := x509.NewCertPool()
	trusted.AppendCertsFromPEM(certPEM)

	tests := []struct {
		name     string
		policy   string
		roots    *x509.CertPool
		password string
		ok       bool
	}{
		{"mandatory, trusted certificate", mail.TLSMandatory, trusted, "relay-pass", true},
		{"opportunistic upgrades", mail.TLSOpportunistic, trusted, "relay-pass", true},
		{"unknown certificate", mail.TLSMandatory, nil, "relay-pass", false},
		{"wrong password", mail.TLSMandatory, trusted, "wrong", false},
		{"no TLS: AUTH not offered, mail refused", mail.TLSNone, trusted, "relay-pass", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.Messages())
			m := newSMTP(t, srv, func(c *mail.SMTPConfig) {
				c.TLSPolicy, c.RootCAs, c.Username, c.Password = tt.policy, tt.roots, "relay-user", tt.password
			})
			err := m.Send(context.Background(), sample)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want success %v", err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), tt.password) {
				t.Errorf("the error quotes the password: %v", err)
			}
			msgs := srv.Messages()[before:]
			if !tt.ok {
				if len(msgs) != 0 {
					t.Fatalf("%d messages accepted", len(msgs))
				}
				return
			}
			if len(msgs) != 1 || !msgs[0].TLS || msgs[0].AuthUser != "relay-user" {
				t.Fatalf("received %+v, want one message over TLS from relay-user", msgs)
			}
		})
	}
}

func TestLoadCertPool(t *testing.T) {
	_, certPEM := mailtest.Certificate(t)
	_, otherPEM := mailtest.Certificate(t)
	keyPEM := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	tests := []struct {
		name    string
		content []byte // nil: no file
		wantErr string
	}{
		{"one certificate", certPEM, ""},
		{"a bundle with comments", append(append([]byte("# relay CA\n"), otherPEM...), certPEM...), ""},
		{"missing file", nil, "no such file"},
		{"empty file", []byte{}, "no PEM certificate"},
		{"not PEM", []byte("hello"), "no PEM certificate"},
		{"a private key", keyPEM, `"PRIVATE KEY"`},
		{"truncated last certificate", append(append([]byte{}, otherPEM...), certPEM[:len(certPEM)/2]...), "not a PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ca.pem")
			if tt.content != nil {
				if err := os.WriteFile(path, tt.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			pool, err := mail.LoadCertPool(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(certPEM)
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
				t.Fatalf("the loaded pool does not trust the certificate: %v", err)
			}
		})
	}
}

func TestNewSMTPMailerConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  mail.SMTPConfig
		ok   bool
	}{
		{"minimal", mail.SMTPConfig{Host: "smtp.example.com"}, true},
		{"policy case", mail.SMTPConfig{Host: "h", TLSPolicy: "Mandatory"}, true},
		{"no host", mail.SMTPConfig{}, false},
		{"bad port", mail.SMTPConfig{Host: "h", Port: 70000}, false},
		{"bad policy", mail.SMTPConfig{Host: "h", TLSPolicy: "starttls"}, false},
		{"bad from", mail.SMTPConfig{Host: "h", From: "nope"}, false},
	}
	for _, tt := range tests {
		_, err := mail.NewSMTPMailer(tt.cfg)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		}
	}
}

func TestDirMailer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outbox")
	m, err := mail.NewDirMailer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v %v", fi.Mode(), err)
	}
	if err := m.Send(context.Background(), sample); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("files = %v, %v", files, err)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v", fi.Mode())
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := mailtest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	checkParsed(t, p, sample)

	noFrom := sample
	noFrom.From, noFrom.FromName = "", ""
	if err := m.Send(context.Background(), noFrom); err != nil {
		t.Fatal(err)
	}
	bad := sample
	bad.To = "@"
	if err := m.Send(context.Background(), bad); err == nil {
		t.Error("invalid recipient accepted")
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 2 {
		t.Errorf("files after three sends = %v", files)
	}
}
