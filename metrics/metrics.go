package metrics

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Namespace prefixes every metric of the gateway.
const Namespace = "setu"

// DurationBuckets are the latency buckets of request and query histograms, in seconds: fine
// enough below a second for p50/p95/p99 of cached and small queries, wide enough for the 30 s
// default query timeout.
var DurationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Class is the label value of an error: its SQLSTATE class ("42", "57", ...), "00" for success.
func Class(err error) string {
	if err == nil {
		return "00"
	}
	return sqlerr.Class(sqlerr.Code(err))
}

// Protocols of the front doors, as label values.
const (
	ProtocolPG    = "pg"
	ProtocolOData = "odata"
	ProtocolREST  = "rest"
)

// Set is the shared collectors. Make it with New.
type Set struct {
	queries     *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	rows        *prometheus.CounterVec
	bytes       *prometheus.CounterVec
	cancels     *prometheus.CounterVec
	authFails   *prometheus.CounterVec
	connsOpen   *prometheus.GaugeVec
	connsTotal  *prometheus.CounterVec
	rowsPerCall *prometheus.HistogramVec
}

// New makes the collectors; register them with Collectors.
func New() *Set {
	return &Set{
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "queries_total",
			Help: "Queries planned or run, by protocol and SQLSTATE class (00: success).",
		}, []string{"protocol", "class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "query_duration_seconds",
			Help:    "Time from the start of execution to the last row written, by protocol.",
			Buckets: DurationBuckets,
		}, []string{"protocol"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "result_rows_total",
			Help: "Result rows written to clients, by protocol.",
		}, []string{"protocol"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "result_bytes_total",
			Help: "Bytes of encoded result values written to clients, by protocol.",
		}, []string{"protocol"}),
		rowsPerCall: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "query_result_rows",
			Help:    "Rows per query result, by protocol.",
			Buckets: prometheus.ExponentialBuckets(1, 10, 7),
		}, []string{"protocol"}),
		cancels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "query_cancellations_total",
			Help: "Queries stopped before their end, by protocol and reason (timeout: a time limit; cancel: the client cancelled or left).",
		}, []string{"protocol", "reason"}),
		authFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "auth_failures_total",
			Help: "Failed key checks on every door (pg wire clear text and SCRAM, REST, OData), by protocol and reason (invalid, revoked, expired, locked, error).",
		}, []string{"protocol", "reason"}),
		connsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "connections_open",
			Help: "Open client connections, by protocol.",
		}, []string{"protocol"}),
		connsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "connections_total",
			Help: "Client connections accepted, by protocol.",
		}, []string{"protocol"}),
	}
}

// Collectors returns the collectors to register.
func (s *Set) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.queries, s.duration, s.rows, s.bytes, s.rowsPerCall, s.cancels, s.authFails, s.connsOpen, s.connsTotal}
}

// QueryFailed counts a query that failed before it ran (parse or plan error).
func (s *Set) QueryFailed(protocol string, err error) {
	s.queries.WithLabelValues(protocol, Class(err)).Inc()
}

// AuthFailed counts a failed authentication; reason is one of AuthReason's values.
func (s *Set) AuthFailed(protocol, reason string) {
	s.authFails.WithLabelValues(protocol, reason).Inc()
}

// AuthReason names why an authentication failed, for the reason label.
func AuthReason(err error) string {
	switch {
	case errors.Is(err, auth.ErrLockedOut):
		return "locked"
	case errors.Is(err, auth.ErrRevokedKey):
		return "revoked"
	case errors.Is(err, auth.ErrExpiredKey):
		return "expired"
	case errors.Is(err, auth.ErrInvalidKey), sqlerr.Class(sqlerr.Code(err)) == "28":
		return "invalid"
	}
	return "error"
}

// Executor is what the wrappers measure: engine.Executor's method.
type Executor interface {
	Execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w engine.RowWriter) (engine.Result, error)
}

// Executor returns inner measured as protocol's queries.
func (s *Set) Executor(protocol string, inner Executor) Executor {
	return &meteredExecutor{set: s, protocol: protocol, inner: inner}
}

type meteredExecutor struct {
	set      *Set
	protocol string
	inner    Executor
}

