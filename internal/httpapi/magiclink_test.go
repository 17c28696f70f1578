package httpapi_test

import (
	"regexp"
	"testing"

	"github.com/passwordless-oss/server/internal/httpapi"
	"github.com/passwordless-oss/server/internal/magiclink"
	"github.com/passwordless-oss/server/internal/mail"
	"github.com/passwordless-oss/server/internal/mail/mailtest"
)

// withMagicLinks wires magic links that send through a real SMTP client to
// an in-process SMTP server.
func withMagicLinks(t *testing.T, smtp *mailtest.Server) func(*httpapi.Config) {
	return func(c *httpapi.Config) {
		mailer, err := mail.NewSMTPMailer(mail.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLSPolicy: mail.TLSNone, From: "no-reply@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		c.MagicLinks = magiclink.New(c.Store, c.Passkeys, mailer, magiclink.Config{}, nil)
	}
}

var tokenInLink = regexp.MustCompile(`token=(verify_[A-Za-z0-9_-]+)`)

func TestMagicLinkThroughSMTP(t *testing.T) {
	smtp := mailtest.NewServer(t)
	e := newEnv(t, withMagicLinks(t, smtp))
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
}
