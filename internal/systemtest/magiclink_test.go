package systemtest

import (
	"context"
	"net/http"
	"strconv"
	"testing"
)

// defaultMagicLinkRateLimit is the binary's default of
// PASSWORDLESS_MAGIC_LINK_RATE_LIMIT per 5 minutes.
const defaultMagicLinkRateLimit = 10

// magicLinkBody is a valid /magic-links/send body.
func magicLinkBody(to string) map[string]any {
	return map[string]any{"emailAddress": to, "urlTemplate": "https://example.com/login?token=$TOKEN", "userId": "u-magic"}
}

// enableMagicLinks raises the app's monthly quota well above what a test
// sends and turns magic links on.
func (s *server) enableMagicLinks(a app) {
	s.t.Helper()
	s.must(204, "POST", "/admin/apps/"+a.ID+"/features", mgmt(), `{"magicLinkEmailMonthlyQuota":1000}`)
	s.must(204, "POST", "/apps/features", a.secret(), `{"enableMagicLinks":true}`)
}

// TestMagicLinkRateLimitSetting runs the binary with the magic-link rate
// limit unset (the default of 10 per 5 minutes applies) and set to 0 (no
// limit). The window is aligned to the clock, so a boundary may fall
// during the loop: 2×limit+1 sends reach the limit in any case.
func TestMagicLinkRateLimitSetting(t *testing.T) {
	const sends = 2*defaultMagicLinkRateLimit + 1
	tests := []struct {
		name    string
		env     map[string]string
		limited bool
	}{
		{"unset: default limit", nil, true},
		{"0: no limit", map[string]string{"PASSWORDLESS_MAGIC_LINK_RATE_LIMIT": "0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, tt.env)
			s.start()
			a := s.createApp("ratelimit")
			s.enableMagicLinks(a)

			sent, refused := 0, 0
			for i := 0; i < sends && refused == 0; i++ {
				r := s.call("POST", "/magic-links/send", a.secret(), magicLinkBody("someone@example.com"))
				switch {
				case r.status == 204:
					sent++
				case r.status == 429 && problemCode(r) == "rate_limit_exceeded":
					refused++
					if sec, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || sec < 1 || sec > 300 {
						t.Errorf("Retry-After = %q, want 1..300 seconds", r.header.Get("Retry-After"))
					}
				default:
					t.Fatalf("send %d: %s", i+1, r)
				}
			}
			if tt.limited && (refused == 0 || sent < defaultMagicLinkRateLimit) {
				t.Fatalf("%d sent before the first 429 (refused: %d), want at least %d and then a 429", sent, refused, defaultMagicLinkRateLimit)
			}
			if !tt.limited && sent != sends {
				t.Fatalf("%d of %d sends accepted with the limit off", sent, sends)
			}
		})
	}
}

// call sends a request from the test goroutine and returns the answer,
// whatever its status; only a failed exchange fails the test.
func (s *server) call(method, path string, hdr http.Header, body any) *response {
	s.t.Helper()
	r, err := s.do(context.Background(), method, path, hdr, body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}
