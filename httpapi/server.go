package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/dependency"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/internal/clientaddr"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/ratelimit"
)

// Authenticator turns a presented API key into a principal. Failures are told apart with
// errors.Is on auth.ErrInvalidKey, auth.ErrRevokedKey and auth.ErrExpiredKey.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// Planner plans a request's statement for a session through the passes pg wire's SQL takes.
// Requests are built as trees (planner.StatementFromTree), so nothing here parses text.
type Planner interface {
	Plan(ctx context.Context, s planner.Session, st *planner.Statement, paramOIDs ...uint32) (*planner.Plan, error)
}

// Executor runs a plan and streams its rows in PostgreSQL text format.
type Executor interface {
	Execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w engine.RowWriter) (engine.Result, error)
}

// Admission charges requests to their caller's rate budget (admission.Controller): one
// /v1/query request of RATE_LIMIT_QUERY, one OData request of RATE_LIMIT_ODATA, except the
// nextLink pages of a feed already charged. Concurrency caps are the Executor's.
type Admission interface {
	ChargeRequest(ctx context.Context, caller admission.Caller) (ratelimit.Decision, error)
	FeedToken(caller admission.Caller, feed string, skip int64) string
	ChargeFeedPage(ctx context.Context, caller admission.Caller, feed string, skip int64, token string) (ratelimit.Decision, error)
}

// Check is one readiness component: Check returns nil when the component can serve.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// ReloadResult says what a catalog reload loaded.
type ReloadResult struct {
	Version  string `json:"catalog_version"`
	Datasets int    `json:"datasets"`
}

// Config configures a Server. Authenticator, Planner, Executor and Catalog are required.
type Config struct {
	Authenticator Authenticator
	Planner       Planner
	Executor      Executor
	// Catalog returns the catalog snapshot the planner serves (datasets, OData metadata).
	Catalog func() *catalog.Catalog
	Log     *slog.Logger
	// Version is the gateway's version, reported by /v1/health.
	Version string
	// Cache describes the result cache for /v1/health (enabled, redis_available, ...); nil
	// reports a disabled cache. It must be fast and must not reveal credentials.
	Cache func(ctx context.Context) map[string]any
	// Ready are the readiness components besides the catalog that this replica needs to serve
	// (the embedded engine); one failing makes /v1/ready answer 503.
	Ready []Check
	// Dependencies returns the last known state of the shared dependencies (Redis, remote
	// sources): reported by /v1/ready and /internal/status, never a reason for 503.
	Dependencies func() []dependency.State
	// Status returns the sections of /internal/status the server cannot know itself
	// (environment, cache, rate limiting, guards, keys, databases, connections). No secrets.
	Status func(ctx context.Context) map[string]any
	// Reload loads the catalog again and swaps it in, or refuses an invalid one and keeps the
	// old; nil makes POST /internal/reload answer 501.
	Reload func(ctx context.Context) (ReloadResult, error)
	// Metrics serves /metrics; nil serves none (e.g. metrics on their own address).
	Metrics http.Handler
	// MetricsRequireKey makes /metrics require an admin or internal_admin key.
	MetricsRequireKey bool
	// Admission, when set, charges /v1/query and OData requests to their caller's rate
	// budget; a refusal is answered 429 with RateLimit-* and Retry-After headers.
	Admission Admission
	// QueryMetrics, when set, counts query requests refused before planning (bad request, key,
	// rate limit) in setu_queries_total; the planner and executor given here count the rest.
	QueryMetrics *metrics.Set
	// ODataPageSize is the server-driven page size of OData results (default 5000).
	ODataPageSize int
	// MaxDimensions bounds the dimension expressions of one /v1/query request (default
	// planner.DefaultMaxDimensions); the planner's own guard counts distinct dimensions, so a
	// dimension asked for at several time grains is counted here.
	MaxDimensions int
	// MaxBodyBytes caps request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Timeouts of the HTTP server (defaults: 10s read header, 30s read, 5m write, 2m idle).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Database is the database name sessions carry to the planner (default "setupranali").
	Database string
	// MetricsOnly mounts only /metrics and /v1/health (a separate metrics address).
	MetricsOnly bool
	// Keys is the API key store /v1/api-keys manages (admin keys); nil answers those routes 501
	// (demo keys cannot be managed).
	Keys KeyAdmin
	// CachePurge, when set, serves POST /internal/cache/purge (admin keys); nil mounts no route
	// (no result cache).
	CachePurge CachePurger
	// extraRoutes, when set, mounts more routes with handle and handleOpen after the server's
	// own; the package's tests mount probes with it.
	extraRoutes func(*Server)
	// ClientAddr resolves each request's client address (behind trusted proxies, from
	// X-Forwarded-For) for the failed-login limits, the audit log and the request log; nil
	// trusts no proxy: the client is the TCP peer.
	ClientAddr *clientaddr.Resolver
}

