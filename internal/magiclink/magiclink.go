// Package magiclink implements POST /magic-links/send (api-spec.md §4.2,
// §9, §11): it validates the request, applies the feature switch, the
// per-app rate limit, the new-app restriction and the monthly quota, mints a
// magic_link verify token, and e-mails the link built from the caller's URL
// template.
//
// Links carry sign-in tokens: nothing here logs a link, a token or a
// message body.
package magiclink

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"math"
	"net/http"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/google/uuid"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/users"
	"github.com/passwordless-oss/server/internal/wire"
)

// Minter mints the verify_ token (type magic_link) a link carries. The
// passkey service implements it.
type Minter interface {
	MintMagicLink(ctx context.Context, appID, userID string, ttl time.Duration) (string, error)
}

// Store is the part of store.Store the service uses.
type Store interface {
	// HitRateLimit: see store.Store.
	HitRateLimit(ctx context.Context, key string, window, expiresAt time.Time) (int64, error)
	// ReserveDispatchedEmail: see store.Store.
	ReserveDispatchedEmail(ctx context.Context, e store.DispatchedEmail, since time.Time, limit int64) error
	// DeleteDispatchedEmail: see store.Store.
	DeleteDispatchedEmail(ctx context.Context, appID, id string) error
}

// Defaults of Config.
const (
	DefaultRateLimit  = 10
	DefaultRateWindow = 5 * time.Minute
)

// Config holds the operator settings of the service.
type Config struct {
	// NewAppWindow: apps younger than this may only mail their admin
	// address. 0 (the default) turns the rule off, as in the original's
	// self-hosted image.
	NewAppWindow time.Duration
	// RateLimit is the number of sends an app may request per fixed
	// RateWindow; 0 (or less) turns the limiter off, as 0 does for the
	// public-endpoint limiter. Callers wanting the usual limit pass
	// DefaultRateLimit: the configuration's default is 10, and an operator
	// who sets 0 must get no limit rather than the default.
	RateLimit int
	// RateWindow defaults to DefaultRateWindow.
	RateWindow time.Duration
	// From is the sender address; empty leaves it to the mailer's
	// configured sender.
	From string
	// FromName, when set, replaces the sender name, which is otherwise
	// "Sign in to <link host>" like the original's.
	FromName string
}

// Token lifetime bounds in seconds (api-spec.md §4.2).
const (
	DefaultTimeToLive = 3600
	MaxTimeToLive     = 604800
)

// SendRequest is the body of POST /magic-links/send.
type SendRequest struct {
	EmailAddress wire.String `json:"emailAddress"`
	URLTemplate  wire.String `json:"urlTemplate"`
	UserID       wire.String `json:"userId"`
	TimeToLive   *wire.Int   `json:"timeToLive"`
}

// Service sends magic links.
type Service struct {
	st     Store
	minter Minter
	mailer mail.Mailer
	cfg    Config
	now    func() time.Time
}

// New returns a service. now may be nil (time.Now).
func New(st Store, minter Minter, mailer mail.Mailer, cfg Config, now func() time.Time) *Service {
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = DefaultRateWindow
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, minter: minter, mailer: mailer, cfg: cfg, now: now}
}

// The e-mail bodies. The HTML one goes through html/template, so the host
// and the link are escaped for their context (text, attribute, URL).
//
//go:embed templates/*.tmpl
var templateFS embed.FS

var (
	textTmpl = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/email.txt.tmpl"))
	htmlTmpl = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/email.html.tmpl"))
)

// tokenPlaceholder matches the $TOKEN placeholder in any letter case.
var tokenPlaceholder = regexp.MustCompile(`(?i)\$token`)

// Validation messages (api-spec.md §4.2).
const (
	msgEmailRequired   = "The EmailAddress field is required."
	msgEmailInvalid    = "The EmailAddress field is not a valid e-mail address."
	msgTemplateEmpty   = "You have provided a null or empty value for UrlTemplate."
	msgTemplateNoToken = "You have provided a UrlTemplate without a $TOKEN template. Please include it like so: https://www.example.com?token=$TOKEN"
	msgTemplateNotURL  = "You have provided a UrlTemplate that cannot be converted to a URL."
	msgUserIDRequired  = "The UserId field is required."
	msgTTLRange        = "The field TimeToLive must be between 1 and 604800."
)

// Problem titles.
const (
	titleDisabled      = "You must enable Magic Links in settings in order to use this feature."
	titleRateLimited   = "Too many magic links were requested. Try again later."
	titleQuotaExceeded = "You have reached your monthly quota for magic link emails. Please try again later."
)

// request is a validated SendRequest.
type request struct {
	to       string // recipient as given (display name kept), re-formatted
	address  string // bare address: admin comparison and the dispatch record
	template string
	host     string // host of the template, used if the link cannot be parsed
	userID   string
	ttl      time.Duration
}

