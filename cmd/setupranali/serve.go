package main

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
	"time"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/pgcatalog"
	"github.com/setupranali/setupranali/pgwire"
	"github.com/setupranali/setupranali/planner"
)

//go:embed demo.sql
var demoSQL string

// shutdownGrace is how long in-flight queries may finish after SIGTERM/SIGINT.
const shutdownGrace = 15 * time.Second

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(args, os.Getenv, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel, stderr)
	// go-redis's own lines (failed dials, ...) go through the gateway's log, not raw to stderr.
	rediscache.SetLogger(log)
	cfg.logEffective(log)
	gw, err := startGateway(ctx, cfg, log)
	if err != nil {
		return err
	}
	if gw.demo {
		printDemoBanner(stdout, gw.Addr().String())
		printHTTPBanner(stdout, gw)
	}
	gw.reloadOnSIGHUP(ctx)
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", shutdownGrace.String())
	case err := <-gw.done:
		if err != nil {
			gw.Close()
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return gw.Shutdown(sctx)
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	switch level {
	case "DEBUG":
		l = slog.LevelDebug
	case "WARN", "WARNING":
		l = slog.LevelWarn
	case "ERROR":
		l = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// gateway is a running SetuPranali: the pg wire server over the planner, the executor and the
// embedded engine.
type gateway struct {
	demo    bool
	planner *planner.Planner
	server  *pgwire.Server
	backend *duckdb.Backend
	sources *sourceSet
	http    *httpFront
	keys    *keyStore
	ln      net.Listener
	done    chan error
	cache   *gatewayCache

	// shutdownOnce makes Shutdown safe to call again (a signal and a test cleanup both may).
	shutdownOnce sync.Once
	shutdownErr  error
}

// startGateway loads the catalog, opens the engine, and starts listening. Nothing is listening
// if it returns an error.
func startGateway(ctx context.Context, cfg config, log *slog.Logger) (*gateway, error) {
	cache, err := openCache(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer cache.closeUnlessKept()
	cat, err := catalog.LoadFile(cfg.Catalog)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	demo := !cfg.production()
	if demo {
		if err := requireLoopback(cfg.PGAddr); err != nil {
			return nil, err
		}
	}
	keys, err := openKeyStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			keys.Close()
		}
	}()
	initSQL, err := engineInitSQL(cfg)
	if err != nil {
		return nil, err
	}
	// Registered sources (and SETU_POSTGRES_DSN) the catalog's datasets name; first, so a
	// missing or undecryptable source fails fast.
	sources, err := openSources(ctx, cfg, cat, log)
	if err != nil {
		return nil, err
	}
	be, err := duckdb.Open(ctx, duckdb.Config{Path: cfg.DuckDBPath, InitSQL: initSQL, MemoryLimit: cfg.DuckDBMemory})
	if err != nil {
		sources.Close()
		return nil, err
	}
	// The system catalog emulation is built for the catalog loaded at start-up.
	pgsys, err := pgcatalog.NewWith(ctx, cat, cfg.fenceConfig.catalogEngine())
	if err != nil {
		be.Close()
		sources.Close()
		return nil, err
	}
	// Catalog queries run on the system catalog of the snapshot they were planned on
	// (planner.Snapshot), not on a backend of this map.
	backends := map[string]engine.Backend{"duckdb": be}
	for key, sb := range sources.byKey {
		backends[key] = sb
	}
	pl := planner.New(cat, planner.Config{
		System:        pgsys,
		MaxRows:       cfg.MaxRows,
		PlanCacheSize: cfg.PlanCacheSize,
		Guards:        planner.Guards{MaxDimensions: cfg.MaxDimensions, MaxMetrics: cfg.MaxMetrics, MaxFilterDepth: cfg.MaxFilterDepth},
		MaxValueBytes: cfg.MaxValueBytes,
		MaxRowBytes:   cfg.MaxRowBytes,
	})
	// One admission point for every door: connection caps (pg wire), query concurrency and
	// rates (the executor, which every door's queries go through), HTTP request rates.
	adm := admission.New(cfg.limitsConfig.admission(cfg.MaxConnections, cfg.CatalogConnections, cache.rateLimiter()))
	ex := engine.New(engine.Config{
		Backends:     backends,
		Default:      "duckdb",
		QueryTimeout: cfg.QueryTimeout,
		Log:          log,
		Cache:        cache.engineCache(),
		Admission:    adm,
	})
	mset := metrics.New()
	srv := pgwire.New(pgwire.Config{
		Authenticator:  keys.authenticator(),
		TLS:            keys.tls,
		RequireTLS:     cfg.TLSRequire,
		Cleartext:      pgwire.CleartextPolicy(cfg.PGCleartext),
		AuthFailed:     func(err error) { mset.AuthFailed(metrics.ProtocolPG, metrics.AuthReason(err)) },
		Planner:        mset.Planner(metrics.ProtocolPG, pl),
		Executor:       mset.Executor(metrics.ProtocolPG, ex),
		Log:            log,
		Admission:      adm,
		StartupTimeout: cfg.StartupTimeout,
		MaxMessageSize: cfg.MaxMessageBytes,
		Limits:         cfg.limitsConfig.pgwire(),
	})
	ln, err := net.Listen("tcp", cfg.PGAddr)
	if err != nil {
		be.Close()
		pl.Close()
		sources.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.PGAddr, err)
	}
	ln = mset.Listener(metrics.ProtocolPG, ln)
	gw := &gateway{demo: demo, planner: pl, server: srv, backend: be, sources: sources, keys: keys, ln: ln, done: make(chan error, 1)}
	started = true
	gw.cache = cache.keep()
	go func() { gw.done <- srv.Serve(ln) }()
	if err := gw.startHTTP(cfg, log, mset, ex, adm, keys.authenticator()); err != nil {
		gw.Close()
		return nil, err
	}
	log.Info("gateway started", "pg_addr", ln.Addr().String(), "mode", cfg.Env, "catalog", cfg.Catalog,
		"catalog_version", shortVersion(cat.Version()), "datasets", len(cat.Datasets), "query_max_rows", cfg.MaxRows)
	return gw, nil
}

