package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/wire"
)

var (
	formTag     = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*id="features">(.*?)</form>`)
	inputTag    = regexp.MustCompile(`<input\b[^>]*>`)
	textareaTag = regexp.MustCompile(`(?s)<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
)

// browserForm is the features form of a page as a browser would submit
// it untouched: inputs in document order, a checkbox only when ticked.
// set replaces fields' values; tick and untick change checkboxes.
type browserForm struct {
	action string
	fields [][2]string
	ticked map[string]bool
}

func parseFeaturesForm(t *testing.T, page string) *browserForm {
	t.Helper()
	m := formTag.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no features form in\n%s", page)
	}
	f := &browserForm{action: m[1], ticked: map[string]bool{}}
	for _, tag := range inputTag.FindAllString(m[2], -1) {
		name := html.UnescapeString(attrOf(tag, "name"))
		if attrOf(tag, "type") == "checkbox" {
			f.ticked[name] = strings.Contains(tag, " checked")
			f.fields = append(f.fields, [2]string{name, "\x00checkbox"})
			continue
		}
		f.fields = append(f.fields, [2]string{name, html.UnescapeString(attrOf(tag, "value"))})
	}
	for _, ta := range textareaTag.FindAllStringSubmatch(m[2], -1) {
		f.fields = append(f.fields, [2]string{ta[1], html.UnescapeString(ta[2])})
	}
	return f
}

func attrOf(tag, name string) string {
	m := regexp.MustCompile(`\b` + name + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

func (f *browserForm) set(name, value string) {
	for i := range f.fields {
		if f.fields[i][0] == name {
			f.fields[i][1] = value
		}
	}
}

func (f *browserForm) values() url.Values {
	v := url.Values{}
	for _, kv := range f.fields {
		switch {
		case kv[1] != "\x00checkbox":
			v.Add(kv[0], kv[1])
		case f.ticked[kv[0]]:
			v.Add(kv[0], "on")
		}
	}
	return v
}

// TestFeaturesFormKeepsWhatItDoesNotChange drives the console's real
// features form on both stores: an app made through the API (365-day
// retention) saves unchanged, a change of one field changes only that
// one, a post naming one field leaves the rest alone, and the API's rule
// decides what is refused.
func TestFeaturesFormKeepsWhatItDoesNotChange(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnvStore(t, false, testOrigin, open(t), DemoClient{})
		ctx := context.Background()
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		limit := wire.Int(25)
		if _, err := e.apps.Create(ctx, "shop", apps.CreateRequest{EventLoggingIsEnabled: true, MaxUsers: &limit}); err != nil {
			t.Fatal(err)
		}
		features := func() store.Features {
			app, ok := e.getApp("shop")
			if !ok {
				t.Fatal("app gone")
			}
			return app.Features
		}
		form := func() *browserForm {
			r := e.do("GET", "/console/apps/shop/features", nil, nil, ck)
			if r.status != 200 {
				t.Fatalf("features page: %d", r.status)
			}
			return parseFeaturesForm(t, r.body)
		}
		post := func(v url.Values) resp {
			return e.do("POST", "/console/apps/shop/features", v, http.Header{"Origin": {testOrigin}}, ck)
		}
		before := features()
		if before.EventLoggingRetentionDays != apps.MaxRetentionDays {
			t.Fatalf("an app made through the API starts with %d days", before.EventLoggingRetentionDays)
		}

		// Saved untouched: accepted, and nothing changes.
		if r := post(form().values()); r.status != http.StatusSeeOther {
			t.Fatalf("saving the unchanged form: %d %s", r.status, r.body)
		}
		if got := features(); !equalFeatures(got, before) {
			t.Fatalf("saving the unchanged form changed\n%+v\nto\n%+v", before, got)
		}

		// One field changed in the form: only that one changes.
		f := form()
		f.set("magicLinkEmailMonthlyQuota", "100")
		if r := post(f.values()); r.status != http.StatusSeeOther {
			t.Fatalf("quota: %d %s", r.status, r.body)
		}
		want := before
		want.MagicLinkMonthlyQuota = 100
		if got := features(); !equalFeatures(got, want) {
			t.Fatalf("after the quota:\n got %+v\nwant %+v", got, want)
		}

		// Unticking a box turns it off.
		f = form()
		f.ticked["magicLinks"] = false
		f.ticked["eventLogging"] = false
		if r := post(f.values()); r.status != http.StatusSeeOther {
			t.Fatalf("untick: %d %s", r.status, r.body)
		}
		want.MagicLinksEnabled, want.EventLoggingEnabled = false, false
		if got := features(); !equalFeatures(got, want) {
			t.Fatalf("after unticking:\n got %+v\nwant %+v", got, want)
		}

		// A post naming one field changes that one alone.
		if r := post(url.Values{"csrf": {csrf}, "eventLoggingRetentionPeriod": {"30"}}); r.status != http.StatusSeeOther {
			t.Fatalf("retention alone: %d %s", r.status, r.body)
		}
		want.EventLoggingRetentionDays = 30
		if got := features(); !equalFeatures(got, want) {
			t.Fatalf("after the retention alone:\n got %+v\nwant %+v", got, want)
		}

		// The API's rule refuses, with its message, and changes nothing.
		f = form()
		f.set("eventLoggingRetentionPeriod", "366")
		f.set("magicLinkEmailMonthlyQuota", "1")
		r := post(f.values())
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "between 0 and 365") {
			t.Fatalf("retention 366: %d %s", r.status, r.body)
		}
		if got := features(); !equalFeatures(got, want) {
			t.Fatalf("a refused form changed the features:\n got %+v\nwant %+v", got, want)
		}
		// An empty maximum means no limit.
		f = form()
		f.set("maxUsers", "")
		if r := post(f.values()); r.status != http.StatusSeeOther {
			t.Fatalf("no limit: %d %s", r.status, r.body)
		}
		if got := features(); got.MaxUsers != nil {
			t.Fatalf("max users after emptying the field: %d", *got.MaxUsers)
		}
	})
}

func equalFeatures(a, b store.Features) bool {
	same := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.EventLoggingEnabled == b.EventLoggingEnabled && a.EventLoggingRetentionDays == b.EventLoggingRetentionDays &&
		a.MagicLinkMonthlyQuota == b.MagicLinkMonthlyQuota && same(a.MaxUsers, b.MaxUsers) &&
		a.AllowAttestation == b.AllowAttestation && a.GenerateSignInTokenEnabled == b.GenerateSignInTokenEnabled &&
		a.MagicLinksEnabled == b.MagicLinksEnabled && strings.Join(a.AllowedOrigins, " ") == strings.Join(b.AllowedOrigins, " ") &&
		strings.Join(a.AllowedRPIDs, " ") == strings.Join(b.AllowedRPIDs, " ")
}
