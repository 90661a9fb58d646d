package admission

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/ratelimit"
	"github.com/setupranali/setupranali/sqlerr"
)

func caller(key string, tenants ...string) Caller {
	return Caller{Principal: auth.Principal{KeyID: key, Tenants: tenants, Role: auth.RoleViewer}, Protocol: PG, RemoteAddr: "127.0.0.1:5000"}
}

func refusedWith(t *testing.T, err error, code, msg string) {
	t.Helper()
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != code || !strings.Contains(se.Message, msg) || se.Hint == "" {
		t.Fatalf("got %v, want %s %q with a hint", err, code, msg)
	}
}

func TestDerivedConnectionCaps(t *testing.T) {
	got := New(Config{MaxConnections: 100, CatalogConnections: 8}).Limits()
	if got.MaxConnectionsPerKey != 50 || got.MaxConnectionsPerTenant != 75 || got.MaxStartupConnections != 100 || got.MaxCatalogQueriesPerKey != 4 {
		t.Errorf("derived caps %+v", got)
	}
	got = New(Config{MaxConnections: 1, CatalogConnections: 1}).Limits()
	if got.MaxConnectionsPerKey != 1 || got.MaxConnectionsPerTenant != 1 || got.MaxCatalogQueriesPerKey != 1 {
		t.Errorf("derived caps of a tiny server %+v", got)
	}
}

