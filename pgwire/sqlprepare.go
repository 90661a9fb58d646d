package pgwire

import (
	"context"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// SQL PREPARE and EXECUTE share the connection's prepared statements with the extended
// protocol's Parse, as in PostgreSQL: a statement PREPAREd can be bound by name, one Parsed can
// be EXECUTEd, and DEALLOCATE drops either.

// prepareSQL serves PREPARE: the statement is planned now, so its errors are reported here.
func (c *conn) prepareSQL(ctx context.Context, plan *planner.Plan) error {
	if _, ok := c.stmts[plan.Statement]; ok {
		return sqlerr.New(sqlerr.DuplicatePreparedStatement, "prepared statement %q already exists", plan.Statement)
	}
	ps := &prepared{name: plan.Statement, stmt: plan.Prepare.Statement, paramOIDs: plan.Prepare.ParamOIDs}
	inner, err := c.srv.cfg.Planner.Plan(ctx, c.session, ps.stmt, ps.paramOIDs...)
	if err != nil {
		return err
	}
	ps.plan = inner
	return c.addStatement(ps)
}

// executePrepared serves EXECUTE: the statement is planned for the session as it is now and run
// with the arguments as text parameter values, answering as the statement itself would.
func (c *conn) executePrepared(ctx context.Context, plan *planner.Plan, describe bool) error {
	ps, err := c.statement(plan.Statement)
	if err != nil {
		return err
	}
	if ps.stmt == nil {
		c.out.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	inner, err := c.srv.cfg.Planner.Plan(ctx, c.session, ps.stmt, ps.paramOIDs...)
	if err != nil {
		return err
	}
	if !returnsRows(inner) {
		// Only queries are PREPAREd; a Parsed session statement does not run through EXECUTE.
		return sqlerr.New(sqlerr.FeatureNotSupported, "EXECUTE of prepared statement %q, which is not a query, is not supported", plan.Statement)
	}
	if len(plan.Args) != len(inner.Params) {
		return sqlerr.New(sqlerr.SyntaxError, "wrong number of parameters for prepared statement %q", plan.Statement).
			WithDetail("Expected %d parameters but got %d.", len(inner.Params), len(plan.Args))
	}
	values := make([][]byte, len(plan.Args))
	for i, a := range plan.Args {
		if a != nil {
			values[i] = []byte(*a)
		}
	}
	args, err := c.bindArgs(inner.Params, nil, values)
	if err != nil {
		return err
	}
	return c.runPlan(ctx, inner, args, nil, describe)
}