// Addr is where the pg wire server listens.
func (g *gateway) Addr() net.Addr { return g.ln.Addr() }

// Shutdown stops accepting, lets running queries finish until ctx ends, then closes the engine.
func (g *gateway) Shutdown(ctx context.Context) error {
	g.shutdownOnce.Do(func() { g.shutdownErr = g.shutdown(ctx) })
	return g.shutdownErr
}

func (g *gateway) shutdown(ctx context.Context) error {
	defer g.cache.Close()
	// Readiness turns 503 first; the HTTP side keeps answering (probes see "draining", not a
	// refused connection) while pg wire stops accepting, ends idle connections with 57P01 and
	// lets running queries finish; then the HTTP side shuts down in the time left.
	g.http.SetDraining()
	err := g.server.Shutdown(ctx)
	<-g.done
	herr := g.http.Shutdown(ctx)
	if err == nil {
		err = herr
	}
	if cerr := g.backend.Close(); err == nil {
		err = cerr
	}
	if cerr := g.planner.Close(); err == nil {
		err = cerr
	}
	if cerr := g.sources.Close(); err == nil {
		err = cerr
	}
	if cerr := g.keys.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close stops at once.
func (g *gateway) Close() {
	defer g.cache.Close()
	g.http.Close()
	g.server.Close()
	g.backend.Close()
	g.planner.Close()
	g.sources.Close()
	g.keys.Close()
}

// engineInitSQL is what DuckDB runs before it is locked: the operator's init file, or the demo
// data when the operator gives the engine nothing of their own.
func engineInitSQL(cfg config) ([]string, error) {
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

// requireLoopback keeps the demo, whose keys are public, off the network.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("SETU_PG_ADDR %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("demo mode uses public demo keys and listens on loopback only; %q is not a loopback address (set SETU_ENV=production with real keys to listen elsewhere)", addr)
}

func printDemoBanner(w io.Writer, addr string) {
	host, port, _ := net.SplitHostPort(addr)
	var b strings.Builder
	b.WriteString("\nSetuPranali demo is running on " + addr + " (PostgreSQL wire protocol).\n")
	b.WriteString("Demo API keys (public, demo mode only) — use one as the password:\n")
	for _, k := range auth.DemoKeys() {
		fmt.Fprintf(&b, "  %-18s role=%-7s tenant=%s\n", k.Secret, k.Principal.Role, strings.Join(k.Principal.Tenants, ","))
	}
	fmt.Fprintf(&b, "\nTry:\n  PGPASSWORD=tenantA-key psql \"host=%s port=%s user=demo dbname=setupranali sslmode=disable\" \\\n", host, port)
	b.WriteString("    -c \"SELECT city, total_revenue FROM orders ORDER BY city\"\n\n")
	io.WriteString(w, b.String())
}
