package authconfig_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/authconfig"
	"github.com/passwordless-oss/server/internal/store"
	"github.com/passwordless-oss/server/internal/store/teststores"
	"github.com/passwordless-oss/server/internal/wire"
)

// countingStore counts the configuration reads that reach the store.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	reads int
}

func (c *countingStore) GetAuthConfig(ctx context.Context, appID, purpose string) (store.AuthConfig, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Store.GetAuthConfig(ctx, appID, purpose)
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func editTTL(t *testing.T, svc *authconfig.Service, appID, purpose string, ttl int) {
	t.Helper()
	err := svc.Edit(context.Background(), appID, authconfig.Request{
		Purpose: wire.String(purpose), TimeToLive: []byte(strconv.Itoa(ttl)), PerformedBy: "admin"})
	if err != nil {
		t.Fatalf("edit %s: %v", purpose, err)
	}
}

func resolveTTL(t *testing.T, svc *authconfig.Service, appID, purpose string) time.Duration {
	t.Helper()
	c, err := svc.Resolve(context.Background(), appID, purpose)
	if err != nil {
		t.Fatalf("resolve %s: %v", purpose, err)
	}
	return c.TTL
}

// TestResolveIsCachedWithinTheBound: repeated sign-ins read a purpose's
// configuration from the store once per CacheTTL; a change made through the
// same Service applies at once, and one made through another Service (another
// instance on the same database) applies within CacheTTL.
func TestResolveIsCachedWithinTheBound(t *testing.T) {
	for name, open := range teststores.Both {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := &countingStore{Store: open(t)}
			if err := st.CreateApp(ctx, store.App{ID: "app1", CreatedAt: time.Now()}, nil); err != nil {
				t.Fatal(err)
			}
			clk := &clock{t: time.Now()}
			here := authconfig.New(st, clk.now)
			there := authconfig.New(st, clk.now)

			for range 5 {
				if got := resolveTTL(t, here, "app1", authconfig.StepUp); got != 120*time.Second {
					t.Fatalf("preset TTL = %v", got)
				}
			}
			if n := st.count(); n != 1 {
				t.Fatalf("5 resolutions read the store %d times, want 1", n)
			}

			editTTL(t, here, "app1", authconfig.StepUp, 300)
			if got := resolveTTL(t, here, "app1", authconfig.StepUp); got != 300*time.Second {
				t.Fatalf("after an edit through this instance TTL = %v, want 300s at once", got)
			}

			// The other instance cached the preset before the edit.
			_ = resolveTTL(t, there, "app1", authconfig.StepUp)
			editTTL(t, here, "app1", authconfig.StepUp, 600)
			if got := resolveTTL(t, there, "app1", authconfig.StepUp); got != 300*time.Second {
				t.Fatalf("other instance within the bound: TTL = %v, want its cached 300s", got)
			}
			clk.add(authconfig.CacheTTL)
			if got := resolveTTL(t, there, "app1", authconfig.StepUp); got != 600*time.Second {
				t.Fatalf("other instance after CacheTTL: TTL = %v, want 600s", got)
			}

			// A purpose added on another instance replaces the cached
			// fallback to sign-in within the bound.
			if got, _ := here.Resolve(ctx, "app1", "custom"); got.Purpose != authconfig.SignIn {
				t.Fatalf("unknown purpose resolved to %q", got.Purpose)
			}
			if err := there.Add(ctx, "app1", authconfig.Request{Purpose: "custom", TimeToLive: []byte("42"), PerformedBy: "admin"}); err != nil {
				t.Fatal(err)
			}
			clk.add(authconfig.CacheTTL)
			if got, _ := here.Resolve(ctx, "app1", "custom"); got.Purpose != "custom" || got.TTL != 42*time.Second {
				t.Fatalf("added purpose after CacheTTL: %+v", got)
			}

			// A deletion through this instance applies at once.
			if err := here.Delete(ctx, "app1", authconfig.DeleteRequest{Purpose: "custom", PerformedBy: "admin"}); err != nil {
				t.Fatal(err)
			}
			if got, _ := here.Resolve(ctx, "app1", "custom"); got.Purpose != authconfig.SignIn {
				t.Fatalf("deleted purpose still resolves to %q", got.Purpose)
			}
		})
	}
}

// TestTouchShowsInTheNextList: lastUsedOn, written by Touch, is not hidden
// by the cache on the instance that wrote it.
func TestTouchShowsInTheNextList(t *testing.T) {
	for name, open := range teststores.Both {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			if err := st.CreateApp(ctx, store.App{ID: "app1", CreatedAt: time.Now()}, nil); err != nil {
				t.Fatal(err)
			}
			svc := authconfig.New(st, nil)
			purpose := authconfig.SignIn
			if _, err := svc.Resolve(ctx, "app1", purpose); err != nil {
				t.Fatal(err)
			}
			if err := svc.Touch(ctx, "app1", purpose); err != nil {
				t.Fatal(err)
			}
			res, err := svc.List(ctx, "app1", &purpose)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Configurations) != 1 || res.Configurations[0].LastUsedOn == nil {
				t.Fatalf("list after a sign-in: %+v, want lastUsedOn set", res.Configurations)
			}
		})
	}
}
