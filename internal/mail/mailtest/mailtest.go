// Package mailtest provides an in-process SMTP server (optionally with
// STARTTLS and AUTH), a test certificate authority and a MIME reader for
// tests of code that sends e-mail.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"
)

// Received is one message accepted by the Server.
type Received struct {
	From string
	To   []string
	Data []byte
	// TLS reports whether the connection was encrypted (STARTTLS) when
	// the message was sent.
	TLS bool
	// AuthUser is the user name the client authenticated with; empty
	// without AUTH.
	AuthUser string
}

// Server is an SMTP server on 127.0.0.1 that keeps every message it
// accepts. By default it offers neither STARTTLS nor AUTH; see Option.
type Server struct {
	Host string
	Port int

	srv      *smtp.Server
	username string
	password string
	mu       sync.Mutex
	msgs     []Received
	hook     func() error
}

// Option configures a Server.
type Option func(*Server)

// WithSTARTTLS offers STARTTLS with the given configuration.
func WithSTARTTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.srv.TLSConfig = cfg }
}

// WithAuth offers AUTH PLAIN, only over TLS as real submission servers do,
// accepts only username and password, and refuses mail from clients that
// did not authenticate.
func WithAuth(username, password string) Option {
	return func(s *Server) { s.username, s.password = username, password }
}

// NewServer starts a server on a free port and stops it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	for _, o := range opts {
		o(s)
	}
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.MaxRecipients = 10
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// SetDataHook installs f, called while a message's DATA is received; a
// non-nil error rejects the message. A hook may block to simulate a slow
// server.
func (s *Server) SetDataHook(f func() error) {
	s.mu.Lock()
	s.hook = f
	s.mu.Unlock()
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string // authenticated user name
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// AuthMechanisms offers PLAIN when the server has credentials; go-smtp
// advertises it only on an encrypted connection.
func (x *session) AuthMechanisms() []string {
	if x.s.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if x.s.username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if (identity != "" && identity != username) || username != x.s.username || password != x.s.password {
			return smtp.ErrAuthFailed
		}
		x.user = username
		return nil
	}), nil
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.username != "" && x.user == "" {
		return errAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	hook := x.s.hook
	x.s.mu.Unlock()
	if hook != nil {
		if err := hook(); err != nil {
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: err.Error()}
		}
	}
	_, encrypted := x.conn.TLSConnectionState()
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Received{From: x.from, To: append([]string(nil), x.to...), Data: data, TLS: encrypted, AuthUser: x.user})
	x.s.mu.Unlock()
	return nil
}

// Parsed is a decoded message.
type Parsed struct {
	Header  netmail.Header
	Subject string // RFC 2047-decoded
	From    *netmail.Address
	To      []*netmail.Address
	// ContentType is the top-level media type.
	ContentType string
	// Text and HTML are the decoded text/plain and text/html bodies, with
	// CRLF line breaks turned into LF.
	Text string
	HTML string
}

// Parse decodes a message made of a single text part or a
// multipart/alternative of text parts.
func Parse(raw []byte) (*Parsed, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	p := &Parsed{Header: msg.Header}
	var dec mime.WordDecoder
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		return nil, fmt.Errorf("from: %v (%d addresses)", err, len(from))
	}
	p.From = from[0]
	if p.To, err = msg.Header.AddressList("To"); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("content-type: %w", err)
	}
	p.ContentType = mediaType
	if !strings.HasPrefix(mediaType, "multipart/") {
		body, err := decode(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return nil, err
		}
		return p, p.set(mediaType, body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		// NextRawPart keeps the Content-Transfer-Encoding header so the
		// decoding is checked here rather than done silently.
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return p, nil
		}
		if err != nil {
			return nil, err
		}
		pt, _, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			return nil, fmt.Errorf("part content-type: %w", err)
		}
		body, err := decode(part, part.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return nil, err
		}
		if err := p.set(pt, body); err != nil {
			return nil, err
		}
	}
}

func (p *Parsed) set(mediaType, body string) error {
	switch mediaType {
	case "text/plain":
		p.Text = body
	case "text/html":
		p.HTML = body
	default:
		return fmt.Errorf("unexpected part %q", mediaType)
	}
	return nil
}

func decode(r io.Reader, cte string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "", "7bit", "8bit":
	default:
		return "", fmt.Errorf("unexpected transfer encoding %q", cte)
	}
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
}
