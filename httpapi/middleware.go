package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/ratelimit"
	"github.com/setupranali/setupranali/sqlerr"
)

type serverMetrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	authFails *prometheus.CounterVec
	limited   *prometheus.CounterVec
	panics    prometheus.Counter
}

func newServerMetrics() *serverMetrics {
	ns := metrics.Namespace
	return &serverMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, to the end of the response.",
			Buckets: metrics.DurationBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		authFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "http_auth_failures_total",
			Help: "HTTP requests refused by authentication, by reason (missing, invalid, revoked, expired, error, role).",
		}, []string{"reason"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "http_rate_limited_total",
			Help: "HTTP requests rejected by the rate limit, by endpoint.",
		}, []string{"endpoint"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Name: "http_panics_total",
			Help: "Handler panics recovered into a 500.",
		}),
	}
}

func (m *serverMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.duration, m.inFlight, m.authFails, m.limited, m.panics}
}

// reqInfo is what a request carries through its handlers: its id, logger and caller, and what
// the final log line reports.
type reqInfo struct {
	id string
	// addr is the client's address (clientaddr), "" when the peer is no IP address.
	addr      string
	log       *slog.Logger
	principal auth.Principal
	authed    bool
	dataset   string
	// errCode and sqlstate are the error response's, for countRefusal.
	errCode, sqlstate string
}

type reqKey struct{}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(reqKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{log: slog.New(slog.DiscardHandler)}
}

// principalFrom returns the authenticated caller of a request served by a handle route.
func principalFrom(ctx context.Context) (auth.Principal, bool) {
	ri, ok := ctx.Value(reqKey{}).(*reqInfo)
	if !ok || !ri.authed {
		return auth.Principal{}, false
	}
	return ri.principal, true
}

// clientAddr returns the client address of a request served by this server: the TCP peer, or
// behind a trusted proxy the address it forwarded (Config.ClientAddr).
func clientAddr(ctx context.Context) string {
	if ri, ok := ctx.Value(reqKey{}).(*reqInfo); ok {
		return ri.addr
	}
	return ""
}

// requestIDFrom returns the request's id, as sent back in X-Request-ID.
func requestIDFrom(ctx context.Context) string {
	if ri, ok := ctx.Value(reqKey{}).(*reqInfo); ok {
		return ri.id
	}
	return ""
}

// statusWriter remembers the status code and whether anything was written.
type statusWriter struct {
	http.ResponseWriter
	code    int
	written bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.code = code
		w.written = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.code = http.StatusOK
		w.written = true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestID takes the client's X-Request-ID when it is short and plain, else makes one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); id != "" && len(id) <= 128 && plainID(id) {
		return id
	}
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func plainID(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// wrap is every route's middleware: request id, security headers, body limit, panic recovery,
// metrics, authentication and role check, and one log line at the end.
func (s *Server) wrap(route string, needKey bool, roles []auth.Role, h httprouter.Handle) httprouter.Handle {
	return func(rw http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		start := time.Now()
		ri := &reqInfo{id: requestID(r), addr: s.cfg.ClientAddr.String(r)}
		ri.log = s.log.With("request_id", ri.id, "remote_addr", ri.addr)
		w := &statusWriter{ResponseWriter: rw}
		hdr := w.Header()
		hdr.Set("X-Request-ID", ri.id)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Cache-Control", "no-store")
		r = r.WithContext(metrics.Track(context.WithValue(r.Context(), reqKey{}, ri)))
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					// A response already under way failed; the connection is cut on purpose.
					s.finish(w, r, ri, route, start)
					panic(p)
				}
				s.metrics.panics.Inc()
				ri.log.Error("panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if !w.written {
					s.writeError(w, r, http.StatusInternalServerError, "internal_error", "internal error (request "+ri.id+")", "")
				}
			}
			s.finish(w, r, ri, route, start)
		}()
		if needKey && !s.authenticate(w, r, ri, roles) {
			return
		}
		h(w, r, ps)
	}
}

func (s *Server) finish(w *statusWriter, r *http.Request, ri *reqInfo, route string, start time.Time) {
	code := w.code
	if !w.written {
		code = http.StatusOK
	}
	d := time.Since(start)
	s.countRefusal(w, r, ri, route)
	s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
	s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
	attrs := []any{"method", r.Method, "route", route, "status", code, "duration_ms", d.Milliseconds()}
	if ri.authed {
		attrs = append(attrs, "key_id", ri.principal.KeyID, "tenant", strings.Join(ri.principal.Tenants, ","), "role", string(ri.principal.Role))
	}
	if ri.dataset != "" {
		attrs = append(attrs, "dataset", ri.dataset)
	}
	level := slog.LevelInfo
	if route == "/v1/health" || route == "/v1/ready" || route == "/metrics" {
		level = slog.LevelDebug
	}
	if code >= 500 {
		level = slog.LevelWarn
	}
	ri.log.Log(r.Context(), level, "http request", attrs...)
}

