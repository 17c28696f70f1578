package console

import (
	"net/http"
	"net/url"
	"testing"
)

// TestPostOriginDefaultPort sends a signed-in form post with Origin headers
// that differ from the console URL (https://console.example) only in how
// the port is written: the scheme's default port is the same origin, any
// other port (the other scheme's default included) is another origin.
func TestPostOriginDefaultPort(t *testing.T) {
	e := newEnv(t, false)
	ck, _ := e.admin()
	csrf := e.csrf(ck)
	for _, tt := range []struct {
		origin string
		want   int
	}{
		{"https://console.example", http.StatusOK},
		{"https://console.example:443", http.StatusOK},
		{"HTTPS://Console.Example:443", http.StatusOK},
		{"https://console.example:8443", http.StatusForbidden},
		{"https://console.example:80", http.StatusForbidden},
		{"http://console.example", http.StatusForbidden},
		{"http://console.example:443", http.StatusForbidden},
		{"http://console.example:80", http.StatusForbidden},
	} {
		r := e.do("POST", "/console/admins/invite", url.Values{"csrf": {csrf}}, http.Header{"Origin": {tt.origin}}, ck)
		if r.status != tt.want {
			t.Errorf("Origin %s: %d, want %d", tt.origin, r.status, tt.want)
		}
	}
}
