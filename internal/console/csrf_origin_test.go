package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

// TestOriginCheckWithoutConsoleURL: without PASSWORDLESS_CONSOLE_URL a
// post is accepted only from the origin the request itself was made to:
// the same scheme (https when it came over TLS or with X-Forwarded-Proto:
// https, else http), host and port.
func TestOriginCheckWithoutConsoleURL(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnvURL(t, open, false, "")
		self := e.srv.URL // http://127.0.0.1:port
		host := strings.TrimPrefix(self, "http://")
		_, port, _ := strings.Cut(host, ":")
		r := e.enrol(softauthn.New(), e.setupSecret(), "Ada", http.Header{"Origin": {self}})
		ck := r.cookie(cookieName)
		if r.status != http.StatusSeeOther || ck == nil {
			t.Fatalf("enrol: %d %s", r.status, r.body)
		}
		csrf := e.csrf(ck)
		tests := []struct {
			name   string
			header http.Header
			want   int
		}{
			{"same origin", http.Header{"Origin": {self}}, 200},
			{"same origin, upper case", http.Header{"Origin": {"HTTP://" + host}}, 200},
			{"same origin as referer", http.Header{"Referer": {self + "/console/apps"}}, 200},
			{"https to a plain HTTP request", http.Header{"Origin": {"https://" + host}}, http.StatusForbidden},
			{"https referer to a plain HTTP request", http.Header{"Referer": {"https://" + host + "/console/apps"}}, http.StatusForbidden},
			{"another port", http.Header{"Origin": {"http://127.0.0.1:1"}}, http.StatusForbidden},
			{"the default port", http.Header{"Origin": {"http://127.0.0.1"}}, http.StatusForbidden},
			{"another host, same port", http.Header{"Origin": {"http://localhost:" + port}}, http.StatusForbidden},
			{"behind a TLS proxy, https", http.Header{"Origin": {"https://" + host}, "X-Forwarded-Proto": {"https"}}, 200},
			{"behind a TLS proxy, http", http.Header{"Origin": {self}, "X-Forwarded-Proto": {"https"}}, http.StatusForbidden},
		}
		for _, tt := range tests {
			if r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {csrf}}, tt.header, ck); r.status != tt.want {
				t.Errorf("%s (%v): %d, want %d", tt.name, tt.header, r.status, tt.want)
			}
		}
	})
}
