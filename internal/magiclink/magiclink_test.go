package magiclink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/events"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
	"github.com/passwordless-oss/server/internal/problem"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/wire"
)

// fakeStore keeps the few rows the service touches in memory. Its
// reservation counts and inserts under one lock, as atomically as the real
// stores.
type fakeStore struct {
	mu         sync.Mutex
	counters   map[string]int64
	dispatched []store.DispatchedEmail
	err        error
	reserveErr error
	deleteErr  error
	deleted    []string
}

func newFakeStore() *fakeStore { return &fakeStore{counters: map[string]int64{}} }

func (f *fakeStore) HitRateLimit(_ context.Context, key string, window, _ time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	k := key + "@" + window.UTC().Format(time.RFC3339Nano)
	f.counters[k]++
	return f.counters[k], nil
}

func (f *fakeStore) ReserveDispatchedEmail(_ context.Context, e store.DispatchedEmail, since time.Time, limit int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reserveErr != nil {
		return f.reserveErr
	}
	var n int64
	for _, d := range f.dispatched {
		if d.ID == e.ID {
			return store.ErrConflict
		}
		if d.AppID == e.AppID && !d.CreatedAt.Before(since) {
			n++
		}
	}
	if n >= limit {
		return fmt.Errorf("fake: %w", store.ErrQuotaExceeded)
	}
	f.dispatched = append(f.dispatched, e)
	return nil
}

func (f *fakeStore) DeleteDispatchedEmail(ctx context.Context, appID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, id)
	if f.deleteErr != nil {
		return f.deleteErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, d := range f.dispatched {
		if d.AppID == appID && d.ID == id {
			f.dispatched = append(f.dispatched[:i], f.dispatched[i+1:]...)
			return nil
		}
	}
	return store.ErrNotFound
}

func (f *fakeStore) seed(appID string, n int, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i < n; i++ {
		f.dispatched = append(f.dispatched, store.DispatchedEmail{ID: fmt.Sprint(appID, at.UnixNano(), i), AppID: appID, CreatedAt: at})
	}
}

func (f *fakeStore) count(appID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, d := range f.dispatched {
		if d.AppID == appID {
			n++
		}
	}
	return n
}

var _ magiclink.Store = store.Store(nil)

type mintCall struct {
	AppID, UserID string
	TTL           time.Duration
}

type fakeMinter struct {
	mu    sync.Mutex
	calls []mintCall
	err   error
}

func (f *fakeMinter) MintMagicLink(_ context.Context, appID, userID string, ttl time.Duration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", f.err
	}
	f.calls = append(f.calls, mintCall{appID, userID, ttl})
	return fmt.Sprintf("verify_tok%d-Ab_c", len(f.calls)), nil
}

type fakeMailer struct {
	mu   sync.Mutex
	msgs []mail.Message
	err  error
}

func (f *fakeMailer) Send(_ context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.msgs = append(f.msgs, m)
	return nil
}

var baseNow = time.Date(2026, 3, 10, 12, 1, 30, 0, time.UTC)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

type fixture struct {
	st     *fakeStore
	minter *fakeMinter
	mailer *fakeMailer
	clock  *clock
	svc    *magiclink.Service
}

func newFixture(cfg magiclink.Config) *fixture {
	f := &fixture{st: newFakeStore(), minter: &fakeMinter{}, mailer: &fakeMailer{}, clock: &clock{baseNow}}
	if cfg.From == "" {
		cfg.From = "links@example.org"
	}
	f.svc = magiclink.New(f.st, f.minter, f.mailer, cfg, f.clock.now)
	return f
}

func oldApp() store.App {
	return store.App{
		ID:         "app1",
		AdminEmail: "Admin@Example.com",
		CreatedAt:  baseNow.Add(-365 * 24 * time.Hour),
		Features:   store.Features{MagicLinksEnabled: true, MagicLinkMonthlyQuota: 1000},
	}
}

func ttl(n int64) *wire.Int { v := wire.Int(n); return &v }

func validReq() magiclink.SendRequest {
	return magiclink.SendRequest{
		EmailAddress: "alice@example.com",
		URLTemplate:  "https://app.example.com/login?token=$TOKEN",
		UserID:       "user-1",
	}
}

func asProblem(t *testing.T, err error) *problem.Problem {
	t.Helper()
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is not a *problem.Problem", err, err)
	}
	return p
}