// Server is the HTTP side server. Create it with New.
type Server struct {
	cfg     Config
	log     *slog.Logger
	router  *httprouter.Router
	metrics *serverMetrics

	// http is made with the Server, not in Serve: a Shutdown or Close that comes before the
	// Serve goroutine has run must still stop it (http.Server.Serve returns at once once the
	// server is closed), or a stopped gateway would go on serving.
	http *http.Server

	// draining is set when the gateway starts shutting down: readiness answers 503 from then
	// on, so load balancers stop sending work while in-flight queries finish.
	draining atomic.Bool
}

// SetDraining marks the gateway as shutting down; /v1/ready answers 503 "draining".
func (s *Server) SetDraining() { s.draining.Store(true) }

// New returns a server for cfg with its routes mounted.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ODataPageSize <= 0 {
		cfg.ODataPageSize = 5000
	}
	if cfg.MaxDimensions <= 0 {
		cfg.MaxDimensions = planner.DefaultMaxDimensions
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = 10 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Minute
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 2 * time.Minute
	}
	if cfg.Database == "" {
		cfg.Database = "setupranali"
	}
	s := &Server{cfg: cfg, log: cfg.Log, router: httprouter.New(), metrics: newServerMetrics()}
	s.router.NotFound = plain(s.wrap("not_found", false, nil, func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		s.writeError(w, r, http.StatusNotFound, "not_found", "no such endpoint", "")
	}))
	s.router.MethodNotAllowed = plain(s.wrap("method_not_allowed", false, nil, func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
		s.writeError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this endpoint", "")
	}))
	s.router.HandleOPTIONS = false
	s.routes()
	if cfg.extraRoutes != nil && !cfg.MetricsOnly {
		cfg.extraRoutes(s)
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	return s
}

func (s *Server) routes() {
	r := s.router
	r.GET("/v1/health", s.wrap("/v1/health", false, nil, s.health))
	admins := []auth.Role{auth.RoleAdmin, auth.RoleInternalAdmin}
	if s.cfg.Metrics != nil {
		h := func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) { s.cfg.Metrics.ServeHTTP(w, r) }
		if s.cfg.MetricsRequireKey {
			r.GET("/metrics", s.wrap("/metrics", true, admins, h))
		} else {
			r.GET("/metrics", s.wrap("/metrics", false, nil, h))
		}
	}
	if s.cfg.MetricsOnly {
		return
	}
	r.GET("/v1/ready", s.wrap("/v1/ready", false, nil, s.ready))
	r.GET("/internal/status", s.wrap("/internal/status", true, admins, s.status))
	r.POST("/internal/reload", s.wrap("/internal/reload", true, admins, s.reload))
	r.POST("/v1/query", s.wrap("/v1/query", true, nil, s.query))
	r.GET("/v1/datasets", s.wrap("/v1/datasets", true, nil, s.datasets))
	r.GET("/v1/datasets/:id", s.wrap("/v1/datasets/:id", true, nil, s.dataset))
	r.GET("/v1/datasets/:id/schema", s.wrap("/v1/datasets/:id/schema", true, nil, s.datasetSchema))
	for _, base := range []string{"/odata", "/v1/odata"} {
		r.GET(base, s.wrap(base, true, nil, s.odataService))
		// httprouter cannot put "$metadata" beside ":set" on one segment; one catch-all
		// route per prefix dispatches on the path instead.
		r.GET(base+"/*path", s.wrap(base+"/*", true, nil, s.odataDispatch))
	}
	r.GET("/openapi.json", s.wrap("/openapi.json", false, nil, s.openAPI))
	r.GET("/docs", s.wrap("/docs", false, nil, s.docs))
	s.mountKeysAPI()
	if s.cfg.CachePurge != nil {
		s.handle(http.MethodPost, "/internal/cache/purge", http.HandlerFunc(s.purgeCache), auth.RoleAdmin)
	}
}

// handle mounts an authenticated route: handler runs only for a key with one of roles (any
// role when none are given), with the principal in the request context (principalFrom) and
// the route's parameters in httprouter.ParamsFromContext. Errors are written with writeError.
func (s *Server) handle(method, path string, h http.Handler, roles ...auth.Role) {
	s.router.Handle(method, path, s.wrap(path, true, roles, adapt(h)))
}

// handleOpen mounts a route that needs no key.
func (s *Server) handleOpen(method, path string, h http.Handler) {
	s.router.Handle(method, path, s.wrap(path, false, nil, adapt(h)))
}

func plain(h httprouter.Handle) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, nil) })
}

func adapt(h http.Handler) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), httprouter.ParamsKey, ps)))
	}
}

// ServeHTTP routes a request; the Server is an http.Handler for tests and embedding.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Collectors returns the server's Prometheus collectors.
func (s *Server) Collectors() []prometheus.Collector { return s.metrics.collectors() }

// Serve accepts HTTP connections on ln until Shutdown or Close, then returns nil.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Close stops at once.
func (s *Server) Close() error { return s.http.Close() }
