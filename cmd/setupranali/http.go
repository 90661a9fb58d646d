package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/dependency"
	"github.com/setupranali/setupranali/httpapi"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/pgcatalog"
	"github.com/setupranali/setupranali/planner"
)

// httpFront is the running HTTP side server (and the metrics listener when it has its own).
type httpFront struct {
	server   *httpapi.Server
	ln       net.Listener
	done     chan error
	metrics  *metricsListener
	reloader *catalogReloader
	sampler  *redisSampler
	watcher  *dependency.Watcher
}

// metricsListener serves /metrics alone on SETU_METRICS_ADDR.
type metricsListener struct {
	server *httpapi.Server
	ln     net.Listener
	done   chan error
}

// httpDeps is what the HTTP server is built over: the same planner, executor and key check as
// the pg wire server (the executor and planner wrapped for metrics by the caller).
type httpDeps struct {
	planner  *planner.Planner
	plan     httpapi.Planner
	executor httpapi.Executor
	// admission charges /v1/query and OData requests to their caller's rate budget.
	admission httpapi.Admission
	authn     httpapi.Authenticator
	metrics   *metrics.Set
	reload    *catalogReloader
	ready     []httpapi.Check
	status    func(ctx context.Context) map[string]any
	extra     []prometheus.Collector
	// routes mounts more endpoints on the HTTP server (httpapi.Config.Routes).
	routes func(*httpapi.Server)
	// cache is the result cache and rate limiter: its metrics, health, readiness and the HTTP
	// rate limit.
	cache *gatewayCache
	// deps are the shared dependencies besides Redis (remote sources): watched, reported, never
	// a reason for readiness to fail.
	deps []dependency.Check
}

// startHTTP starts the HTTP side server on cfg.HTTPAddr. In demo mode it listens on loopback
// only, like the pg listener.
func startHTTP(cfg config, log *slog.Logger, demo bool, d httpDeps) (*httpFront, error) {
	if demo {
		if err := requireLoopbackFor("SETU_HTTP_ADDR", cfg.HTTPAddr); err != nil {
			return nil, err
		}
		if cfg.MetricsAddr != "" {
			if err := requireLoopbackFor("SETU_METRICS_ADDR", cfg.MetricsAddr); err != nil {
				return nil, err
			}
		}
	}
	reg := prometheus.NewRegistry()
	hcfg := httpapi.Config{
		Authenticator:     d.authn,
		Planner:           d.plan,
		Executor:          d.executor,
		Admission:         d.admission,
		Catalog:           d.planner.Catalog,
		Log:               log.With("component", "http"),
		Version:           version,
		Ready:             d.ready,
		Status:            d.status,
		Reload:            d.reload.reload,
		ODataPageSize:     cfg.ODataPageSize,
		MaxDimensions:     cfg.MaxDimensions,
		MetricsRequireKey: cfg.MetricsRequireKey,
		Routes:            d.routes,
		ClientAddr:        cfg.TrustedProxies,
		QueryMetrics:      d.metrics,
	}
	var sampler *redisSampler
	if d.cache != nil {
		sampler = d.cache.wireHTTP(&hcfg, log)
	}
	deps := d.deps
	if d.cache != nil && d.cache.redis != nil {
		deps = append(deps, dependency.Check{Name: "redis", Check: d.cache.redis.Ping})
	}
	watcher := dependency.New(dependency.Config{Checks: deps, Interval: dependencyCheckInterval,
		Log: log.With("component", "dependencies"), Namespace: metrics.Namespace})
	hcfg.Dependencies = watcher.States
	metricsHandler := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)})
	if cfg.MetricsAddr == "" {
		hcfg.Metrics = metricsHandler
	}
	srv := httpapi.New(hcfg)
	cs := []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	cs = append(cs, d.metrics.Collectors()...)
	cs = append(cs, srv.Collectors()...)
	cs = append(cs, d.reload.collectors()...)
	cs = append(cs, d.extra...)
	if d.cache != nil {
		cs = append(cs, d.cache.Collectors()...)
	}
	if sampler != nil {
		cs = append(cs, sampler.collectors()...)
	}
	cs = append(cs, watcher.Collectors()...)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	f := &httpFront{server: srv, ln: d.metrics.Listener("http", ln), done: make(chan error, 1), sampler: sampler, watcher: watcher}
	if sampler != nil {
		sampler.start(redisSampleInterval)
	}
	watcher.Start()
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			sampler.Close()
			watcher.Close()
			return nil, fmt.Errorf("listen on %s: %w", cfg.MetricsAddr, err)
		}
		// Its own server with only /metrics (and health), so the data API is not exposed there.
		msrv := httpapi.New(httpapi.Config{Authenticator: d.authn, Planner: d.plan, Executor: d.executor,
			Catalog: d.planner.Catalog, Log: log.With("component", "metrics"), Version: version,
			Metrics: metricsHandler, MetricsRequireKey: cfg.MetricsRequireKey, MetricsOnly: true, ClientAddr: cfg.TrustedProxies})
		f.metrics = &metricsListener{server: msrv, ln: mln, done: make(chan error, 1)}
		go func() { f.metrics.done <- msrv.Serve(mln) }()
	}
	go func() { f.done <- srv.Serve(f.ln) }()
	log.Info("http server started", "http_addr", ln.Addr().String(), "metrics_addr", cfg.MetricsAddr)
	return f, nil
}

