package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"60/minute": {60, time.Minute}, "10/second": {10, time.Second}, " 5 / hour ": {5, time.Hour}, "1/MINUTE": {1, time.Minute},
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "60", "0/minute", "-1/second", "x/minute", "60/day", "60/min", "1.5/second"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLocalGCRA(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(Config{Rates: map[string]Rate{ClassQuery: {3, time.Minute}}})
	l.local.now = func() time.Time { return now }
	ctx := context.Background()
	for i := range 3 {
		d := l.Allow(ctx, ClassQuery, "k")
		if !d.Allowed || d.Remaining != 2-i || d.Limit != 3 {
			t.Fatalf("event %d: %+v", i, d)
		}
	}
	d := l.Allow(ctx, ClassQuery, "k")
	if d.Allowed || d.RetryAfter != 20*time.Second || d.Reset != time.Minute {
		t.Fatalf("4th event: %+v, want refused with retry 20s, reset 60s", d)
	}
	if other := l.Allow(ctx, ClassQuery, "other"); !other.Allowed {
		t.Error("another key shares the budget")
	}
	if od := l.Allow(ctx, ClassOData, "k"); !od.Allowed {
		t.Error("a class without a rate is limited")
	}
	now = now.Add(20 * time.Second)
	if d := l.Allow(ctx, ClassQuery, "k"); !d.Allowed || d.Remaining != 0 {
		t.Errorf("after one interval: %+v, want one more allowed", d)
	}
	if d := l.Allow(ctx, ClassQuery, "k"); d.Allowed {
		t.Errorf("burst refilled too fast: %+v", d)
	}
	if got := testutil.ToFloat64(l.rejections.WithLabelValues(ClassQuery)); got != 2 {
		t.Errorf("rejections = %v, want 2", got)
	}
}

func TestLimitError(t *testing.T) {
	l := New(Config{Rates: map[string]Rate{ClassQuery: {1, time.Hour}}})
	ctx := context.Background()
	if d := l.Allow(ctx, ClassQuery, "k"); !d.Allowed {
		t.Fatal(d)
	}
	d := l.Allow(ctx, ClassQuery, "k")
	err := NewRefusal(ClassQuery, d)
	var e *sqlerr.Error
	if !errors.As(err, &e) || e.Code != sqlerr.ConfigurationLimit {
		t.Fatalf("refusal = %v, want 53400", err)
	}
	if !strings.Contains(e.Message, "retry in 3600 seconds") && !strings.Contains(e.Message, "retry in 3599 seconds") {
		t.Errorf("message %q does not give the delay", e.Message)
	}
	if e.Hint != "the limit is RATE_LIMIT_QUERY=1/hour" {
		t.Errorf("hint %q", e.Hint)
	}
	if h := NewRefusal(ClassPG, d).err.Hint; h != "the limit is SETU_RATE_LIMIT_PGWIRE=1/hour" {
		t.Errorf("pg wire hint %q", h)
	}
}

func TestSetHeaders(t *testing.T) {
	l := New(Config{Rates: map[string]Rate{ClassOData: {2, time.Minute}}})
	var allowed []bool
	var last http.Header
	for range 3 {
		d := l.Allow(context.Background(), ClassOData, "k")
		allowed = append(allowed, d.Allowed)
		last = http.Header{}
		SetHeaders(last, d)
		if last.Get("RateLimit-Limit") != "2" {
			t.Errorf("RateLimit-Limit = %q", last.Get("RateLimit-Limit"))
		}
	}
	if !allowed[0] || !allowed[1] || allowed[2] {
		t.Fatalf("decisions %v, want true true false", allowed)
	}
	if last.Get("Retry-After") != "30" || last.Get("RateLimit-Remaining") != "0" || last.Get("RateLimit-Reset") != "60" {
		t.Errorf("refusal headers: Retry-After %q Remaining %q Reset %q", last.Get("Retry-After"), last.Get("RateLimit-Remaining"), last.Get("RateLimit-Reset"))
	}
}

// TestRedisSharedBudget: two limiters (two gateway replicas) on one Redis give a key exactly N
// events together.
func TestRedisSharedBudget(t *testing.T) {
	rdb, prefix := testkit.Redis(t)
	const n = 7
	rates := map[string]Rate{ClassQuery: {n, time.Hour}}
	a := New(Config{Rates: rates, Redis: rdb, Prefix: prefix, Timeout: time.Second})
	b := New(Config{Rates: rates, Redis: rdb, Prefix: prefix, Timeout: time.Second})
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for i := range 40 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			if d := l.Allow(context.Background(), ClassQuery, "shared"); d.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			} else if d.RetryAfter <= 0 || d.RetryAfter > time.Hour/n {
				t.Errorf("retry after %v", d.RetryAfter)
			}
		})
	}
	wg.Wait()
	if allowed != n {
		t.Fatalf("%d events allowed across two limiters, want exactly %d", allowed, n)
	}
	if testutil.ToFloat64(a.storeErrors)+testutil.ToFloat64(b.storeErrors) != 0 {
		t.Error("store errors counted")
	}
	ttl, err := rdb.PTTL(context.Background(), prefix+"rl:query:shared").Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("state key TTL %v %v", ttl, err)
	}
}

func TestRedisDownFallsBack(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	l := New(Config{Rates: map[string]Rate{ClassQuery: {2, time.Hour}}, Redis: rdb, Prefix: "x:", StoreRetry: time.Hour})
	ctx := context.Background()
	got := []bool{}
	for range 3 {
		got = append(got, l.Allow(ctx, ClassQuery, "k").Allowed)
	}
	if !got[0] || !got[1] || got[2] {
		t.Errorf("with Redis down: %v, want the in-process limiter's true true false", got)
	}
	if testutil.ToFloat64(l.storeErrors) != 1 {
		t.Errorf("store errors = %v, want 1 (then the breaker keeps Redis out)", testutil.ToFloat64(l.storeErrors))
	}
}

func TestCheckRefusal(t *testing.T) {
	l := New(Config{Rates: map[string]Rate{ClassOData: {1, time.Minute}}})
	ctx := context.Background()
	if d := l.Allow(ctx, ClassOData, "k"); !d.Allowed {
		t.Fatal(d)
	}
	var err error = NewRefusal(ClassOData, l.Allow(ctx, ClassOData, "k"))
	var r *Refusal
	if !errors.As(err, &r) || r.RetryAfter() <= 59*time.Second || r.RetryAfter() > time.Minute {
		t.Fatalf("refusal %v", err)
	}
	if sqlerr.Code(err) != sqlerr.ConfigurationLimit || !strings.Contains(err.Error(), "1 queries per minute per API key; retry in 60 seconds") {
		t.Errorf("refusal %q, code %s", err, sqlerr.Code(err))
	}
	h := http.Header{}
	r.SetHeaders(h)
	if h.Get("Retry-After") != "60" || h.Get("RateLimit-Limit") != "1" || h.Get("RateLimit-Remaining") != "0" {
		t.Errorf("headers %v", h)
	}
}
