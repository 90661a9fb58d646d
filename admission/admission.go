package admission

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/ratelimit"
	"github.com/setupranali/setupranali/sqlerr"
)

// Protocol names a front door. The values are the protocol labels of the metrics.
type Protocol string

const (
	// PG is the PostgreSQL wire protocol: simple and extended queries, cursors, COPY.
	PG Protocol = "pg"
	// REST is the JSON API (/v1/query).
	REST Protocol = "rest"
	// OData is the OData v4 feed.
	OData Protocol = "odata"
)

// Caller is who asks, through which door, from where. RemoteAddr is the client's address as
// the door resolved it (for HTTP behind a trusted proxy, the forwarded client).
type Caller struct {
	Principal  auth.Principal
	Protocol   Protocol
	RemoteAddr string
}

// Query is what admission needs to know of a plan.
type Query struct {
	// Catalog is true for a catalog emulation query (pg_catalog, information_schema).
	Catalog bool
	// Datasets is how many datasets the plan reads; a plan that reads none and is not a
	// catalog query (SELECT 1, SHOW) is not admitted against any cap.
	Datasets int
}

// RateLimiter charges one event of a class to a key (ratelimit.Limiter).
type RateLimiter interface {
	Allow(ctx context.Context, class, key string) ratelimit.Decision
}

// Config sets the caps. A zero cap means none, except where a default is derived.
type Config struct {
	// MaxConnections caps the authenticated pg wire sessions of the process.
	MaxConnections int
	// MaxConnectionsPerKey and MaxConnectionsPerTenant cap the sessions of one API key and of
	// one tenant (a key with several tenants counts against each). Zero derives a default from
	// MaxConnections: half of it per key, three quarters per tenant, so that one key or one
	// tenant always leaves room for the others.
	MaxConnectionsPerKey    int
	MaxConnectionsPerTenant int
	// MaxStartupConnections caps the connections that have not authenticated yet (TLS
	// negotiation, startup packet, password exchange). They never take an authenticated slot.
	// Zero derives MaxConnections.
	MaxStartupConnections int
	// MaxQueriesPerKey caps the queries one key runs at once over every door (a suspended
	// portal or an open cursor counts while its execution is held).
	MaxQueriesPerKey int
	// MaxCatalogQueriesPerKey caps the catalog emulation queries one key runs at once. Zero
	// derives a default from CatalogConnections: half of them, at least one.
	MaxCatalogQueriesPerKey int
	// CatalogConnections is the catalog engine's pool size, for the derived default above.
	CatalogConnections int
	// Limiter applies the rates; nil means no rate limits.
	Limiter RateLimiter
	// FeedSecret signs OData nextLink tokens; empty picks a random one per process (a page
	// served by another replica is then charged as a new request).
	FeedSecret []byte
}

// Controller is the admission point. Create it with New; it is safe for concurrent use.
type Controller struct {
	cfg   Config
	feeds *feeds

	mu        sync.Mutex
	startup   int
	sessions  int
	perKey    map[string]int
	perTenant map[string]int
	queries   map[string]int
	catalog   map[string]int
}

// New returns a controller for cfg, deriving the defaults Config describes.
func New(cfg Config) *Controller {
	if cfg.MaxConnections > 0 {
		if cfg.MaxConnectionsPerKey <= 0 {
			cfg.MaxConnectionsPerKey = max(1, cfg.MaxConnections/2)
		}
		if cfg.MaxConnectionsPerTenant <= 0 {
			cfg.MaxConnectionsPerTenant = max(1, cfg.MaxConnections*3/4)
		}
		if cfg.MaxStartupConnections <= 0 {
			cfg.MaxStartupConnections = cfg.MaxConnections
		}
	}
	if cfg.MaxCatalogQueriesPerKey <= 0 && cfg.CatalogConnections > 0 {
		cfg.MaxCatalogQueriesPerKey = max(1, cfg.CatalogConnections/2)
	}
	return &Controller{
		cfg:       cfg,
		feeds:     newFeeds(cfg.FeedSecret),
		perKey:    map[string]int{},
		perTenant: map[string]int{},
		queries:   map[string]int{},
		catalog:   map[string]int{},
	}
}

// Limits returns the effective caps, defaults derived.
func (c *Controller) Limits() Config { return c.cfg }

// StartConnection admits a connection that has not authenticated yet. The release function
// must be called once startup ends, whatever its outcome.
func (c *Controller) StartConnection() (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.cfg.MaxStartupConnections; m > 0 && c.startup >= m {
		return nil, connRefusal(fmt.Sprintf("too many connections waiting to authenticate (at most %d)", m),
			"SETU_MAX_STARTUP_CONNECTIONS")
	}
	c.startup++
	return c.once(func() { c.startup-- }), nil
}

