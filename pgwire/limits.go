package pgwire

import (
	"context"
	"sync"
	"time"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Limits bound what clients can hold of the server. The zero value takes the defaults.
type Limits struct {
	// MaxQueriesPerKey caps the queries one API key runs at once over all its connections
	// (a suspended portal or an open cursor counts while its execution is held); a query past
	// it fails at once with 53400. 0 means no cap.
	MaxQueriesPerKey int
	// WriteTimeout bounds each write to a client. A client that stops reading mid-result
	// fills its socket buffers; then the write fails after WriteTimeout, the connection ends
	// and the engine query is cancelled, instead of the result waiting in memory. Default 60s.
	WriteTimeout time.Duration
	// IdleSessionTimeout and IdleInTransactionSessionTimeout are the server's defaults of
	// idle_session_timeout and idle_in_transaction_session_timeout (a session may SET its
	// own): a client idle that long outside (inside) a transaction block is disconnected with
	// FATAL 57P05 (25P03), as PostgreSQL does. 0 means none.
	IdleSessionTimeout              time.Duration
	IdleInTransactionSessionTimeout time.Duration
}

const defaultWriteTimeout = 60 * time.Second

// withLimits fills in the defaults of the limits and puts the per-key query cap in front of
// the executor.
func (cfg Config) withLimits() Config {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.MaxQueriesPerKey > 0 && cfg.Executor != nil {
		cfg.Executor = &keyLimiter{next: cfg.Executor, max: cfg.MaxQueriesPerKey, running: make(map[string]int)}
	}
	return cfg
}

// keyIDKey carries the connection's API key id in its context, for keyLimiter.
type keyIDKey struct{}

// withKeyID marks ctx as the context of a session of keyID.
func withKeyID(ctx context.Context, keyID string) context.Context {
	if keyID == "" {
		return ctx
	}
	return context.WithValue(ctx, keyIDKey{}, keyID)
}

// keyLimiter is an Executor that admits at most max concurrent executions per API key.
type keyLimiter struct {
	next Executor
	max  int

	mu      sync.Mutex
	running map[string]int
}

func (l *keyLimiter) Execute(ctx context.Context, plan *planner.Plan, args []any, w engine.RowWriter) (engine.Result, error) {
	key, _ := ctx.Value(keyIDKey{}).(string)
	if key == "" {
		return l.next.Execute(ctx, plan, args, w)
	}
	l.mu.Lock()
	if l.running[key] >= l.max {
		l.mu.Unlock()
		return engine.Result{}, sqlerr.New(sqlerr.ConfigurationLimit,
			"too many concurrent queries for API key %s: at most %d may run at once", key, l.max).
			WithHint("Wait for running queries to finish, or use fewer parallel connections with this key.")
	}
	l.running[key]++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		if l.running[key]--; l.running[key] <= 0 {
			delete(l.running, key)
		}
		l.mu.Unlock()
	}()
	return l.next.Execute(ctx, plan, args, w)
}

// Connections is how many client connections the server is serving, startup included: for
// tests and load tools that check a connection really ended.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