// apiKey finds the presented key: X-API-Key, else Authorization: Bearer.
func apiKey(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k
	}
	a := r.Header.Get("Authorization")
	if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, ri *reqInfo, roles []auth.Role) bool {
	key := apiKey(r)
	if key == "" {
		s.metrics.authFails.WithLabelValues("missing").Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="setupranali"`)
		s.writeError(w, r, http.StatusUnauthorized, "authentication_required", "an API key is required: send it in X-API-Key or Authorization: Bearer", "")
		return false
	}
	// The client's address (behind trusted proxies, the one they forwarded) feeds the
	// failed-login limits and the audit rows.
	ctx := auth.WithRemoteAddr(metrics.WithProtocol(r.Context(), protocolOf(r)), ri.addr)
	p, err := s.cfg.Authenticator.Authenticate(ctx, key)
	if err != nil {
		reason := metrics.AuthReason(err)
		s.metrics.authFails.WithLabelValues(reason).Inc()
		switch reason {
		case "revoked":
			ri.log.Info("authentication failed", "reason", reason)
			s.writeError(w, r, http.StatusForbidden, "api_key_revoked", "the API key was revoked", "")
		case "expired":
			ri.log.Info("authentication failed", "reason", reason)
			s.writeError(w, r, http.StatusForbidden, "api_key_expired", "the API key has expired", "")
		case "invalid":
			ri.log.Info("authentication failed", "reason", reason)
			s.writeError(w, r, http.StatusForbidden, "invalid_api_key", "invalid API key", "")
		case "locked":
			// Too many failed logins from this address (in all, or naming this key id).
			ri.log.Warn("authentication refused: locked out")
			w.Header().Set("Retry-After", "300")
			s.writeError(w, r, http.StatusTooManyRequests, "too_many_failed_logins", "too many failed logins; try again later", "")
		default:
			// A broken key store: logged in full, answered without detail.
			e := sqlerr.Internal(err)
			ri.log.Error("authentication failed: internal error", "message", e.Message, "error", err)
			s.writeError(w, r, http.StatusServiceUnavailable, "authentication_unavailable", e.Message, "")
		}
		return false
	}
	ri.principal, ri.authed = p, true
	if len(roles) > 0 && !hasRole(p, roles) {
		s.metrics.authFails.WithLabelValues("role").Inc()
		s.writeError(w, r, http.StatusForbidden, "insufficient_role", "this endpoint needs role "+roleList(roles), "")
		return false
	}
	return true
}

func hasRole(p auth.Principal, roles []auth.Role) bool {
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

func roleList(roles []auth.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, " or ")
}

// protocolOf names the front door a request uses, for metrics.
func protocolOf(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/odata") || strings.HasPrefix(r.URL.Path, "/v1/odata") {
		return metrics.ProtocolOData
	}
	return metrics.ProtocolREST
}

// caller is the authenticated caller of r as admission and the executor see it.
func (s *Server) caller(r *http.Request) admission.Caller {
	ri := info(r)
	return admission.Caller{Principal: ri.principal, Protocol: admission.Protocol(protocolOf(r)), RemoteAddr: ri.addr}
}

// admit charges r to its caller's rate budget; false means it was answered with 429.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Admission == nil {
		return true
	}
	d, err := s.cfg.Admission.ChargeRequest(r.Context(), s.caller(r))
	return s.admitted(w, r, d, err)
}

// admitFeedPage is admit for a page of an OData feed: the page a nextLink token names is free.
func (s *Server) admitFeedPage(w http.ResponseWriter, r *http.Request, feed string, skip int64, token string) bool {
	if s.cfg.Admission == nil {
		return true
	}
	d, err := s.cfg.Admission.ChargeFeedPage(r.Context(), s.caller(r), feed, skip, token)
	return s.admitted(w, r, d, err)
}

// admitted writes the rate-limit headers of d and, when err refused the request, the 429.
func (s *Server) admitted(w http.ResponseWriter, r *http.Request, d ratelimit.Decision, err error) bool {
	ratelimit.SetHeaders(w.Header(), d)
	if err == nil {
		return true
	}
	endpoint := ratelimit.ClassQuery
	if protocolOf(r) == metrics.ProtocolOData {
		endpoint = ratelimit.ClassOData
	}
	s.metrics.limited.WithLabelValues(endpoint).Inc()
	msg := "rate limit exceeded"
	var se *sqlerr.Error
	if errors.As(err, &se) {
		msg = se.Message
	}
	info(r).log.Info("rate limited", "class", endpoint)
	s.writeError(w, r, http.StatusTooManyRequests, "rate_limited", msg, sqlerr.ConfigurationLimit)
	return false
}
