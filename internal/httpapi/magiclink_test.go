package httpapi_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
)

// withMagicLinks wires magic links that send through a real SMTP client to
// an in-process SMTP server, on the environment's clock.
func withMagicLinks(t *testing.T, smtp *mailtest.Server, cfg magiclink.Config) envOption {
	return withParts(func(c *httpapi.Config, p envParts) {
		mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLSPolicy: mail.TLSNone, From: "no-reply@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		c.MagicLinks = magiclink.New(p.store, c.Passkeys, mailer, cfg, p.now)
	})
}

var tokenInLink = regexp.MustCompile(`token=(verify_[A-Za-z0-9_-]+)`)

func TestMagicLinkThroughSMTP(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		smtp := mailtest.NewServer(t)
		e := newEnv(t, on, withMagicLinks(t, smtp, magiclink.Config{}))
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":100,"eventLoggingIsEnabled":true}`).want(204)
		e.do("POST", "/magic-links/send", e.secret(), map[string]any{
			"emailAddress": "admin@example.com", "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-magic", "timeToLive": 600,
		}).want(204)

		msgs := smtp.Messages()
		if len(msgs) != 1 || msgs[0].To[0] != "admin@example.com" {
			t.Fatalf("messages = %+v", msgs)
		}
		parsed, err := mailtest.Parse(msgs[0].Data)
		if err != nil {
			t.Fatal(err)
		}
		m := tokenInLink.FindStringSubmatch(parsed.Text)
		if m == nil {
			t.Fatalf("no token link in the text part: %q", parsed.Text)
		}
		if !regexp.MustCompile(regexp.QuoteMeta(m[1])).MatchString(parsed.HTML) {
			t.Fatal("the HTML part lacks the link")
		}
		v := e.verify(m[1])
		if v["type"] != "magic_link" || v["userId"] != "u-magic" || v["origin"] != nil || v["purpose"] != nil {
			t.Fatalf("verify = %v", v)
		}
		e.do("POST", "/signin/verify", e.secret(), map[string]any{"token": m[1]}).wantProblem(400, map[string]any{"errorCode": "invalid_token"})

		var page struct{ Events []map[string]any }
		e.do("GET", "/events?pageNumber=1", e.secret(), nil).want(200).decode(&page)
		found := false
		for _, ev := range page.Events {
			found = found || ev["eventType"] == "ApiUserMagicLinkCreated"
		}
		if !found {
			t.Fatal("ApiUserMagicLinkCreated not recorded")
		}

		// Feature off: 403; a template without $TOKEN: 400 with the field.
		e.do("POST", "/magic-links/send", e.secret(), map[string]any{"emailAddress": "a@example.com", "urlTemplate": "https://example.com/", "userId": "u"}).
			wantProblem(400, nil)
		e.do("POST", "/apps/features", e.secret(), `{"enableMagicLinks":false}`).want(204)
		e.do("POST", "/magic-links/send", e.secret(), map[string]any{"emailAddress": "a@example.com", "urlTemplate": "https://example.com/?t=$TOKEN", "userId": "u"}).
			wantProblem(403, map[string]any{"title": "You must enable Magic Links in settings in order to use this feature."})
	})
}

// sendLink asks for a magic link to address.
func (e *env) sendLink(address string) *response {
	e.t.Helper()
	return e.do("POST", "/magic-links/send", e.secret(), map[string]any{
		"emailAddress": address, "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-magic",
	})
}

const day = 24 * time.Hour

// TestMagicLinkQuotaOverHTTP: the monthly quota on the SQLite store,
// scaled down by the app's age (api-spec.md §9), answered as a 429
// problem; the records leave the sliding 30-day window.
func TestMagicLinkQuotaOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		tests := []struct {
			name  string
			age   time.Duration // of the app when sending
			quota int
			sends int // accepted before the 429
		}{
			{"under a day: a fifth", 23 * time.Hour, 10, 2},
			{"under 3 days: half", day, 10, 5},
			{"under 30 days: three quarters", 3 * day, 10, 7},
			{"30 days and older: all", 30 * day, 10, 10},
			{"rounded down", 0, 4, 0},
			{"quota 0 blocks every send", 90 * day, 0, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				smtp := mailtest.NewServer(t)
				e := newEnv(t, on, withMagicLinks(t, smtp, magiclink.Config{}))
				e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), fmt.Sprintf(`{"magicLinkEmailMonthlyQuota":%d}`, tt.quota)).want(204)
				e.clock.Advance(tt.age)
				for i := range tt.sends {
					if r := e.sendLink("someone@example.com"); r.status != 204 {
						t.Fatalf("send %d: %d %s", i+1, r.status, r.body)
					}
				}
				title := "You have reached your monthly quota for magic link emails. Please try again later."
				switch {
				case tt.quota == 0:
					title = "The app's monthly quota of magic-link e-mails is 0 (the default of new apps), so no magic link can be sent. " +
						"Raise it with POST /admin/apps/" + e.appID + "/features {\"magicLinkEmailMonthlyQuota\": <e-mails per month>} or on the app's Features page in the console."
				case tt.sends == 0:
					title = fmt.Sprintf("The app's monthly quota of magic-link e-mails, %d, is scaled down to 0.2 of it for apps younger than 30 days, which is 0. ", tt.quota) +
						"Raise it with POST /admin/apps/" + e.appID + "/features {\"magicLinkEmailMonthlyQuota\": <e-mails per month>} or on the app's Features page in the console."
				}
				e.sendLink("someone@example.com").wantProblem(429, map[string]any{"errorCode": "magic_link_email_quota_exceeded", "title": title})
				if n := len(smtp.Messages()); n != tt.sends {
					t.Fatalf("%d e-mails sent, want %d", n, tt.sends)
				}
				if tt.sends == 0 {
					return
				}
				// Once the sends are more than 30 days old they no longer
				// count (and the app is old enough for its whole quota).
				e.clock.Advance(30*day + time.Second)
				e.sendLink("someone@example.com").want(204)
			})
		}
	})
}