func TestValidation(t *testing.T) {
	const (
		emailRequired = "The EmailAddress field is required."
		emailInvalid  = "The EmailAddress field is not a valid e-mail address."
		tmplEmpty     = "You have provided a null or empty value for UrlTemplate."
		tmplNoToken   = "You have provided a UrlTemplate without a $TOKEN template. Please include it like so: https://www.example.com?token=$TOKEN"
		tmplNotURL    = "You have provided a UrlTemplate that cannot be converted to a URL."
		userRequired  = "The UserId field is required."
		ttlRange      = "The field TimeToLive must be between 1 and 604800."
	)
	tests := []struct {
		name  string
		mod   func(*magiclink.SendRequest)
		field string
		msg   string
	}{
		{"email empty", func(r *magiclink.SendRequest) { r.EmailAddress = "" }, "emailAddress", emailRequired},
		{"email blank", func(r *magiclink.SendRequest) { r.EmailAddress = "  " }, "emailAddress", emailRequired},
		{"email no at", func(r *magiclink.SendRequest) { r.EmailAddress = "alice.example.com" }, "emailAddress", emailInvalid},
		{"email at first", func(r *magiclink.SendRequest) { r.EmailAddress = "@example.com" }, "emailAddress", emailInvalid},
		{"email at last", func(r *magiclink.SendRequest) { r.EmailAddress = "alice@" }, "emailAddress", emailInvalid},
		{"email two ats", func(r *magiclink.SendRequest) { r.EmailAddress = "a@b@example.com" }, "emailAddress", emailInvalid},
		{"email unparsable", func(r *magiclink.SendRequest) { r.EmailAddress = "a b@exa mple" }, "emailAddress", emailInvalid},
		{"email bad domain", func(r *magiclink.SendRequest) { r.EmailAddress = "alice@exa,mple.com" }, "emailAddress", emailInvalid},
		{"email newline", func(r *magiclink.SendRequest) { r.EmailAddress = "alice@example.com\r\nBcc: x@y.z" }, "emailAddress", emailInvalid},
		{"template empty", func(r *magiclink.SendRequest) { r.URLTemplate = "" }, "urlTemplate", tmplEmpty},
		{"template blank", func(r *magiclink.SendRequest) { r.URLTemplate = " \t" }, "urlTemplate", tmplEmpty},
		{"template no token", func(r *magiclink.SendRequest) { r.URLTemplate = "https://app.example.com/login" }, "urlTemplate", tmplNoToken},
		{"template TOKEN without $", func(r *magiclink.SendRequest) { r.URLTemplate = "https://app.example.com/?t=TOKEN" }, "urlTemplate", tmplNoToken},
		{"template relative", func(r *magiclink.SendRequest) { r.URLTemplate = "/login?token=$TOKEN" }, "urlTemplate", tmplNotURL},
		{"template ftp", func(r *magiclink.SendRequest) { r.URLTemplate = "ftp://example.com/$TOKEN" }, "urlTemplate", tmplNotURL},
		{"template no host", func(r *magiclink.SendRequest) { r.URLTemplate = "https:///login?t=$TOKEN" }, "urlTemplate", tmplNotURL},
		{"template opaque", func(r *magiclink.SendRequest) { r.URLTemplate = "https:app.example.com?t=$TOKEN" }, "urlTemplate", tmplNotURL},
		{"template garbage", func(r *magiclink.SendRequest) { r.URLTemplate = "not a url $TOKEN" }, "urlTemplate", tmplNotURL},
		{"template bad host", func(r *magiclink.SendRequest) { r.URLTemplate = "https://exa mple.com/?t=$TOKEN" }, "urlTemplate", tmplNotURL},
		{"user empty", func(r *magiclink.SendRequest) { r.UserID = "" }, "userId", userRequired},
		{"user blank", func(r *magiclink.SendRequest) { r.UserID = "   " }, "userId", userRequired},
		{"ttl zero", func(r *magiclink.SendRequest) { r.TimeToLive = ttl(0) }, "timeToLive", ttlRange},
		{"ttl negative", func(r *magiclink.SendRequest) { r.TimeToLive = ttl(-5) }, "timeToLive", ttlRange},
		{"ttl too long", func(r *magiclink.SendRequest) { r.TimeToLive = ttl(604801) }, "timeToLive", ttlRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(magiclink.Config{})
			req := validReq()
			tt.mod(&req)
			p := asProblem(t, f.svc.Send(context.Background(), oldApp(), req))
			if p.Status != http.StatusBadRequest || p.Type != problem.ValidationType {
				t.Fatalf("problem = %+v", p)
			}
			if len(p.Errors) != 1 || len(p.Errors[tt.field]) != 1 || p.Errors[tt.field][0] != tt.msg {
				t.Fatalf("errors = %q, want %s: %q", p.Errors, tt.field, tt.msg)
			}
			if len(f.minter.calls) != 0 || len(f.mailer.msgs) != 0 {
				t.Fatal("invalid request minted or mailed")
			}
		})
	}

	t.Run("all fields", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		p := asProblem(t, f.svc.Send(context.Background(), oldApp(), magiclink.SendRequest{TimeToLive: ttl(0)}))
		for _, k := range []string{"emailAddress", "urlTemplate", "userId", "timeToLive"} {
			if len(p.Errors[k]) != 1 {
				t.Errorf("errors[%s] = %q", k, p.Errors[k])
			}
		}
	})

	// Validation comes before the feature switch.
	t.Run("before feature check", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		app := oldApp()
		app.Features.MagicLinksEnabled = false
		req := validReq()
		req.UserID = ""
		if p := asProblem(t, f.svc.Send(context.Background(), app, req)); p.Status != 400 {
			t.Fatalf("status = %d", p.Status)
		}
	})
}

