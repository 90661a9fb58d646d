package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
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

// checkFilterDepth enforces the nesting limit of one condition.
func (b *binder) checkFilterDepth(cond *pg_query.Node, clause string) error {
	limit := b.cfg.Guards.MaxFilterDepth
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

// Limits on the shape of one statement. Engines parse and bind deeply nested expressions in
// time that grows steeply with depth and cannot be interrupted, so a statement is measured
// before anything else looks at it.
const (
	// MaxNestingDepth bounds how deeply parse-tree nodes nest (about half as many levels of
	// parentheses or operators).
	MaxNestingDepth = 300
	// MaxNodes bounds the parse-tree nodes of one statement.
	MaxNodes = 20000
	// MaxStringLength bounds the strings repeat/lpad/rpad may build (PostgreSQL's own limit is
	// 1 GB; a semantic gateway has no use for strings near it).
	MaxStringLength = 10 << 20
)

// checkComplexity refuses statements nested too deeply or too large.
func checkComplexity(root *pg_query.Node) error {
	count := 0
	var err error
	sqlast.WalkDepth(root, func(_ *pg_query.Node, depth int) bool {
		if err != nil {
			return false
		}
		count++
		if depth > MaxNestingDepth {
			err = sqlerr.New(sqlerr.StatementTooComplex, "statement is too complex: expressions nest more than %d levels deep", MaxNestingDepth/2)
		} else if count > MaxNodes {
			err = sqlerr.New(sqlerr.StatementTooComplex, "statement is too complex: more than %d parse nodes", MaxNodes)
		}
		return err == nil
	})
	return err
}

// checkTypmods accepts type modifiers that are integer constants, as in numeric(10, 2).
func checkTypmods(tn *pg_query.TypeName) error {
	for _, m := range tn.GetTypmods() {
		if _, ok := ordinal(m); !ok {
			return sqlerr.New(sqlerr.SyntaxError, "type modifiers must be simple constants")
		}
	}
	return nil
}
