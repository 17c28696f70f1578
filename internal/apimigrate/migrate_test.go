package apimigrate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/apimigrate"
	"github.com/passwordless-oss/server/internal/softauthn"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/transfer"
)

const appID = "shop"

// fixture is a source app with users registered through real ceremonies.
type fixture struct {
	src   *app
	auths map[string]*softauthn.Authenticator
}

var (
	allowedAAGUID = "973446ca-e21c-9a9b-99f5-9b985a67af0f"
	blockedAAGUID = "adce0002-35bc-c60a-648b-0b25f1f05503"
)

// newFixture: u1 with a hashed alias and a few sign-ins (counter 3), u2
// with a plaintext alias and a backed-up passkey, u3 with two
// discoverable passkeys and no alias, u4 with an alias only; a purpose
// "admin" and the "sign-in" preset, stored by the sign-ins; one allowed
// and one blocked authenticator. The source runs on SQLite: it stands for
// the API an app is copied from, and the tests vary the target's store.
func newFixture(t *testing.T, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	s := newServer(t, teststores.SQLite(t), wrap)
	src := s.createApp(t, appID, map[string]any{"adminEmail": "a@example.com", "allowAttestation": true})
	f := &fixture{src: src, auths: map[string]*softauthn.Authenticator{}}
	for _, u := range []string{"u1", "u2", "u3", "u3b"} {
		f.auths[u] = softauthn.New()
	}
	f.auths["u2"].BackupEligible, f.auths["u2"].BackupState = true, true
	src.register(f.auths["u1"], "u1", []string{"alice@example.com"}, false)
	src.register(f.auths["u2"], "u2", []string{"bob@example.com"}, true)
	src.register(f.auths["u3"], "u3", nil, false)
	src.register(f.auths["u3b"], "u3", nil, false)
	src.mustPrivate("POST", "/alias", map[string]any{"userId": "u4", "aliases": []string{"carol"}}, nil)
	for range 3 {
		if status, _ := src.signIn(f.auths["u1"], map[string]any{"userId": "u1"}); status != 200 {
			t.Fatalf("sign-in on the source: %d", status)
		}
	}
	src.mustPrivate("POST", "/auth-configs/add", map[string]any{"purpose": "admin", "userVerificationRequirement": "required",
		"timeToLive": "00:05:00", "performedBy": "ops"}, nil)
	ctx := t.Context()
	if err := s.store.PutAuthenticators(ctx, appID, []string{allowedAAGUID}, true, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.store.PutAuthenticators(ctx, appID, []string{blockedAAGUID}, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestImportThenSignInOnTarget(t *testing.T) {
	for name, open := range bothTargets() {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil)
			target := newServer(t, open(t), nil)
			sum, out, progress, err := runImport(t.Context(), t, f.src, target.store, nil)
			if err != nil {
				t.Fatalf("import: %v\n%s", err, out)
			}
			want := apimigrate.Summary{AppID: appID, Complete: true, Users: 4, Credentials: 4, Aliases: 3, Purposes: 2, Authenticators: 2}
			if got := *sum; got.AppID != want.AppID || !got.Complete || got.Users != want.Users || got.Credentials != want.Credentials ||
				got.Aliases != want.Aliases || got.Purposes != want.Purposes || got.Authenticators != want.Authenticators ||
				len(got.Failed)+len(got.NotFound) != 0 {
				t.Errorf("summary %+v, want %+v", got, want)
			}
			contains(t, "progress", progress, "progress: users 4/4 100%  credentials 4")
			sum.Print(&bytes.Buffer{})

			// Every credential as on the source: key, counter, flags, dates.
			ctx := t.Context()
			for _, u := range []string{"u1", "u2", "u3"} {
				s, err1 := f.src.s.store.ListCredentials(ctx, appID, u)
				d, err2 := target.store.ListCredentials(ctx, appID, u)
				if err := errors.Join(err1, err2); err != nil {
					t.Fatal(err)
				}
				if len(s) != len(d) || len(s) == 0 {
					t.Fatalf("%s: %d credentials on the target, %d on the source", u, len(d), len(s))
				}
				for i := range s {
					a, b := s[i], d[i]
					if !bytes.Equal(a.ID, b.ID) || !bytes.Equal(a.PublicKey, b.PublicKey) || a.SignCount != b.SignCount ||
						a.BackupEligible != b.BackupEligible || a.BackupState != b.BackupState || !a.CreatedAt.Equal(b.CreatedAt) ||
						!a.LastUsedAt.Equal(b.LastUsedAt) || !bytes.Equal(a.UserHandle, b.UserHandle) || a.RPID != b.RPID ||
						a.Nickname != b.Nickname || !bytes.Equal(a.AAGUID, b.AAGUID) || *a.Discoverable != *b.Discoverable {
						t.Errorf("%s: credential differs:\nsource %+v\ntarget %+v", u, a, b)
					}
				}
			}
			if c, _ := target.store.ListCredentials(ctx, appID, "u1"); c[0].SignCount != 3 {
				t.Errorf("u1's counter on the target is %d, want 3", c[0].SignCount)
			}
			if c, _ := target.store.ListCredentials(ctx, appID, "u2"); !c[0].BackupEligible || !c[0].BackupState {
				t.Error("u2's backup flags were not kept")
			}

			tgt := imported(t, target, appID, out)
			signIns := []struct {
				name  string
				auth  string
				begin map[string]any
				opts  []softauthn.GetOption
				user  string
			}{
				{"hashed alias", "u1", map[string]any{"alias": "alice@example.com"}, nil, "u1"},
				{"plaintext alias", "u2", map[string]any{"alias": "bob@example.com"}, nil, "u2"},
				{"user id", "u1", map[string]any{"userId": "u1"}, nil, "u1"},
				{"discoverable", "u3", map[string]any{}, []softauthn.GetOption{softauthn.WithUserHandle()}, "u3"},
				{"second passkey", "u3b", map[string]any{"userId": "u3"}, nil, "u3"},
			}
			for _, s := range signIns {
				status, v := tgt.signIn(f.auths[s.auth], s.begin, s.opts...)
				if status != 200 || v["userId"] != s.user || v["success"] != true {
					t.Errorf("sign-in by %s on the target: %d %v", s.name, status, v)
				}
			}
			// The purpose came along.
			if _, v := tgt.signIn(f.auths["u1"], map[string]any{"userId": "u1", "purpose": "admin"}); v["purpose"] != "admin" {
				t.Errorf("sign-in for purpose admin: token purpose %v", v["purpose"])
			}
			// The counter came along: an assertion with an old counter is a clone.
			if status, _ := tgt.signIn(f.auths["u1"], map[string]any{"userId": "u1"}, softauthn.WithSignCount(2)); status != 400 {
				t.Errorf("sign-in with a counter below the copied one: %d, want 400", status)
			}

			var aliases struct {
				Values []struct{ Alias, Plaintext *string }
			}
			tgt.mustPrivate("GET", "/alias/list?userId=u2", nil, &aliases)
			if len(aliases.Values) != 1 || aliases.Values[0].Plaintext == nil || *aliases.Values[0].Plaintext != "bob@example.com" {
				t.Errorf("u2's aliases on the target: %+v", aliases.Values)
			}
			if owner, err := target.store.AliasOwner(ctx, appID, *mustAlias(t, f.src, "u4")); err != nil || owner != "u4" {
				t.Errorf("u4's alias on the target: %q %v", owner, err)
			}
			for allowed, want := range map[bool]string{true: allowedAAGUID, false: blockedAAGUID} {
				list, err := target.store.ListAuthenticators(ctx, appID, allowed)
				if err != nil || len(list) != 1 || list[0].AAGUID != want {
					t.Errorf("authenticators (allowed %v) on the target: %+v %v", allowed, list, err)
				}
			}
			keys, err := target.store.ListAPIKeys(ctx, appID)
			if err != nil || len(keys) != 4 || slices.ContainsFunc(keys, func(k store.APIKey) bool { return k.Locked }) {
				t.Errorf("target keys: %+v %v, want 4 unlocked", keys, err)
			}
			// The source's secret is not one of the app's keys on the target.
			if status, _ := target.do(t, "GET", "/users/count", http.Header{"ApiSecret": {f.src.secret}}, nil); status != 401 {
				t.Errorf("source secret on the target: %d, want 401", status)
			}

			// A second run finds a complete app and refuses it.
			_, _, _, err = runImport(ctx, t, f.src, target.store, nil)
			if !errors.Is(err, transfer.ErrAppExists) {
				t.Errorf("second run: %v, want ErrAppExists", err)
			}
		})
	}
}

