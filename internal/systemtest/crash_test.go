package systemtest

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, for the integrity check

	"github.com/passwordless-oss/server/internal/softauthn"
)

// load is what one load phase acknowledged.
type load struct {
	mu sync.Mutex
	// registrations answered 200 by /register/complete
	regs []registration
	// verify tokens answered 200 by /signin/verify: consumed
	consumed []string
	signins  int
	// errors other than a dead server: answers that are not 200
	failures []error
}

func (l *load) addReg(r registration) {
	l.mu.Lock()
	l.regs = append(l.regs, r)
	l.mu.Unlock()
}

func (l *load) addConsumed(tok string, signin bool) {
	l.mu.Lock()
	l.consumed = append(l.consumed, tok)
	if signin {
		l.signins++
	}
	l.mu.Unlock()
}

func (l *load) fail(err error) {
	l.mu.Lock()
	l.failures = append(l.failures, err)
	l.mu.Unlock()
}

// TestCrashConsistency runs registrations and sign-ins from 8 workers,
// kills the server with SIGKILL at different moments of the load,
// restarts it on the same database file and checks that nothing it
// acknowledged was lost: every registration answered 200 is listed and
// signs in, every verify token answered 200 by /signin/verify is refused
// when presented again, and the file passes PRAGMA integrity_check.
//
// SIGKILL loses the process, not the operating system's page cache, so
// this checks that the server acknowledges only committed work; surviving
// a power failure additionally rests on synchronous=FULL (see
// docs/security.md).
func TestCrashConsistency(t *testing.T) {
	t.Parallel()
	s := newServer(t, map[string]string{"PASSWORDLESS_PUBLIC_RATE_LIMIT": "0"})
	s.start()
	a := s.createApp("crashapp")
	c := ceremony{s: s, app: a}

	const workers = 8
	auths := make([]*softauthn.Authenticator, workers)
	for i := range auths {
		auths[i] = softauthn.New()
	}
	// Kill moments: early (few users, many first registrations), middle,
	// late (mostly sign-ins); each with some jitter.
	killAfter := []time.Duration{700 * time.Millisecond, 1500 * time.Millisecond, 2300 * time.Millisecond}
	var (
		acked    []registration // every registration acknowledged so far
		consumed []string       // every token acknowledged as consumed, not yet rechecked
		loadTime time.Duration
		regCount int
	)
	for round, after := range killAfter {
		after += time.Duration(rand.Int64N(int64(300 * time.Millisecond)))
		l := runLoad(t, s, c, auths, acked, round, after)
		loadTime += after
		regCount += len(l.regs)
		for _, err := range l.failures {
			t.Errorf("round %d: a request under load failed: %v", round, err)
		}
		t.Logf("round %d: killed after %v: %d registrations and %d sign-ins acknowledged, %d tokens consumed",
			round, after.Round(time.Millisecond), len(l.regs), l.signins, len(l.consumed))
		if len(l.regs) == 0 {
			t.Fatalf("round %d: no registration was acknowledged before the kill", round)
		}
		integrityCheck(t, s.db)

		s.start()
		consumed = append(consumed, l.consumed...)
		checkConsumed(t, c, consumed)
		acked = append(acked, l.regs...)
		// The registrations of this round: present and signing in. The
		// tokens consumed by these sign-ins are rechecked after the next
		// crash.
		consumed = checkRegistrations(t, c, l.regs)
		if t.Failed() {
			t.FailNow()
		}
	}
	// All registrations of all rounds are still there.
	checkPresent(t, c, acked)
	checkConsumed(t, c, consumed)
	if code := s.terminate(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	integrityCheck(t, s.db)
	t.Logf("%d registrations acknowledged in %v of mixed load (%.0f/s, sign-ins included in the load)",
		regCount, loadTime.Round(time.Millisecond), float64(regCount)/loadTime.Seconds())
}

// runLoad runs the workers until it kills the server after the given time.
// Each worker owns one authenticator; it registers new users and signs in
// the users it registered before (in this or earlier rounds).
func runLoad(t *testing.T, s *server, c ceremony, auths []*softauthn.Authenticator, earlier []registration, round int, after time.Duration) *load {
	t.Helper()
	l := &load{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Until the kill every request must succeed; after it, any failure is
	// the server being gone (refused, reset, a truncated answer).
	var killed atomic.Bool
	var wg sync.WaitGroup
	for w := range auths {
		var mine []registration
		for _, r := range earlier {
			if r.auth == auths[w] {
				mine = append(mine, r)
			}
		}
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			for n := 0; n < 100000 && ctx.Err() == nil; n++ {
				if len(mine) > 0 && rng.IntN(2) == 0 {
					r := mine[rng.IntN(len(mine))]
					tok, _, err := c.signin(ctx, r.auth, map[string]any{"userId": r.userID})
					if err == nil {
						err = verifyConsumed(ctx, c, l, tok, true)
					}
					if err != nil {
						if !killed.Load() {
							l.fail(err)
						}
						return
					}
					continue
				}
				uid := fmt.Sprintf("r%d-w%d-%d", round, w, n)
				r, err := c.register(ctx, auths[w], map[string]any{"userId": uid, "username": uid})
				if err != nil {
					if !killed.Load() {
						l.fail(err)
					}
					return
				}
				l.addReg(r)
				mine = append(mine, r)
				if err := verifyConsumed(ctx, c, l, r.verify, false); err != nil {
					if !killed.Load() {
						l.fail(err)
					}
					return
				}
			}
		})
	}
	select {
	case <-time.After(after):
	case <-s.done:
		t.Errorf("the server exited under load: %v", s.exitErr())
	}
	killed.Store(true)
	if s.running() {
		s.kill()
	}
	cancel()
	wg.Wait()
	return l
}

