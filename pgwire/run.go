package pgwire

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Running a plan to its end, the same for both protocols: the simple protocol announces rows
// with a RowDescription first (describe), the extended one leaves that to Describe.

// runPlan answers one planned statement. In a failed transaction only its end may run.
func (c *conn) runPlan(ctx context.Context, plan *planner.Plan, args []any, formats []int16, describe bool) error {
	if c.txFailed() && !endsTransaction(plan) {
		return errTxAborted()
	}
	if err := c.applySessionSets(plan); err != nil {
		return err
	}
	switch plan.Kind {
	case planner.KindEmpty:
		c.out.send(&pgproto3.EmptyQueryResponse{})
		return nil
	case planner.KindQuery:
		if describe {
			c.out.send(rowDescription(plan.Columns, formats))
		}
		return c.runQuery(ctx, plan, args, formats)
	case planner.KindLocal:
		if describe {
			c.out.send(rowDescription(plan.Columns, formats))
		}
		n, err := c.sendLocalRows(plan, formats, 0, 0)
		if err != nil {
			return err
		}
		c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, int64(n))})
		return nil
	case planner.KindExplainAnalyze:
		local, err := c.analyze(ctx, plan, args)
		if err != nil {
			return err
		}
		return c.runPlan(ctx, local, args, formats, describe)
	case planner.KindFetch:
		return c.fetchCursor(ctx, plan, describe)
	case planner.KindCopyOut:
		return c.copyOut(ctx, plan, args)
	case planner.KindExecute:
		return c.executePrepared(ctx, plan, describe)
	case planner.KindPrepare:
		if err := c.prepareSQL(ctx, plan); err != nil {
			return err
		}
		c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, 0)})
		return nil
	case planner.KindDeclare:
		if err := c.declareCursor(plan, args); err != nil {
			return err
		}
		c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, 0)})
		return nil
	}
	tag, err := c.applySessionPlan(plan)
	if err != nil {
		return err
	}
	c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(tag, 0)})
	return nil
}

// runQuery runs a query plan on the executor, streaming its rows, then its CommandComplete.
func (c *conn) runQuery(ctx context.Context, plan *planner.Plan, args []any, formats []int16) error {
	w := &rowWriter{out: &c.out, formats: formats}
	res, err := c.srv.cfg.Executor.Execute(c.statementContext(ctx), c.caller, plan, args, w)
	if c.out.err != nil {
		// The client is gone or unwritable; whatever the executor says, nothing more can be sent.
		return c.out.err
	}
	if err != nil {
		return err
	}
	c.queryComplete(plan, res.Rows, res)
	return nil
}

// queryComplete ends a query's result: a notice when the row cap cut it (a cut result is never
// passed off as whole), then CommandComplete with the rows of this Execute.
func (c *conn) queryComplete(plan *planner.Plan, rows int64, res engine.Result) {
	if res.Cache != "" && c.debugOn() {
		c.out.send(&pgproto3.NoticeResponse{
			Severity:            "NOTICE",
			SeverityUnlocalized: "NOTICE",
			Code:                sqlerr.SuccessfulCompletion,
			Message:             "setupranali: result cache " + res.Cache,
		})
	}
	if res.Truncated {
		c.out.send(&pgproto3.NoticeResponse{
			Severity:            "NOTICE",
			SeverityUnlocalized: "NOTICE",
			Code:                sqlerr.Warning,
			Message:             fmt.Sprintf("result truncated to %d rows by the server's row limit (QUERY_MAX_ROWS)", res.Rows),
		})
	}
	c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(plan.Tag, rows)})
}

// applySessionPlan carries out a statement the connection answers itself, returning its command
// tag.
func (c *conn) applySessionPlan(plan *planner.Plan) (string, error) {
	switch plan.Kind {
	case planner.KindSet:
		return plan.Tag, c.applySet(plan.Set)
	case planner.KindTransaction:
		return c.applyTx(plan)
	case planner.KindDiscard:
		if plan.Discard {
			if c.tx != nil && c.tx.kind != txStarted {
				return "", sqlerr.New(sqlerr.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
			}
			c.discardAll()
		}
		return plan.Tag, nil
	case planner.KindDeallocate:
		return plan.Tag, c.deallocate(plan.Statement)
	case planner.KindNoop:
		return plan.Tag, nil
	case planner.KindClose:
		return plan.Tag, c.closeCursor(plan.Cursor)
	}
	return "", sqlerr.Internal(fmt.Errorf("plan of unknown kind %d", plan.Kind))
}

// discardAll is DISCARD ALL: CLOSE ALL, SET SESSION AUTHORIZATION DEFAULT, RESET ALL and
// DEALLOCATE ALL in one (Npgsql sends it to reset pooled connections).
func (c *conn) discardAll() {
	c.closeAllPortals()
	c.deallocate("")
	c.beforeSettingsChange()
	c.persist = c.resetTo.clone()
	c.setActive(c.persist.clone())
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