func mustAlias(t *testing.T, a *app, user string) *string {
	t.Helper()
	var list struct{ Values []struct{ Alias *string } }
	a.mustPrivate("GET", "/alias/list?userId="+user, nil, &list)
	if len(list.Values) != 1 {
		t.Fatalf("%s has %d aliases", user, len(list.Values))
	}
	return list.Values[0].Alias
}

func TestDryRunWritesNothing(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newFixture(t, nil)
		st := open(t)
		for name, target := range map[string]store.Store{"no database": nil, "database": st} {
			t.Run(name, func(t *testing.T) {
				sum, out, _, err := runImport(t.Context(), t, f.src, target, func(o *apimigrate.Options) { o.DryRun = true })
				if err != nil {
					t.Fatal(err)
				}
				if sum.Users != 4 || sum.Credentials != 4 || sum.Aliases != 3 || sum.Purposes != 2 || sum.Authenticators != 2 || sum.Complete {
					t.Errorf("dry-run summary %+v", sum)
				}
				var b bytes.Buffer
				sum.Print(&b)
				contains(t, "output", out+b.String(), "Dry run: nothing is written.", `Would create app "shop"`,
					"Sign-in purposes: 2 (admin, sign-in)", "Authenticators: 1 allowed, 1 blocked", "Would copy", "credentials:       4")
				if strings.Contains(out, "ApiSecret") {
					t.Error("a dry run printed keys")
				}
			})
		}
		if _, err := st.GetApp(t.Context(), appID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after dry runs the app exists in the target (%v)", err)
		}
	})
}

