package gateway

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/pgcatalog"
	"github.com/setupranali/setupranali/pgwire"
	"github.com/setupranali/setupranali/planner"
)

//go:embed demo.sql
var demoSQL string

// Gateway is a running SetuPranali: the pg wire server and the HTTP side server over one
// planner, one executor and the embedded engine.
type Gateway struct {
	demo    bool
	planner *planner.Planner
	server  *pgwire.Server
	backend *duckdb.Backend
	sources *sourceSet
	http    *httpFront
	keys    *keyStore
	cache   *gatewayCache
	ln      net.Listener
	// done is closed when the pg wire server stops serving; serveErr is why.
	done     chan struct{}
	serveErr error

	// stack holds every started component; stopping the gateway, or a start-up that fails half
	// way, stops them in reverse order.
	stack stack

	// shutdownOnce makes Shutdown safe to call again (a signal and a test cleanup both may).
	shutdownOnce sync.Once
	shutdownErr  error
}

// Start loads the catalog, opens the engines and sources, and starts listening. Nothing is
// listening and nothing stays open if it returns an error.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (gw *Gateway, err error) {
	g := &Gateway{demo: !cfg.Production(), done: make(chan struct{})}
	defer func() {
		if err != nil {
			g.stack.close()
		}
	}()
	g.cache, err = openCache(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	g.stack.push(closeOnly(g.cache.Close))
	cat, err := catalog.LoadFile(cfg.Catalog)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if g.demo {
		if err := requireLoopback("SETU_PG_ADDR", cfg.PGAddr); err != nil {
			return nil, err
		}
	}
	g.keys, err = openKeyStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	g.stack.push(closeOnly(g.keys.Close))
	initSQL, err := engineInitSQL(cfg)
	if err != nil {
		return nil, err
	}
	// Registered sources (and SETU_POSTGRES_DSN) the catalog's datasets name; first, so a
	// missing or undecryptable source fails fast.
	g.sources, err = openSources(ctx, cfg, cat, log)
	if err != nil {
		return nil, err
	}
	g.stack.push(closeOnly(g.sources.Close))
	g.backend, err = duckdb.Open(ctx, duckdb.Config{Path: cfg.DuckDBPath, InitSQL: initSQL, MemoryLimit: cfg.DuckDBMemory})
	if err != nil {
		return nil, err
	}
	g.stack.push(closeOnly(g.backend.Close))
	// The system catalog emulation is built for the catalog loaded at start-up.
	pgsys, err := pgcatalog.NewWith(ctx, cat, cfg.FenceConfig.catalogEngine())
	if err != nil {
		return nil, err
	}
	// Catalog queries run on the system catalog of the snapshot they were planned on
	// (planner.Snapshot), not on a backend of this map.
	backends := map[string]engine.Backend{"duckdb": g.backend}
	for key, sb := range g.sources.byKey {
		backends[key] = sb
	}
	g.planner = planner.New(cat, planner.Config{
		System:        pgsys,
		MaxRows:       cfg.MaxRows,
		PlanCacheSize: cfg.PlanCacheSize,
		Guards:        planner.Guards{MaxDimensions: cfg.MaxDimensions, MaxMetrics: cfg.MaxMetrics, MaxFilterDepth: cfg.MaxFilterDepth},
		MaxValueBytes: cfg.MaxValueBytes,
		MaxRowBytes:   cfg.MaxRowBytes,
	})
	// The planner owns the system catalog from here: closing it closes every snapshot's.
	g.stack.push(closeOnly(g.planner.Close))
	// One admission point for every door: connection caps (pg wire), query concurrency and
	// rates (the executor, which every door's queries go through), HTTP request rates.
	adm := admission.New(cfg.LimitsConfig.admission(cfg.MaxConnections, cfg.CatalogConnections, g.cache.rateLimiter()))
	ex := engine.New(engine.Config{
		Backends:     backends,
		Default:      "duckdb",
		QueryTimeout: cfg.QueryTimeout,
		Log:          log,
		Cache:        g.cache.engineCache(),
		Admission:    adm,
	})
	mset := metrics.New()
	g.server = pgwire.New(pgwire.Config{
		Authenticator:  g.keys.authenticator(),
		TLS:            g.keys.tls,
		RequireTLS:     cfg.TLSRequire,
		Cleartext:      pgwire.CleartextPolicy(cfg.PGCleartext),
		AuthFailed:     func(err error) { mset.AuthFailed(metrics.ProtocolPG, metrics.AuthReason(err)) },
		Planner:        mset.Planner(metrics.ProtocolPG, g.planner),
		Executor:       mset.Executor(metrics.ProtocolPG, ex),
		Log:            log,
		Admission:      adm,
		StartupTimeout: cfg.StartupTimeout,
		MaxMessageSize: cfg.MaxMessageBytes,
		Limits:         cfg.LimitsConfig.pgwire(),
	})
	ln, err := net.Listen("tcp", cfg.PGAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.PGAddr, err)
	}
	g.ln = mset.Listener(metrics.ProtocolPG, ln)
	go func() {
		g.serveErr = g.server.Serve(g.ln)
		close(g.done)
	}()
	g.stack.push(component{shutdown: g.drain, close: g.stopFronts})
	if err := g.startHTTP(cfg, log, mset, ex, adm, g.keys.authenticator()); err != nil {
		return nil, err
	}
	log.Info("gateway started", "pg_addr", g.ln.Addr().String(), "mode", cfg.Env, "catalog", cfg.Catalog,
		"catalog_version", ShortVersion(cat.Version()), "datasets", len(cat.Datasets), "query_max_rows", cfg.MaxRows)
	return g, nil
}

