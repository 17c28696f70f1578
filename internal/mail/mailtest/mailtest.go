// Package mailtest provides an in-process SMTP server and a MIME reader for
// tests of code that sends e-mail.
package mailtest

import (
	"bytes"
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

	smtp "github.com/emersion/go-smtp"
)

// Received is one message accepted by the Server.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Server is an SMTP server on 127.0.0.1 without TLS or AUTH that keeps
// every message it accepts.
type Server struct {
	Host string
	Port int

	srv  *smtp.Server
	mu   sync.Mutex
	msgs []Received
	hook func() error
}

// NewServer starts a server on a free port and stops it when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{}
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = addr.IP.String(), addr.Port
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
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
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
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
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Received{From: x.from, To: append([]string(nil), x.to...), Data: data})
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
