package pgwire

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// SQL cursors: DECLARE makes a portal of the connection (the namespace is the protocol's, as in
// PostgreSQL), FETCH reads it through the same suspended execution an Execute with a row limit
// uses, so the engine's row stream stays open between FETCHes, and CLOSE ends it. Cursors end
// with their transaction unless declared WITH HOLD.

// declareCursor serves DECLARE: the query starts at the first FETCH.
func (c *conn) declareCursor(plan *planner.Plan, args []any) error {
	cmd := plan.Cursor
	if !cmd.Hold && (c.tx == nil || c.tx.kind == txStarted) {
		return sqlerr.New(sqlerr.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
	}
	if _, ok := c.portals[cmd.Name]; ok {
		return sqlerr.New(sqlerr.DuplicateCursor, "cursor %q already exists", cmd.Name)
	}
	if len(c.portals) >= maxPortals {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "too many open cursors (at most %d per connection)", maxPortals)
	}
	var formats []int16
	if cmd.Binary {
		formats = make([]int16, len(plan.Inner.Columns))
		for i := range formats {
			formats[i] = 1
		}
	}
	c.portals[cmd.Name] = &portal{
		name: cmd.Name, plan: plan.Inner, args: args, formats: formats,
		hold: cmd.Hold, declaredIn: c.tx,
	}
	return nil
}

// errNoCursor is PostgreSQL's answer to a cursor name that is not open.
func errNoCursor(name string) error {
	return sqlerr.New(sqlerr.InvalidCursorName, "cursor %q does not exist", name)
}

// fetchCursor serves FETCH and MOVE: up to Count rows forward (0: all that remain). FETCH
// answers RowDescription (with describe, the simple protocol), the rows and "FETCH n"; MOVE only
// "MOVE n".
func (c *conn) fetchCursor(ctx context.Context, plan *planner.Plan, describe bool) error {
	cmd := plan.Cursor
	p, ok := c.portals[cmd.Name]
	if !ok {
		return errNoCursor(cmd.Name)
	}
	if !returnsRows(p.plan) {
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "portal %q does not return tuples", cmd.Name)
	}
	if describe && !cmd.Move {
		c.out.send(rowDescription(p.plan.Columns, p.formats))
	}
	if p.plan.Kind == planner.KindExplainAnalyze && !p.done {
		// A protocol portal over EXPLAIN ANALYZE read with FETCH: its query runs now.
		local, err := c.analyze(ctx, p.plan, p.args)
		if err != nil {
			p.done = true
			return err
		}
		p.plan = local
	}
	var n int64
	if p.plan.Kind == planner.KindLocal {
		if cmd.Move {
			left := int64(max(len(p.plan.Rows)-p.sent, 0))
			n = left
			if cmd.Count > 0 {
				n = min(left, cmd.Count)
			}
			p.sent += int(n)
		} else {
			sent, err := c.sendLocalRows(p.plan, p.formats, p.sent, cmd.Count)
			p.sent += sent
			n = int64(sent)
			if err != nil {
				return err
			}
		}
		c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, n)})
		return nil
	}
	var res engine.Result
	if !p.done {
		if p.cur == nil {
			p.cur = c.openCursor(p.plan, p.args, p.formats, nil)
		}
		cur := p.cur
		// The statement's cancellation (CancelRequest, shutdown) stops the cursor's execution.
		stop := context.AfterFunc(ctx, func() { cur.cancel(context.Cause(ctx)) })
		var finished bool
		var err error
		n, finished, err = c.fetchRows(cur, cmd.Count, !cmd.Move)
		stop()
		if c.out.err != nil {
			return c.out.err
		}
		if err != nil {
			err = statementError(cur.ctx, err)
			p.done = true
			p.close()
			return err
		}
		if finished {
			p.done = true
			p.close()
			res = cur.res
		}
	}
	if res.Truncated {
		c.queryComplete(&planner.Plan{Tag: plan.Tag}, n, res)
		return nil
	}
	c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, n)})
	return nil
}

