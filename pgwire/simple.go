package pgwire

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/planner"
)

// simpleQuery answers a Query message: every statement in order, stopping at the first error
// (the rest are skipped, as in PostgreSQL), then ReadyForQuery. Several statements form one
// implicit transaction that an error rolls back. A non-nil error ends the connection.
func (c *conn) simpleQuery(sql string) error {
	c.dropUnnamed()
	c.served = sql
	stmts, err := c.srv.cfg.Planner.Parse(sql)
	if err != nil {
		return c.queryFailed(err)
	}
	if len(stmts) == 0 {
		c.out.send(&pgproto3.EmptyQueryResponse{})
		c.endQuery()
		return nil
	}

	kind := txStarted
	if len(stmts) > 1 {
		kind = txImplicitBlock
	}
	ctx, done := c.beginQuery()
	defer done()
	for _, st := range stmts {
		// A COMMIT or ROLLBACK among the statements ends the transaction; the next starts one.
		c.ensureTx(kind)
		if err := c.runStatement(ctx, st); err != nil {
			if c.out.err != nil {
				return c.out.err
			}
			return c.queryFailed(statementError(ctx, err))
		}
	}
	c.endQuery()
	return nil
}

// queryFailed reports a statement's error and ends the query message with ReadyForQuery, or
// returns an error when the connection must end instead.
func (c *conn) queryFailed(err error) error {
	if errors.Is(err, errClientGone) {
		return err
	}
	c.abortTx()
	if c.sendError(err) {
		c.out.flush()
		return err
	}
	c.endQuery()
	return nil
}

// endQuery ends the Query's implicit transaction (committing it unless it failed) and says
// ReadyForQuery.
func (c *conn) endQuery() {
	if c.tx != nil && c.tx.kind != txExplicit {
		c.endTx(!c.tx.failed)
	}
	c.readyForQuery()
}

// runStatement plans and runs one statement, sending its result. Each statement is planned just
// before it runs, so it sees what the ones before it SET.
func (c *conn) runStatement(ctx context.Context, st *planner.Statement) error {
	c.served = st.SQL
	plan, err := c.srv.cfg.Planner.Plan(ctx, c.session, st)
	if c.txFailed() && (err != nil || !endsTransaction(plan)) {
		return errTxAborted()
	}
	if err != nil {
		return err
	}
	return c.runPlan(ctx, plan, nil, nil, true)
}
