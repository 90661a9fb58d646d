package gateway

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/httpapi"
	"github.com/setupranali/setupranali/metrics"
)

// redisSampleInterval is how often Redis is pinged and its INFO memory read for /v1/health and
// the metrics: health answers from the last sample and never waits on Redis.
const redisSampleInterval = 10 * time.Second

// SetRedisLogger sends the Redis client library's own lines (failed dials, ...) to log rather
// than raw to stderr. It is process-wide, so the program sets it once, before Start.
func SetRedisLogger(log *slog.Logger) { rediscache.SetLogger(log) }

// wireHTTP connects the result cache and rate limiter to the HTTP server: the cache section of
// /v1/health and /internal/status, and the purge endpoint (httpapi.CachePurger: Purge). (The rate limits are applied by the
// admission point.) It returns the Redis sampler, nil without Redis. Redis is not a readiness
// check: without it queries are answered uncached (see dependencyChecks).
func (g *gatewayCache) wireHTTP(hcfg *httpapi.Config, log *slog.Logger) *redisSampler {
	var sampler *redisSampler
	if g.redis != nil {
		sampler = newRedisSampler(g.redis, log)
	}
	hcfg.Cache = func(context.Context) map[string]any {
		out := map[string]any{
			"enabled":          g.Cache != nil,
			"backend":          "memory",
			"redis_configured": g.redis != nil,
			"redis_available":  false,
		}
		if g.redis != nil {
			out["backend"] = "redis"
			out["redis_available"] = sampler.available()
		}
		if g.Cache != nil {
			st := g.Cache.Stats()
			out["hits"], out["misses"], out["shared"], out["bypasses"], out["store_errors"] = st.Hits, st.Misses, st.Shared, st.Bypasses, st.StoreErrors
		}
		return out
	}
	status := hcfg.Status
	hcfg.Status = func(ctx context.Context) map[string]any {
		out := map[string]any{}
		if status != nil {
			out = status(ctx)
		}
		out["cache"] = hcfg.Cache(ctx)
		rl := map[string]any{"enabled": g.Limiter != nil}
		if g.Limiter != nil {
			st := g.Limiter.Stats()
			rl["rejections"], rl["store_errors"] = st.Rejections, st.StoreErrors
		}
		out["rate_limiting"] = rl
		return out
	}
	if g.Cache != nil {
		hcfg.CachePurge = g
	}
	return sampler
}

// redisSampler pings Redis and reads its memory use on an interval.
type redisSampler struct {
	client *rediscache.Client
	log    *slog.Logger
	up     atomic.Bool

	upGauge  prometheus.Gauge
	memory   prometheus.Gauge
	failures prometheus.Counter

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func newRedisSampler(c *rediscache.Client, log *slog.Logger) *redisSampler {
	return &redisSampler{
		client: c, log: log,
		upGauge: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metrics.Namespace, Name: "redis_up",
			Help: "1 when the last Redis sample answered, else 0."}),
		memory: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: metrics.Namespace, Name: "redis_used_memory_bytes",
			Help: "Redis used_memory from INFO memory, sampled."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "redis_sample_errors_total",
			Help: "Redis samples (PING, INFO) that failed."}),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
}

func (s *redisSampler) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.upGauge, s.memory, s.failures}
}

func (s *redisSampler) available() bool { return s != nil && s.up.Load() }

// start samples at once, then every interval until Close.
func (s *redisSampler) start(interval time.Duration) {
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (s *redisSampler) sample() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.client.Ping(ctx)
	var mem int64
	if err == nil {
		var info string
		info, err = s.client.Redis().Info(ctx, "memory").Result()
		if err == nil {
			mem, err = usedMemory(info)
		}
	}
	if err != nil {
		if s.up.Swap(false) {
			s.log.Warn("Redis sample failed", "err", err.Error())
		}
		s.failures.Inc()
		s.upGauge.Set(0)
		return
	}
	s.up.Store(true)
	s.upGauge.Set(1)
	s.memory.Set(float64(mem))
}

// usedMemory reads used_memory from INFO memory's text.
func usedMemory(info string) (int64, error) {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}

// Close stops sampling and waits for the sampler; start must have been called.
func (s *redisSampler) Close() {
	if s == nil {
		return
	}
	s.once.Do(func() { close(s.stop) })
	// A sample is bounded by its own timeout, so this wait is short.
	<-s.done
}
