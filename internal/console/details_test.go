package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apps"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

func TestWords(t *testing.T) {
	durations := []struct {
		d    time.Duration
		want string
	}{
		{72 * time.Hour, "3 days"}, {7 * 24 * time.Hour, "7 days"}, {24 * time.Hour, "24 hours"}, {time.Hour, "1 hour"},
		{12 * time.Hour, "12 hours"}, {90 * time.Minute, "90 minutes"}, {time.Minute, "1 minute"}, {1500 * time.Millisecond, "2 seconds"},
	}
	for _, tt := range durations {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	summaries := []struct {
		listed int
		with   int64
		want   string
	}{
		{0, 0, "No users yet."},
		{1, 1, "1 user, with a passkey."},
		{3, 3, "3 users, all with passkeys."},
		{1, 0, "1 user, none with a passkey yet (a user with only aliases has not registered one)."},
		{2, 1, "2 users, 1 with a passkey (a user with only aliases has not registered one yet)."},
	}
	for _, tt := range summaries {
		if got := usersSummary(tt.listed, tt.with); got != tt.want {
			t.Errorf("usersSummary(%d, %d) = %q, want %q", tt.listed, tt.with, got, tt.want)
		}
	}
}

// The users page lists users with only aliases too, and says so: its
// counts match its rows.
func TestUsersPageCountsWhatItLists(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		keys, err := e.apps.Create(context.Background(), "shop", apps.CreateRequest{})
		if err != nil {
			t.Fatal(err)
		}
		page := func() string {
			r := e.do("GET", "/console/apps/shop/users", nil, nil, ck)
			if r.status != 200 {
				t.Fatalf("users page: %d", r.status)
			}
			return r.body
		}
		if body := page(); !strings.Contains(body, "No users yet.") {
			t.Fatalf("empty app:\n%s", body)
		}
		r := e.do("POST", "/alias", map[string]any{"userId": "aliasonly", "aliases": []string{"ada"}, "hashing": false},
			http.Header{"ApiSecret": {keys.APISecret1}})
		if r.status != 204 {
			t.Fatalf("alias: %d %s", r.status, r.body)
		}
		if body := page(); !strings.Contains(body, "aliasonly") || !strings.Contains(body, "1 user, none with a passkey yet") {
			t.Fatalf("an alias-only user:\n%s", body)
		}
		e.addUser("shop", "withkey")
		if body := page(); !strings.Contains(body, "2 users, 1 with a passkey") {
			t.Fatalf("two users, one with a passkey:\n%s", body)
		}
	})
}

// The Applications page has one id field, used both to check and to
// create.
func TestAppsPageHasOneIDField(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		ck, _ := e.admin()
		csrf := e.csrf(ck)
		body := e.do("GET", "/console/apps", nil, nil, ck).body
		if n := strings.Count(body, `name="id"`); n != 1 || strings.Contains(body, `name="check"`) {
			t.Fatalf("%d id fields (and check: %v) in\n%s", n, strings.Contains(body, `name="check"`), body)
		}
		r := e.do("POST", "/console/apps", url.Values{"csrf": {csrf}, "id": {"shop"}, "action": {"check"}}, nil, ck)
		if r.status != 200 || !strings.Contains(r.body, "The id shop is available.") || !strings.Contains(r.body, `value="shop"`) {
			t.Fatalf("check: %d\n%s", r.status, r.body)
		}
		if _, exists := e.getApp("shop"); exists {
			t.Fatal("checking the id created the app")
		}
		e.do("POST", "/console/apps", url.Values{"csrf": {csrf}, "id": {"shop"}}, nil, ck)
		r = e.do("POST", "/console/apps", url.Values{"csrf": {csrf}, "id": {"shop"}, "action": {"check"}}, nil, ck)
		if !strings.Contains(r.body, "The id shop is taken.") {
			t.Fatalf("check of a taken id:\n%s", r.body)
		}
	})
}

// Durations are written as people write them.
func TestDurationsInWords(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		if out := e.out.String(); !strings.Contains(out, "within 24 hours") {
			t.Errorf("setup link message:\n%s", out)
		}
		ck, _ := e.admin()
		if body := e.do("GET", "/console/admins", nil, nil, ck).body; !strings.Contains(body, "valid for 3 days") {
			t.Errorf("admins page:\n%s", body)
		}
	})
}

