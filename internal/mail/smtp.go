package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"os"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS policies of SMTPConfig.TLSPolicy.
const (
	// TLSMandatory requires STARTTLS; delivery fails if the server does
	// not offer it or the handshake fails.
	TLSMandatory = "mandatory"
	// TLSOpportunistic uses STARTTLS when the server offers it (default).
	TLSOpportunistic = "opportunistic"
	// TLSNone never encrypts (local relays and tests only).
	TLSNone = "none"
)

// Defaults of SMTPConfig.
const (
	DefaultSMTPPort    = 587
	DefaultSMTPTimeout = 30 * time.Second
)

// SMTPConfig configures an SMTPMailer.
type SMTPConfig struct {
	Host string
	// Port defaults to 587 (submission with STARTTLS). Implicit TLS
	// (port 465) is not supported.
	Port int
	// Username and Password enable SMTP AUTH when Username is set; the
	// strongest mechanism the server offers is chosen, and plain-text
	// mechanisms are only used over an encrypted connection.
	Username string
	Password string
	// TLSPolicy is "mandatory", "opportunistic" (default) or "none".
	TLSPolicy string
	// RootCAs verifies the server's STARTTLS certificate; nil means the
	// system's roots. LoadCertPool adds a private relay's CA to them.
	RootCAs *x509.CertPool
	// From and FromName are the sender used when a Message leaves them
	// empty.
	From     string
	FromName string
	// Timeout bounds a whole delivery (connect, TLS, AUTH, DATA) on top
	// of the caller's context; default 30s.
	Timeout time.Duration
}

// SMTPMailer delivers messages to an SMTP server, one connection per
// message.
type SMTPMailer struct {
	cfg    SMTPConfig
	policy gomail.TLSPolicy
}

// NewSMTPMailer checks cfg and returns a mailer. It does not connect.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, errors.New("mail: SMTP host is required")
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultSMTPPort
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: invalid SMTP port %d", cfg.Port)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSMTPTimeout
	}
	if cfg.From != "" {
		if _, err := netmail.ParseAddress(cfg.From); err != nil {
			return nil, fmt.Errorf("mail: invalid sender address: %w", err)
		}
	}
	var policy gomail.TLSPolicy
	switch strings.ToLower(strings.TrimSpace(cfg.TLSPolicy)) {
	case TLSMandatory:
		policy = gomail.TLSMandatory
	case TLSOpportunistic, "":
		policy = gomail.TLSOpportunistic
	case TLSNone:
		policy = gomail.NoTLS
	default:
		return nil, fmt.Errorf("mail: unknown TLS policy %q (want mandatory, opportunistic or none)", cfg.TLSPolicy)
	}
	return &SMTPMailer{cfg: cfg, policy: policy}, nil
}

// LoadCertPool returns the system's roots plus the certificates of the PEM
// file at path. The file must hold at least one certificate and nothing
// else, so that a wrong file (a key, a chain in another format) is noticed
// at start rather than at the first delivery.
func LoadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool() // no system roots on this platform
	}
	certs, rest := 0, data
	for {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("mail: %s: PEM block %d is a %q, not a CERTIFICATE", path, certs+1, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("mail: %s: certificate %d: %w", path, certs+1, err)
		}
		pool.AddCert(cert)
		certs++
	}
	if certs == 0 {
		return nil, fmt.Errorf("mail: %s holds no PEM certificate", path)
	}
	// A truncated last certificate does not decode; say so rather than
	// trust one certificate less than the operator meant.
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("mail: %s: the text after certificate %d is not a PEM block", path, certs)
	}
	return pool, nil
}

// Send delivers m. It returns when the server accepted the message, the
// delivery failed, the timeout passed or ctx ended, whichever is first.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	msg, err := m.compose(s.cfg.From, s.cfg.FromName)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: %w", err)
	}

	// go-mail bounds each SMTP command by its own timeout but only watches
	// the context while dialling. Closing the connection when ctx ends
	// makes every later read or write fail at once.
	var (
		mu   sync.Mutex
		conn net.Conn
		stop func() bool
	)
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		conn = c
		stop = context.AfterFunc(ctx, func() { _ = c.Close() })
		mu.Unlock()
		return c, nil
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			stop()
			// go-mail leaves the connection open when the SMTP handshake
			// fails; closing twice is harmless.
			_ = conn.Close()
		}
	}()

	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTLSPolicy(s.policy),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithDialContextFunc(dial),
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password))
	}
	client, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("mail: sending to %s: %w", s.addr(), ctxErr)
		}
		return fmt.Errorf("mail: sending to %s: %w", s.addr(), err)
	}
	return nil
}

func (s *SMTPMailer) addr() string {
	return net.JoinHostPort(s.cfg.Host, fmt.Sprint(s.cfg.Port))
}
