package pgwire

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/sqlerr"
)

func TestMaxQueriesPerKey(t *testing.T) {
	ts := startServer(t, nil)
	ts.exec.admit = admission.New(admission.Config{MaxQueriesPerKey: 1})
	busy := ts.dial(t)
	busy.login()
	busy.send(&pgproto3.Query{String: "slow"})
	<-ts.exec.started

	// Another connection with the same key is refused while the first query runs, with an
	// ERROR (not FATAL: the session goes on) that says what to do.
	other := ts.dial(t)
	other.login()
	other.send(&pgproto3.Query{String: "select 1"})
	er := errorIn(t, until[*pgproto3.ReadyForQuery](other), sqlerr.ConfigurationLimit)
	if er.Severity != "ERROR" || !strings.Contains(er.Message, "too many concurrent queries for API key key-1") || er.Hint == "" {
		t.Errorf("got %s %q hint %q", er.Severity, er.Message, er.Hint)
	}
	// Answered locally, without the executor: not limited.
	other.send(&pgproto3.Query{String: "set application_name = 'x'"})
	if msgs := until[*pgproto3.ReadyForQuery](other); strings.Contains(types(msgs), "ErrorResponse") {
		t.Errorf("SET refused: %s", types(msgs))
	}

	close(ts.exec.release)
	<-ts.exec.stopped
	until[*pgproto3.ReadyForQuery](busy)
	// The slot is given back: both connections can query again.
	for _, c := range []*rawClient{other, busy} {
		c.send(&pgproto3.Query{String: "select 1"})
		if msgs := until[*pgproto3.ReadyForQuery](c); types(msgs) != "RowDescription DataRow CommandComplete ReadyForQuery" {
			t.Errorf("after the slow query: %s", types(msgs))
		}
	}
}

func TestMaxQueriesPerKeyCountsSuspendedPortals(t *testing.T) {
	ts := startServer(t, nil)
	ts.exec.admit = admission.New(admission.Config{MaxQueriesPerKey: 1})
	c := ts.dial(t)
	c.login()
	c.send(&pgproto3.Query{String: "begin"})
	until[*pgproto3.ReadyForQuery](c)
	// A portal suspended at its row limit holds its execution, so its slot.
	c.send(&pgproto3.Parse{Query: "select rows 10"}, &pgproto3.Bind{DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 2}, &pgproto3.Sync{})
	if msgs := until[*pgproto3.ReadyForQuery](c); !strings.Contains(types(msgs), "PortalSuspended") {
		t.Fatalf("portal not suspended: %s", types(msgs))
	}
	c.send(&pgproto3.Query{String: "select 1"})
	errorIn(t, until[*pgproto3.ReadyForQuery](c), sqlerr.ConfigurationLimit)
	c.send(&pgproto3.Query{String: "rollback"})
	until[*pgproto3.ReadyForQuery](c)
	c.send(&pgproto3.Query{String: "select 1"})
	if msgs := until[*pgproto3.ReadyForQuery](c); types(msgs) != "RowDescription DataRow CommandComplete ReadyForQuery" {
		t.Errorf("after the portal closed: %s", types(msgs))
	}
}

// errorIn returns the ErrorResponse among msgs, which must have the given code.
func errorIn(t *testing.T, msgs []pgproto3.BackendMessage, code string) *pgproto3.ErrorResponse {
	t.Helper()
	for _, m := range msgs {
		if er, ok := m.(*pgproto3.ErrorResponse); ok {
			if er.Code != code {
				t.Fatalf("got error %s %q, want %s", er.Code, er.Message, code)
			}
			return er
		}
	}
	t.Fatalf("got %s, want an ErrorResponse %s", types(msgs), code)
	return nil
}

// expectFatalClose receives up to a FATAL ErrorResponse with code and then the close.
func (c *rawClient) expectFatalClose(code, msg string) {
	c.t.Helper()
	for {
		m := c.receive()
		if er, ok := m.(*pgproto3.ErrorResponse); ok {
			if er.Code != code || er.Severity != "FATAL" || er.Message != msg {
				c.t.Fatalf("got %s %s %q, want FATAL %s %q", er.Severity, er.Code, er.Message, code, msg)
			}
			break
		}
	}
	c.expectClosed()
}