// verifyConsumed verifies a token and records it as consumed when the
// answer is 200.
func verifyConsumed(ctx context.Context, c ceremony, l *load, tok string, signin bool) error {
	if _, err := c.verifyOK(ctx, tok); err != nil {
		return err
	}
	l.addConsumed(tok, signin)
	return nil
}

// forEachParallel runs fn over items on 8 goroutines, keeping the items of
// one authenticator on one goroutine so its signature counters rise in
// order.
func forEachParallel(regs []registration, fn func(r registration)) {
	groups := map[*softauthn.Authenticator][]registration{}
	for _, r := range regs {
		groups[r.auth] = append(groups[r.auth], r)
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Go(func() {
			for _, r := range g {
				fn(r)
			}
		})
	}
	wg.Wait()
}

// checkRegistrations checks that each registration is listed and signs
// in, and returns the verify tokens consumed by those sign-ins.
func checkRegistrations(t *testing.T, c ceremony, regs []registration) []string {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var consumed []string
	var missing, failed int
	forEachParallel(regs, func(r registration) {
		want := base64.RawURLEncoding.EncodeToString(r.cred.ID)
		ids, err := c.credentialIDs(ctx, r.userID)
		if err != nil || !slices.Contains(ids, want) {
			mu.Lock()
			if missing++; missing <= 5 {
				t.Errorf("acknowledged registration of %s lost after the crash: credentials %v, %v", r.userID, ids, err)
			}
			mu.Unlock()
			return
		}
		tok, _, err := c.signin(ctx, r.auth, map[string]any{"userId": r.userID})
		var v map[string]any
		if err == nil {
			v, err = c.verifyOK(ctx, tok)
		}
		if err == nil && (v["userId"] != r.userID || v["credentialId"] != base64.StdEncoding.EncodeToString(r.cred.ID)) {
			err = fmt.Errorf("verify answered %v", v)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if failed++; failed <= 5 {
				t.Errorf("acknowledged registration of %s does not sign in after the crash: %v", r.userID, err)
			}
			return
		}
		consumed = append(consumed, tok)
	})
	if missing+failed > 0 {
		t.Errorf("%d of %d acknowledged registrations lost, %d do not sign in", missing, len(regs), failed)
	}
	return consumed
}

// checkPresent checks that every registration is still listed.
func checkPresent(t *testing.T, c ceremony, regs []registration) {
	t.Helper()
	var mu sync.Mutex
	lost := 0
	forEachParallel(regs, func(r registration) {
		ids, err := c.credentialIDs(context.Background(), r.userID)
		if err == nil && slices.Contains(ids, base64.RawURLEncoding.EncodeToString(r.cred.ID)) {
			return
		}
		mu.Lock()
		if lost++; lost <= 5 {
			t.Errorf("registration of %s lost: %v %v", r.userID, ids, err)
		}
		mu.Unlock()
	})
	if lost > 0 {
		t.Errorf("%d of %d registrations lost", lost, len(regs))
	}
}

// checkConsumed presents every consumed token again: each must be refused
// as already used.
func checkConsumed(t *testing.T, c ceremony, tokens []string) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := 0
	next := make(chan string)
	for range 8 {
		wg.Go(func() {
			for tok := range next {
				r, err := c.verify(context.Background(), tok)
				if err == nil && r.status == 400 && problemCode(r) == "invalid_token" {
					continue
				}
				mu.Lock()
				if bad++; bad <= 5 {
					if err != nil {
						t.Errorf("re-verify of a consumed token: %v", err)
					} else {
						t.Errorf("re-verify of a consumed token answered %s, want 400 invalid_token", r)
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, tok := range tokens {
		next <- tok
	}
	close(next)
	wg.Wait()
	if bad > 0 {
		t.Errorf("%d of %d consumed verify tokens were not refused", bad, len(tokens))
	}
}

// integrityCheck opens the database file read-only (the server must be
// stopped) and runs SQLite's integrity and foreign-key checks.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(abs), RawQuery: "mode=ro"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	var results []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		results = append(results, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(results) != 1 || results[0] != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, want [ok]", results)
	}
	rows, err = db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("PRAGMA foreign_key_check reports violations")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
