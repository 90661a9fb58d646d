package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/ratelimit"
)

// CacheConfig is the result cache and rate limit part of Config.
type CacheConfig struct {
	CacheEnabled     bool
	CacheTTL         time.Duration
	CacheMaxRows     int64
	CacheMemoryMB    int
	CacheNearMB      int
	CacheNearTTL     time.Duration
	RedisTimeout     time.Duration
	RedisPrefix      string
	RateLimitEnabled bool
	RateLimitQuery   ratelimit.Rate
	RateLimitOData   ratelimit.Rate
	RateLimitPG      ratelimit.Rate
}

func (c *Config) cacheSettings() []Setting {
	boolean := func(p *bool) func(string) error {
		return func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("must be true or false, got %q", v)
			}
			*p = b
			return nil
		}
	}
	count := func(set func(int64), least int64) func(string) error {
		return func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < least {
				return fmt.Errorf("must be an integer of at least %d, got %q", least, v)
			}
			set(n)
			return nil
		}
	}
	rate := func(p *ratelimit.Rate) func(string) error {
		return func(v string) error {
			r, err := ratelimit.ParseRate(v)
			if err != nil {
				return err
			}
			*p = r
			return nil
		}
	}
	return []Setting{
		{"cache-enabled", "CACHE_ENABLED", "true", "cache query results (in process, or in Redis with REDIS_URL)", boolean(&c.CacheEnabled)},
		{"cache-ttl-seconds", "CACHE_TTL_SECONDS", "60", "how long a cached result is served; a dataset's cache.ttlSeconds overrides it", count(func(n int64) { c.CacheTTL = time.Duration(n) * time.Second }, 1)},
		{"cache-max-rows", "CACHE_MAX_ROWS", "10000", "largest result cached; larger ones stream through uncached", count(func(n int64) { c.CacheMaxRows = n }, 1)},
		{"cache-memory-mb", "SETU_CACHE_MEMORY_MB", "64", "size of the in-process result cache used without REDIS_URL", count(func(n int64) { c.CacheMemoryMB = int(n) }, 1)},
		{"cache-near-mb", "SETU_CACHE_NEAR_MB", "0", "size of an in-process near cache in front of Redis (0: none)", count(func(n int64) { c.CacheNearMB = int(n) }, 0)},
		{"cache-near-ttl-seconds", "SETU_CACHE_NEAR_TTL_SECONDS", "5", "longest a near-cache entry lives (a purge reaches other replicas' near caches within it)", count(func(n int64) { c.CacheNearTTL = time.Duration(n) * time.Second }, 1)},
		{"redis-timeout-ms", "SETU_REDIS_TIMEOUT_MS", "50", "bound of every Redis call; past it the query runs uncached", count(func(n int64) { c.RedisTimeout = time.Duration(n) * time.Millisecond }, 1)},
		{"redis-prefix", "SETU_REDIS_PREFIX", rediscache.DefaultPrefix, "prefix of every Redis key the gateway writes", func(v string) error { c.RedisPrefix = v; return nil }},
		{"rate-limit-enabled", "RATE_LIMIT_ENABLED", "true", "limit queries per API key (RATE_LIMIT_QUERY, RATE_LIMIT_ODATA, SETU_RATE_LIMIT_PGWIRE)", boolean(&c.RateLimitEnabled)},
		{"rate-limit-query", "RATE_LIMIT_QUERY", ratelimit.DefaultQueryRate, "/v1/query requests per API key: N/second, N/minute or N/hour", rate(&c.RateLimitQuery)},
		{"rate-limit-odata", "RATE_LIMIT_ODATA", ratelimit.DefaultODataRate, "OData requests per API key, a feed's nextLink pages counted once: N/second, N/minute or N/hour", rate(&c.RateLimitOData)},
		{"rate-limit-pgwire", "SETU_RATE_LIMIT_PGWIRE", ratelimit.DefaultPGRate, "pg wire queries per API key that reach an engine (cache hits are free): N/second, N/minute or N/hour", rate(&c.RateLimitPG)},
	}
}

