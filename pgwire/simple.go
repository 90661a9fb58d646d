package pgwire

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// simpleQuery answers a Query message: every statement in order, stopping at the first error
// (the rest are skipped, as in PostgreSQL), then ReadyForQuery. A non-nil error ends the
// connection.
func (c *conn) simpleQuery(sql string) error {
	stmts, err := c.srv.cfg.Planner.Parse(sql)
	if err != nil {
		return c.statementFailed(err)
	}
	if len(stmts) == 0 {
		c.out.send(&pgproto3.EmptyQueryResponse{})
		c.readyForQuery()
		return nil
	}

	ctx, done := c.beginQuery()
	defer done()
	for _, st := range stmts {
		if err := c.runStatement(ctx, st); err != nil {
			if c.out.err != nil {
				return c.out.err
			}
			return c.statementFailed(statementError(ctx, err))
		}
	}
	c.readyForQuery()
	return nil
}

// statementFailed reports a statement's error and ends the query message with ReadyForQuery,
// or returns an error when the connection must end instead.
func (c *conn) statementFailed(err error) error {
	if errors.Is(err, errClientGone) {
		return err
	}
	if c.sendError(err) {
		c.out.flush()
		return err
	}
	c.readyForQuery()
	return nil
}

// runStatement plans and runs one statement, sending its result.
func (c *conn) runStatement(ctx context.Context, st *planner.Statement) error {
	plan, err := c.srv.cfg.Planner.Plan(ctx, c.session, st)
	if err != nil {
		return err
	}
	switch plan.Kind {
	case planner.KindEmpty:
		c.out.send(&pgproto3.EmptyQueryResponse{})
		return nil
	case planner.KindQuery:
		return c.runQuery(ctx, plan)
	default:
		return sqlerr.Internal(fmt.Errorf("plan of unknown kind %d", plan.Kind))
	}
}

func (c *conn) runQuery(ctx context.Context, plan *planner.Plan) error {
	c.out.send(rowDescription(plan.Columns))
	w := &rowWriter{out: &c.out}
	res, err := c.srv.cfg.Executor.Execute(ctx, plan, nil, w)
	if c.out.err != nil {
		// The client is gone or unwritable; whatever the executor says, nothing more can be sent.
		return c.out.err
	}
	if err != nil {
		return err
	}
	if res.Truncated {
		c.out.send(&pgproto3.NoticeResponse{
			Severity:            "NOTICE",
			SeverityUnlocalized: "NOTICE",
			Code:                sqlerr.Warning,
			Message:             fmt.Sprintf("result truncated to %d rows by the server's row limit (QUERY_MAX_ROWS)", res.Rows),
		})
	}
	c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, res.Rows)})
	return nil
}

// rowDescription announces plan columns in text format. The table OID and attribute number
// are 0: results are computed columns, not columns of a table the client could look up.
func rowDescription(cols []planner.Column) *pgproto3.RowDescription {
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		fields[i] = pgproto3.FieldDescription{
			Name:         []byte(col.Name),
			DataTypeOID:  col.Type.OID,
			DataTypeSize: col.Type.Size,
			TypeModifier: -1,
			Format:       0,
		}
	}
	return &pgproto3.RowDescription{Fields: fields}
}

// commandTag builds a CommandComplete tag the way PostgreSQL does: only some commands carry a
// row count, and drivers parse it (psqlODBC expects a bare "SHOW").
func commandTag(tag string, rows int64) []byte {
	if tag == "" {
		tag = "SELECT"
	}
	b := []byte(tag)
	switch tag {
	case "SELECT", "FETCH", "MOVE", "COPY", "UPDATE", "DELETE", "MERGE":
		b = append(b, ' ')
	case "INSERT":
		b = append(b, " 0 "...)
	default:
		return b
	}
	return strconv.AppendInt(b, rows, 10)
}

// rowWriter streams rows as DataRow messages, flushing whenever enough output has gathered, so
// a result goes out as it is produced instead of being held whole.
type rowWriter struct {
	out *writer
	msg pgproto3.DataRow
}

// WriteRow encodes values at once: the executor reuses the slice and its bytes afterwards.
func (w *rowWriter) WriteRow(values [][]byte) error {
	w.msg.Values = values
	w.out.send(&w.msg)
	w.msg.Values = nil
	if w.out.buffered() >= flushAt {
		return w.out.flush()
	}
	return w.out.err
}

var _ engine.RowWriter = (*rowWriter)(nil)
