// Package mail sends the server's outgoing e-mail (magic links). A Mailer
// delivers one Message; SMTPMailer talks to an SMTP relay and DirMailer
// writes .eml files for development setups without one.
//
// Messages sent by this server carry sign-in tokens, so no code in this
// package logs a message body, and errors never quote it.
package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Message is one e-mail. From and FromName may be left empty to use the
// mailer's configured sender. At least one of Text and HTML must be set;
// with both the message is multipart/alternative.
type Message struct {
	To       string
	From     string
	FromName string
	Subject  string
	Text     string
	HTML     string
}

// Mailer delivers messages. Implementations are safe for concurrent use and
// honour the context's deadline and cancellation.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// WriteTo renders the message as an RFC 5322 document (quoted-printable
// UTF-8 parts, with Date and Message-ID headers). It fails if the addresses
// are invalid or there is no body, exactly as a Mailer's Send would.
func (m Message) WriteTo(w io.Writer) (int64, error) {
	msg, err := m.compose("", "")
	if err != nil {
		return 0, err
	}
	return msg.WriteTo(w)
}

// compose builds the go-mail message; defFrom and defName replace an empty
// From and FromName.
func (m Message) compose(defFrom, defName string) (*gomail.Msg, error) {
	from, name := m.From, m.FromName
	if from == "" {
		from, name = defFrom, defName
		if m.FromName != "" {
			name = m.FromName
		}
	}
	if from == "" {
		return nil, errors.New("mail: no sender address")
	}
	if m.Text == "" && m.HTML == "" {
		return nil, errors.New("mail: message has no body")
	}
	fromAddr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: invalid sender address: %w", err)
	}
	toAddr, err := netmail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: invalid recipient address: %w", err)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if n := oneLine(name); n != "" {
		fromAddr.Name = n
	}
	msg.FromMailAddress(fromAddr)
	msg.ToMailAddress(toAddr)
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageID()
	msg.SetDate()
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// oneLine removes control characters so a header value stays on one line.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}