func TestValidRequests(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantTTL time.Duration
		wantTo  string
	}{
		{"defaults", `{"emailAddress":"alice@example.com","urlTemplate":"https://a.example/?t=$TOKEN","userId":"u"}`, time.Hour, "alice@example.com"},
		{"ttl min", `{"emailAddress":"alice@example.com","urlTemplate":"https://a.example/?t=$TOKEN","userId":"u","timeToLive":1}`, time.Second, "alice@example.com"},
		{"ttl max as string", `{"emailAddress":"alice@example.com","urlTemplate":"https://a.example/?t=$TOKEN","userId":"u","timeToLive":"604800"}`, 604800 * time.Second, "alice@example.com"},
		{"ttl null", `{"emailAddress":"alice@example.com","urlTemplate":"https://a.example/?t=$TOKEN","userId":"u","timeToLive":null}`, time.Hour, "alice@example.com"},
		{"numeric user id", `{"emailAddress":"alice@example.com","urlTemplate":"http://a.example:8080/x/$token","userId":123}`, time.Hour, "alice@example.com"},
		{"display name", `{"emailAddress":"Alice <alice@example.com>","urlTemplate":"https://a.example/?t=$TOKEN","userId":"u"}`, time.Hour, "alice@example.com"},
		{"upper-case scheme", `{"emailAddress":"alice@example.com","urlTemplate":"HTTPS://a.example/?t=$Token","userId":"u"}`, time.Hour, "alice@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req magiclink.SendRequest
			if err := json.Unmarshal([]byte(tt.json), &req); err != nil {
				t.Fatal(err)
			}
			f := newFixture(magiclink.Config{})
			if err := f.svc.Send(context.Background(), oldApp(), req); err != nil {
				t.Fatal(err)
			}
			if len(f.minter.calls) != 1 || f.minter.calls[0].TTL != tt.wantTTL || f.minter.calls[0].AppID != "app1" {
				t.Fatalf("mint calls = %+v", f.minter.calls)
			}
			if len(f.st.dispatched) != 1 || f.st.dispatched[0].EmailAddress != tt.wantTo {
				t.Fatalf("dispatched = %+v", f.st.dispatched)
			}
		})
	}
}

func TestFeatureOff(t *testing.T) {
	f := newFixture(magiclink.Config{})
	app := oldApp()
	app.Features.MagicLinksEnabled = false
	p := asProblem(t, f.svc.Send(context.Background(), app, validReq()))
	if p.Status != http.StatusForbidden || p.Code != "" || p.NoCode ||
		p.Title != "You must enable Magic Links in settings in order to use this feature." {
		t.Fatalf("problem = %+v", p)
	}
	if len(f.minter.calls) != 0 || len(f.mailer.msgs) != 0 || len(f.st.counters) != 0 {
		t.Fatal("disabled feature minted, mailed or counted")
	}
}

func TestNewAppWindow(t *testing.T) {
	const title = "Because your application has been created less than 24 hours ago, you can only request magic links to the admin email address."
	tests := []struct {
		name   string
		window time.Duration
		age    time.Duration
		to     string
		denied bool
	}{
		{"admin", 24 * time.Hour, time.Hour, "admin@example.com", false},
		{"admin other case", 24 * time.Hour, time.Hour, "ADMIN@EXAMPLE.COM", false},
		{"other address", 24 * time.Hour, time.Hour, "alice@example.com", true},
		{"just before end", 24 * time.Hour, 24*time.Hour - time.Second, "alice@example.com", true},
		{"after window", 24 * time.Hour, 24 * time.Hour, "alice@example.com", false},
		{"rule off", 0, time.Minute, "alice@example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(magiclink.Config{NewAppWindow: tt.window})
			app := oldApp()
			app.CreatedAt = baseNow.Add(-tt.age)
			req := validReq()
			req.EmailAddress = wire.String(tt.to)
			err := f.svc.Send(context.Background(), app, req)
			if !tt.denied {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			p := asProblem(t, err)
			if p.Status != http.StatusForbidden || p.Code != "magic_link_email_admin_address_only" || p.Title != title {
				t.Fatalf("problem = %+v", p)
			}
			if len(f.mailer.msgs) != 0 {
				t.Fatal("mailed")
			}
		})
	}
}