// closeCursor serves CLOSE name and CLOSE ALL.
func (c *conn) closeCursor(cmd *planner.CursorCommand) error {
	if cmd.Name == "" {
		c.closeAllPortals()
		return nil
	}
	if _, ok := c.portals[cmd.Name]; !ok {
		return errNoCursor(cmd.Name)
	}
	c.closePortal(cmd.Name)
	return nil
}

// copyOut serves COPY (query) TO STDOUT: CopyOutResponse, one CopyData per row (and one for the
// header), CopyDone, then "COPY n".
func (c *conn) copyOut(ctx context.Context, plan *planner.Plan, args []any) error {
	inner := plan.Inner
	formats := make([]uint16, len(inner.Columns))
	c.out.send(&pgproto3.CopyOutResponse{OverallFormat: 0, ColumnFormatCodes: formats})
	w := &copyWriter{out: &c.out, cmd: plan.Copy}
	if plan.Copy.Header {
		names := make([][]byte, len(inner.Columns))
		for i, col := range inner.Columns {
			names[i] = []byte(col.Name)
		}
		if err := w.WriteRow(names); err != nil {
			return err
		}
	}
	res, err := c.srv.cfg.Executor.Execute(c.statementContext(ctx), c.caller, inner, args, w)
	if c.out.err != nil {
		return c.out.err
	}
	if err != nil {
		return err
	}
	c.out.send(&pgproto3.CopyDone{})
	c.queryComplete(plan, res.Rows, res)
	return nil
}

// copyWriter encodes rows as COPY's text or CSV lines, one CopyData message each.
type copyWriter struct {
	out  *writer
	cmd  *planner.CopyCommand
	line []byte
	msg  pgproto3.CopyData
}

func (w *copyWriter) WriteRow(values [][]byte) error {
	w.line = w.line[:0]
	for i, v := range values {
		if i > 0 {
			w.line = append(w.line, w.cmd.Delimiter)
		}
		if w.cmd.CSV {
			w.line = appendCSV(w.line, v, w.cmd)
		} else {
			w.line = appendCopyText(w.line, v, w.cmd)
		}
	}
	w.line = append(w.line, '\n')
	w.msg.Data = w.line
	w.out.send(&w.msg)
	if w.out.buffered() >= flushAt {
		return w.out.flush()
	}
	return w.out.err
}

// Formats asks for text: COPY's text and CSV formats are made of values' text forms.
func (w *copyWriter) Formats() []int16 { return nil }

var _ engine.FormatWriter = (*copyWriter)(nil)

// appendCopyText writes a value the way COPY's text format does: NULL as the null string,
// backslash, control characters and the delimiter escaped with a backslash.
func appendCopyText(b, v []byte, cmd *planner.CopyCommand) []byte {
	if v == nil {
		return append(b, cmd.Null...)
	}
	for _, ch := range v {
		switch ch {
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\v':
			b = append(b, '\\', 'v')
		default:
			if ch == cmd.Delimiter {
				b = append(b, '\\')
			}
			b = append(b, ch)
		}
	}
	return b
}

// appendCSV writes a value the way COPY's CSV format does: NULL as the null string unquoted; a
// value quoted (quotes doubled) when it holds the delimiter, a quote, a line break, equals the
// null string, or is \. alone.
func appendCSV(b, v []byte, cmd *planner.CopyCommand) []byte {
	if v == nil {
		return append(b, cmd.Null...)
	}
	s := string(v)
	quote := s == cmd.Null || s == `\.` || strings.ContainsAny(s, "\"\r\n") || strings.IndexByte(s, cmd.Delimiter) >= 0
	if !quote {
		return append(b, v...)
	}
	b = append(b, '"')
	for _, ch := range v {
		if ch == '"' {
			b = append(b, '"')
		}
		b = append(b, ch)
	}
	return append(b, '"')
}
