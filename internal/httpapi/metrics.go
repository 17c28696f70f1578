package httpapi

import (
	"errors"
	"net/http"

	"github.com/passwordless-oss/server/internal/metrics"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
)

// The outcomes recorded here are read off the handlers' results, so that
// the domain packages need not know about metrics.

// countCeremony records the outcome of a ceremony's completing call.
func (s *Server) countCeremony(kind metrics.Ceremony, h func(*call) error) func(*call) error {
	if s.metrics == nil {
		return h
	}
	return func(c *call) error {
		err := h(c)
		s.metrics.Ceremony(kind, err == nil)
		return err
	}
}

// countVerify records the outcome of POST /signin/verify.
func (s *Server) countVerify(h func(*call) error) func(*call) error {
	if s.metrics == nil {
		return h
	}
	return func(c *call) error {
		err := h(c)
		s.metrics.VerifyToken(verifyOutcome(err))
		return err
	}
}

func verifyOutcome(err error) metrics.VerifyOutcome {
	var p *problem.Problem
	isProblem := errors.As(err, &p)
	switch {
	case err == nil:
		return metrics.VerifyOK
	case errors.Is(err, store.ErrAlreadyUsed):
		return metrics.VerifyUsed
	case isProblem && p.Code == "expired_token":
		return metrics.VerifyExpired
	case isProblem && p.Status < http.StatusInternalServerError:
		return metrics.VerifyInvalid
	}
	return metrics.VerifyError
}

// countMagicLinkRefusal records a magic link refused by the rate limit or
// the app's quota.
func (s *Server) countMagicLinkRefusal(err error) {
	var p *problem.Problem
	if s.metrics == nil || !errors.As(err, &p) {
		return
	}
	switch p.Code {
	case "rate_limit_exceeded":
		s.metrics.Rejected(metrics.MagicLinkRate)
	case "magic_link_email_quota_exceeded":
		s.metrics.Rejected(metrics.MagicLinkQuota)
	}
}
