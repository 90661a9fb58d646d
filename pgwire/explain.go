package pgwire

import (
	"context"
	"time"

	"github.com/setupranali/setupranali/planner"
)

// EXPLAIN ANALYZE runs its query through the executor exactly as the query would run on its
// own (admission, result cache, rate budget, timeouts, the row cap), throws the rows away and
// answers the plan's lines with what the run found. Plain EXPLAIN is a local plan and needs
// nothing here. The engine's own EXPLAIN output is never asked for: no engine text reaches a
// client.

// analyze runs an EXPLAIN ANALYZE plan's query and returns the local plan that answers it.
func (c *conn) analyze(ctx context.Context, plan *planner.Plan, args []any) (*planner.Plan, error) {
	start := time.Now()
	res, err := c.srv.cfg.Executor.Execute(c.statementContext(ctx), c.caller, plan.Inner, args, discardRows{})
	if c.out.err != nil {
		return nil, c.out.err
	}
	if err != nil {
		return nil, err
	}
	return plan.Analyzed(planner.Analysis{Rows: res.Rows, Truncated: res.Truncated, Cache: res.Cache, Elapsed: time.Since(start)}), nil
}

// analyzePortal runs a bound EXPLAIN ANALYZE portal's query on its first Execute; its portal
// then answers the resulting lines like any local plan, page by page.
func (c *conn) analyzePortal(p *portal) error {
	ctx, done := c.beginQuery()
	defer done()
	local, err := c.analyze(ctx, p.plan, p.args)
	if err != nil {
		// Like a failed query, the portal cannot run again.
		p.done = true
		return statementError(ctx, err)
	}
	p.plan = local
	return nil
}

// discardRows takes EXPLAIN ANALYZE's result rows and keeps none; rows are asked in text, the
// executor's cheapest encoding.
type discardRows struct{}

func (discardRows) WriteRow([][]byte) error { return nil }
