package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
)

// Authenticator turns the password a client sent (an API key) into a principal.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// Planner turns query text into plans. Parse splits a query string into statements; Plan binds
// one of them for a session.
type Planner interface {
	Parse(sql string) ([]*planner.Statement, error)
	Plan(ctx context.Context, s planner.Session, st *planner.Statement, paramOIDs ...uint32) (*planner.Plan, error)
}

// Executor runs a plan and streams its rows to w. w is an engine.FormatWriter: it says which
// columns the client bound in binary. Rows may be pushed from a goroutine other than the
// connection's (a portal suspended at its row limit); each WriteRow call returns before the next.
type Executor interface {
	Execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w engine.RowWriter) (engine.Result, error)
}

// Admission decides which connections may be served (admission.Controller): a connection
// holds a startup slot until it authenticated, then a session slot of its key and tenants.
// Refusals are FATAL 53300 errors naming the cap.
type Admission interface {
	StartConnection() (release func(), err error)
	OpenSession(caller admission.Caller) (release func(), err error)
}

// Config configures a Server. Authenticator, Planner and Executor are required.
type Config struct {
	Authenticator Authenticator
	Planner       Planner
	Executor      Executor
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger
	// Admission, when set, caps connections: before and after authentication, per server,
	// key and tenant. Queries are admitted by the Executor.
	Admission Admission
	// ServerVersion is reported as server_version; drivers parse it, so it must start with a
	// PostgreSQL version number. Default "15.8": drivers and psql pick their catalog queries
	// by it, and the catalog emulation answers as PostgreSQL 15.
	ServerVersion string
	// StartupTimeout bounds the whole startup phase (startup packet and authentication), so a
	// client that never finishes cannot hold a socket or a slot. Default 30s.
	StartupTimeout time.Duration
	// MaxMessageSize is the largest message body accepted from a client. Default 16 MiB.
	MaxMessageSize int
	// Limits: per-key queries, write and idle timeouts (limits.go).
	Limits
	// TLS, when set, answers SSLRequest with TLS and accepts direct TLS (sslnegotiation=direct);
	// nil refuses TLS. Its certificate is served through GetCertificate or Certificates[0].
	TLS *tls.Config
	// RequireTLS refuses clients that did not negotiate TLS.
	RequireTLS bool
	// Cleartext says when a key may be sent as a clear-text password; see CleartextPolicy.
	Cleartext CleartextPolicy
	// AuthFailed, when set, is told of every failed key check (clear text or SCRAM) with the
	// error the check returned, e.g. to count it in metrics; an empty password comes as
	// auth.ErrInvalidKey.
	AuthFailed func(err error)
}

const (
	defaultServerVersion  = "15.8"
	defaultStartupTimeout = 30 * time.Second
	defaultMaxMessageSize = 16 << 20
)

var (
	// errShutdown is the cancel cause of queries stopped because the server is going away.
	errShutdown = errors.New("server shutting down")
	// errCanceled is the cancel cause of a query stopped by a CancelRequest.
	errCanceled = errors.New("canceled by request")
	// errClientGone is the cancel cause when the client's socket fails or closes.
	errClientGone = errors.New("client disconnected")
)

// Server accepts PostgreSQL connections. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger

	// ctx is the parent of every connection's context; stop cancels it when Shutdown runs out of
	// time or Close is called.
	ctx  context.Context
	stop context.CancelCauseFunc
	// drainCtx is cancelled when shutdown begins (drain is its Done channel): idle connections
	// say goodbye, busy ones finish their current message first.
	drainCtx context.Context
	endDrain context.CancelFunc
	drain    <-chan struct{}

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	// keys holds the connections that were given BackendKeyData, by pid, for CancelRequest.
	keys    map[uint32]*conn
	lastPID uint32
	// wg counts Serve calls and connection goroutines; it is only added to while !closing.
	wg sync.WaitGroup
}

// New returns a server for cfg, filling in defaults.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = defaultServerVersion
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = defaultStartupTimeout
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = defaultMaxMessageSize
	}
	cfg = cfg.withLimits()
	ctx, stop := context.WithCancelCause(context.Background())
	drainCtx, endDrain := context.WithCancel(context.Background())
	return &Server{
		drainCtx:  drainCtx,
		endDrain:  endDrain,
		drain:     drainCtx.Done(),
		cfg:       cfg,
		log:       cfg.Log,
		ctx:       ctx,
		stop:      stop,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		keys:      make(map[uint32]*conn),
	}
}

// Serve accepts connections on ln until Shutdown or Close, then returns nil. It closes ln.
// Other accept failures are returned.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosing() {
				return nil
			}
			// Running out of file descriptors must not end the server; wait and retry.
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "error", err, "retry_in", backoff)
				select {
				case <-time.After(backoff):
				case <-s.drain:
				}
				continue
			}
			return err
		}
		backoff = 0
		if !s.track(nc) {
			nc.Close()
			return nil
		}
	}
}

// track registers a new connection and starts its goroutine, unless shutdown has begun.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	go c.serve()
	return true
}

// forget removes an ended connection and frees its slot.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if c.pid != 0 && s.keys[c.pid] == c {
		delete(s.keys, c.pid)
	}
	c.releaseSlots()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// draining reports whether shutdown has begun, without taking the lock.
func (s *Server) draining() bool {
	select {
	case <-s.drain:
		return true
	default:
		return false
	}
}

// Shutdown stops accepting connections, closes idle ones with 57P01, and lets busy ones finish
// the message they are working on. If ctx ends first, running queries are cancelled and every
// connection is closed; Shutdown then waits for the connection goroutines (an Executor that
// ignores its context delays this) and returns ctx's error. Serve returns nil once it begins.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.hardStop()
	<-done
	return ctx.Err()
}

// Close stops the server at once: listeners and connections are closed and running queries
// cancelled. It waits for every goroutine of the server to end.
func (s *Server) Close() error {
	s.beginClose()
	s.hardStop()
	s.wg.Wait()
	return nil
}

func (s *Server) beginClose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.closing = true
	s.endDrain()
	for ln := range s.listeners {
		ln.Close()
	}
}

func (s *Server) hardStop() {
	s.stop(errShutdown)
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}
