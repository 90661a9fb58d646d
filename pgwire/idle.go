package pgwire

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/planner/session"
	"github.com/setupranali/setupranali/sqlerr"
)

// idle_session_timeout and idle_in_transaction_session_timeout, as in PostgreSQL: the timer runs
// while the server waits for the next command after ReadyForQuery (not between the messages of
// an unfinished extended-protocol batch), and when it fires the session ends with a FATAL error.
// A setting the session made wins over the server's default (Limits).

// errIdleTimeout is returned by the socket reader when the idle timer fires while it waits.
var errIdleTimeout = errors.New("idle timeout")

// endsCycle reports whether the answer to msg ended with ReadyForQuery, after which the client
// is idle until it sends something.
func endsCycle(msg pgproto3.FrontendMessage) bool {
	switch msg.(type) {
	case *pgproto3.Query, *pgproto3.Sync, *pgproto3.FunctionCall,
		*pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		return true
	}
	return false
}

// idleLimit is the idle timeout that applies now, 0 for none.
func (c *conn) idleLimit() time.Duration {
	name, def := "idle_session_timeout", c.srv.cfg.IdleSessionTimeout
	if c.txStatus() != 'I' {
		name, def = "idle_in_transaction_session_timeout", c.srv.cfg.IdleInTransactionSessionTimeout
	}
	if v, ok := c.session.Settings[name]; ok {
		return session.StatementTimeout(v)
	}
	return def
}

// armIdle starts the idle timer if one applies; the returned func stops it.
func (c *conn) armIdle() (stop func()) {
	d := c.idleLimit()
	if d <= 0 {
		return func() {}
	}
	c.rd.setIdle(d)
	return func() { c.rd.setIdle(0) }
}

// idleError is the FATAL error of an idle timeout.
func (c *conn) idleError() *sqlerr.Error {
	if c.txStatus() != 'I' {
		return sqlerr.Fatal(sqlerr.IdleInTransactionSessionTimeout, "terminating connection due to idle-in-transaction timeout")
	}
	return sqlerr.Fatal(sqlerr.IdleSessionTimeout, "terminating connection due to idle-session timeout")
}
