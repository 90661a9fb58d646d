package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/setupranali/setupranali/internal/promsum"
	"github.com/setupranali/setupranali/sqlerr"
)

// Classes of queries with their own budgets: HTTP requests of /v1/query, OData feeds, and pg
// wire executions.
const (
	ClassQuery = "query"
	ClassOData = "odata"
	ClassPG    = "pgwire"
)

// Defaults of RATE_LIMIT_QUERY and RATE_LIMIT_ODATA.
const (
	DefaultQueryRate = "60/minute"
	DefaultODataRate = "120/minute"
	// DefaultPGRate is sized for one key standing for a whole BI server (Metabase, Superset,
	// Tableau Server connect with one credential for all their users): twenty uncached
	// queries a second sustained, with a burst as large. Cache hits are not charged.
	DefaultPGRate = "1200/minute"
)

// Rate is N events per period.
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate reads N/second, N/minute or N/hour.
func ParseRate(s string) (Rate, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || err != nil || n < 1 {
		return Rate{}, fmt.Errorf("rate %q: want N/second, N/minute or N/hour with N a positive integer", s)
	}
	var per time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "second":
		per = time.Second
	case "minute":
		per = time.Minute
	case "hour":
		per = time.Hour
	default:
		return Rate{}, fmt.Errorf("rate %q: the period must be second, minute or hour", s)
	}
	return Rate{N: n, Per: per}, nil
}

func (r Rate) String() string {
	unit := map[time.Duration]string{time.Second: "second", time.Minute: "minute", time.Hour: "hour"}[r.Per]
	if unit == "" {
		unit = r.Per.String()
	}
	return fmt.Sprintf("%d/%s", r.N, unit)
}

// interval is the time one event costs.
func (r Rate) interval() time.Duration { return r.Per / time.Duration(r.N) }

// Decision is the limiter's answer for one event.
type Decision struct {
	Allowed bool
	// Limit is the burst (N of the rate), Remaining what is left of it after this event.
	Limit, Remaining int
	// RetryAfter is, when refused, how long until one event is admitted.
	RetryAfter time.Duration
	// Reset is how long until the whole burst is available again.
	Reset time.Duration
	// Rate is the class's rate.
	Rate Rate
}

// Config configures a Limiter.
type Config struct {
	// Rates by class; a class without a rate is not limited.
	Rates map[string]Rate
	// Redis holds the shared state; nil means in-process only.
	Redis redis.UniversalClient
	// Prefix starts the Redis keys (the cache's prefix).
	Prefix string
	// Timeout bounds each Redis call; default 50ms.
	Timeout time.Duration
	// StoreRetry is how long Redis is left alone after it failed; default 1s.
	StoreRetry time.Duration
	Log        *slog.Logger
}

// Limiter admits or refuses events per key and class.
type Limiter struct {
	rates   map[string]Rate
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	retry   time.Duration
	log     *slog.Logger
	local   *local

	downUntil atomic.Int64

	rejections  *prometheus.CounterVec
	storeErrors prometheus.Counter
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 50 * time.Millisecond
	}
	if cfg.StoreRetry <= 0 {
		cfg.StoreRetry = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{
		rates: cfg.Rates, rdb: cfg.Redis, prefix: cfg.Prefix, timeout: cfg.Timeout, retry: cfg.StoreRetry, log: cfg.Log,
		local: &local{tats: map[string]time.Time{}, now: time.Now},
		rejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "setu_rate_limit_rejections_total", Help: "Queries refused by the rate limit, by class.",
		}, []string{"class"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "setu_rate_limit_store_errors_total", Help: "Failed rate-limit calls to Redis; the in-process limiter decided instead.",
		}),
	}
}

// Collectors returns the limiter's metrics for registration.
func (l *Limiter) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.rejections, l.storeErrors}
}

// Stats are the limiter's counters since start.
type Stats struct {
	Rejections, StoreErrors int64
}

// Stats reads the counters (for status pages and tests).
func (l *Limiter) Stats() Stats {
	return Stats{Rejections: promsum.Counter(l.rejections), StoreErrors: promsum.Counter(l.storeErrors)}
}

// Allow charges one event of class to key. A class without a rate is always allowed.
func (l *Limiter) Allow(ctx context.Context, class, key string) Decision {
	rate, ok := l.rates[class]
	if !ok || rate.N <= 0 {
		return Decision{Allowed: true}
	}
	var d Decision
	if l.rdb != nil && l.redisAvailable() {
		var err error
		d, err = l.allowRedis(ctx, class, key, rate)
		if err != nil {
			if ctx.Err() == nil {
				l.redisFailed(err)
			}
			d = l.local.allow(class+"\x00"+key, rate)
		} else if l.downUntil.Load() != 0 && l.downUntil.Swap(0) != 0 {
			l.log.Info("rate limits are shared through Redis again")
		}
	} else {
		d = l.local.allow(class+"\x00"+key, rate)
	}
	d.Rate = rate
	if !d.Allowed {
		l.rejections.WithLabelValues(class).Inc()
	}
	return d
}

