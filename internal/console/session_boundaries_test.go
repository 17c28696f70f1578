package console

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestSessionTimeBoundaries checks the session's time limits at their
// edges: a session is good for exactly the idle timeout after its last
// refresh and exactly the maximum age after sign-in, and the cookie is
// re-issued only once it is more than a minute old.
func TestSessionTimeBoundaries(t *testing.T) {
	e := newEnv(t, false)
	ck, _ := e.admin()
	signedIn := e.clock.Now()
	get := func(ck *http.Cookie) resp { return e.do("GET", "/console/apps", nil, nil, ck) }

	e.clock.Advance(refreshAfter)
	r := get(ck)
	if r.status != 200 || r.cookie(cookieName) != nil {
		t.Fatalf("at the refresh interval: %d, cookie %v; want 200 without a new cookie", r.status, r.cookie(cookieName))
	}
	e.clock.Advance(time.Nanosecond)
	r = get(ck)
	if r.status != 200 || r.cookie(cookieName) == nil {
		t.Fatalf("past the refresh interval: %d, cookie %v; want a new cookie", r.status, r.cookie(cookieName))
	}
	ck = r.cookie(cookieName)

	// Exactly the idle timeout after the last refresh is still in time.
	e.clock.Advance(DefaultIdleTimeout)
	if r = get(ck); r.status != 200 {
		t.Fatalf("at the idle timeout: %d", r.status)
	}
	stale := ck
	ck = r.cookie(cookieName)
	e.clock.Advance(time.Nanosecond)
	if r := get(stale); r.status != http.StatusSeeOther {
		t.Fatalf("the superseded cookie past its idle timeout: %d", r.status)
	}

	// Keep the session active up to exactly its maximum age, then past it.
	for {
		next := e.clock.Now().Add(DefaultIdleTimeout / 2)
		if end := signedIn.Add(DefaultMaxAge); next.After(end) {
			next = end
		}
		e.clock.Advance(next.Sub(e.clock.Now()))
		r := get(ck)
		if r.status != 200 {
			t.Fatalf("%s after sign-in, within the maximum age: %d", e.clock.Now().Sub(signedIn), r.status)
		}
		if c := r.cookie(cookieName); c != nil {
			ck = c
		}
		if !e.clock.Now().Before(signedIn.Add(DefaultMaxAge)) {
			break
		}
	}
	e.clock.Advance(time.Nanosecond)
	if r := get(ck); r.status != http.StatusSeeOther {
		t.Fatalf("past the maximum age: %d", r.status)
	}
}

// TestSignedOutSessionStaysRevoked signs out two sessions one after the
// other: tidying the revocation list on the second sign-out must keep the
// first session's revocation, which has not expired.
func TestSignedOutSessionStaysRevoked(t *testing.T) {
	e := newEnv(t, false)
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
}
