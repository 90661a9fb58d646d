package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// Guards bound the size of one query, as the original product's query guards did. A zero
// field takes its default.
type Guards struct {
	// MaxDimensions bounds the distinct dimensions a query references (default 20).
	MaxDimensions int
	// MaxMetrics bounds the distinct metrics a query aggregates (default 50).
	MaxMetrics int
	// MaxFilterDepth bounds the nesting of AND/OR/NOT in a WHERE, HAVING or JOIN condition
	// (default 10).
	MaxFilterDepth int
}

// Default guard limits.
const (
	DefaultMaxDimensions  = 20
	DefaultMaxMetrics     = 50
	DefaultMaxFilterDepth = 10
)

func (g Guards) withDefaults() Guards {
	if g.MaxDimensions <= 0 {
		g.MaxDimensions = DefaultMaxDimensions
	}
	if g.MaxMetrics <= 0 {
		g.MaxMetrics = DefaultMaxMetrics
	}
	if g.MaxFilterDepth <= 0 {
		g.MaxFilterDepth = DefaultMaxFilterDepth
	}
	return g
}

// checkCounts enforces the dimension and metric limits once the whole statement is bound.
func (b *binder) checkCounts() error {
	g := b.p.cfg.Guards
	if n := len(b.dims); n > g.MaxDimensions {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "query references %d dimensions; the limit is %d", n, g.MaxDimensions).
			WithHint("split the query, or raise SETU_MAX_DIMENSIONS")
	}
	if n := len(b.metrics); n > g.MaxMetrics {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "query aggregates %d metrics; the limit is %d", n, g.MaxMetrics).
			WithHint("split the query, or raise SETU_MAX_METRICS")
	}
	return nil
}

// checkFilterDepth enforces the nesting limit of one condition.
func (b *binder) checkFilterDepth(cond *pg_query.Node, clause string) error {
	limit := b.p.cfg.Guards.MaxFilterDepth
	if d := boolDepth(cond, limit+1); d > limit {
		return sqlerr.New(sqlerr.ProgramLimitExceeded, "%s condition nests AND/OR/NOT %d levels deep; the limit is %d", clause, d, limit).
			WithHint("simplify the condition, or raise SETU_MAX_FILTER_DEPTH")
	}
	return nil
}

// boolDepth measures the deepest nesting of boolean operators under n, giving up past stop so
// a hostile expression cannot make the measurement itself expensive.
func boolDepth(n *pg_query.Node, stop int) int {
	if n == nil || stop <= 0 {
		return 0
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_BoolExpr:
		deepest := 0
		for _, a := range v.BoolExpr.Args {
			deepest = max(deepest, boolDepth(a, stop-1))
		}
		return 1 + deepest
	case *pg_query.Node_AExpr:
		return max(boolDepth(v.AExpr.Lexpr, stop), boolDepth(v.AExpr.Rexpr, stop))
	case *pg_query.Node_NullTest:
		return boolDepth(v.NullTest.Arg, stop)
	case *pg_query.Node_BooleanTest:
		return boolDepth(v.BooleanTest.Arg, stop)
	case *pg_query.Node_CaseExpr:
		deepest := 0
		for _, w := range v.CaseExpr.Args {
			deepest = max(deepest, boolDepth(w.GetCaseWhen().GetExpr(), stop))
		}
		return deepest
	}
	return 0
}