func TestSessionCaps(t *testing.T) {
	c := New(Config{MaxConnections: 10, MaxConnectionsPerKey: 2, MaxConnectionsPerTenant: 3})
	r1, err := c.OpenSession(caller("a", "t1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenSession(caller("a", "t1")); err != nil {
		t.Fatal(err)
	}
	_, err = c.OpenSession(caller("a", "t1"))
	refusedWith(t, err, sqlerr.TooManyConnections, "too many connections for API key a (at most 2 per key)")
	// A second key of the tenant takes the tenant's third slot, then the tenant is full;
	// a key with tenants t1 and t2 counts against both.
	if _, err := c.OpenSession(caller("b", "t1")); err != nil {
		t.Fatal(err)
	}
	_, err = c.OpenSession(caller("c", "t2", "t1"))
	refusedWith(t, err, sqlerr.TooManyConnections, "too many connections for tenant t1 (at most 3 per tenant)")
	if _, err := c.OpenSession(caller("d", "t2")); err != nil {
		t.Fatalf("another tenant: %v", err)
	}
	// Released twice, counted back once.
	r1()
	r1()
	if _, err := c.OpenSession(caller("c", "t2", "t1")); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	_, err = c.OpenSession(caller("e", "t3"))
	if err != nil {
		t.Fatal(err)
	}
	if c.sessions != 5 || c.perTenant["t1"] != 3 || c.perKey["a"] != 1 {
		t.Errorf("counts: sessions %d, t1 %d, a %d", c.sessions, c.perTenant["t1"], c.perKey["a"])
	}
}

func TestServerCapAndStartupBound(t *testing.T) {
	c := New(Config{MaxConnections: 1, MaxStartupConnections: 1})
	rs, err := c.StartConnection()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.StartConnection()
	refusedWith(t, err, sqlerr.TooManyConnections, "too many connections waiting to authenticate (at most 1)")
	// A connection in startup holds no session slot.
	if _, err := c.OpenSession(caller("a", "t")); err != nil {
		t.Fatal(err)
	}
	_, err = c.OpenSession(caller("b", "u"))
	refusedWith(t, err, sqlerr.TooManyConnections, "too many clients already")
	rs()
	if _, err := c.StartConnection(); err != nil {
		t.Errorf("after startup ended: %v", err)
	}
}

func TestQueryCaps(t *testing.T) {
	c := New(Config{MaxQueriesPerKey: 1, MaxCatalogQueriesPerKey: 1})
	data := Query{Datasets: 1}
	r, err := c.BeginQuery(caller("a"), data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BeginQuery(Caller{Principal: auth.Principal{KeyID: "a"}, Protocol: REST}, data)
	refusedWith(t, err, sqlerr.ConfigurationLimit, "too many concurrent queries for API key a: at most 1")
	// Catalog queries and statements that read nothing have budgets of their own.
	rc, err := c.BeginQuery(caller("a"), Query{Catalog: true})
	if err != nil {
		t.Fatalf("catalog query beside a data query: %v", err)
	}
	_, err = c.BeginQuery(caller("a"), Query{Catalog: true})
	refusedWith(t, err, sqlerr.ConfigurationLimit, "too many concurrent catalog queries for API key a")
	if _, err := c.BeginQuery(caller("a"), Query{}); err != nil {
		t.Errorf("SELECT 1: %v", err)
	}
	if _, err := c.BeginQuery(caller("b"), data); err != nil {
		t.Errorf("another key: %v", err)
	}
	r()
	rc()
	if _, err := c.BeginQuery(caller("a"), data); err != nil {
		t.Errorf("after release: %v", err)
	}
}

// countingLimiter admits n events per class and key, and records the classes it saw.
type countingLimiter struct {
	n    int
	seen map[string]int
}

func (l *countingLimiter) Allow(_ context.Context, class, key string) ratelimit.Decision {
	l.seen[class+"/"+key]++
	rate := ratelimit.Rate{N: l.n, Per: time.Hour}
	if l.seen[class+"/"+key] > l.n {
		return ratelimit.Decision{Limit: l.n, RetryAfter: time.Minute, Rate: rate}
	}
	return ratelimit.Decision{Allowed: true, Limit: l.n, Rate: rate}
}

func TestRateClassesByDoor(t *testing.T) {
	l := &countingLimiter{n: 1, seen: map[string]int{}}
	c := New(Config{Limiter: l})
	pg := caller("a")
	rest := Caller{Principal: pg.Principal, Protocol: REST}
	odata := Caller{Principal: pg.Principal, Protocol: OData}
	if err := c.ChargeExecution(context.Background(), pg); err != nil {
		t.Fatal(err)
	}
	err := c.ChargeExecution(context.Background(), pg)
	refusedWith(t, err, sqlerr.ConfigurationLimit, "rate limit exceeded")
	var se *sqlerr.Error
	errors.As(err, &se)
	if !strings.Contains(se.Hint, "SETU_RATE_LIMIT_PGWIRE") {
		t.Errorf("hint %q", se.Hint)
	}
	// HTTP executions are not charged again: their requests were.
	if err := c.ChargeExecution(context.Background(), rest); err != nil {
		t.Errorf("REST execution charged: %v", err)
	}
	if _, err := c.ChargeRequest(context.Background(), rest); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChargeRequest(context.Background(), odata); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"pgwire/a": 2, "query/a": 1, "odata/a": 1}
	for k, v := range want {
		if l.seen[k] != v {
			t.Errorf("%s charged %d times, want %d (all: %v)", k, l.seen[k], v, l.seen)
		}
	}
}

func TestFeedTokens(t *testing.T) {
	l := &countingLimiter{n: 100, seen: map[string]int{}}
	c := New(Config{Limiter: l, FeedSecret: []byte("secret")})
	now := time.Unix(1_800_000_000, 0)
	c.feeds.now = func() time.Time { return now }
	a := Caller{Principal: auth.Principal{KeyID: "a"}, Protocol: OData}
	b := Caller{Principal: auth.Principal{KeyID: "b"}, Protocol: OData}
	ctx := context.Background()
	charged := func() int { return l.seen["odata/a"] + l.seen["odata/b"] }

	tok := c.FeedToken(a, "orders?$select=city", 5)
	for _, tc := range []struct {
		name   string
		caller Caller
		feed   string
		skip   int64
		token  string
		free   bool
	}{
		{"other key", b, "orders?$select=city", 5, tok, false},
		{"other feed", a, "orders?$select=region", 5, tok, false},
		{"other page", a, "orders?$select=city", 6, tok, false},
		{"forged", a, "orders?$select=city", 5, forge(tok), false},
		{"garbage", a, "orders?$select=city", 5, "%%%", false},
		{"the page it names", a, "orders?$select=city", 5, tok, true},
		{"replayed", a, "orders?$select=city", 5, tok, false},
	} {
		before := charged()
		if _, err := c.ChargeFeedPage(ctx, tc.caller, tc.feed, tc.skip, tc.token); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if free := charged() == before; free != tc.free {
			t.Errorf("%s: free %v, want %v", tc.name, free, tc.free)
		}
	}
	expired := c.FeedToken(a, "f", 1)
	now = now.Add(feedTokenTTL + time.Second)
	before := charged()
	c.ChargeFeedPage(ctx, a, "f", 1, expired)
	if charged() == before {
		t.Error("an expired token let its page through free")
	}
}

// forge flips one character of the token's signature.
func forge(tok string) string {
	last := byte('A')
	if tok[len(tok)-1] == 'A' {
		last = 'B'
	}
	return tok[:len(tok)-1] + string(last)
}
