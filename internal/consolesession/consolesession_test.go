package consolesession_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/passwordless-oss/server/internal/consolesession"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// countingStore counts the session writes a request causes.
type countingStore struct {
	consolesession.Store
	mu      sync.Mutex
	touches int
}

func (s *countingStore) TouchConsoleSession(ctx context.Context, id string, seen, exp time.Time) error {
	s.mu.Lock()
	s.touches++
	s.mu.Unlock()
	return s.Store.TouchConsoleSession(ctx, id, seen, exp)
}

func newManager(t *testing.T, st store.Store) (*consolesession.Manager, *countingStore, *clock) {
	clk := &clock{t: time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)}
	cs := &countingStore{Store: st}
	return consolesession.New(cs, time.Hour, 3*time.Hour, clk.Now), cs, clk
}

func TestLifecycle(t *testing.T) {
	for name, open := range teststores.Both {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			m, cs, clk := newManager(t, open(t))
			secret, err := m.Start(ctx, "admin-1", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.Check(ctx, secret)
			if err != nil || s.UserID != "admin-1" || s.Handle != consolesession.Handle(secret) || s.Address != "192.0.2.1" {
				t.Fatalf("check: %+v %v", s, err)
			}
			// Requests within TouchEvery of the last recorded one write
			// nothing.
			for range 5 {
				clk.Advance(consolesession.TouchEvery / 10)
				if _, err := m.Check(ctx, secret); err != nil {
					t.Fatal(err)
				}
			}
			if cs.touches != 0 {
				t.Fatalf("%d writes within a minute", cs.touches)
			}
			clk.Advance(consolesession.TouchEvery)
			s, err = m.Check(ctx, secret)
			if err != nil || cs.touches != 1 || !s.LastSeenAt.Equal(clk.Now()) {
				t.Fatalf("after a minute: %+v %v, %d writes", s, err, cs.touches)
			}
			// Used every 50 minutes, it stays alive up to its maximum age.
			for clk.Now().Before(s.CreatedAt.Add(3*time.Hour - 50*time.Minute)) {
				clk.Advance(50 * time.Minute)
				if _, err := m.Check(ctx, secret); err != nil {
					t.Fatalf("at %s: %v", clk.Now().Sub(s.CreatedAt), err)
				}
			}
			clk.Advance(50 * time.Minute)
			if _, err := m.Check(ctx, secret); !errors.Is(err, consolesession.ErrEnded) {
				t.Fatalf("past the maximum age: %v", err)
			}
		})
	}
}

func TestIdleAndEnd(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		m, _, clk := newManager(t, open(t))
		a, _ := m.Start(ctx, "admin-1", "ua-a", "192.0.2.1")
		clk.Advance(time.Second)
		b, _ := m.Start(ctx, "admin-1", "ua-b", "192.0.2.2")
		other, _ := m.Start(ctx, "admin-2", "ua-c", "192.0.2.3")
		list, err := m.List(ctx, "admin-1")
		if err != nil || len(list) != 2 || list[0].Handle != consolesession.Handle(b) {
			t.Fatalf("list: %+v %v", list, err)
		}
		// Nobody ends another administrator's session by its handle.
		if err := m.End(ctx, "admin-1", consolesession.Handle(other)); !errors.Is(err, consolesession.ErrEnded) {
			t.Fatalf("ending another's session: %v", err)
		}
		if err := m.End(ctx, "admin-1", consolesession.Handle(a)); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Check(ctx, a); !errors.Is(err, consolesession.ErrEnded) {
			t.Fatalf("ended session: %v", err)
		}
		if err := m.EndAll(ctx, "admin-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Check(ctx, b); !errors.Is(err, consolesession.ErrEnded) {
			t.Fatalf("after sign out everywhere: %v", err)
		}
		if _, err := m.Check(ctx, other); err != nil {
			t.Fatalf("another administrator's session: %v", err)
		}
		clk.Advance(time.Hour)
		if _, err := m.Check(ctx, other); !errors.Is(err, consolesession.ErrEnded) {
			t.Fatalf("idle for an hour: %v", err)
		}
		for _, s := range []string{"", "unknown"} {
			if _, err := m.Check(ctx, s); !errors.Is(err, consolesession.ErrEnded) {
				t.Fatalf("secret %q: %v", s, err)
			}
		}
	})
}

func TestCleanHeaders(t *testing.T) {
	teststores.Each(t, func(t *testing.T, open teststores.Opener) {
		ctx := t.Context()
		m, _, _ := newManager(t, open(t))
		long := strings.Repeat("x", 600)
		secret, err := m.Start(ctx, "admin-1", "bad \xff\x00 agent"+long+"é", "\x00")
		if err != nil {
			t.Fatalf("a header that is not text: %v", err)
		}
		s, err := m.Check(ctx, secret)
		if err != nil || len(s.UserAgent) > 512 || !strings.HasPrefix(s.UserAgent, "bad \uFFFD agentxx") || !utf8.ValidString(s.UserAgent) {
			t.Fatalf("stored user agent %q: %v", s.UserAgent, err)
		}
	})
}

func TestClientAddress(t *testing.T) {
	for _, tt := range []struct {
		remote, header, value, want string
	}{
		{"192.0.2.1:5000", "", "", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:5000", "", "", "192.0.2.1"},
		{"192.0.2.1:5000", "X-Forwarded-For", "198.51.100.7, 10.0.0.1", "198.51.100.7"},
		{"192.0.2.1:5000", "X-Forwarded-For", "junk", "192.0.2.1"},
		{"192.0.2.1:5000", "", "198.51.100.7", "192.0.2.1"},
	} {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		if tt.value != "" {
			r.Header.Set("X-Forwarded-For", tt.value)
		}
		if got := consolesession.ClientAddress(r, tt.header); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt, got, tt.want)
		}
	}
}