func (e *meteredExecutor) Execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w engine.RowWriter) (engine.Result, error) {
	if plan.Kind != planner.KindQuery {
		return e.inner.Execute(ctx, caller, plan, args, w)
	}
	protocol := e.protocol
	if caller.Protocol != "" {
		protocol = string(caller.Protocol)
	}
	start := time.Now()
	cw := &countingWriter{w: w}
	var mw engine.RowWriter = cw
	if fw, ok := w.(engine.FormatWriter); ok {
		mw = &countingFormatWriter{countingWriter: cw, formats: fw}
	}
	res, err := e.inner.Execute(ctx, caller, plan, args, mw)
	e.set.duration.WithLabelValues(protocol).Observe(time.Since(start).Seconds())
	e.set.queries.WithLabelValues(protocol, Class(err)).Inc()
	MarkCounted(ctx)
	e.set.rows.WithLabelValues(protocol).Add(float64(cw.rows))
	e.set.bytes.WithLabelValues(protocol).Add(float64(cw.bytes))
	if err == nil {
		e.set.rowsPerCall.WithLabelValues(protocol).Observe(float64(cw.rows))
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			// The caller's context ended: the client cancelled, left, or the server shut down.
			e.set.cancels.WithLabelValues(protocol, "cancel").Inc()
		case sqlerr.Code(err) == sqlerr.QueryCanceled:
			// The caller's context is live, so the executor's own time limit stopped it.
			e.set.cancels.WithLabelValues(protocol, "timeout").Inc()
		}
	}
	return res, err
}

type countingWriter struct {
	w     engine.RowWriter
	rows  int64
	bytes int64
}

func (c *countingWriter) WriteRow(values [][]byte) error {
	c.rows++
	for _, v := range values {
		c.bytes += int64(len(v))
	}
	return c.w.WriteRow(values)
}

// countingFormatWriter keeps the wrapped writer's choice of binary columns visible.
type countingFormatWriter struct {
	*countingWriter
	formats engine.FormatWriter
}

func (c *countingFormatWriter) Formats() []int16 { return c.formats.Formats() }

// Planner is pgwire's view of the planner.
type Planner interface {
	Parse(sql string) ([]*planner.Statement, error)
	Plan(ctx context.Context, s planner.Session, st *planner.Statement, paramOIDs ...uint32) (*planner.Plan, error)
}

// Planner returns inner with its parse and plan failures counted as protocol's failed queries.
func (s *Set) Planner(protocol string, inner Planner) Planner {
	return &meteredPlanner{set: s, protocol: protocol, inner: inner}
}

type meteredPlanner struct {
	set      *Set
	protocol string
	inner    Planner
}

func (p *meteredPlanner) Parse(sql string) ([]*planner.Statement, error) {
	st, err := p.inner.Parse(sql)
	if err != nil {
		p.set.QueryFailed(p.protocol, err)
	}
	return st, err
}

func (p *meteredPlanner) Plan(ctx context.Context, sess planner.Session, st *planner.Statement, paramOIDs ...uint32) (*planner.Plan, error) {
	plan, err := p.inner.Plan(ctx, sess, st, paramOIDs...)
	if err != nil {
		p.set.QueryFailed(protocolOf(ctx, p.protocol), err)
		MarkCounted(ctx)
	}
	return plan, err
}

// Authenticator is the key check front doors use.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// Authenticator returns inner with its failures counted for protocol.
func (s *Set) Authenticator(protocol string, inner Authenticator) Authenticator {
	return &meteredAuth{set: s, protocol: protocol, inner: inner}
}

type meteredAuth struct {
	set      *Set
	protocol string
	inner    Authenticator
}

func (a *meteredAuth) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	p, err := a.inner.Authenticate(ctx, secret)
	if err != nil {
		a.set.AuthFailed(protocolOf(ctx, a.protocol), AuthReason(err))
	}
	return p, err
}

// Listener returns ln with its accepted connections counted as protocol's, open and in total.
func (s *Set) Listener(protocol string, ln net.Listener) net.Listener {
	return &meteredListener{Listener: ln, open: s.connsOpen.WithLabelValues(protocol), total: s.connsTotal.WithLabelValues(protocol)}
}

type meteredListener struct {
	net.Listener
	open  prometheus.Gauge
	total prometheus.Counter
}

func (l *meteredListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	l.open.Inc()
	l.total.Inc()
	return &meteredConn{Conn: c, open: l.open}, nil
}

type meteredConn struct {
	net.Conn
	open prometheus.Gauge
	once sync.Once
}

func (c *meteredConn) Close() error {
	c.once.Do(c.open.Dec)
	return c.Conn.Close()
}

type protocolKey struct{}

// WithProtocol marks ctx as serving protocol, so one wrapped executor or planner shared by
// several front doors (the HTTP server's OData and JSON API) counts each under its own name.
func WithProtocol(ctx context.Context, protocol string) context.Context {
	return context.WithValue(ctx, protocolKey{}, protocol)
}

func protocolOf(ctx context.Context, def string) string {
	if p, ok := ctx.Value(protocolKey{}).(string); ok && p != "" {
		return p
	}
	return def
}

// OpenConnections returns how many connections of protocol are open now.
func (s *Set) OpenConnections(protocol string) float64 {
	var m dto.Metric
	if err := s.connsOpen.WithLabelValues(protocol).Write(&m); err != nil || m.Gauge == nil {
		return 0
	}
	return m.Gauge.GetValue()
}
