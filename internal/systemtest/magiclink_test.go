package systemtest

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/mail/mailtest"
)

// defaultMagicLinkRateLimit is the binary's default of
// PASSWORDLESS_MAGIC_LINK_RATE_LIMIT per 5 minutes.
const defaultMagicLinkRateLimit = 10

// magicLinkBody is a valid /magic-links/send body.
func magicLinkBody(to string) map[string]any {
	return map[string]any{"emailAddress": to, "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-magic"}
}

// enableMagicLinks raises the app's monthly quota well above what a test
// sends and turns magic links on.
func (s *server) enableMagicLinks(a app) {
	s.t.Helper()
	s.must(204, "POST", "/admin/apps/"+a.ID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":1000}`)
	s.must(204, "POST", "/apps/features", a.secret(), `{"enableMagicLinks":true}`)
}

// TestMagicLinkRateLimitSetting runs the binary with the magic-link rate
// limit unset (the default of 10 per 5 minutes applies) and set to 0 (no
// limit). The window is aligned to the clock, so a boundary may fall
// during the loop: 2×limit+1 sends reach the limit in any case.
func TestMagicLinkRateLimitSetting(t *testing.T) {
	const sends = 2*defaultMagicLinkRateLimit + 1
	tests := []struct {
		name    string
		env     map[string]string
		limited bool
	}{
		{"unset: default limit", nil, true},
		{"0: no limit", map[string]string{"PASSWORDLESS_MAGIC_LINK_RATE_LIMIT": "0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.env)
			s.start()
			a := s.createApp("ratelimit")
			s.enableMagicLinks(a)

			sent, refused := 0, 0
			for i := 0; i < sends && refused == 0; i++ {
				r := s.call("POST", "/magic-links/send", a.secret(), magicLinkBody("someone@example.com"))
				switch {
				case r.status == 204:
					sent++
				case r.status == 429 && problemCode(r) == "rate_limit_exceeded":
					refused++
					if sec, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || sec < 1 || sec > 300 {
						t.Errorf("Retry-After = %q, want 1..300 seconds", r.header.Get("Retry-After"))
					}
				default:
					t.Fatalf("send %d: %s", i+1, r)
				}
			}
			if tt.limited && (refused == 0 || sent < defaultMagicLinkRateLimit) {
				t.Fatalf("%d sent before the first 429 (refused: %d), want at least %d and then a 429", sent, refused, defaultMagicLinkRateLimit)
			}
			if !tt.limited && sent != sends {
				t.Fatalf("%d of %d sends accepted with the limit off", sent, sends)
			}
		})
	}
}

// call sends a request from the test goroutine and returns the answer,
// whatever its status; only a failed exchange fails the test.
func (s *server) call(method, path string, hdr http.Header, body any) *response {
	s.t.Helper()
	r, err := s.do(context.Background(), method, path, hdr, body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// smtpPassword is the relay password of the SMTP tests; it must never
// reach the log.
const smtpPassword = "relay-pass-5b0e9c1d7a"

// smtpEnv configures the binary to send through srv with mandatory TLS
// and the relay's credentials; caFile, if set, is PASSWORDLESS_SMTP_CA_FILE.
func smtpEnv(srv *mailtest.Server, password, caFile string) map[string]string {
	env := map[string]string{
		"PASSWORDLESS_SMTP_HOST":      srv.Host,
		"PASSWORDLESS_SMTP_PORT":      strconv.Itoa(srv.Port),
		"PASSWORDLESS_SMTP_USERNAME":  "relay-user",
		"PASSWORDLESS_SMTP_PASSWORD":  password,
		"PASSWORDLESS_SMTP_TLS":       "mandatory",
		"PASSWORDLESS_MAIL_FROM":      "links@example.org",
		"PASSWORDLESS_MAIL_FROM_NAME": "Example sign-in",
		"PASSWORDLESS_LOG_LEVEL":      "debug",
	}
	if caFile != "" {
		env["PASSWORDLESS_SMTP_CA_FILE"] = caFile
	}
	return env
}

// writeCA writes the PEM certificate a client must trust into a file.
func writeCA(t *testing.T, certPEM []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relay-ca.pem")
	if err := os.WriteFile(path, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var smtpLinkPattern = regexp.MustCompile(`https://example\.com/login\?token=(verify_[A-Za-z0-9_-]+)`)

// TestMagicLinkOverSMTP sends a magic link through the binary to an SMTP
// server that offers STARTTLS, with a certificate only
// PASSWORDLESS_SMTP_CA_FILE makes trusted, and AUTH PLAIN only over TLS.
// The mail must arrive encrypted, authenticated, as text and HTML with
// one link whose token verifies once.
func TestMagicLinkOverSMTP(t *testing.T) {
	t.Parallel()
	cert, certPEM := mailtest.Certificate(t)
	relay := mailtest.NewServer(t,
		mailtest.WithSTARTTLS(&tls.Config{Certificates: []tls.Certificate{cert}}),
		mailtest.WithAuth("relay-user", smtpPassword))
	s := newServer(t, smtpEnv(relay, smtpPassword, writeCA(t, certPEM)))
	s.start()
	a := s.createApp("smtpapp")
	s.enableMagicLinks(a)
	c := ceremony{s: s, app: a}

	recipient := "Alice Example <alice@example.net>"
	s.must(204, "POST", "/magic-links/send", a.secret(), map[string]any{
		"emailAddress": recipient, "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-smtp",
	})

	msgs := relay.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received, want 1", len(msgs))
	}
	got := msgs[0]
	if !got.TLS || got.AuthUser != "relay-user" {
		t.Fatalf("message received with TLS %v as %q, want TLS as relay-user", got.TLS, got.AuthUser)
	}
	if got.From != "links@example.org" || len(got.To) != 1 || got.To[0] != "alice@example.net" {
		t.Fatalf("envelope %s -> %v", got.From, got.To)
	}
	m, err := mailtest.Parse(got.Data)
	if err != nil {
		t.Fatal(err)
	}
	if m.ContentType != "multipart/alternative" || m.Text == "" || m.HTML == "" {
		t.Fatalf("content type %q with text %d bytes, HTML %d bytes; want multipart/alternative with both", m.ContentType, len(m.Text), len(m.HTML))
	}
	if m.From.Address != "links@example.org" || m.From.Name != "Example sign-in" || m.Subject != "Sign in to example.com" {
		t.Fatalf("From %q <%s>, Subject %q", m.From.Name, m.From.Address, m.Subject)
	}
	textLink := smtpLinkPattern.FindStringSubmatch(m.Text)
	htmlLink := smtpLinkPattern.FindStringSubmatch(m.HTML)
	if textLink == nil || htmlLink == nil || textLink[1] != htmlLink[1] {
		t.Fatalf("links: text %q, HTML %q; want the same link in both", textLink, htmlLink)
	}
	tok := textLink[1]

	ctx := context.Background()
	v, err := c.verifyOK(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if v["type"] != "magic_link" || v["userId"] != "u-smtp" || v["success"] != true {
		t.Fatalf("verify = %v", v)
	}
	if r, err := c.verify(ctx, tok); err != nil || r.status != 400 || problemCode(r) != "invalid_token" {
		t.Fatalf("second verify: %v %v, want 400 invalid_token", r, err)
	}

	s.terminate()
	logs := s.logText()
	for what, v := range map[string]string{"SMTP password": smtpPassword, "token": tok, "recipient": "alice@example.net"} {
		if strings.Contains(logs, v) {
			t.Errorf("the server log contains the %s", what)
		}
	}
}

// TestMagicLinkSMTPFailures: when delivery cannot happen as configured
// the API answers a 500 problem (api-spec.md §4.2: a mail-delivery failure
// is a 500), nothing reaches the relay, and the log names the failure
// without the password, the recipient or the link.
func TestMagicLinkSMTPFailures(t *testing.T) {
	cert, certPEM := mailtest.Certificate(t)
	startTLS := mailtest.WithSTARTTLS(&tls.Config{Certificates: []tls.Certificate{cert}})
	auth := mailtest.WithAuth("relay-user", smtpPassword)
	tests := []struct {
		name     string
		opts     []mailtest.Option
		password string
		trustCA  bool
		cause    string // in the logged error
	}{
		{"mandatory TLS, relay without STARTTLS", []mailtest.Option{auth}, smtpPassword, true, "does not support STARTTLS"},
		{"certificate not trusted", []mailtest.Option{startTLS, auth}, smtpPassword, false, "certificate signed by unknown authority"},
		{"wrong password", []mailtest.Option{startTLS, auth}, smtpPassword + "x", true, "AUTH failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			relay := mailtest.NewServer(t, tt.opts...)
			caFile := ""
			if tt.trustCA {
				caFile = writeCA(t, certPEM)
			}
			s := newServer(t, smtpEnv(relay, tt.password, caFile))
			s.start()
			a := s.createApp("smtpfail")
			s.enableMagicLinks(a)

			r := s.call("POST", "/magic-links/send", a.secret(), map[string]any{
				"emailAddress": "bob@example.net", "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-smtp",
			})
			if r.status != 500 || r.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("answer %s (Content-Type %q), want a 500 problem", r, r.header.Get("Content-Type"))
			}
			if n := len(relay.Messages()); n != 0 {
				t.Fatalf("%d messages accepted", n)
			}

			s.terminate()
			logs := s.logText()
			failure := regexp.MustCompile(`level=ERROR .*path=/magic-links/send .*mail: sending to ` + regexp.QuoteMeta(relay.Host) + `.*` + regexp.QuoteMeta(tt.cause))
			if !failure.MatchString(logs) {
				t.Errorf("no error line in the log names the failed delivery and %q", tt.cause)
			}
			for what, v := range map[string]string{"SMTP password": tt.password, "recipient": "bob@example.net", "link": "example.com/login"} {
				if strings.Contains(logs, v) {
					t.Errorf("the server log contains the %s", what)
				}
			}
			if m := tokenPattern.FindString(logs); m != "" {
				t.Errorf("the server log contains a token: %q", m)
			}
		})
	}
}

// TestSMTPCAFileChecked: a CA file that is not a PEM certificate stops the
// binary at start, naming the setting, instead of failing every delivery.
func TestSMTPCAFileChecked(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bad, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "serve")
	cmd.Dir = dir
	cmd.Env = []string{
		"PASSWORDLESS_ADDR=127.0.0.1:0",
		"PASSWORDLESS_MANAGEMENT_KEY=" + managementKey,
		"PASSWORDLESS_DATABASE=" + filepath.Join(dir, "passwordless.db"),
		"PASSWORDLESS_SMTP_HOST=127.0.0.1",
		"PASSWORDLESS_SMTP_TLS=mandatory",
		"PASSWORDLESS_SMTP_CA_FILE=" + bad,
	}
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("the server started with a private key as its SMTP CA file")
	}
	if !strings.Contains(string(out), "PASSWORDLESS_SMTP_CA_FILE") || !strings.Contains(string(out), "not a CERTIFICATE") {
		t.Fatalf("exit %v, output:\n%s", err, out)
	}
}
