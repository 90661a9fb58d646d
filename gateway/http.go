package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/setupranali/setupranali/dependency"
	"github.com/setupranali/setupranali/httpapi"
	"github.com/setupranali/setupranali/metrics"
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
	// keys is the API key store /v1/api-keys manages; nil without one (demo without a state DB).
	keys httpapi.KeyAdmin
	// cache is the result cache and rate limiter: its metrics, health, readiness and the HTTP
	// rate limit.
	cache *gatewayCache
	// deps are the shared dependencies besides Redis (remote sources): watched, reported, never
	// a reason for readiness to fail.
	deps []dependency.Check
}

// startHTTP starts the HTTP side server on cfg.HTTPAddr. In demo mode it listens on loopback
// only, like the pg listener.
func startHTTP(cfg Config, log *slog.Logger, demo bool, d httpDeps) (*httpFront, error) {
	if demo {
		if err := requireLoopback("SETU_HTTP_ADDR", cfg.HTTPAddr); err != nil {
			return nil, err
		}
		if cfg.MetricsAddr != "" {
			if err := requireLoopback("SETU_METRICS_ADDR", cfg.MetricsAddr); err != nil {
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
		Version:           cfg.Version,
		Ready:             d.ready,
		Status:            d.status,
		Reload:            d.reload.reload,
		ODataPageSize:     cfg.ODataPageSize,
		MaxDimensions:     cfg.MaxDimensions,
		MetricsRequireKey: cfg.MetricsRequireKey,
		Keys:              d.keys,
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
			Catalog: d.planner.Catalog, Log: log.With("component", "metrics"), Version: cfg.Version,
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

// startHTTP starts the gateway's HTTP side server over the same planner, executor and key check
// as its pg wire server; mset holds the shared query metrics.
func (g *Gateway) startHTTP(cfg Config, log *slog.Logger, mset *metrics.Set, ex httpapi.Executor, adm httpapi.Admission, authn httpapi.Authenticator) error {
	if cfg.HTTPAddr == "" {
		// Only a Config built in code has no address (the setting's default is 127.0.0.1:8080).
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
		// API keys: the key store's metrics and /v1/api-keys (httpapi/keys.go).
		extra: g.keys.Collectors(),
		keys:  g.keys.admin(),
	})
	if err != nil {
		return err
	}
	f.reloader = rl
	g.http = f
	return nil
}

// HTTPAddr is where the HTTP server listens.
func (g *Gateway) HTTPAddr() net.Addr { return g.http.Addr() }
