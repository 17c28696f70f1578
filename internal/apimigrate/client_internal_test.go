package apimigrate

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	} {
		got, ok := retryAfter(http.Header{"Retry-After": {c.header}}, now)
		if got != c.want || ok != c.ok {
			t.Errorf("Retry-After %q: %v %v, want %v %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

func TestNewClientURLs(t *testing.T) {
	for url, wantErr := range map[string]string{
		"https://v4.passwordless.dev":       "",
		"https://passkeys.example.com/api/": "",
		"http://localhost:7001":             "",
		"http://127.0.0.1:7001":             "",
		"http://[::1]:7001":                 "",
		"http://passkeys.example.com":       "plain http",
		"ftp://example.com":                 "http(s) URL",
		"v4.passwordless.dev":               "http(s) URL",
		"https://example.com/?x=1":          "query",
	} {
		_, err := newClient(url, "s", nil, DefaultRetry, time.Second)
		if (err == nil) != (wantErr == "") || (err != nil && !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("%s: %v, want %q", url, err, wantErr)
		}
	}
}

func TestAppID(t *testing.T) {
	for secret, want := range map[string]string{
		"myapp:secret:0123":  "myapp",
		"myapp:public:0123":  "",
		"myapp":              "",
		"My-App:secret:0123": "",
	} {
		got, err := AppID(secret)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("AppID(%q) = %q, %v", secret, got, err)
		}
	}
}