// drain is the front doors' graceful stop. Readiness turns 503 first; the HTTP side keeps
// answering (probes see "draining", not a refused connection) while pg wire stops accepting,
// ends idle connections with 57P01 and lets running queries finish; then the HTTP side shuts
// down in the time left. The HTTP front is one component with pg wire for this order.
func (g *Gateway) drain(ctx context.Context) error {
	g.http.SetDraining()
	err := g.server.Shutdown(ctx)
	<-g.done
	return errors.Join(err, g.http.Shutdown(ctx))
}

// stopFronts closes both front doors at once.
func (g *Gateway) stopFronts() error {
	g.http.Close()
	g.server.Close()
	return nil
}

// Addr is where the pg wire server listens.
func (g *Gateway) Addr() net.Addr { return g.ln.Addr() }

// Done is closed when the pg wire server stops serving; Err then says why.
func (g *Gateway) Done() <-chan struct{} { return g.done }

// Err is why the pg wire server stopped; nil before Done is closed.
func (g *Gateway) Err() error {
	select {
	case <-g.done:
		return g.serveErr
	default:
		return nil
	}
}

// Reload reloads the catalog file and the TLS certificate (the program calls it on SIGHUP). A
// catalog or certificate that does not load is logged and refused; the running one keeps serving.
func (g *Gateway) Reload(ctx context.Context) {
	g.keys.reloadTLS()
	if g.http != nil {
		g.http.reloader.reload(ctx)
	}
}

// Shutdown stops accepting, lets running queries finish until ctx ends, then closes every
// component.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.shutdownOnce.Do(func() { g.shutdownErr = g.stack.shutdown(ctx) })
	return g.shutdownErr
}

// Close stops at once.
func (g *Gateway) Close() {
	g.stack.close()
}

// engineInitSQL is what DuckDB runs before it is locked: the operator's init file, or the demo
// data when the operator gives the engine nothing of their own.
func engineInitSQL(cfg Config) ([]string, error) {
	if cfg.DuckDBInit != "" {
		b, err := os.ReadFile(cfg.DuckDBInit)
		if err != nil {
			return nil, fmt.Errorf("SETU_DUCKDB_INIT: %w", err)
		}
		return []string{string(b)}, nil
	}
	if cfg.DuckDBPath == "" {
		return []string{demoSQL}, nil
	}
	return nil, nil
}

// requireLoopback keeps the demo, whose keys are public, off the network; setting names the
// address's setting in the error.
func requireLoopback(setting, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s %q: %w", setting, addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if setting == "SETU_PG_ADDR" {
		// The pg listener's message stays as it was before the HTTP listeners shared this check.
		return fmt.Errorf("demo mode uses public demo keys and listens on loopback only; %q is not a loopback address (set SETU_ENV=production with real keys to listen elsewhere)", addr)
	}
	return fmt.Errorf("demo mode uses public demo keys and listens on loopback only; %s %q is not a loopback address (set SETU_ENV=production with real keys to listen elsewhere)", setting, addr)
}

// PrintBanner tells a demo's user how to connect: the public demo keys and the addresses.
func (g *Gateway) PrintBanner(w io.Writer) {
	if !g.demo {
		return
	}
	addr := g.Addr().String()
	host, port, _ := net.SplitHostPort(addr)
	var b strings.Builder
	b.WriteString("\nSetuPranali demo is running on " + addr + " (PostgreSQL wire protocol).\n")
	b.WriteString("Demo API keys (public, demo mode only) — use one as the password:\n")
	for _, k := range auth.DemoKeys() {
		fmt.Fprintf(&b, "  %-18s role=%-7s tenant=%s\n", k.Secret, k.Principal.Role, strings.Join(k.Principal.Tenants, ","))
	}
	fmt.Fprintf(&b, "\nTry:\n  PGPASSWORD=tenantA-key psql \"host=%s port=%s user=demo dbname=setupranali sslmode=disable\" \\\n", host, port)
	b.WriteString("    -c \"SELECT city, total_revenue FROM orders ORDER BY city\"\n\n")
	if g.http != nil {
		fmt.Fprintf(&b, "HTTP API on http://%s (docs: /docs, health: /v1/health, OData: /odata, metrics: /metrics).\n"+
			"Operations key (demo): internal-admin-key for /internal/status and /internal/reload.\n\n", g.HTTPAddr())
	}
	io.WriteString(w, b.String())
}

// ShortVersion is a catalog version as logs and messages show it.
func ShortVersion(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}