func validate(req SendRequest) (request, error) {
	var r request
	errs := map[string][]string{}

	if addr, msg := parseEmail(string(req.EmailAddress)); msg != "" {
		errs["emailAddress"] = []string{msg}
	} else {
		r.to, r.address = addr.String(), addr.Address
	}

	if u, msg := parseTemplate(string(req.URLTemplate)); msg != "" {
		errs["urlTemplate"] = []string{msg}
	} else {
		r.template, r.host = strings.TrimSpace(string(req.URLTemplate)), u.Hostname()
	}

	r.userID = string(req.UserID)
	if strings.TrimSpace(r.userID) == "" {
		errs["userId"] = []string{msgUserIDRequired}
	} else if len(r.userID) > users.MaxUserIDBytes {
		// The id is stored with the mail record and put in the token.
		errs["userId"] = []string{users.UserIDTooLong}
	}

	ttl := int64(DefaultTimeToLive)
	if req.TimeToLive != nil {
		ttl = int64(*req.TimeToLive)
	}
	if ttl < 1 || ttl > MaxTimeToLive {
		errs["timeToLive"] = []string{msgTTLRange}
	}
	r.ttl = time.Duration(ttl) * time.Second

	if len(errs) > 0 {
		return request{}, problem.Validation(errs)
	}
	return r, nil
}

// parseEmail applies .NET's [EmailAddress] rule (no line breaks, exactly
// one '@', neither first nor last) and then requires the value to be a
// parsable address. The original answered an address that passed the first
// check but could not be parsed with a 500; here it is a validation error.
func parseEmail(s string) (*netmail.Address, string) {
	if strings.TrimSpace(s) == "" {
		return nil, msgEmailRequired
	}
	at := strings.IndexByte(s, '@')
	if strings.ContainsAny(s, "\r\n") || strings.Count(s, "@") != 1 || at == 0 || at == len(s)-1 {
		return nil, msgEmailInvalid
	}
	addr, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, msgEmailInvalid
	}
	// The mailer parses the recipient again; refuse anything that does not
	// survive the round trip rather than failing at delivery.
	if again, err := netmail.ParseAddress(addr.String()); err != nil || again.Address != addr.Address {
		return nil, msgEmailInvalid
	}
	return addr, ""
}

// parseTemplate checks the URL template: non-blank, containing $TOKEN in
// any case, and an absolute http(s) URL with a host.
func parseTemplate(s string) (*url.URL, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, msgTemplateEmpty
	}
	if !tokenPlaceholder.MatchString(s) {
		return nil, msgTemplateNoToken
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, msgTemplateNotURL
	}
	return u, ""
}

// Send handles POST /magic-links/send for app. Every error is a
// *problem.Problem; a delivery failure is a 500.
func (s *Service) Send(ctx context.Context, app store.App, req SendRequest) error {
	r, err := validate(req)
	if err != nil {
		return err
	}
	if !app.Features.MagicLinksEnabled {
		return problem.New(http.StatusForbidden, "", titleDisabled)
	}
	now := s.now().UTC()
	if err := s.checkRateLimit(ctx, app.ID, now); err != nil {
		return err
	}
	if err := s.checkNewApp(app, r.address, now); err != nil {
		return err
	}
	// The quota check records the send before anything goes out, in one
	// atomic step, so concurrent requests (on any instance) cannot all pass
	// on the same count. A send that fails afterwards gives its slot back.
	reservation := store.DispatchedEmail{
		ID:           uuid.Must(uuid.NewV7()).String(),
		AppID:        app.ID,
		CreatedAt:    now,
		UserID:       r.userID,
		EmailAddress: r.address,
		LinkTemplate: r.template,
	}
	if err := s.reserve(ctx, app, reservation, now); err != nil {
		return err
	}
	if err := s.deliver(ctx, app, r); err != nil {
		s.release(ctx, app.ID, reservation.ID)
		return err
	}
	events.Record(ctx, events.Event{Type: events.UserMagicLinkCreated, PerformedBy: r.userID,
		Message: fmt.Sprintf("Created magic link for user %s", r.userID)})
	return nil
}

// deliver mints the token and sends the e-mail carrying the link.
func (s *Service) deliver(ctx context.Context, app store.App, r request) error {
	token, err := s.minter.MintMagicLink(ctx, app.ID, r.userID, r.ttl)
	if err != nil {
		var p *problem.Problem
		if errors.As(err, &p) {
			return p
		}
		return problem.Internal(fmt.Errorf("magiclink: minting token: %w", err))
	}
	// The original replaced only the literal "$TOKEN" (case-sensitive) even
	// though validation accepts any case, so "$token" reached the user
	// unsubstituted. Every occurrence in any case is replaced here.
	link := tokenPlaceholder.ReplaceAllLiteralString(r.template, token)
	host := r.host
	if u, err := url.Parse(link); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}

	msg, err := s.compose(r.to, link, host)
	if err != nil {
		return problem.Internal(err)
	}
	if err := s.mailer.Send(ctx, msg); err != nil {
		return problem.Internal(fmt.Errorf("magiclink: delivering e-mail: %w", err))
	}
	return nil
}

// releaseTimeout bounds the removal of a reservation whose send failed.
const releaseTimeout = 5 * time.Second