// gatewayCache is the serving process's result cache, rate limiter and Redis client.
type gatewayCache struct {
	// Cache is nil when CACHE_ENABLED=false.
	Cache *engine.ResultCache
	// Limiter is nil when RATE_LIMIT_ENABLED=false.
	Limiter *ratelimit.Limiter
	redis   *rediscache.Client
}

// openCache builds the cache and limiter. It fails only on a bad REDIS_URL: an unreachable Redis
// is a warning, and queries run uncached (and limits apply per process) until it answers.
func openCache(ctx context.Context, cfg Config, log *slog.Logger) (*gatewayCache, error) {
	g := &gatewayCache{}
	var store engine.CacheStore = engine.NewMemoryStore(int64(cfg.CacheMemoryMB) << 20)
	if cfg.RedisURL != "" {
		rc, err := rediscache.Open(rediscache.Config{URL: string(cfg.RedisURL), Timeout: cfg.RedisTimeout, Prefix: cfg.RedisPrefix})
		if err != nil {
			return nil, err
		}
		g.redis = rc
		if err := rc.Ping(ctx); err != nil {
			log.Warn("Redis does not answer; results are not cached and rate limits apply per process until it does", "redis", rc.String(), "err", err.Error())
		} else {
			log.Info("result cache and rate limits in Redis", "redis", rc.String(), "prefix", rc.Prefix())
		}
		store = rc
		if cfg.CacheNearMB > 0 {
			store = &engine.TieredStore{Near: engine.NewMemoryStore(int64(cfg.CacheNearMB) << 20), Far: rc, NearTTL: cfg.CacheNearTTL}
		}
	} else if cfg.Production() {
		log.Warn("no REDIS_URL: the result cache and rate limits are per process, not shared between replicas")
	}
	if cfg.CacheEnabled {
		g.Cache = engine.NewResultCache(engine.CacheConfig{Store: store, TTL: cfg.CacheTTL, MaxRows: cfg.CacheMaxRows, Log: log})
	}
	if cfg.RateLimitEnabled {
		lc := ratelimit.Config{
			Rates: map[string]ratelimit.Rate{ratelimit.ClassQuery: cfg.RateLimitQuery, ratelimit.ClassOData: cfg.RateLimitOData, ratelimit.ClassPG: cfg.RateLimitPG},
			Log:   log,
		}
		if g.redis != nil {
			lc.Redis, lc.Prefix, lc.Timeout = g.redis.Redis(), g.redis.Prefix(), g.redis.Timeout()
		}
		g.Limiter = ratelimit.New(lc)
	}
	return g, nil
}

// Close releases the Redis pool.
func (g *gatewayCache) Close() error {
	if g != nil && g.redis != nil {
		return g.redis.Close()
	}
	return nil
}

// engineCache is the executor's cache (nil: none).
func (g *gatewayCache) engineCache() *engine.ResultCache { return g.Cache }

// rateLimiter is admission's rate limiter; a nil interface when limits are off.
func (g *gatewayCache) rateLimiter() admission.RateLimiter {
	if g.Limiter == nil {
		return nil
	}
	return g.Limiter
}

// Purge deletes cached results that read dataset ("" = all); it is what the admin endpoint
// calls. With the in-process cache it empties this process's cache.
func (g *gatewayCache) Purge(ctx context.Context, dataset string) (int64, error) {
	if g.Cache == nil {
		return 0, nil
	}
	return g.Cache.Purge(ctx, dataset)
}

// Collectors are the cache's and the limiter's metrics.
func (g *gatewayCache) Collectors() []prometheus.Collector {
	var out []prometheus.Collector
	if g.Cache != nil {
		out = append(out, g.Cache.Collectors()...)
	}
	if g.Limiter != nil {
		out = append(out, g.Limiter.Collectors()...)
	}
	return out
}