// Refusal is a refused event: its message is the 53400 error's (errors.As finds the
// *sqlerr.Error), and it carries the decision for HTTP headers.
type Refusal struct {
	Decision Decision
	err      *sqlerr.Error
}

func (r *Refusal) Error() string { return r.err.Error() }
func (r *Refusal) Unwrap() error { return r.err }

// RetryAfter is how long until the key may run one more query.
func (r *Refusal) RetryAfter() time.Duration { return r.Decision.RetryAfter }

// NewRefusal is the refusal of an event of class that d did not allow.
func NewRefusal(class string, d Decision) *Refusal {
	return &Refusal{Decision: d, err: refusalError(class, d)}
}

func refusalError(class string, d Decision) *sqlerr.Error {
	return sqlerr.New(sqlerr.ConfigurationLimit, "rate limit exceeded: %d queries per %s per API key; retry in %s", d.Rate.N, perText(d.Rate), retryText(d.RetryAfter)).
		WithHint("the limit is %s=%s", Setting(class), d.Rate)
}

// Setting names the environment variable that sets class's rate.
func Setting(class string) string {
	if class == ClassPG {
		return "SETU_RATE_LIMIT_PGWIRE"
	}
	return "RATE_LIMIT_" + strings.ToUpper(class)
}

func perText(r Rate) string {
	switch r.Per {
	case time.Second:
		return "second"
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	}
	return r.Per.String()
}

// retryText renders a delay in whole seconds, rounded up ("1 second", "12 seconds").
func retryText(d time.Duration) string {
	s := RetrySeconds(d)
	if s == 1 {
		return "1 second"
	}
	return strconv.Itoa(s) + " seconds"
}

// RetrySeconds rounds a delay up to whole seconds, at least 1 (Retry-After counts seconds).
func RetrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func (l *Limiter) redisAvailable() bool {
	until := l.downUntil.Load()
	return until == 0 || time.Now().UnixNano() >= until
}

func (l *Limiter) redisFailed(err error) {
	l.storeErrors.Inc()
	if l.downUntil.Swap(time.Now().Add(l.retry).UnixNano()) == 0 {
		l.log.Warn("rate limiter cannot reach Redis; limits apply per process until it answers", "err", err.Error(), "retry_after", l.retry.String())
	}
}

// gcra is the generic cell rate algorithm on Redis: the key holds the theoretical arrival time
// (TAT) in microseconds of Redis's clock. It returns {allowed, remaining, retry_after_us,
// reset_us}.
//
// Why not github.com/go-redis/redis_rate/v10 (v10.0.1, its latest release)? It runs the same
// GCRA on Redis's own clock, with one key per call (so Redis Cluster slots are no issue), and its
// client interface is met by our redis.UniversalClient; but it writes every key as "rate:"+key
// with that prefix fixed in the library, so the limiter's state would leave SETU_REDIS_PREFIX
// ("prefix of every Redis key the gateway writes"): gateways sharing a Redis under different
// prefixes would share budgets, and rediscache.DeletePrefix and Redis ACL key patterns would
// miss those keys (TestRedisSharedBudget pins the key under the prefix). It also has no
// in-process fallback, so the local GCRA below stays either way: this script is all it replaces.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + interval
local diff = now - (new_tat - burst * interval)
if diff < 0 then
  return {0, 0, -diff, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, math.floor(diff / interval), 0, new_tat - now}
`)

func (l *Limiter) allowRedis(ctx context.Context, class, key string, rate Rate) (Decision, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := gcra.Run(ctx, l.rdb, []string{l.prefix + "rl:" + class + ":" + key}, rate.interval().Microseconds(), rate.N).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("rate limit script answered %d values", len(res))
	}
	return Decision{
		Allowed:    res[0] == 1,
		Limit:      rate.N,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
		Reset:      time.Duration(res[3]) * time.Microsecond,
	}, nil
}

// local is the in-process GCRA.
type local struct {
	mu   sync.Mutex
	tats map[string]time.Time
	now  func() time.Time
}

// maxLocalKeys is when the in-process limiter sweeps out keys whose budget is full again.
const maxLocalKeys = 100000

func (l *local) allow(key string, rate Rate) Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	interval := rate.interval()
	tat, ok := l.tats[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	diff := now.Sub(newTAT.Add(-time.Duration(rate.N) * interval))
	if diff < 0 {
		return Decision{Limit: rate.N, RetryAfter: -diff, Reset: tat.Sub(now)}
	}
	if len(l.tats) >= maxLocalKeys {
		for k, t := range l.tats {
			if !t.After(now) {
				delete(l.tats, k)
			}
		}
	}
	l.tats[key] = newTAT
	return Decision{Allowed: true, Limit: rate.N, Remaining: int(diff / interval), Reset: newTAT.Sub(now)}
}