// release removes the reservation of a send that failed, so it does not
// count against the quota. It is best effort: the request's own error is
// what the caller reports, and a record left behind only costs the app one
// send until it leaves the 30-day window. It runs even when the request's
// context is cancelled (a client that went away is a common reason for the
// failure).
func (s *Service) release(ctx context.Context, appID, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	_ = s.st.DeleteDispatchedEmail(ctx, appID, id)
}

// checkRateLimit counts the request in the app's fixed window (api-spec.md
// §11: 10 per 5 minutes by default).
func (s *Service) checkRateLimit(ctx context.Context, appID string, now time.Time) error {
	if s.cfg.RateLimit <= 0 {
		return nil
	}
	start := now.Truncate(s.cfg.RateWindow)
	end := start.Add(s.cfg.RateWindow)
	n, err := s.st.HitRateLimit(ctx, "magiclink:"+appID, start, end)
	if err != nil {
		return problem.Internal(fmt.Errorf("magiclink: rate limit: %w", err))
	}
	if n <= int64(s.cfg.RateLimit) {
		return nil
	}
	retry := int64(math.Ceil(end.Sub(now).Seconds()))
	if retry < 1 {
		retry = 1
	}
	p := problem.New(http.StatusTooManyRequests, "rate_limit_exceeded", titleRateLimited)
	p.Header = http.Header{"Retry-After": {strconv.FormatInt(retry, 10)}}
	return p
}

// checkNewApp applies the new-app restriction (api-spec.md §9).
func (s *Service) checkNewApp(app store.App, address string, now time.Time) error {
	if s.cfg.NewAppWindow > 0 && appAge(app, now) < s.cfg.NewAppWindow && !strings.EqualFold(address, strings.TrimSpace(app.AdminEmail)) {
		return problem.New(http.StatusForbidden, "magic_link_email_admin_address_only",
			"Because your application has been created less than "+
				strconv.FormatFloat(s.cfg.NewAppWindow.Hours(), 'f', -1, 64)+
				" hours ago, you can only request magic links to the admin email address.")
	}
	return nil
}

// reserve applies the monthly quota (api-spec.md §9): it stores e, the
// record of the send about to happen, unless the app has used up its quota
// for the last 30 days. The store checks and inserts atomically.
func (s *Service) reserve(ctx context.Context, app store.App, e store.DispatchedEmail, now time.Time) error {
	const day = 24 * time.Hour
	age := appAge(app, now)
	factor := 1.0
	switch {
	case age < day:
		factor = 0.2
	case age < 3*day:
		factor = 0.5
	case age < 30*day:
		factor = 0.75
	}
	quota := int64(math.Floor(float64(app.Features.MagicLinkMonthlyQuota) * factor))
	if quota == 0 {
		// Nothing could ever be sent; waiting would not help.
		return problem.New(http.StatusTooManyRequests, "magic_link_email_quota_exceeded", zeroQuotaTitle(app.ID, app.Features.MagicLinkMonthlyQuota, factor))
	}
	err := s.st.ReserveDispatchedEmail(ctx, e, now.Add(-30*day), quota)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrQuotaExceeded):
		return problem.New(http.StatusTooManyRequests, "magic_link_email_quota_exceeded", titleQuotaExceeded)
	default:
		return problem.Internal(fmt.Errorf("magiclink: recording dispatched e-mail: %w", err))
	}
}

// zeroQuotaTitle explains a quota of 0: set so (the default of new apps),
// or scaled down to 0 while the app is young.
func zeroQuotaTitle(appID string, configured int, factor float64) string {
	raise := fmt.Sprintf("Raise it with POST /admin/apps/%s/features {\"magicLinkEmailMonthlyQuota\": <e-mails per month>} or on the app's Features page in the console.", appID)
	if configured <= 0 {
		return "The app's monthly quota of magic-link e-mails is 0 (the default of new apps), so no magic link can be sent. " + raise
	}
	return fmt.Sprintf("The app's monthly quota of magic-link e-mails, %d, is scaled down to %g of it for apps younger than 30 days, which is 0. %s", configured, factor, raise)
}

// appAge is how long ago the app was created (0 for a creation time in the
// future).
func appAge(app store.App, now time.Time) time.Duration {
	return max(now.Sub(app.CreatedAt), 0)
}

type emailData struct {
	Host string
	Link string
}

func (s *Service) compose(to, link, host string) (mail.Message, error) {
	data := emailData{Host: host, Link: link}
	var text, html bytes.Buffer
	if err := textTmpl.Execute(&text, data); err != nil {
		return mail.Message{}, fmt.Errorf("magiclink: text template: %w", err)
	}
	if err := htmlTmpl.Execute(&html, data); err != nil {
		return mail.Message{}, fmt.Errorf("magiclink: html template: %w", err)
	}
	subject := "Sign in to " + host
	fromName := subject
	if s.cfg.FromName != "" {
		fromName = s.cfg.FromName
	}
	return mail.Message{
		To:       to,
		From:     s.cfg.From,
		FromName: fromName,
		Subject:  subject,
		Text:     text.String(),
		HTML:     html.String(),
	}, nil
}
