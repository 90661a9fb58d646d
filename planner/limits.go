package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// The limits pass: the guards that need the whole statement resolved (how many dimensions and
// metrics it references), then the row cap on the outermost SELECT. LIMIT and OFFSET clauses of
// the client's are checked where resolve binds them (bindLimits, block.go).

// applyLimits is the limits pass.
func applyLimits(s *planState) error {
	if err := s.checkCounts(); err != nil {
		return err
	}
	s.applyRowCap(s.sel)
	return nil
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
