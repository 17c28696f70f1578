package apps

import (
	"testing"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

func principalOf(appID string) Principal { return Principal{App: store.App{ID: appID}} }

// TestPrincipalCache covers what the authentication cache promises: an
// entry is served until its TTL has passed and not after, a TTL of zero or
// a nil cache caches nothing, forget drops exactly the app's entries, and
// the size bound clears the cache only once it is full.
func TestPrincipalCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := cacheKey(0, "a"), cacheKey(0, "b")

	c := newPrincipalCache(5*time.Second, 10)
	if _, ok := c.get(a, now); ok {
		t.Fatal("an empty cache served an entry")
	}
	c.put(a, principalOf("app1"), now)
	if p, ok := c.get(a, now.Add(5*time.Second)); !ok || p.App.ID != "app1" {
		t.Fatalf("at the TTL: %+v, %v; want the entry", p, ok)
	}
	if _, ok := c.get(a, now.Add(5*time.Second+time.Nanosecond)); ok {
		t.Fatal("an expired entry was served")
	}
	if cacheKey(0, "a") == cacheKey(1, "a") {
		t.Fatal("the key kind is not part of the cache key")
	}

	for _, off := range []*principalCache{newPrincipalCache(0, 10), nil} {
		off.put(a, principalOf("app1"), now)
		if _, ok := off.get(a, now); ok {
			t.Fatalf("cache %v (disabled) served an entry", off)
		}
		off.forget("app1")
	}

	c = newPrincipalCache(time.Minute, 10)
	c.put(a, principalOf("app1"), now)
	c.put(b, principalOf("app2"), now)
	c.forget("app1")
	if _, ok := c.get(a, now); ok {
		t.Fatal("forget kept the app's entry")
	}
	if _, ok := c.get(b, now); !ok {
		t.Fatal("forget dropped another app's entry")
	}

	c = newPrincipalCache(time.Minute, 2)
	c.put(a, principalOf("app1"), now)
	c.put(b, principalOf("app1"), now)
	if _, ok := c.get(a, now); !ok {
		t.Fatal("the cache was cleared before it was full")
	}
	third := cacheKey(0, "c")
	c.put(third, principalOf("app1"), now)
	if _, ok := c.get(a, now); ok {
		t.Fatal("a full cache was not cleared")
	}
	if _, ok := c.get(third, now); !ok {
		t.Fatal("the entry that found the cache full was not kept")
	}
}
