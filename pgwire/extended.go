package pgwire

import (
	"errors"
	"slices"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// The extended query protocol: Parse, Bind, Describe, Execute, Close, Flush and Sync. Clients
// pipeline them, sending many before a Sync; answers go out at Sync, at Flush, or when enough has
// gathered. After an error everything up to Sync is discarded (conn.handle does the skipping),
// so a client's later Bind or Execute cannot be taken for an answer to something that failed.
// A batch outside BEGIN runs as one transaction that Sync ends.

// extended answers one extended-protocol message. A non-nil error ends the connection.
func (c *conn) extended(msg pgproto3.FrontendMessage) error {
	var err error
	switch m := msg.(type) {
	case *pgproto3.Sync:
		c.skipTillSync = false
		if c.tx != nil && c.tx.kind != txExplicit {
			c.endTx(!c.tx.failed)
		}
		c.readyForQuery()
		return nil
	case *pgproto3.Flush:
		return c.out.flush()
	case *pgproto3.Parse:
		err = c.parse(m)
	case *pgproto3.Bind:
		err = c.bind(m)
	case *pgproto3.Describe:
		err = c.describe(m)
	case *pgproto3.Execute:
		err = c.execute(m)
	case *pgproto3.Close:
		err = c.closeMessage(m)
	}
	if err == nil {
		return nil
	}
	return c.batchFailed(err)
}

// batchFailed reports an error of an extended-protocol message and skips to Sync; it returns an
// error only when the connection must end.
func (c *conn) batchFailed(err error) error {
	if c.out.err != nil {
		return c.out.err
	}
	if errors.Is(err, errClientGone) {
		return err
	}
	c.abortTx()
	c.skipTillSync = true
	if c.sendError(err) {
		c.out.flush()
		return err
	}
	return nil
}

// parse serves Parse: the statement is parsed and planned now, so that its errors are reported
// here, as PostgreSQL reports syntax and binding errors at Parse.
func (c *conn) parse(m *pgproto3.Parse) error {
	if m.Name == "" {
		// The unnamed statement goes even if this Parse fails, as in PostgreSQL.
		delete(c.stmts, "")
	} else if _, ok := c.stmts[m.Name]; ok {
		return sqlerr.New(sqlerr.DuplicatePreparedStatement, "prepared statement %q already exists", m.Name)
	}
	c.ensureTx(txStarted)
	c.served = m.Query
	stmts, err := c.srv.cfg.Planner.Parse(m.Query)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return sqlerr.New(sqlerr.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	ps := &prepared{name: m.Name, paramOIDs: slices.Clone(m.ParameterOIDs)}
	if len(stmts) == 1 {
		ps.stmt = stmts[0]
	}
	plan, err := c.planStatement(ps)
	if c.txFailed() && (err != nil || !endsTransaction(plan)) {
		return errTxAborted()
	}
	if err != nil {
		return err
	}
	ps.plan = plan
	if err := c.addStatement(ps); err != nil {
		return err
	}
	c.out.send(&pgproto3.ParseComplete{})
	return nil
}

// planStatement plans a prepared statement for the session as it is now.
func (c *conn) planStatement(ps *prepared) (*planner.Plan, error) {
	if ps.stmt == nil {
		return &planner.Plan{Kind: planner.KindEmpty}, nil
	}
	ctx, done := c.beginQuery()
	defer done()
	plan, err := c.srv.cfg.Planner.Plan(ctx, c.session, ps.stmt, ps.paramOIDs...)
	if err != nil {
		return nil, statementError(ctx, err)
	}
	return plan, nil
}

// bind serves Bind: a portal over the statement, with its parameter values decoded and the
// result formats chosen. The statement is planned again, so the portal runs with the session's
// current settings (a SET TIME ZONE since Parse counts) and the current catalog; most plans come
// from the planner's cache.
func (c *conn) bind(m *pgproto3.Bind) error {
	ps, err := c.statement(m.PreparedStatement)
	if err != nil {
		return err
	}
	c.served = ""
	if ps.stmt != nil {
		c.served = ps.stmt.SQL
	}
	c.ensureTx(txStarted)
	if c.txFailed() && !endsTransaction(ps.plan) {
		return errTxAborted()
	}
	if len(m.Parameters) != len(ps.plan.Params) {
		return sqlerr.New(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d",
			len(m.Parameters), m.PreparedStatement, len(ps.plan.Params))
	}
	plan, err := c.planStatement(ps)
	if err != nil {
		return err
	}
	if !sameShape(ps.plan, plan) {
		// The client decoded Describe's answer and encoded its values by it.
		return sqlerr.New(sqlerr.FeatureNotSupported, "cached plan must not change result type")
	}
	args, err := c.bindArgs(plan.Params, m.ParameterFormatCodes, m.Parameters)
	if err != nil {
		return err
	}
	var formats []int16
	if plan.Kind == planner.KindFetch {
		// FETCH sends rows in the formats its cursor was declared with (text, or all binary
		// for DECLARE BINARY).
		if slices.Contains(m.ResultFormatCodes, 1) {
			return sqlerr.New(sqlerr.FeatureNotSupported, "binary result formats for FETCH are not supported; declare a BINARY cursor")
		}
	} else if formats, err = resultFormats(m.ResultFormatCodes, len(plan.Columns)); err != nil {
		return err
	}
	if err := c.addPortal(&portal{name: m.DestinationPortal, sql: c.served, plan: plan, args: args, formats: formats}); err != nil {
		return err
	}
	c.out.send(&pgproto3.BindComplete{})
	return nil
}

// sameShape reports whether two plans of one statement take the same parameters and return
// the same column types.
func sameShape(a, b *planner.Plan) bool {
	if a.Kind != b.Kind || len(a.Params) != len(b.Params) || len(a.Columns) != len(b.Columns) {
		return false
	}
	for i := range a.Params {
		if a.Params[i].OID != b.Params[i].OID {
			return false
		}
	}
	for i := range a.Columns {
		if a.Columns[i].Type.OID != b.Columns[i].Type.OID {
			return false
		}
	}
	return true
}

// describe serves Describe from the plan; nothing runs.
func (c *conn) describe(m *pgproto3.Describe) error {
	c.ensureTx(txStarted)
	switch m.ObjectType {
	case 'S':
		ps, err := c.statement(m.Name)
		if err != nil {
			return err
		}
		if c.txFailed() && returnsRows(ps.plan) {
			return errTxAborted()
		}
		oids := make([]uint32, len(ps.plan.Params))
		for i, t := range ps.plan.Params {
			oids[i] = t.OID
		}
		c.out.send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		c.describeResult(ps.plan, nil)
	case 'P':
		p, err := c.portal(m.Name)
		if err != nil {
			return err
		}
		if c.txFailed() && returnsRows(p.plan) {
			return errTxAborted()
		}
		c.describeResult(p.plan, p.formats)
	default:
		return sqlerr.New(sqlerr.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType)
	}
	return nil
}

func (c *conn) describeResult(plan *planner.Plan, formats []int16) {
	if plan != nil && plan.Kind == planner.KindFetch && !plan.Cursor.Move {
		// FETCH answers with its cursor's rows, as PostgreSQL describes it.
		if p, ok := c.portals[plan.Cursor.Name]; ok && returnsRows(p.plan) {
			c.out.send(rowDescription(p.plan.Columns, p.formats))
			return
		}
	}
	if plan != nil && plan.Kind == planner.KindExecute {
		// EXECUTE answers with its prepared statement's rows.
		if ps, ok := c.stmts[plan.Statement]; ok && returnsRows(ps.plan) {
			c.out.send(rowDescription(ps.plan.Columns, nil))
			return
		}
	}
	if returnsRows(plan) {
		c.out.send(rowDescription(plan.Columns, formats))
		return
	}
	c.out.send(&pgproto3.NoData{})
}

// execute serves Execute: the portal runs, up to MaxRows rows when that is set. A query stopped
// there answers PortalSuspended and keeps its engine stream for the next Execute.
func (c *conn) execute(m *pgproto3.Execute) error {
	p, err := c.portal(m.Portal)
	if err != nil {
		return err
	}
	c.served = p.sql
	c.ensureTx(txStarted)
	if c.txFailed() && !endsTransaction(p.plan) {
		return errTxAborted()
	}
	maxRows := int64(m.MaxRows)
	if p.cur == nil && p.sent == 0 && !p.done {
		// First Execute of the portal: set_config() changes take effect as it starts.
		if err := c.applySessionSets(p.plan); err != nil {
			return err
		}
	}
	if p.plan.Kind == planner.KindExplainAnalyze && !p.done {
		// Runs its query now; the portal then pages out its lines as a local plan.
		if err := c.analyzePortal(p); err != nil {
			return err
		}
	}
	switch p.plan.Kind {
	case planner.KindQuery:
		return c.executeQuery(p, maxRows)
	case planner.KindLocal:
		if p.done {
			c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(p.plan.Tag, 0)})
			return nil
		}
		n, err := c.sendLocalRows(p.plan, p.formats, p.sent, maxRows)
		p.sent += n
		if err != nil {
			return err
		}
		// Like a query, a full page suspends even when it holds the last row (PostgreSQL does
		// not look ahead).
		if maxRows > 0 && int64(n) == maxRows {
			c.out.send(&pgproto3.PortalSuspended{})
			return nil
		}
		p.done = true
		c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(p.plan.Tag, int64(n))})
		return nil
	case planner.KindEmpty:
		c.out.send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	// A statement the connection answers itself runs once; PostgreSQL refuses to run its portal
	// again.
	if p.done {
		return sqlerr.New(sqlerr.ObjectNotInPrerequisiteState, "portal %q cannot be run", p.name)
	}
	p.done = true
	switch p.plan.Kind {
	case planner.KindCopyOut, planner.KindFetch, planner.KindExecute:
		// These run a query: a CancelRequest stops it, as it stops any query.
		ctx, done := c.beginQuery()
		defer done()
		if err := c.runPlan(ctx, p.plan, p.args, nil, false); err != nil {
			return statementError(ctx, err)
		}
		return nil
	}
	return c.runPlan(c.ctx, p.plan, p.args, nil, false)
}

