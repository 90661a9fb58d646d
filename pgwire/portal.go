package pgwire

import (
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Prepared statements and portals of the extended protocol. Both live in per-connection maps
// touched only by the connection's goroutine. The unnamed ones ("") are replaced freely; named
// ones must be closed first. Statements outlive transactions; portals end with theirs (but for SQL
// cursors declared WITH HOLD, see sqlcursor.go), and a portal keeps the plan and arguments it
// was bound with.

// Caps on what one connection may hold, so a client cannot grow the server's memory without
// bound; pgjdbc, the heaviest user of named statements, keeps at most 256.
const (
	maxPrepared = 10000
	maxPortals  = 1000
)

type prepared struct {
	name string
	// stmt is nil for an empty query string.
	stmt      *planner.Statement
	paramOIDs []uint32
	// plan was made at Parse, where PostgreSQL reports syntax and binding errors; Describe
	// answers from it. Bind plans again, for the session and catalog of that moment.
	plan *planner.Plan
}

type portal struct {
	name    string
	sql     string // the statement's text, for the log of an error
	plan    *planner.Plan
	args    []any
	formats []int16 // per result column; nil: all text

	// Execution state: rows of a local plan sent so far, a query's suspended execution, whether
	// the portal has run to its end.
	sent int
	cur  *cursor
	done bool

	// SQL cursors (DECLARE) share the portals' namespace, as in PostgreSQL. A WITH HOLD cursor
	// outlives the transaction that committed it; declaredIn is that transaction until then.
	hold       bool
	declaredIn *transaction
}

// close ends a suspended execution, if any.
func (p *portal) close() {
	if p.cur != nil {
		p.cur.close()
		p.cur = nil
	}
}

// returnsRows reports whether a plan answers with rows (RowDescription) rather than NoData.
func returnsRows(plan *planner.Plan) bool {
	return plan != nil && (plan.Kind == planner.KindQuery || plan.Kind == planner.KindLocal || plan.Kind == planner.KindExplainAnalyze)
}

// closeTxPortals closes the portals that end with the transaction tx: all but WITH HOLD
// cursors, and those too when they were declared in tx and it does not commit.
func (c *conn) closeTxPortals(tx *transaction, commit bool) {
	for name, p := range c.portals {
		if p.hold && (p.declaredIn != tx || commit) {
			if commit && p.declaredIn == tx {
				p.declaredIn = nil
			}
			continue
		}
		p.close()
		delete(c.portals, name)
	}
}

func (c *conn) statement(name string) (*prepared, error) {
	if ps, ok := c.stmts[name]; ok {
		return ps, nil
	}
	if name == "" {
		return nil, sqlerr.New(sqlerr.InvalidSQLStatementName, "unnamed prepared statement does not exist")
	}
	return nil, sqlerr.New(sqlerr.InvalidSQLStatementName, "prepared statement %q does not exist", name)
}

func (c *conn) portal(name string) (*portal, error) {
	if p, ok := c.portals[name]; ok {
		return p, nil
	}
	return nil, sqlerr.New(sqlerr.InvalidCursorName, "portal %q does not exist", name)
}

func (c *conn) addStatement(ps *prepared) error {
	if ps.name != "" {
		if _, ok := c.stmts[ps.name]; ok {
			return sqlerr.New(sqlerr.DuplicatePreparedStatement, "prepared statement %q already exists", ps.name)
		}
		if len(c.stmts) >= maxPrepared {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "too many prepared statements (at most %d per connection)", maxPrepared).
				WithHint("Close or DEALLOCATE statements that are no longer needed.")
		}
	}
	c.stmts[ps.name] = ps
	return nil
}

func (c *conn) addPortal(p *portal) error {
	if p.name == "" {
		c.closePortal("")
	} else {
		if _, ok := c.portals[p.name]; ok {
			return sqlerr.New(sqlerr.DuplicateCursor, "portal %q already exists", p.name)
		}
		if len(c.portals) >= maxPortals {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "too many open portals (at most %d per connection)", maxPortals)
		}
	}
	c.portals[p.name] = p
	return nil
}

// closePortal closes a portal; a missing one is not an error (Close says the same).
func (c *conn) closePortal(name string) {
	if p, ok := c.portals[name]; ok {
		p.close()
		delete(c.portals, name)
	}
}

func (c *conn) closeAllPortals() {
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
}

// deallocate serves DEALLOCATE: one named statement, or ("" for DEALLOCATE ALL) every named one;
// the unnamed statement stays, as in PostgreSQL.
func (c *conn) deallocate(name string) error {
	if name == "" {
		for n := range c.stmts {
			if n != "" {
				delete(c.stmts, n)
			}
		}
		return nil
	}
	if _, ok := c.stmts[name]; !ok {
		return sqlerr.New(sqlerr.InvalidSQLStatementName, "prepared statement %q does not exist", name)
	}
	delete(c.stmts, name)
	return nil
}

// dropUnnamed drops the unnamed statement and portal, as a simple Query does in PostgreSQL.
func (c *conn) dropUnnamed() {
	delete(c.stmts, "")
	c.closePortal("")
}
