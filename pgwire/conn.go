package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// errTerminate ends a connection quietly: the client said goodbye.
var errTerminate = errors.New("client terminated the session")

// conn is one client connection, served by one goroutine.
type conn struct {
	srv *Server
	// served is the text of the statement being served, for the log of its error (as a
	// fingerprint without values, never as sent).
	served string
	nc     net.Conn
	rd     *sockReader
	be     *pgproto3.Backend
	out    writer
	log    *slog.Logger

	// ctx lives as long as the connection; query contexts derive from it.
	ctx    context.Context
	cancel context.CancelCauseFunc

	// Set during startup, read-only afterwards (pid and secret are read by CancelRequest
	// handling on other goroutines only after the server's lock published them).
	pid    uint32
	secret [4]byte
	// releaseStartup and releaseSession give back the admission slots the connection holds;
	// nil when it holds none.
	releaseStartup, releaseSession func()
	// caller is who the session serves, set once it authenticated; every execution is
	// admitted and charged as this caller.
	caller admission.Caller
	params startupParams
	// tls is the TLS connection over nc once negotiated, and tlsCert the certificate it
	// presented (for SCRAM channel binding); both nil in clear.
	tls     *tls.Conn
	tlsCert *tls.Certificate

	// Session state, touched only by the connection's goroutine (see session.go and txn.go):
	// session holds the active settings the planner sees, persist the same without SET LOCAL
	// values, resetTo what RESET restores; reported the last ParameterStatus value sent of each
	// reported parameter, in reportOrder, and defaults their values before the startup packet.
	session     planner.Session
	persist     settingsState
	resetTo     settingsState
	reported    map[string]string
	reportOrder []string
	defaults    map[string]string
	// tx is the open transaction, nil between statements outside a block.
	tx *transaction

	// Extended protocol: prepared statements and portals by name ("" is the unnamed one), and
	// the pgtype map that decodes parameter values.
	stmts   map[string]*prepared
	portals map[string]*portal
	types   *pgtype.Map

	// skipTillSync is set after an error in an extended-protocol batch: every message but Sync
	// (and Terminate) is discarded.
	skipTillSync bool

	mu          sync.Mutex
	cancelQuery context.CancelCauseFunc // of the running query, nil when idle
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancelCause(s.ctx)
	c := &conn{
		srv:    s,
		nc:     nc,
		ctx:    ctx,
		cancel: cancel,
		log:    s.log.With("remote_addr", nc.RemoteAddr().String()),
		out:    writer{w: nc, timeout: s.cfg.WriteTimeout},

		stmts:   make(map[string]*prepared),
		portals: make(map[string]*portal),
	}
	return c
}

// attach starts decoding client messages from rw: the socket, or the TLS connection over it
// once encryption is negotiated (see negotiateEncryption).
func (c *conn) attach(rw net.Conn) {
	c.rd = newSockReader(rw, c.srv.drainCtx, func(error) { c.cancel(errClientGone) })
	// All writes go through c.out; the Backend is used only to decode what the client sends.
	c.be = pgproto3.NewBackend(c.rd, rw)
	c.be.SetMaxBodyLen(c.srv.cfg.MaxMessageSize)
	c.out.w = rw
}

func (c *conn) serve() {
	defer c.srv.wg.Done()
	defer c.close()
	// The slot is freed before the socket closes, so a client that sees the close and
	// reconnects at once finds it free.
	defer c.srv.forget(c)
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic serving connection", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			c.fatal(sqlerr.Internal(fmt.Errorf("panic: %v", r)))
		}
	}()

	ok, err := c.startup()
	if err != nil {
		c.log.Debug("startup ended", "error", err)
	}
	if !ok {
		return
	}
	c.log.Debug("session started")
	err = c.loop()
	c.log.Debug("session ended", "reason", err)
}

// close releases the socket and the reading goroutine; pending output is not flushed.
func (c *conn) close() {
	c.cancel(errClientGone)
	// Suspended portals hold an executor goroutine each; the cancel above stops them.
	c.closeAllPortals()
	c.nc.Close()
	if c.rd != nil {
		c.rd.close()
	}
}