func TestMonthlyQuota(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name  string
		quota int
		age   time.Duration
		limit int // effective quota
	}{
		{"first day", 100, time.Hour, 20},
		{"first day rounds down", 7, time.Hour, 1},
		{"day two", 100, 2 * day, 50},
		{"week two", 100, 10 * day, 75},
		{"week two rounds down", 10, 10 * day, 7},
		{"old app", 100, 40 * day, 100},
		{"zero quota", 0, 40 * day, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := oldApp()
			app.CreatedAt = baseNow.Add(-tt.age)
			app.Features.MagicLinkMonthlyQuota = tt.quota

			if tt.limit > 0 {
				f := newFixture(magiclink.Config{})
				f.st.seed(app.ID, tt.limit-1, baseNow.Add(-29*day))
				f.st.seed(app.ID, 50, baseNow.Add(-31*day)) // outside the 30 days
				f.st.seed("other", 50, baseNow)             // another app
				if err := f.svc.Send(context.Background(), app, validReq()); err != nil {
					t.Fatalf("send under quota: %v", err)
				}
			}

			f := newFixture(magiclink.Config{})
			f.st.seed(app.ID, tt.limit, baseNow.Add(-time.Minute))
			p := asProblem(t, f.svc.Send(context.Background(), app, validReq()))
			wantTitle := "You have reached your monthly quota for magic link emails. Please try again later."
			if tt.limit == 0 {
				// Waiting would not help: the title says why and what to do.
				wantTitle = "The app's monthly quota of magic-link e-mails is 0 (the default of new apps), so no magic link can be sent. " +
					"Raise it with POST /admin/apps/" + app.ID + "/features {\"magicLinkEmailMonthlyQuota\": <e-mails per month>} or on the app's Features page in the console."
			}
			if p.Status != http.StatusTooManyRequests || p.Code != "magic_link_email_quota_exceeded" || p.Title != wantTitle {
				t.Fatalf("problem = %+v", p)
			}
			if len(f.minter.calls) != 0 || len(f.mailer.msgs) != 0 {
				t.Fatal("quota exceeded but minted or mailed")
			}
			if n := f.st.count(app.ID); n != tt.limit {
				t.Fatalf("%d records after a refused send, want %d", n, tt.limit)
			}
		})
	}
}

// The checks run in the endpoint's order: rate limit, then the new-app
// window, then the quota, which is the only one that writes a record.
func TestCheckOrder(t *testing.T) {
	t.Run("rate limit before quota", func(t *testing.T) {
		f := newFixture(magiclink.Config{RateLimit: 1})
		app := oldApp()
		app.Features.MagicLinkMonthlyQuota = 0
		if p := asProblem(t, f.svc.Send(context.Background(), app, validReq())); p.Code != "magic_link_email_quota_exceeded" {
			t.Fatalf("first: problem = %+v", p)
		}
		if p := asProblem(t, f.svc.Send(context.Background(), app, validReq())); p.Code != "rate_limit_exceeded" {
			t.Fatalf("second: problem = %+v", p)
		}
	})
	t.Run("new-app window before quota", func(t *testing.T) {
		f := newFixture(magiclink.Config{NewAppWindow: 24 * time.Hour})
		app := oldApp()
		app.CreatedAt = baseNow.Add(-time.Hour)
		app.Features.MagicLinkMonthlyQuota = 0
		if p := asProblem(t, f.svc.Send(context.Background(), app, validReq())); p.Code != "magic_link_email_admin_address_only" {
			t.Fatalf("problem = %+v", p)
		}
		if n := f.st.count(app.ID); n != 0 {
			t.Fatalf("%d records after a refused send", n)
		}
	})
}

