package pgwire

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// A cursor runs a portal's query in a goroutine of its own, so that Execute can stop at its row
// limit (PortalSuspended) and a later Execute carry on with the same engine row stream instead of
// running the query again: the executor pushes rows, and its goroutine is what keeps the stream
// open between Executes. Rows are handed over one at a time and encoded by the connection's
// goroutine, the only one that writes to the client. Only Executes with a row limit use one;
// the rest run the executor directly.

// errPortalClosed is the cancel cause of a cursor whose portal went away.
var errPortalClosed = errors.New("portal closed")

type cursor struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	formats []int16
	// rows carries one row to the connection; WriteRow then waits for ack, because the executor
	// reuses the row's memory as soon as WriteRow returns. ack has room for one, so the
	// connection never blocks on it.
	rows chan [][]byte
	ack  chan struct{}
	// done is closed once the executor has returned; res and err are set by then.
	done chan struct{}
	res  engine.Result
	err  error
}

// openCursor starts plan. The cursor's context is the connection's, not one Execute's: it lives
// until the portal closes (close) or the connection ends. registered, when not nil, is called
// with the cursor before its execution starts, so a CancelRequest that follows the first sign
// of the execution (a query reaching the engine) always finds something to cancel.
func (c *conn) openCursor(plan *planner.Plan, args []any, formats []int16, registered func(*cursor)) *cursor {
	ctx, cancel := context.WithCancelCause(c.ctx)
	cur := &cursor{
		ctx: ctx, cancel: cancel, formats: formats,
		rows: make(chan [][]byte), ack: make(chan struct{}, 1), done: make(chan struct{}),
	}
	if registered != nil {
		registered(cur)
	}
	go func() {
		defer close(cur.done)
		defer func() {
			if r := recover(); r != nil {
				c.log.Error("panic running a portal", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				cur.err = sqlerr.Internal(fmt.Errorf("panic: %v", r))
			}
		}()
		cur.res, cur.err = c.srv.cfg.Executor.Execute(c.statementContext(ctx), c.caller, plan, args, cur)
	}()
	return cur
}

// WriteRow is called by the executor on the cursor's goroutine.
func (cur *cursor) WriteRow(values [][]byte) error {
	select {
	case cur.rows <- values:
	case <-cur.ctx.Done():
		return context.Cause(cur.ctx)
	}
	select {
	case <-cur.ack:
		return nil
	case <-cur.ctx.Done():
		return context.Cause(cur.ctx)
	}
}

func (cur *cursor) Formats() []int16 { return cur.formats }

var _ engine.FormatWriter = (*cursor)(nil)

// close stops the query if it still runs and waits for its goroutine.
func (cur *cursor) close() {
	cur.cancel(errPortalClosed)
	<-cur.done
}

// fetch sends up to max rows (0: all that remain) as DataRows. finished reports that the query
// has ended; cur.res and the returned error then say how.
func (c *conn) fetch(cur *cursor, max int64) (n int64, finished bool, err error) {
	return c.fetchRows(cur, max, true)
}

// fetchRows is fetch; with send false the rows are read and dropped (MOVE).
func (c *conn) fetchRows(cur *cursor, max int64, send bool) (n int64, finished bool, err error) {
	var msg pgproto3.DataRow
	for max <= 0 || n < max {
		select {
		case vals := <-cur.rows:
			if send {
				msg.Values = vals
				c.out.send(&msg)
				msg.Values = nil
			}
			cur.ack <- struct{}{}
			n++
			if c.out.buffered() >= flushAt {
				if err := c.out.flush(); err != nil {
					return n, false, err
				}
			}
		case <-cur.done:
			return n, true, cur.err
		}
	}
	return n, false, c.out.err
}