// loop reads and answers messages until the connection must end, returning why.
func (c *conn) loop() error {
	for ready := true; ; {
		if c.srv.draining() {
			return c.fatal(sqlerr.Fatal(sqlerr.AdminShutdown, "terminating connection due to administrator command"))
		}
		stopIdle := func() {}
		if ready {
			stopIdle = c.armIdle()
		}
		msg, err := c.be.Receive()
		stopIdle()
		if err != nil {
			return c.receiveFailed(err)
		}
		ready = endsCycle(msg)
		watch := runsQuery(msg)
		if watch {
			c.rd.startWatch()
		}
		err = c.handle(msg)
		if watch {
			c.rd.stopWatch()
		}
		if err != nil {
			if errors.Is(err, errTerminate) {
				return nil
			}
			return err
		}
		// Answers to a pipelined batch wait for its Sync or Flush (or for enough of them to
		// gather), as in PostgreSQL: one write for the batch, not one per message.
		if waitsForSync(msg) && c.out.buffered() < flushAt {
			continue
		}
		if err := c.out.flush(); err != nil {
			return err
		}
	}
}

// handle answers one message. A non-nil error ends the connection.
func (c *conn) handle(msg pgproto3.FrontendMessage) error {
	if c.skipTillSync {
		switch msg.(type) {
		case *pgproto3.Sync, *pgproto3.Terminate:
		default:
			return nil
		}
	}
	switch m := msg.(type) {
	case *pgproto3.Query:
		return c.simpleQuery(m.String)
	case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute,
		*pgproto3.Close, *pgproto3.Sync, *pgproto3.Flush:
		return c.extended(msg)
	case *pgproto3.Terminate:
		return errTerminate
	case *pgproto3.FunctionCall:
		c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "function call messages are not supported"))
		c.readyForQuery()
		return nil
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// No COPY is ever started, so these come from a confused client; say so rather than
		// leave it waiting.
		c.sendError(sqlerr.New(sqlerr.FeatureNotSupported, "COPY is not supported"))
		c.readyForQuery()
		return nil
	default:
		return c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "unexpected message type %T", msg))
	}
}

// receiveFailed decides how a connection ends when no message could be read.
func (c *conn) receiveFailed(err error) error {
	var re *readError
	switch {
	case errors.Is(err, errDraining):
		return c.fatal(sqlerr.Fatal(sqlerr.AdminShutdown, "terminating connection due to administrator command"))
	case errors.Is(err, errIdleTimeout):
		return c.fatal(c.idleError())
	case errors.As(err, &re):
		return err
	}
	var big *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &big) {
		return c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation,
			"message of %d bytes exceeds the limit of %d bytes", big.ActualBodyLen, big.MaxExpectedBodyLen))
	}
	return c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "invalid frontend message: %v", err))
}

// fatal sends e with FATAL severity and returns it, so the caller can end the connection with it.
func (c *conn) fatal(e *sqlerr.Error) error {
	f := *e
	f.Severity = sqlerr.SeverityFatal
	c.sendError(&f)
	c.out.flush()
	return &f
}

// runsQuery reports whether answering msg may run a query, which a client that goes away
// should cancel (see sockReader).
func runsQuery(msg pgproto3.FrontendMessage) bool {
	switch msg.(type) {
	case *pgproto3.Query, *pgproto3.Execute:
		return true
	}
	return false
}

// waitsForSync reports whether the answer to msg may stay buffered until Sync or Flush.
func waitsForSync(msg pgproto3.FrontendMessage) bool {
	switch msg.(type) {
	case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Execute, *pgproto3.Close:
		return true
	}
	return false
}

// readyForQuery ends a query cycle: ParameterStatus for the reported settings that changed, then
// ReadyForQuery with the transaction status.
func (c *conn) readyForQuery() {
	c.sendChangedReports()
	c.out.send(&pgproto3.ReadyForQuery{TxStatus: c.txStatus()})
}

// beginQuery gives a query its own context and registers it for CancelRequest; done must be
// called when the query has finished.
func (c *conn) beginQuery() (ctx context.Context, done func()) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	c.mu.Lock()
	c.cancelQuery = cancel
	c.mu.Unlock()
	return ctx, func() {
		c.mu.Lock()
		c.cancelQuery = nil
		c.mu.Unlock()
		cancel(nil)
	}
}

// setCancel registers the cancel function of a running execution for CancelRequest (nil: none).
func (c *conn) setCancel(cancel context.CancelCauseFunc) {
	c.mu.Lock()
	c.cancelQuery = cancel
	c.mu.Unlock()
}

// cancelRunning cancels the running query, if any; it is called from other goroutines.
func (c *conn) cancelRunning(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelQuery != nil {
		c.cancelQuery(cause)
	}
}