// A send that fails after its reservation gives the slot back.
func TestFailedSendFreesQuota(t *testing.T) {
	f := newFixture(magiclink.Config{})
	app := oldApp()
	app.Features.MagicLinkMonthlyQuota = 1
	f.mailer.err = errors.New("relay down")
	if p := asProblem(t, f.svc.Send(context.Background(), app, validReq())); p.Status != http.StatusInternalServerError {
		t.Fatalf("problem = %+v", p)
	}
	f.mailer.err = nil
	if err := f.svc.Send(context.Background(), app, validReq()); err != nil {
		t.Fatalf("send after a failed one: %v", err)
	}
	if p := asProblem(t, f.svc.Send(context.Background(), app, validReq())); p.Code != "magic_link_email_quota_exceeded" {
		t.Fatalf("problem = %+v", p)
	}
	if len(f.mailer.msgs) != 1 || f.st.count(app.ID) != 1 {
		t.Fatalf("%d mails, %d records", len(f.mailer.msgs), f.st.count(app.ID))
	}
}

// TestConcurrentSendsRespectQuota races sends of one app: exactly quota of
// them go out and the others get the quota problem, whatever the store.
func TestConcurrentSendsRespectQuota(t *testing.T) {
	const (
		senders = 20
		quota   = 5
	)
	stores := map[string]func(t *testing.T) magiclink.Store{
		"fake":     func(*testing.T) magiclink.Store { return newFakeStore() },
		"sqlite":   func(t *testing.T) magiclink.Store { return teststores.SQLite(t) },
		"postgres": func(t *testing.T) magiclink.Store { return teststores.Postgres(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			minter, mailer := &fakeMinter{}, &fakeMailer{}
			svc := magiclink.New(st, minter, mailer, magiclink.Config{RateLimit: 100, From: "links@example.org"}, func() time.Time { return baseNow })
			app := oldApp()
			app.Features.MagicLinkMonthlyQuota = quota

			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				sent     int
				refused  int
				unwanted []error
				start    = make(chan struct{})
			)
			for range senders {
				wg.Go(func() {
					<-start
					err := svc.Send(t.Context(), app, validReq())
					mu.Lock()
					defer mu.Unlock()
					var p *problem.Problem
					switch {
					case err == nil:
						sent++
					case errors.As(err, &p) && p.Status == http.StatusTooManyRequests && p.Code == "magic_link_email_quota_exceeded":
						refused++
					default:
						unwanted = append(unwanted, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(unwanted) > 0 {
				t.Fatalf("%d unexpected errors, first: %v", len(unwanted), unwanted[0])
			}
			if sent != quota || refused != senders-quota {
				t.Fatalf("%d sent and %d refused, want %d and %d", sent, refused, quota, senders-quota)
			}
			if len(mailer.msgs) != quota || len(minter.calls) != quota {
				t.Fatalf("%d mails and %d tokens, want %d", len(mailer.msgs), len(minter.calls), quota)
			}
			if s, ok := st.(store.Store); ok {
				n, err := s.CountDispatchedEmailsSince(t.Context(), app.ID, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if n != quota {
					t.Fatalf("%d records stored, want %d", n, quota)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture(magiclink.Config{RateLimit: magiclink.DefaultRateLimit})
	app := oldApp()
	for i := 0; i < 10; i++ {
		if err := f.svc.Send(context.Background(), app, validReq()); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	// The window is 12:00:00–12:05:00 and it is 12:01:30.
	p := asProblem(t, f.svc.Send(context.Background(), app, validReq()))
	if p.Status != http.StatusTooManyRequests || p.Code != "rate_limit_exceeded" ||
		p.Title != "Too many magic links were requested. Try again later." {
		t.Fatalf("problem = %+v", p)
	}
	if got := p.Header.Get("Retry-After"); got != "210" {
		t.Fatalf("Retry-After = %q", got)
	}
	if len(f.mailer.msgs) != 10 {
		t.Fatalf("%d mails", len(f.mailer.msgs))
	}

	// Another app has its own counter.
	other := oldApp()
	other.ID = "app2"
	if err := f.svc.Send(context.Background(), other, validReq()); err != nil {
		t.Fatal(err)
	}

	// Within the window it stays closed; the next window opens again.
	f.clock.t = time.Date(2026, 3, 10, 12, 4, 59, 500e6, time.UTC)
	p = asProblem(t, f.svc.Send(context.Background(), app, validReq()))
	if got := p.Header.Get("Retry-After"); p.Status != 429 || got != "1" {
		t.Fatalf("status %d Retry-After %q", p.Status, got)
	}
	f.clock.t = time.Date(2026, 3, 10, 12, 5, 0, 0, time.UTC)
	if err := f.svc.Send(context.Background(), app, validReq()); err != nil {
		t.Fatalf("new window: %v", err)
	}

	// A custom limit and window.
	g := newFixture(magiclink.Config{RateLimit: 2, RateWindow: time.Minute})
	for i := 0; i < 2; i++ {
		if err := g.svc.Send(context.Background(), app, validReq()); err != nil {
			t.Fatal(err)
		}
	}
	p = asProblem(t, g.svc.Send(context.Background(), app, validReq()))
	if got := p.Header.Get("Retry-After"); p.Status != 429 || got != "30" {
		t.Fatalf("status %d Retry-After %q", p.Status, got)
	}

}

// TestRateLimitOff: a limit of 0 (the operator's PASSWORDLESS_MAGIC_LINK_RATE_LIMIT=0),
// like a negative one, turns the limiter off instead of falling back to the
// default.
func TestRateLimitOff(t *testing.T) {
	for _, limit := range []int{0, -1} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			f := newFixture(magiclink.Config{RateLimit: limit})
			for i := range 3 * magiclink.DefaultRateLimit {
				if err := f.svc.Send(context.Background(), oldApp(), validReq()); err != nil {
					t.Fatalf("send %d: %v", i+1, err)
				}
			}
			if len(f.st.counters) != 0 {
				t.Fatal("disabled limiter counted")
			}
		})
	}
}

func TestTokenSubstitution(t *testing.T) {
	tests := []struct {
		template, want string
	}{
		{"https://app.example.com/login?token=$TOKEN", "https://app.example.com/login?token=verify_tok1-Ab_c"},
		{"https://app.example.com/login?token=$token", "https://app.example.com/login?token=verify_tok1-Ab_c"},
		{"https://app.example.com/$Token/x?a=$TOKEN&b=$tOkEn", "https://app.example.com/verify_tok1-Ab_c/x?a=verify_tok1-Ab_c&b=verify_tok1-Ab_c"},
		{"https://app.example.com/#t=$TOKENS", "https://app.example.com/#t=verify_tok1-Ab_cS"},
	}
	for _, tt := range tests {
		f := newFixture(magiclink.Config{})
		req := validReq()
		req.URLTemplate = wire.String(tt.template)
		if err := f.svc.Send(context.Background(), oldApp(), req); err != nil {
			t.Fatalf("%s: %v", tt.template, err)
		}
		m := f.mailer.msgs[0]
		if !strings.Contains(m.Text, "\n"+tt.want+"\n") {
			t.Errorf("%s: text = %q, want link %q", tt.template, m.Text, tt.want)
		}
		if strings.Contains(strings.ToLower(m.Text+m.HTML), "$token") {
			t.Errorf("%s: placeholder left in the mail", tt.template)
		}
		if d := f.st.dispatched[0]; d.LinkTemplate != tt.template {
			t.Errorf("stored template = %q", d.LinkTemplate)
		}
	}
}

func TestHTMLEscaping(t *testing.T) {
	f := newFixture(magiclink.Config{})
	req := validReq()
	req.URLTemplate = `https://app.example.com/cb?x="><script>alert(1)</script>&t=$TOKEN`
	if err := f.svc.Send(context.Background(), oldApp(), req); err != nil {
		t.Fatal(err)
	}
	h := f.mailer.msgs[0].HTML
	if strings.Contains(h, "<script>") || strings.Contains(h, `x="`) {
		t.Fatalf("unescaped HTML:\n%s", h)
	}
}

var linkRE = regexp.MustCompile(`https://app\.example\.com/login\?token=\S+`)

func TestSendThroughSMTP(t *testing.T) {
	srv := mailtest.NewServer(t)
	mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLSPolicy: "none", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	st, minter, clk := newFakeStore(), &fakeMinter{}, &clock{baseNow}
	svc := magiclink.New(st, minter, mailer, magiclink.Config{From: "links@example.org"}, clk.now)

	ctx, buf := events.NewContext(context.Background(), baseNow)
	buf.SetCaller("app1", "abcd")
	req := validReq()
	req.UserID = "user-42"
	req.TimeToLive = ttl(600)
	if err := svc.Send(ctx, oldApp(), req); err != nil {
		t.Fatal(err)
	}

	if len(minter.calls) != 1 || minter.calls[0] != (mintCall{"app1", "user-42", 10 * time.Minute}) {
		t.Fatalf("mint calls = %+v", minter.calls)
	}
	const token = "verify_tok1-Ab_c"

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	if msgs[0].From != "links@example.org" || len(msgs[0].To) != 1 || msgs[0].To[0] != "alice@example.com" {
		t.Fatalf("envelope %s -> %v", msgs[0].From, msgs[0].To)
	}
	p, err := mailtest.Parse(msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Sign in to app.example.com" {
		t.Errorf("subject = %q", p.Subject)
	}
	if p.From.Address != "links@example.org" || p.From.Name != "Sign in to app.example.com" {
		t.Errorf("from = %q <%s>", p.From.Name, p.From.Address)
	}
	if len(p.To) != 1 || p.To[0].Address != "alice@example.com" {
		t.Errorf("to = %v", p.To)
	}

	link := linkRE.FindString(p.Text)
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") != token {
		t.Fatalf("link in text %q (%v); text:\n%s", link, err, p.Text)
	}
	for _, want := range []string{"log in to app.example.com", "safe to ignore"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, p.Text)
		}
	}
	for _, want := range []string{
		"<title>Sign-In With Link Request</title>",
		"Let's get you logged in",
		"<strong>app.example.com</strong>",
		`href="` + link + `"`,
		">" + link + "</a>",
		"#1252A3",
		"border-radius: 999px",
		"Click here to sign in",
		"safe to ignore",
	} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("html lacks %q:\n%s", want, p.HTML)
		}
	}

	if len(st.dispatched) != 1 {
		t.Fatalf("dispatched = %+v", st.dispatched)
	}
	d := st.dispatched[0]
	if d.ID == "" || d.AppID != "app1" || !d.CreatedAt.Equal(baseNow) || d.UserID != "user-42" ||
		d.EmailAddress != "alice@example.com" || d.LinkTemplate != "https://app.example.com/login?token=$TOKEN" {
		t.Errorf("dispatched = %+v", d)
	}

	appID, rows := buf.Take()
	if appID != "app1" || len(rows) != 1 || rows[0].Type != int(events.UserMagicLinkCreated) ||
		rows[0].PerformedBy != "user-42" || rows[0].Subject != "app1" {
		t.Errorf("events = %s %+v", appID, rows)
	}
	if strings.Contains(rows[0].Message, token) {
		t.Error("event message contains the token")
	}
}

func TestFailures(t *testing.T) {
	// released checks that the failed send left no record behind and that
	// its reservation was the one deleted.
	released := func(t *testing.T, st *fakeStore) {
		t.Helper()
		if len(st.dispatched) != 0 {
			t.Fatalf("failed send recorded as dispatched: %+v", st.dispatched)
		}
		if len(st.deleted) != 1 || st.deleted[0] == "" {
			t.Fatalf("deleted = %q, want the one reservation", st.deleted)
		}
	}
	t.Run("mail", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		f.mailer.err = errors.New("relay down")
		p := asProblem(t, f.svc.Send(context.Background(), oldApp(), validReq()))
		if p.Status != http.StatusInternalServerError || !errors.Is(p, f.mailer.err) {
			t.Fatalf("problem = %+v", p)
		}
		released(t, f.st)
	})
	t.Run("smtp rejects", func(t *testing.T) {
		srv := mailtest.NewServer(t)
		srv.SetDataHook(func() error { return errors.New("no") })
		mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: srv.Host, Port: srv.Port, TLSPolicy: "none"})
		if err != nil {
			t.Fatal(err)
		}
		st := newFakeStore()
		svc := magiclink.New(st, &fakeMinter{}, mailer, magiclink.Config{From: "links@example.org"}, nil)
		if p := asProblem(t, svc.Send(context.Background(), oldApp(), validReq())); p.Status != 500 {
			t.Fatalf("status = %d", p.Status)
		}
		released(t, st)
	})
	t.Run("minter problem passes through", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		want := problem.BadRequest("x", "y")
		f.minter.err = fmt.Errorf("wrapped: %w", want)
		if p := asProblem(t, f.svc.Send(context.Background(), oldApp(), validReq())); p != want {
			t.Fatalf("problem = %+v", p)
		}
		released(t, f.st)
	})
	t.Run("minter error", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		f.minter.err = errors.New("no key")
		if p := asProblem(t, f.svc.Send(context.Background(), oldApp(), validReq())); p.Status != 500 {
			t.Fatalf("status = %d", p.Status)
		}
		if len(f.mailer.msgs) != 0 {
			t.Fatal("mailed without a token")
		}
		released(t, f.st)
	})
	t.Run("store", func(t *testing.T) {
		f := newFixture(magiclink.Config{RateLimit: magiclink.DefaultRateLimit})
		f.st.err = errors.New("db down")
		if p := asProblem(t, f.svc.Send(context.Background(), oldApp(), validReq())); p.Status != 500 {
			t.Fatalf("status = %d", p.Status)
		}
	})
	t.Run("reservation", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		f.st.reserveErr = errors.New("db down")
		p := asProblem(t, f.svc.Send(context.Background(), oldApp(), validReq()))
		if p.Status != 500 || !errors.Is(p, f.st.reserveErr) {
			t.Fatalf("problem = %+v", p)
		}
		if len(f.minter.calls) != 0 || len(f.mailer.msgs) != 0 {
			t.Fatal("minted or mailed without a reservation")
		}
	})
	t.Run("release fails", func(t *testing.T) {
		f := newFixture(magiclink.Config{})
		f.mailer.err = errors.New("relay down")
		f.st.deleteErr = errors.New("db down")
		p := asProblem(t, f.svc.Send(context.Background(), oldApp(), validReq()))
		if p.Status != 500 || !errors.Is(p, f.mailer.err) || errors.Is(p, f.st.deleteErr) {
			t.Fatalf("problem = %+v", p)
		}
	})
	t.Run("release after cancellation", func(t *testing.T) {
		st := newFakeStore()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		mailer := cancellingMailer{cancel}
		svc := magiclink.New(st, &fakeMinter{}, mailer, magiclink.Config{From: "links@example.org"}, func() time.Time { return baseNow })
		if p := asProblem(t, svc.Send(ctx, oldApp(), validReq())); p.Status != 500 {
			t.Fatalf("status = %d", p.Status)
		}
		released(t, st)
	})
}