// OpenSession admits an authenticated session of caller against the process, key and tenant
// caps; a refusal names the cap it hit. The release function ends the session's claim.
func (c *Controller) OpenSession(caller Caller) (release func(), err error) {
	p := caller.Principal
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.cfg.MaxConnections; m > 0 && c.sessions >= m {
		return nil, connRefusal(fmt.Sprintf("sorry, too many clients already (the server's cap of %d connections)", m), "SETU_MAX_CONNECTIONS")
	}
	if m := c.cfg.MaxConnectionsPerKey; m > 0 && p.KeyID != "" && c.perKey[p.KeyID] >= m {
		return nil, connRefusal(fmt.Sprintf("too many connections for API key %s (at most %d per key)", p.KeyID, m), "SETU_MAX_CONNECTIONS_PER_KEY")
	}
	tenants := distinct(p.Tenants)
	if m := c.cfg.MaxConnectionsPerTenant; m > 0 {
		for _, t := range tenants {
			if c.perTenant[t] >= m {
				return nil, connRefusal(fmt.Sprintf("too many connections for tenant %s (at most %d per tenant)", t, m), "SETU_MAX_CONNECTIONS_PER_TENANT")
			}
		}
	}
	c.sessions++
	if p.KeyID != "" {
		c.perKey[p.KeyID]++
	}
	for _, t := range tenants {
		c.perTenant[t]++
	}
	return c.once(func() {
		c.sessions--
		if p.KeyID != "" {
			decr(c.perKey, p.KeyID)
		}
		for _, t := range tenants {
			decr(c.perTenant, t)
		}
	}), nil
}

// BeginQuery admits one execution of q by caller against the key's concurrency caps. The
// release function must be called when the execution ends (for a held portal or cursor:
// when it is closed).
func (c *Controller) BeginQuery(caller Caller, q Query) (release func(), err error) {
	key := caller.Principal.KeyID
	if key == "" || (!q.Catalog && q.Datasets == 0) {
		return func() {}, nil
	}
	counts, limit, setting, what := c.queries, c.cfg.MaxQueriesPerKey, "SETU_MAX_QUERIES_PER_KEY", "queries"
	if q.Catalog {
		counts, limit, setting, what = c.catalog, c.cfg.MaxCatalogQueriesPerKey, "SETU_MAX_CATALOG_QUERIES_PER_KEY", "catalog queries"
	}
	if limit <= 0 {
		return func() {}, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if counts[key] >= limit {
		return nil, sqlerr.New(sqlerr.ConfigurationLimit,
			"too many concurrent %s for API key %s: at most %d may run at once", what, key, limit).
			WithHint("Wait for running queries to finish, or use fewer parallel connections with this key (the limit is %s).", setting)
	}
	counts[key]++
	return c.once(func() { decr(counts, key) }), nil
}

// ChargeExecution charges an execution that reaches an engine to caller's rate budget. Only pg
// wire is charged here: HTTP requests were charged when they arrived (ChargeRequest), and an
// answer from the result cache never reaches this point.
func (c *Controller) ChargeExecution(ctx context.Context, caller Caller) error {
	if caller.Protocol != PG {
		return nil
	}
	_, err := c.charge(ctx, ratelimit.ClassPG, caller.Principal.KeyID)
	return err
}

// ChargeRequest charges one HTTP request of caller to its door's budget (RATE_LIMIT_QUERY for
// REST, RATE_LIMIT_ODATA for OData). The decision carries what the RateLimit headers say.
func (c *Controller) ChargeRequest(ctx context.Context, caller Caller) (ratelimit.Decision, error) {
	class := ratelimit.ClassQuery
	if caller.Protocol == OData {
		class = ratelimit.ClassOData
	}
	return c.charge(ctx, class, caller.Principal.KeyID)
}

func (c *Controller) charge(ctx context.Context, class, key string) (ratelimit.Decision, error) {
	if c.cfg.Limiter == nil || key == "" {
		return ratelimit.Decision{Allowed: true}, nil
	}
	d := c.cfg.Limiter.Allow(ctx, class, key)
	if d.Allowed {
		return d, nil
	}
	return d, ratelimit.NewRefusal(class, d)
}

// once makes release safe to call more than once: only the first call counts.
func (c *Controller) once(release func()) func() {
	var done sync.Once
	return func() {
		done.Do(func() {
			c.mu.Lock()
			release()
			c.mu.Unlock()
		})
	}
}

func decr(m map[string]int, k string) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

func distinct(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func connRefusal(msg, setting string) *sqlerr.Error {
	return sqlerr.Fatal(sqlerr.TooManyConnections, "%s", msg).
		WithHint("Close idle connections, or raise %s.", setting)
}