// Addr is where the HTTP server listens.
func (f *httpFront) Addr() net.Addr { return f.ln.Addr() }

// SetDraining makes readiness answer 503 while the gateway drains.
func (f *httpFront) SetDraining() {
	if f != nil {
		f.server.SetDraining()
	}
}

// Shutdown stops accepting and lets in-flight requests finish until ctx ends.
func (f *httpFront) Shutdown(ctx context.Context) error {
	if f == nil {
		return nil
	}
	f.sampler.Close()
	f.watcher.Close()
	err := f.server.Shutdown(ctx)
	if err != nil {
		// Out of time: cut the remaining requests, which cancels their queries.
		f.server.Close()
	}
	<-f.done
	if f.metrics != nil {
		if merr := f.metrics.server.Shutdown(ctx); err == nil {
			err = merr
		}
		<-f.metrics.done
	}
	return err
}

// Close stops at once.
func (f *httpFront) Close() {
	if f == nil {
		return
	}
	f.sampler.Close()
	f.watcher.Close()
	f.server.Close()
	if f.metrics != nil {
		f.metrics.server.Close()
	}
}

// requireLoopbackFor is requireLoopback naming the setting.
func requireLoopbackFor(setting, addr string) error {
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
	return fmt.Errorf("demo mode uses public demo keys and listens on loopback only; %s %q is not a loopback address (set SETU_ENV=production with real keys to listen elsewhere)", setting, addr)
}

// catalogReloader reloads the catalog file on POST /internal/reload and SIGHUP. A catalog that
// does not load, fails validation, or names a source the gateway has not opened is refused, and
// the one serving keeps serving.
type catalogReloader struct {
	path     string
	planner  *planner.Planner
	backends func(key string) bool
	log      *slog.Logger

	mu       sync.Mutex
	reloads  *prometheus.CounterVec
	lastLoad prometheus.Gauge
}

func newCatalogReloader(path string, pl *planner.Planner, backends func(string) bool, log *slog.Logger) *catalogReloader {
	return &catalogReloader{
		path: path, planner: pl, backends: backends, log: log,
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "catalog_reloads_total",
			Help: "Catalog reloads by result (ok, refused).",
		}, []string{"result"}),
		lastLoad: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metrics.Namespace, Name: "catalog_loaded_timestamp_seconds",
			Help: "When the catalog serving now was loaded (Unix time).",
		}),
	}
}

func (c *catalogReloader) collectors() []prometheus.Collector {
	c.lastLoad.SetToCurrentTime()
	return []prometheus.Collector{c.reloads, c.lastLoad}
}

// reload loads the catalog file again and swaps it in.
func (c *catalogReloader) reload(ctx context.Context) (httpapi.ReloadResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res, err := c.load(ctx)
	if err != nil {
		c.reloads.WithLabelValues("refused").Inc()
		c.log.Warn("catalog reload refused; the previous catalog keeps serving", "catalog", c.path, "error", err)
		return res, err
	}
	c.reloads.WithLabelValues("ok").Inc()
	c.lastLoad.SetToCurrentTime()
	c.log.Info("catalog reloaded", "catalog", c.path, "catalog_version", shortVersion(res.Version), "datasets", res.Datasets)
	return res, nil
}

func (c *catalogReloader) load(ctx context.Context) (httpapi.ReloadResult, error) {
	cat, err := catalog.LoadFile(c.path)
	if err != nil {
		return httpapi.ReloadResult{}, err
	}
	for _, ds := range cat.Datasets {
		key := ds.Source.SourceID
		if key == "" {
			key = ds.Source.Engine
		}
		if !c.backends(key) {
			return httpapi.ReloadResult{}, fmt.Errorf("dataset %q reads source %q, which the running gateway has not opened; restart to add sources", ds.ID, key)
		}
	}
	res := httpapi.ReloadResult{Version: cat.Version(), Datasets: len(cat.Datasets)}
	cur := c.planner.Snapshot()
	if cat.Version() == cur.Version() {
		return res, nil
	}
	running, ok := cur.System.(*pgcatalog.Catalog)
	if !ok {
		return httpapi.ReloadResult{}, fmt.Errorf("system catalog: the running one cannot be rebuilt")
	}
	// The same fence (memory, connections, time bound) as the running emulation.
	sys, err := running.Rebuild(ctx, cat)
	if err != nil {
		return httpapi.ReloadResult{}, fmt.Errorf("system catalog: %w", err)
	}
	// Both catalogs in one step: no plan sees the new datasets with the old system catalog or
	// the other way round. The replaced system catalog closes once its plans are done.
	c.planner.Publish(planner.NewSnapshot(cat, sys))
	return res, nil
}

// reloadOnSIGHUP reloads the catalog on each SIGHUP until ctx ends.
func (c *catalogReloader) reloadOnSIGHUP(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				rctx, cancel := context.WithTimeout(ctx, time.Minute)
				c.reload(rctx)
				cancel()
			}
		}
	}()
}

