package pgwire

import "time"

// Limits bound what clients can hold of the server. The zero value takes the defaults.
type Limits struct {
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

// withLimits fills in the defaults of the limits.
func (cfg Config) withLimits() Config {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	return cfg
}

// endStartup gives back the connection's startup slot once startup is over.
func (c *conn) endStartup() {
	if c.releaseStartup != nil {
		c.releaseStartup()
		c.releaseStartup = nil
	}
}

// releaseSlots gives back every admission slot the connection holds.
func (c *conn) releaseSlots() {
	c.endStartup()
	if c.releaseSession != nil {
		c.releaseSession()
		c.releaseSession = nil
	}
}

// Connections is how many client connections the server is serving, startup included: for
// tests and load tools that check a connection really ended.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