// Opened at an IP address (no console URL set), the pages and the demo
// say why passkeys cannot work there and link the localhost URL.
func TestIPAddressHostExplained(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnvURL(t, open, true, "")
		port := e.srv.URL[strings.LastIndex(e.srv.URL, ":")+1:]
		local := "http://localhost:" + port
		body := e.do("GET", "/console/signin", nil, nil).body
		if !strings.Contains(body, `id="address-problem"`) || !strings.Contains(body, "need a domain name") ||
			!strings.Contains(body, `href="`+local+`/console/signin"`) {
			t.Fatalf("sign-in page at %s:\n%s", e.srv.URL, body)
		}
		var cfg demoConfig
		if r := e.do("GET", "/console/demo/api/config?app=test", nil, nil); r.status != 200 || json.Unmarshal([]byte(r.body), &cfg) != nil {
			t.Fatalf("demo config: %d %s", r.status, r.body)
		}
		if !strings.Contains(cfg.AddressProblem, "need a domain name") || cfg.UseURL != local+"/console/demo/?app=test" {
			t.Fatalf("demo config at an IP address: %+v", cfg)
		}
		// By name, nothing to explain.
		req, _ := http.NewRequest("GET", e.srv.URL+"/console/signin", nil)
		req.Host = "localhost:" + port
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		named, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || strings.Contains(string(named), "address-problem") {
			t.Fatalf("explained at a domain name: %d\n%s", res.StatusCode, named)
		}
		// With a console URL the Host may be a proxy's upstream address.
		withURL := newEnv(t, open, false)
		if body := withURL.do("GET", "/console/signin", nil, nil).body; strings.Contains(body, "address-problem") {
			t.Fatalf("explained although a console URL is set:\n%s", body)
		}
	})
}

func TestDemoClientSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	const hash = "sha384-cEHJfClr1GLubfVIM+AVbDUmXTUBktVnbaq/RVBWMTMrjPcfqY/WLzsLws/xsEE/"
	tests := []struct {
		vars    map[string]string
		want    DemoClient
		wantErr bool
	}{
		{nil, defaultDemoClient, false},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_URL": "/assets/passwordless.umd.min.js"}, DemoClient{URL: "/assets/passwordless.umd.min.js"}, false},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_URL": "https://static.example/pwl.js", "PASSWORDLESS_DEMO_CLIENT_INTEGRITY": hash},
			DemoClient{URL: "https://static.example/pwl.js", Integrity: hash}, false},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_INTEGRITY": hash}, DemoClient{}, true},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_URL": "static.example/pwl.js"}, DemoClient{}, true},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_URL": "javascript:alert(1)"}, DemoClient{}, true},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_URL": `/a.js" onload="x`}, DemoClient{}, true},
		{map[string]string{"PASSWORDLESS_DEMO_CLIENT_URL": "/a.js", "PASSWORDLESS_DEMO_CLIENT_INTEGRITY": "md5-abc"}, DemoClient{}, true},
	}
	for _, tt := range tests {
		got, err := DemoClientSettings(env(tt.vars))
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("%v: %+v, %v", tt.vars, got, err)
		}
	}
}

// The demo page names the configured copy of the client, and its policy
// allows that copy and nothing else from elsewhere.
func TestDemoPageUsesTheConfiguredClient(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		tests := []struct {
			client  DemoClient
			wantTag string
			wantCSP string // "" : no other origin
		}{
			{DemoClient{URL: "/assets/pwl.js"}, `<script src="/assets/pwl.js" id="passwordless-client" defer>`, ""},
			{DemoClient{URL: "https://static.example/pwl.js", Integrity: "sha384-abc"},
				`<script src="https://static.example/pwl.js" integrity="sha384-abc" crossorigin="anonymous" id="passwordless-client" defer>`,
				"script-src 'self' https://static.example/pwl.js;"},
		}
		for _, tt := range tests {
			e := newEnvStore(t, true, testOrigin, open(t), tt.client)
			r := e.do("GET", "/console/demo/", nil, nil)
			if r.status != 200 || !strings.Contains(r.body, tt.wantTag) || strings.Contains(r.body, "cdn.jsdelivr.net/npm") {
				t.Errorf("%+v: %d, want %s in\n%s", tt.client, r.status, tt.wantTag, r.body)
			}
			csp := r.header.Get("Content-Security-Policy")
			if tt.wantCSP == "" && strings.Contains(csp, "https://") || tt.wantCSP != "" && (!strings.Contains(csp, tt.wantCSP) || strings.Count(csp, "https://") != 1) {
				t.Errorf("%+v: CSP %q", tt.client, csp)
			}
		}
	})
}