// pinger is a backend that can check its connection.
type pinger interface {
	Ping(ctx context.Context) (time.Duration, error)
}

// dependencyCheckInterval is how often the shared dependencies (Redis, remote sources) are
// checked for /v1/ready, /internal/status and setu_dependency_up.
const dependencyCheckInterval = 10 * time.Second

// readinessChecks are what /v1/ready checks besides the catalog: what this replica needs to
// serve, the embedded engine. Sources are dependencies (dependencyChecks): one that is down fails
// its own datasets, and the replica serves the rest.
func readinessChecks(embedded pinger) []httpapi.Check {
	return []httpapi.Check{{Name: "duckdb", Check: func(ctx context.Context) error {
		_, err := embedded.Ping(ctx)
		return err
	}}}
}

// dependencyChecks are the opened sources that can be pinged, as "source:<key>", in key order.
func dependencyChecks(sources *sourceSet) []dependency.Check {
	var checks []dependency.Check
	for _, key := range slices.Sorted(maps.Keys(sources.byKey)) {
		p, ok := sources.byKey[key].(pinger)
		if !ok {
			continue
		}
		checks = append(checks, dependency.Check{Name: "source:" + key, Check: func(ctx context.Context) error {
			_, err := p.Ping(ctx)
			return err
		}})
	}
	return checks
}

// statusSections are /internal/status's sections from the configuration: flags, never secrets.
func statusSections(cfg config, demo bool, sources *sourceSet, conns func() float64) func(context.Context) map[string]any {
	return func(ctx context.Context) map[string]any {
		dbs := []string{"duckdb"}
		for key := range sources.byKey {
			dbs = append(dbs, key)
		}
		return map[string]any{
			"environment": map[string]any{
				"mode":                    cfg.Env,
				"demo":                    demo,
				"secret_key_configured":   cfg.SecretKey != "",
				"postgres_dsn_configured": cfg.PostgresDSN != "",
				"catalog_file":            cfg.Catalog,
				"log_level":               cfg.LogLevel,
			},
			"guards": map[string]any{
				"query_max_rows":        cfg.MaxRows,
				"query_timeout_seconds": int(cfg.QueryTimeout / time.Second),
				"max_dimensions":        cfg.MaxDimensions,
				"max_metrics":           cfg.MaxMetrics,
				"max_filter_depth":      cfg.MaxFilterDepth,
				"max_connections":       cfg.MaxConnections,
			},
			"databases":   dbs,
			"connections": map[string]any{"pg_open": conns()},
		}
	}
}

// startHTTP starts the gateway's HTTP side server over the same planner, executor and key check
// as its pg wire server; mset holds the shared query metrics.
func (g *gateway) startHTTP(cfg config, log *slog.Logger, mset *metrics.Set, ex httpapi.Executor, adm httpapi.Admission, authn httpapi.Authenticator) error {
	if cfg.HTTPAddr == "" {
		// Only a config built in code has no address (serve's default is 127.0.0.1:8080).
		return nil
	}
	backends := func(key string) bool {
		if key == "duckdb" {
			return true
		}
		_, ok := g.sources.byKey[key]
		return ok
	}
	rl := newCatalogReloader(cfg.Catalog, g.planner, backends, log)
	f, err := startHTTP(cfg, log, g.demo, httpDeps{
		planner:   g.planner,
		plan:      mset.Planner(metrics.ProtocolREST, g.planner),
		executor:  mset.Executor(metrics.ProtocolREST, ex),
		admission: adm,
		authn:     mset.Authenticator(metrics.ProtocolREST, authn),
		metrics:   mset,
		reload:    rl,
		ready:     readinessChecks(duckdbSource{g.backend}),
		deps:      dependencyChecks(g.sources),
		status: statusSections(cfg, g.demo, g.sources, func() float64 {
			return mset.OpenConnections(metrics.ProtocolPG)
		}),
		cache: g.cache,
		// API keys: the key store's metrics and /v1/api-keys (keys_http.go).
		extra:  g.keys.Collectors(),
		routes: func(s *httpapi.Server) { mountKeysAPI(s, g.keys.Keys(), log) },
	})
	if err != nil {
		return err
	}
	f.reloader = rl
	g.http = f
	return nil
}

// reloadOnSIGHUP reloads the catalog on SIGHUP until ctx ends.
func (g *gateway) reloadOnSIGHUP(ctx context.Context) {
	if g.http != nil {
		g.http.reloader.reloadOnSIGHUP(ctx)
	}
}

// HTTPAddr is where the HTTP server listens.
func (g *gateway) HTTPAddr() net.Addr { return g.http.Addr() }

func printHTTPBanner(w io.Writer, g *gateway) {
	fmt.Fprintf(w, "HTTP API on http://%s (docs: /docs, health: /v1/health, OData: /odata, metrics: /metrics).\n"+
		"Operations key (demo): internal-admin-key for /internal/status and /internal/reload.\n\n", g.HTTPAddr())
}

// setBool is a setting's parser for a boolean.
func setBool(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false, got %q", v)
		}
		*p = b
		return nil
	}
}
