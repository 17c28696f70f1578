package metrics

import (
	"context"

	"github.com/passwordless-oss/server/internal/mail"
)

// WrapMailer counts the magic-link e-mails mailer sends and fails to send
// in passwordless_magic_link_mails_total{outcome}. A nil m returns mailer
// as it is.
func (m *Metrics) WrapMailer(mailer mail.Mailer) mail.Mailer {
	if m == nil {
		return mailer
	}
	return countingMailer{mailer, m}
}

type countingMailer struct {
	mail.Mailer
	m *Metrics
}

func (c countingMailer) Send(ctx context.Context, msg mail.Message) error {
	err := c.Mailer.Send(ctx, msg)
	outcome := "sent"
	if err != nil {
		outcome = "failed"
	}
	c.m.mails.WithLabelValues(outcome).Inc()
	return err
}
