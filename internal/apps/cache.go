package apps

import (
	"crypto/sha256"
	"sync"
	"time"
)

// principalCache remembers successful authentications for a few seconds,
// so the hot path (every browser and backend call) does not read the key
// and the app from the database each time. Entries are keyed by a hash of
// the presented key, so the cache holds no secret. Changes made through
// this instance drop the app's entries at once; changes made by another
// instance are seen after at most the TTL (see README).
type principalCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[[32]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p       Principal
	expires time.Time
}

func newPrincipalCache(ttl time.Duration, max int) *principalCache {
	return &principalCache{ttl: ttl, max: max, entries: map[[32]byte]cachedPrincipal{}}
}

func cacheKey(kind int, value string) [32]byte {
	h := sha256.New()
	h.Write([]byte{byte(kind)})
	h.Write([]byte(value))
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func (c *principalCache) get(k [32]byte, now time.Time) (Principal, bool) {
	if c == nil || c.ttl <= 0 {
		return Principal{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.After(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *principalCache) put(k [32]byte, p Principal, now time.Time) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries) // rare; bounded memory matters more than hit rate
	}
	c.entries[k] = cachedPrincipal{p: p, expires: now.Add(c.ttl)}
}

// forget drops every entry of the app.
func (c *principalCache) forget(appID string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.p.App.ID == appID {
			delete(c.entries, k)
		}
	}
}