func TestIdleSessionTimeout(t *testing.T) {
	const (
		idleMsg = "terminating connection due to idle-session timeout"
		txMsg   = "terminating connection due to idle-in-transaction timeout"
	)
	t.Run("set by the session", func(t *testing.T) {
		ts := startServer(t, nil)
		c := ts.dial(t)
		c.login()
		c.send(&pgproto3.Query{String: "set idle_session_timeout = 50"})
		until[*pgproto3.ReadyForQuery](c)
		c.expectFatalClose(sqlerr.IdleSessionTimeout, idleMsg)
	})
	t.Run("server default", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.IdleSessionTimeout = 50 * time.Millisecond })
		c := ts.dial(t)
		c.login()
		c.expectFatalClose(sqlerr.IdleSessionTimeout, idleMsg)
	})
	t.Run("session turns the default off", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.IdleSessionTimeout = 50 * time.Millisecond })
		c := ts.dial(t)
		// The first command must beat the default; a startup parameter does it before.
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "alice", "idle_session_timeout": "0"}})
		c.receive()
		c.send(&pgproto3.PasswordMessage{Password: goodKey})
		until[*pgproto3.ReadyForQuery](c)
		// The idle time is what is under test: well past the 50ms default, which must not fire.
		time.Sleep(200 * time.Millisecond)
		c.send(&pgproto3.Query{String: "show idle_session_timeout"})
		msgs := until[*pgproto3.ReadyForQuery](c)
		if types(msgs) != "RowDescription DataRow CommandComplete ReadyForQuery" || string(msgs[1].(*pgproto3.DataRow).Values[0]) != "0" {
			t.Fatalf("got %s", types(msgs))
		}
	})
	t.Run("in a transaction", func(t *testing.T) {
		// Outside a transaction the session timeout is off; inside, the other one applies.
		ts := startServer(t, func(c *Config) { c.IdleInTransactionSessionTimeout = 50 * time.Millisecond })
		c := ts.dial(t)
		c.login()
		c.send(&pgproto3.Query{String: "select 1"})
		until[*pgproto3.ReadyForQuery](c)
		// The idle time is what is under test: past the in-transaction timeout, outside one.
		time.Sleep(200 * time.Millisecond)
		c.send(&pgproto3.Query{String: "begin"})
		until[*pgproto3.ReadyForQuery](c)
		c.expectFatalClose(sqlerr.IdleInTransactionSessionTimeout, txMsg)
	})
	t.Run("not inside an extended batch", func(t *testing.T) {
		// PostgreSQL arms the timer only with ReadyForQuery: a client between Parse and Sync is
		// not idle.
		ts := startServer(t, func(c *Config) { c.IdleSessionTimeout = 100 * time.Millisecond })
		c := ts.dial(t)
		c.login()
		c.send(&pgproto3.Parse{Query: "select 1"})
		// The pause is what is under test: past the idle timeout, between Parse and Sync.
		time.Sleep(400 * time.Millisecond)
		c.send(&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
		if msgs := until[*pgproto3.ReadyForQuery](c); types(msgs) != "ParseComplete BindComplete DataRow CommandComplete ReadyForQuery" {
			t.Fatalf("got %s", types(msgs))
		}
		c.expectFatalClose(sqlerr.IdleSessionTimeout, idleMsg)
	})
}

// A client that stops reading in the middle of a big result: the server does not buffer it,
// the write times out, the connection ends and with it the execution.
func TestClientStopsReading(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.WriteTimeout = 200 * time.Millisecond })
	c := ts.dial(t)
	c.login()
	// Shrink our receive buffer so the socket fills soon.
	c.nc.(*net.TCPConn).SetReadBuffer(4096)
	c.send(&pgproto3.Query{String: "select rows 100000000"})
	deadline := time.Now().Add(60 * time.Second)
	for {
		ts.srv.mu.Lock()
		n := len(ts.srv.conns)
		ts.srv.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server still serves a client that stopped reading")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(ts.logs.String(), "i/o timeout") {
		t.Errorf("the connection did not end by the write timeout:\n%s", ts.logs.String())
	}
}

func TestStartupConnectionsBoundApart(t *testing.T) {
	ts := startServer(t, func(c *Config) {
		c.Admission = admission.New(admission.Config{MaxConnections: 2, MaxConnectionsPerKey: 2, MaxConnectionsPerTenant: 2, MaxStartupConnections: 1})
	})
	// An authenticated session, then a socket that never finishes its login and holds the
	// only startup slot.
	session := ts.connect(t)
	stalled := ts.dial(t)
	stalled.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice"}})
	if _, ok := stalled.receive().(*pgproto3.AuthenticationCleartextPassword); !ok {
		t.Fatal("expected a password request")
	}

	// A second half-open socket is refused at once, naming the startup cap.
	_, err := pgx.Connect(testCtx(t), ts.connString(goodKey))
	if pgCode(err) != sqlerr.TooManyConnections || !strings.Contains(err.Error(), "too many connections waiting to authenticate (at most 1)") {
		t.Fatalf("connection past the startup cap: %v", err)
	}
	// The half-open socket holds no authenticated slot: the session goes on, and once the
	// socket finishes logging in it takes the second slot.
	var n int
	if err := session.QueryRow(testCtx(t), "select 1").Scan(&n); err != nil {
		t.Fatalf("session beside a half-open socket: %v", err)
	}
	stalled.send(&pgproto3.PasswordMessage{Password: goodKey})
	until[*pgproto3.ReadyForQuery](stalled)
	if _, err := pgx.Connect(testCtx(t), ts.connString(goodKey)); pgCode(err) != sqlerr.TooManyConnections ||
		!strings.Contains(err.Error(), "too many clients already") {
		t.Fatalf("third session past the server's cap of 2: %v", err)
	}
}

func TestExecutorSeesTypedCaller(t *testing.T) {
	ts := startServer(t, nil)
	conn := ts.connect(t)
	if _, err := conn.Exec(testCtx(t), "select 1"); err != nil {
		t.Fatal(err)
	}
	ts.exec.mu.Lock()
	c := ts.exec.lastCaller
	ts.exec.mu.Unlock()
	if c.Protocol != admission.PG || c.Principal.KeyID != "key-1" || !strings.HasPrefix(c.RemoteAddr, "127.0.0.1:") {
		t.Errorf("caller %+v", c)
	}
}