// TestMagicLinkNewAppWindowOverHTTP: while the app is younger than the
// window, only its admin address (in any letter case, with or without a
// display name) receives magic links.
func TestMagicLinkNewAppWindowOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		smtp := mailtest.NewServer(t)
		e := newEnv(t, on, withMagicLinks(t, smtp, magiclink.Config{NewAppWindow: 24 * time.Hour}))
		e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":100}`).want(204)
		const refused = 403
		steps := []struct {
			age    time.Duration // of the app, growing from step to step
			to     string
			status int
		}{
			{0, "someone@example.com", refused},
			{0, "admin@example.com", 204},
			{0, "ADMIN@Example.COM", 204},
			{time.Hour, "Site Admin <admin@example.com>", 204},
			{24*time.Hour - time.Second, "someone@example.com", refused},
			{24 * time.Hour, "someone@example.com", 204},
		}
		age, sent := time.Duration(0), 0
		for _, st := range steps {
			e.clock.Advance(st.age - age)
			age = st.age
			r := e.sendLink(st.to)
			if st.status == refused {
				r.wantProblem(403, map[string]any{
					"errorCode": "magic_link_email_admin_address_only",
					"title":     "Because your application has been created less than 24 hours ago, you can only request magic links to the admin email address.",
				})
				continue
			}
			if r.status != st.status {
				t.Fatalf("age %v, to %q: %d %s, want %d", st.age, st.to, r.status, r.body, st.status)
			}
			sent++
		}
		if n := len(smtp.Messages()); n != sent {
			t.Fatalf("%d e-mails sent, want %d", n, sent)
		}
	})
}

// TestMagicLinkRateLimitOverHTTP: the per-app window on the SQLite store
// answers 429 rate_limit_exceeded with the seconds left in the window, and
// a limit of 0 turns it off. The environment's clock stands still, so no
// window boundary falls between the sends.
func TestMagicLinkRateLimitOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, on envOption) {
		tests := []struct {
			name  string
			limit int
			sends int // accepted before the 429; -1: never refused
		}{
			{"limit 2", 2, 2},
			{"default", magiclink.DefaultRateLimit, magiclink.DefaultRateLimit},
			{"0 turns it off", 0, -1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				smtp := mailtest.NewServer(t)
				e := newEnv(t, on, withMagicLinks(t, smtp, magiclink.Config{RateLimit: tt.limit}))
				e.do("POST", "/admin/apps/"+e.appID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":1000}`).want(204)
				if tt.sends < 0 {
					for i := range 3 * magiclink.DefaultRateLimit {
						if r := e.sendLink("someone@example.com"); r.status != 204 {
							t.Fatalf("send %d: %d %s", i+1, r.status, r.body)
						}
					}
					return
				}
				for i := range tt.sends {
					if r := e.sendLink("someone@example.com"); r.status != 204 {
						t.Fatalf("send %d: %d %s", i+1, r.status, r.body)
					}
				}
				r := e.sendLink("someone@example.com")
				r.wantProblem(429, map[string]any{"errorCode": "rate_limit_exceeded", "title": "Too many magic links were requested. Try again later."})
				now := e.clock.Now()
				left := now.Truncate(magiclink.DefaultRateWindow).Add(magiclink.DefaultRateWindow).Sub(now)
				if got, want := r.header.Get("Retry-After"), retryAfter(left); got != want {
					t.Fatalf("Retry-After = %q, want %q", got, want)
				}
				if n := len(smtp.Messages()); n != tt.sends {
					t.Fatalf("%d e-mails sent, want %d", n, tt.sends)
				}
				e.clock.Advance(left)
				e.sendLink("someone@example.com").want(204)
			})
		}
	})
}