// cancellingMailer cancels the request's context and fails, as when the
// client goes away during delivery.
type cancellingMailer struct{ cancel context.CancelFunc }

func (c cancellingMailer) Send(ctx context.Context, _ mail.Message) error {
	c.cancel()
	return ctx.Err()
}

// composingMailer renders every message as the real mailers would, so an
// address that passes validation but cannot be sent is caught.
type composingMailer struct {
	fail bool
	msgs []mail.Message
	err  error
}

var errMailFailed = errors.New("delivery failed")

func (c *composingMailer) Send(_ context.Context, m mail.Message) error {
	if _, err := m.WriteTo(io.Discard); err != nil {
		c.err = err
		return err
	}
	c.msgs = append(c.msgs, m)
	if c.fail {
		return errMailFailed
	}
	return nil
}

func FuzzSendRequest(f *testing.F) {
	for _, s := range []string{
		`{"emailAddress":"alice@example.com","urlTemplate":"https://a.example/?t=$TOKEN","userId":"u"}`,
		`{"emailAddress":"Alice <alice@example.com>","urlTemplate":"http://a.example:1/$token","userId":1,"timeToLive":"60"}`,
		`{"emailAddress":"\"a b\"@example.com","urlTemplate":"https://[::1]:8443/x?t=$ToKeN#$TOKEN","userId":true}`,
		`{"emailAddress":"a@b","urlTemplate":"https://u:p@h/$TOKEN","userId":"fail","timeToLive":604800}`,
		`{"emailAddress":"@","urlTemplate":"$TOKEN","userId":"","timeToLive":0}`,
		`{"emailAddress":"=?utf-8?q?=C3=A9?= <x@y.z>","urlTemplate":"https://xn--e1a.example/$TOKEN","userId":[1]}`,
		`{"emailAddress":null,"urlTemplate":{},"userId":null,"timeToLive":null}`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	app := oldApp()
	app.Features.MagicLinkMonthlyQuota = 1 << 30
	f.Fuzz(func(t *testing.T, data []byte) {
		var req magiclink.SendRequest
		if json.Unmarshal(data, &req) != nil {
			return // the HTTP layer answers malformed bodies itself
		}
		mailer := &composingMailer{fail: strings.HasPrefix(string(req.UserID), "fail")}
		minter := &fakeMinter{}
		svc := magiclink.New(newFakeStore(), minter, mailer, magiclink.Config{From: "links@example.org", NewAppWindow: time.Hour}, func() time.Time { return baseNow })
		err := svc.Send(context.Background(), app, req)
		if mailer.err != nil {
			t.Fatalf("validated request could not be composed: %v (request %q)", mailer.err, data)
		}
		if err == nil {
			if len(mailer.msgs) != 1 || len(minter.calls) != 1 {
				t.Fatalf("success without exactly one mail")
			}
			if strings.Contains(strings.ToLower(mailer.msgs[0].Text), "$token") {
				t.Fatalf("placeholder left in %q", mailer.msgs[0].Text)
			}
			return
		}
		var p *problem.Problem
		if !errors.As(err, &p) {
			t.Fatalf("error %v (%T) is not a problem", err, err)
		}
		if errors.Is(err, errMailFailed) {
			if p.Status != http.StatusInternalServerError {
				t.Fatalf("mail failure status %d", p.Status)
			}
			return
		}
		if p.Status < 400 || p.Status > 499 {
			t.Fatalf("status %d for %q: %v", p.Status, data, err)
		}
	})
}