// executeQuery runs or resumes a query portal. Without a row limit (the usual case) the executor
// runs on this goroutine; with one, a cursor keeps the execution open between Executes.
func (c *conn) executeQuery(p *portal, maxRows int64) error {
	if p.done {
		// Run to its end already: like PostgreSQL, nothing more to fetch.
		c.out.send(&pgproto3.CommandComplete{CommandTag: commandTag(p.plan.Tag, 0)})
		return nil
	}
	if p.cur == nil && maxRows <= 0 {
		ctx, done := c.beginQuery()
		defer done()
		p.done = true
		if err := c.runQuery(ctx, p.plan, p.args, p.formats); err != nil {
			return statementError(ctx, err)
		}
		return nil
	}
	// A CancelRequest now stops this execution; between Executes there is nothing running to
	// cancel, as in PostgreSQL. A new cursor is registered before its execution starts.
	register := func(cur *cursor) { c.setCancel(cur.cancel) }
	if p.cur == nil {
		p.cur = c.openCursor(p.plan, p.args, p.formats, register)
	} else {
		register(p.cur)
	}
	cur := p.cur
	n, finished, err := c.fetch(cur, maxRows)
	c.setCancel(nil)
	if c.out.err != nil {
		return c.out.err
	}
	if err != nil {
		err = statementError(cur.ctx, err)
		p.done = true
		p.close()
		return err
	}
	if !finished {
		c.out.send(&pgproto3.PortalSuspended{})
		return nil
	}
	p.done = true
	p.close()
	c.queryComplete(p.plan, n, cur.res)
	return nil
}

// closeMessage serves Close; closing what does not exist is not an error.
func (c *conn) closeMessage(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		delete(c.stmts, m.Name)
	case 'P':
		c.closePortal(m.Name)
	default:
		return sqlerr.New(sqlerr.ProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType)
	}
	c.out.send(&pgproto3.CloseComplete{})
	return nil
}
