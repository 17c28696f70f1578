package systemtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store/postgres/pgtest"
)

// TestPostgresRestartUnderLoad runs the binary on a PostgreSQL server of
// the test's own and restarts that server (a fast shutdown, a second down,
// a start) while clients sign in and register. Requests the outage
// touches are answered 503 storage_unavailable with Retry-After, never
// 500; sign-ins succeed again within a few seconds of the database's
// return without restarting the binary; and nothing answered 200 is lost:
// every registration is listed and signs in, every verified token stays
// used.
func TestPostgresRestartUnderLoad(t *testing.T) {
	cluster := pgtest.StartCluster(t)
	s := newServer(t, map[string]string{
		"PASSWORDLESS_DATABASE":          cluster.URL,
		"PASSWORDLESS_PUBLIC_RATE_LIMIT": "0",
	})
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		bad      []string
	)
	s.onResponse = func(method, path string, r *response) {
		mu.Lock()
		defer mu.Unlock()
		statuses[r.status]++
		switch {
		case r.status == http.StatusServiceUnavailable:
			if code := problemCode(r); code != "storage_unavailable" || r.header.Get("Retry-After") == "" {
				bad = append(bad, fmt.Sprintf("%s %s: 503 with errorCode %q, Retry-After %q", method, path, code, r.header.Get("Retry-After")))
			}
		case r.status >= 500:
			bad = append(bad, fmt.Sprintf("%s %s: %s", method, path, r))
		}
	}
	s.start()
	a := s.createApp("restart")
	c := ceremony{s: s, app: a}
	ctx := context.Background()

	type user struct {
		id   string
		auth *softauthn.Authenticator
		cred *softauthn.Credential
	}
	var (
		ackMu      sync.Mutex
		registered []user      // registrations answered 200
		verified   []string    // verify tokens answered 200 by /signin/verify
		successes  []time.Time // when each sign-in (begin, complete, verify) succeeded
		clientErrs []error
	)
	const workers = 6
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		// Each worker starts with a user of its own and signs in only its
		// own users, so that no two sign-ins race on one counter.
		u := user{id: fmt.Sprintf("w%d-u0", w), auth: softauthn.New()}
		reg, err := c.register(ctx, u.auth, map[string]any{"userId": u.id, "username": u.id})
		if err != nil {
			t.Fatal(err)
		}
		u.cred = reg.cred
		registered = append(registered, u)
		wg.Go(func() {
			mine := []user{u}
			for i := 1; !stop.Load(); i++ {
				if i%5 == 0 {
					nu := user{id: fmt.Sprintf("w%d-u%d", w, i), auth: softauthn.New()}
					reg, err := c.register(ctx, nu.auth, map[string]any{"userId": nu.id, "username": nu.id})
					if err == nil {
						nu.cred = reg.cred
						mine = append(mine, nu)
						ackMu.Lock()
						registered = append(registered, nu)
						ackMu.Unlock()
					} else if !isStatus(err) {
						ackMu.Lock()
						clientErrs = append(clientErrs, err)
						ackMu.Unlock()
						return
					}
					continue
				}
				cur := mine[i%len(mine)]
				tok, _, err := c.signin(ctx, cur.auth, map[string]any{"userId": cur.id})
				if err == nil {
					var r *response
					r, err = c.s.expect(ctx, 200, "POST", "/signin/verify", a.secret(), map[string]any{"token": tok})
					if err == nil && r.status == 200 {
						ackMu.Lock()
						verified = append(verified, tok)
						successes = append(successes, time.Now())
						ackMu.Unlock()
					}
				}
				if err != nil {
					if !isStatus(err) {
						ackMu.Lock()
						clientErrs = append(clientErrs, err)
						ackMu.Unlock()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}

	time.Sleep(1500 * time.Millisecond)
	stopped := time.Now()
	cluster.Stop()
	time.Sleep(time.Second)
	cluster.Start()
	back := time.Now()
	time.Sleep(4 * time.Second)
	stop.Store(true)
	wg.Wait()

	mu.Lock()
	t.Logf("statuses: %v; database down from %v to %v after the load began", statuses, stopped.Format("15:04:05.000"), back.Format("15:04:05.000"))
	for i, b := range bad {
		if i == 10 {
			t.Errorf("... and %d more", len(bad)-i)
			break
		}
		t.Error(b)
	}
	if statuses[http.StatusServiceUnavailable] == 0 {
		t.Error("no request was answered 503: the outage was not seen")
	}
	mu.Unlock()
	for _, err := range clientErrs {
		t.Errorf("client: %v", err)
	}
	var before, after int
	var firstAfter time.Time
	for _, at := range successes {
		switch {
		case at.Before(stopped):
			before++
		case at.After(back):
			if after == 0 || at.Before(firstAfter) {
				firstAfter = at
			}
			after++
		}
	}
	if before == 0 || after == 0 {
		t.Fatalf("%d sign-ins before the restart and %d after it, want some of each", before, after)
	}
	if d := firstAfter.Sub(back); d > 3*time.Second {
		t.Errorf("the first sign-in after the database came back took %v", d)
	}
	t.Logf("%d sign-ins before the restart, %d after it (the first %v after the database's start), %d registrations",
		before, after, firstAfter.Sub(back).Round(time.Millisecond), len(registered))

	// Nothing acknowledged is lost.
	for _, u := range registered {
		ids, err := c.credentialIDs(ctx, u.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			t.Errorf("user %s: registration answered 200 but no credential listed", u.id)
			continue
		}
		tok, _, err := c.signin(ctx, u.auth, map[string]any{"userId": u.id})
		if err != nil {
			t.Errorf("user %s: sign-in after the restart: %v", u.id, err)
			continue
		}
		if _, err := c.verifyOK(ctx, tok); err != nil {
			t.Errorf("user %s: verify after the restart: %v", u.id, err)
		}
	}
	for _, tok := range verified {
		r, err := c.verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusBadRequest || problemCode(r) != "invalid_token" {
			t.Errorf("a verify token answered 200 during the load verified again: %s", r)
			break
		}
	}
}

// isStatus reports whether err is an answer with an unexpected status
// (judged by onResponse) rather than a failure of the client.
func isStatus(err error) bool {
	var se *statusError
	return errors.As(err, &se)
}
