package console

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store/teststores"
)

// TestSignedOutSessionStaysRevoked signs out two sessions one after the
// other: tidying the revocation list on the second sign-out must keep the
// first session's revocation, which has not expired.
func TestSignedOutSessionStaysRevoked(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		e := newEnv(t, open, false)
		first, a := e.admin()
		r := e.do("POST", "/console/signin", url.Values{"token": {e.signinWith(a, e.consoleKey())}}, nil)
		second := r.cookie(cookieName)
		if r.status != http.StatusSeeOther || second == nil {
			t.Fatalf("second sign-in: %d", r.status)
		}
		for i, ck := range []*http.Cookie{first, second} {
			if r := e.do("POST", "/console/signout", url.Values{"csrf": {e.csrf(ck)}}, nil, ck); r.status != http.StatusSeeOther {
				t.Fatalf("sign-out %d: %d", i+1, r.status)
			}
			e.clock.Advance(time.Second)
		}
		for i, ck := range []*http.Cookie{first, second} {
			if r := e.do("GET", "/console/apps", nil, nil, ck); r.status != http.StatusSeeOther {
				t.Fatalf("session %d after sign-out: %d", i+1, r.status)
			}
		}
	})
}
