package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// The limits pass: the guards that need the whole statement resolved (how many dimensions and
// metrics it references), the length cap of the string-building calls resolve noted, then the
// row cap on the outermost SELECT. LIMIT and OFFSET clauses of the client's are checked where
// resolve binds them (bindLimits, block.go); the size and nesting of the whole statement before
// any pass (checkComplexity, guards.go).

// applyLimits is the limits pass.
func applyLimits(s *planState) error {
	if err := s.checkCounts(); err != nil {
		return err
	}
	for _, c := range s.stringCaps {
		if err := capStringLength(c.call, c.name); err != nil {
			return err
		}
	}
	s.applyRowCap(s.sel)
	return nil
}

// stringGrowth are the calls whose length argument capStringLength bounds.
var stringGrowth = map[string]bool{"repeat": true, "lpad": true, "rpad": true}

// stringCap is a call of stringGrowth, noted by resolve.
type stringCap struct {
	call *pg_query.FuncCall
	name string
}

// checkCounts enforces the dimension and metric limits once the whole statement is bound.
func (s *planState) checkCounts() error {
	g := s.cfg.Guards
	if n := len(s.dims); n > g.MaxDimensions {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "query references %d dimensions; the limit is %d", n, g.MaxDimensions).
			WithHint("split the query, or raise SETU_MAX_DIMENSIONS")
	}
	if n := len(s.metrics); n > g.MaxMetrics {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "query aggregates %d metrics; the limit is %d", n, g.MaxMetrics).
			WithHint("split the query, or raise SETU_MAX_METRICS")
	}
	return nil
}

// applyRowCap makes the engine stop one row past the cap, so the executor can tell a result
// that the cap cut (and say so) from one that merely fills it.
func (s *planState) applyRowCap(sel *pg_query.SelectStmt) {
	limit := s.cfg.MaxRows
	if limit <= 0 {
		return
	}
	probe := limit + 1
	switch {
	case sel.LimitCount == nil, isNullConst(sel.LimitCount):
	default:
		if v, ok := ordinal(sel.LimitCount); !ok || int64(v) <= limit {
			return
		}
	}
	sel.LimitCount = pg_query.MakeAConstIntNode(probe, -1)
	sel.LimitOption = pg_query.LimitOption_LIMIT_OPTION_COUNT
}

// capStringLength keeps repeat(s, n), lpad(s, n) and rpad(s, n) from building strings past
// MaxStringLength: a constant n beyond it is refused, any other n is capped in the engine SQL.
func capStringLength(fc *pg_query.FuncCall, name string) error {
	idx := 1
	if len(fc.Args) <= idx {
		return nil
	}
	if n, ok := ordinal(fc.Args[idx]); ok {
		if n > MaxStringLength {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "%s would build a string of %d characters; the limit is %d", name, n, MaxStringLength)
		}
		return nil
	}
	fc.Args[idx] = &pg_query.Node{Node: &pg_query.Node_MinMaxExpr{MinMaxExpr: &pg_query.MinMaxExpr{
		Op:       pg_query.MinMaxOp_IS_LEAST,
		Args:     []*pg_query.Node{fc.Args[idx], pg_query.MakeAConstIntNode(MaxStringLength, -1)},
		Location: -1,
	}}}
	return nil
}

func isNullConst(n *pg_query.Node) bool {
	c := n.GetAConst()
	return c != nil && c.Isnull
}
