package authconfig

import (
	"sync"
	"time"

	"github.com/passwordless-oss/server/internal/store"
)

// CacheTTL is how long an instance reuses a configuration it read, and
// so how long a change made through another instance can take to apply
// here: the same bound as for API keys. Changes made through this
// instance apply at once.
const CacheTTL = 5 * time.Second

// configCache remembers stored configurations, and purposes that have
// none, per app and purpose for a few seconds.
type configCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[[2]string]cachedConfig
	// forgets counts calls of forget, so that a read that started before
	// a change is not cached after it.
	forgets uint64
}

type cachedConfig struct {
	c       store.AuthConfig
	found   bool
	expires time.Time
}

func newConfigCache(ttl time.Duration, max int) *configCache {
	return &configCache{ttl: ttl, max: max, entries: map[[2]string]cachedConfig{}}
}

// get returns the cached configuration, whether one is stored, and
// whether the cache knew. On a miss it returns the generation to pass to
// put.
func (c *configCache) get(appID, purpose string, now time.Time) (cfg store.AuthConfig, found, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, hit := c.entries[[2]string{appID, purpose}]
	if !hit || !now.Before(e.expires) {
		return store.AuthConfig{}, false, false, c.forgets
	}
	return e.c, e.found, true, 0
}

// put caches what a read begun at generation gen found, unless a change
// was made meanwhile.
func (c *configCache) put(appID, purpose string, cfg store.AuthConfig, found bool, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.forgets {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries) // rare; bounded memory matters more than hit rate
	}
	c.entries[[2]string{appID, purpose}] = cachedConfig{c: cfg, found: found, expires: now.Add(c.ttl)}
}

func (c *configCache) forget(appID, purpose string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgets++
	delete(c.entries, [2]string{appID, purpose})
}