// interruptAfter cancels the run when the source has served n credential
// lists.
func interruptAfter(n int64, cancel *context.CancelFunc) func(http.Handler) http.Handler {
	var served atomic.Int64
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if strings.EqualFold(r.URL.Path, "/credentials/list") && served.Add(1) == n && *cancel != nil {
				(*cancel)()
			}
		})
	}
}

func TestResumeAfterInterruption(t *testing.T) {
	for name, open := range bothTargets() {
		t.Run(name, func(t *testing.T) {
			var cancel context.CancelFunc
			f := newFixture(t, interruptAfter(3, &cancel))
			target := newServer(t, open(t), nil)
			ctx, c := context.WithCancel(t.Context())
			cancel = c
			sum, out, _, err := runImport(ctx, t, f.src, target.store, func(o *apimigrate.Options) { o.Concurrency = 1 })
			cancel = nil
			if !errors.Is(err, apimigrate.ErrUnfinished) || sum.Complete {
				t.Fatalf("interrupted run: %v (complete %v), want ErrUnfinished", err, sum.Complete)
			}
			contains(t, "error", err.Error(), "interrupted", "run the same command again")
			first := imported(t, target, appID, out)
			// The unfinished app cannot be used.
			if status, _ := first.private("GET", "/users/count", nil); status != 401 {
				t.Errorf("the unfinished app's secret: %d, want 401", status)
			}
			copied, _ := target.store.CountCredentials(t.Context(), appID)
			if copied == 0 || copied == 4 {
				t.Fatalf("%d credentials copied before the interruption; the test wants a part", copied)
			}

			// The source changes meanwhile: u1 signs in and drops its alias.
			f.src.signIn(f.auths["u1"], map[string]any{"userId": "u1"})
			f.src.mustPrivate("POST", "/alias", map[string]any{"userId": "u1", "aliases": []string{}}, nil)

			sum, out2, _, err := runImport(t.Context(), t, f.src, target.store, nil)
			if err != nil || !sum.Complete || !sum.Resumed {
				t.Fatalf("resumed run: %v %+v\n%s", err, sum, out2)
			}
			if strings.Contains(out2, "ApiSecret") {
				t.Error("the resumed run printed new keys")
			}
			if sum.CredentialsAlreadyThere == 0 || sum.Credentials+sum.CredentialsAlreadyThere != 4 {
				t.Errorf("resumed run: %d credentials written, %d already there; want 4 in all, some already there",
					sum.Credentials, sum.CredentialsAlreadyThere)
			}
			if n, _ := target.store.CountCredentials(t.Context(), appID); n != 4 {
				t.Errorf("%d credentials on the target, want 4", n)
			}
			s, _ := f.src.s.store.ListCredentials(t.Context(), appID, "u1")
			d, _ := target.store.ListCredentials(t.Context(), appID, "u1")
			if len(d) != 1 || d[0].SignCount != s[0].SignCount || s[0].SignCount != 4 {
				t.Errorf("u1's counter: target %+v, source %d", d, s[0].SignCount)
			}
			if a, _ := target.store.ListAliases(t.Context(), appID, "u1"); len(a) != 0 {
				t.Errorf("u1's aliases on the target: %+v, want none as on the source", a)
			}
			// The keys printed by the first run work now.
			if status, v := first.signIn(f.auths["u2"], map[string]any{"alias": "bob@example.com"}); status != 200 || v["userId"] != "u2" {
				t.Errorf("sign-in with the first run's keys: %d %v", status, v)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		f := newFixture(t, nil)
		ctx := t.Context()

		t.Run("app exists", func(t *testing.T) {
			target := newServer(t, open(t), nil)
			target.createApp(t, appID, nil)
			_, _, _, err := runImport(ctx, t, f.src, target.store, nil)
			if !errors.Is(err, transfer.ErrAppExists) {
				t.Fatalf("err %v, want ErrAppExists", err)
			}
			contains(t, "error", err.Error(), "refusing to merge")
			if n, _ := target.store.CountCredentials(ctx, appID); n != 0 {
				t.Errorf("%d credentials written into the existing app", n)
			}
		})

		t.Run("unfinished from another source", func(t *testing.T) {
			var cancel context.CancelFunc
			g := newFixture(t, interruptAfter(1, &cancel))
			target := open(t)
			runCtx, c := context.WithCancel(ctx)
			cancel = c
			if _, _, _, err := runImport(runCtx, t, g.src, target, func(o *apimigrate.Options) { o.Concurrency = 1 }); !errors.Is(err, apimigrate.ErrUnfinished) {
				t.Fatalf("first run: %v", err)
			}
			cancel = nil
			other := *g.src
			other.s = &server{url: strings.Replace(g.src.s.url, "127.0.0.1", "localhost", 1), store: g.src.s.store, http: g.src.s.http}
			_, _, _, err := runImport(ctx, t, &other, target, nil)
			if !errors.Is(err, transfer.ErrAppExists) {
				t.Fatalf("err %v, want ErrAppExists", err)
			}
			contains(t, "error", err.Error(), "unfinished import from "+g.src.s.url)
		})
	})
}

// flaky answers each path's first tries with failures of the kinds a
// source may have before serving it.
func flaky(failures ...func(w http.ResponseWriter, r *http.Request)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		var mu = make(chan struct{}, 1)
		seen := map[string]int{}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu <- struct{}{}
			key := r.URL.Path + "?" + r.URL.RawQuery
			n := seen[key]
			seen[key]++
			<-mu
			if n < len(failures) {
				failures[n](w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func status(code int, retryAfter string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":%d,"title":"try later"}`, code)
	}
}

func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// TestRetries imports into SQLite only: what it tests is how the source's
// failures are retried, mostly waiting out timeouts and Retry-After, and
// the target's store plays no part (full imports run on both stores in
// TestImportThenSignInOnTarget).
func TestRetries(t *testing.T) {
	// The source's handler is replaced per subtest, after the fixture
	// registered its users.
	var base http.Handler
	var current atomic.Value
	current.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { base.ServeHTTP(w, r) }))
	f := newFixture(t, func(h http.Handler) http.Handler {
		base = h
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().(http.Handler).ServeHTTP(w, r) })
	})
	setWrap := func(wrap func(http.Handler) http.Handler) { current.Store(wrap(base)) }
	ctx := t.Context()

	t.Run("503, 429 and a timeout, then success", func(t *testing.T) {
		setWrap(flaky(status(503, ""), status(429, "0"), hang))
		target := teststores.SQLite(t)
		sum, _, progress, err := runImport(ctx, t, f.src, target, func(o *apimigrate.Options) { o.RequestTimeout = 300 * time.Millisecond })
		if err != nil || !sum.Complete || sum.Credentials != 4 {
			t.Fatalf("import through a flaky source: %v %+v", err, sum)
		}
		contains(t, "progress", progress, "retrying GET /users/list", "HTTP 503", "retries ")
	})

	t.Run("Retry-After is honoured", func(t *testing.T) {
		var times []time.Time
		setWrap(func(h http.Handler) http.Handler {
			once := flaky(status(429, "1"))(h)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/users/list" {
					h.ServeHTTP(w, r)
					return
				}
				times = append(times, time.Now())
				once.ServeHTTP(w, r)
			})
		})
		sum, _, _, err := runImport(ctx, t, f.src, nil, func(o *apimigrate.Options) { o.DryRun = true; o.Concurrency = 1 })
		if err != nil || sum.Credentials != 4 {
			t.Fatalf("%v %+v", err, sum)
		}
		if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
			t.Errorf("retried %v after a Retry-After of 1 s", gap)
		}
	})

	t.Run("gives up", func(t *testing.T) {
		setWrap(func(http.Handler) http.Handler { return http.HandlerFunc(status(502, "")) })
		target := teststores.SQLite(t)
		_, _, _, err := runImport(ctx, t, f.src, target, nil)
		var re *apimigrate.RequestError
		if !errors.As(err, &re) || re.Status != 502 {
			t.Fatalf("err %v, want a RequestError with status 502", err)
		}
		contains(t, "error", err.Error(), "GET /users/list", "gave up after 4 tries")
		if _, err := target.GetApp(ctx, appID); !errors.Is(err, store.ErrNotFound) {
			t.Error("the app was created although the source failed")
		}
	})
}
