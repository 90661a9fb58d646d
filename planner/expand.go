package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// The expand pass. Resolve decides, block by block, which metric references are aggregated
// (the grain, see the package doc) and leaves each as an expansion; this pass replaces each by
// the metric's aggregation over its carrier, or a derived metric's formula over the
// aggregations it combines, and notes the formula's divisions for the dialect pass.

// expansion is a metric reference resolve decided to aggregate in place.
type expansion struct {
	// node becomes the metric's value; ref is the carrier reference the aggregation reads.
	node *pg_query.Node
	r    resolved
	ref  *pg_query.Node
	// cast, when set, is a cast the client wrote around the carrier inside an aggregate
	// (sum(cast(m AS numeric))): it applies to the metric's value instead.
	cast *pg_query.TypeCast
}

// expandMetrics is the expand pass.
func expandMetrics(s *planState) error {
	for _, e := range s.expansions {
		val, err := s.metricValue(e.r, e.ref)
		if err != nil {
			return err
		}
		if e.cast != nil {
			e.cast.Arg = val
			e.node.Node = &pg_query.Node_TypeCast{TypeCast: e.cast}
			continue
		}
		e.node.Node = val.Node
	}
	return nil
}

// aggFunctions maps a metric's aggregation to the SQL aggregate that computes it.
var aggFunctions = map[catalog.Agg]string{
	catalog.AggSum: "sum", catalog.AggAvg: "avg", catalog.AggMin: "min", catalog.AggMax: "max",
	catalog.AggCount: "count", catalog.AggCountDistinct: "count",
	catalog.AggStddev: "stddev_samp", catalog.AggVariance: "var_samp",
}

// metricAggregate is an aggregation metric's own aggregation over a carrier reference.
func metricAggregate(m *catalog.Metric, ref *pg_query.Node) *pg_query.Node {
	fc := &pg_query.FuncCall{
		Funcname:    []*pg_query.Node{pg_query.MakeStrNode(aggFunctions[m.Expression.Agg])},
		Args:        []*pg_query.Node{ref},
		AggDistinct: m.Expression.Agg == catalog.AggCountDistinct,
		Funcformat:  pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:    -1,
	}
	return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}}
}

// metricValue is what a metric column means in a block that aggregates: the metric's
// aggregation, or for a derived metric its formula over the aggregations it combines. rel
// qualifies the carrier references ("" for an unnamed relation).
func metricValue(exprs *catalogExprs, col column, rel string, ref *pg_query.Node) (*pg_query.Node, error) {
	if !col.metric.Derived() {
		return metricAggregate(col.metric, ref), nil
	}
	return derivedValue(exprs, col, rel)
}

// derivedValue expands a derived metric's formula: each metric it names becomes that metric's
// aggregation over its carrier, and every division guards against zero (x / NULLIF(y, 0)), so a
// ratio over an empty group is NULL rather than an error or infinity.
func derivedValue(exprs *catalogExprs, col column, rel string) (*pg_query.Node, error) {
	m := col.metric
	expr, err := exprs.parse(m.Expression.SQL)
	if err != nil {
		return nil, sqlerr.Internal(err)
	}
	carriers := make(map[string]part, len(col.parts))
	for _, p := range col.parts {
		carriers[p.metric.Name] = p
	}
	var bad error
	sqlast.Walk(expr, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_ColumnRef:
			name := v.ColumnRef.Fields[0].GetString_().GetSval()
			p, ok := carriers[name]
			if !ok {
				bad = sqlerr.Internal(errMissingPart(m.Name, name))
				return false
			}
			ref := columnRef(p.col)
			if rel != "" {
				ref = columnRef(rel, p.col)
			}
			n.Node = metricAggregate(p.metric, ref).Node
			return false
		case *pg_query.Node_FuncCall:
			_, fn := funcName(v.FuncCall)
			if spec, ok := functions[fn]; !ok || spec.aggregate || spec.window {
				bad = sqlerr.New(sqlerr.UndefinedFunction, "metric %q uses function %s, which is not allowed in a formula", m.Name, fn)
			}
		case *pg_query.Node_AExpr:
			if isOperator(v.AExpr, "/") && v.AExpr.Rexpr != nil {
				v.AExpr.Rexpr = nullIfZero(v.AExpr.Rexpr)
			}
		}
		return bad == nil
	})
	return expr, bad
}

type missingPart struct{ metric, part string }

func (e missingPart) Error() string {
	return "derived metric " + e.metric + " has no carrier for " + e.part
}

func errMissingPart(metric, part string) error { return missingPart{metric, part} }

func isOperator(e *pg_query.A_Expr, op string) bool {
	return e.Kind == pg_query.A_Expr_Kind_AEXPR_OP && len(e.Name) == 1 && e.Name[0].GetString_().GetSval() == op
}

func nullIfZero(n *pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_AExpr{AExpr: &pg_query.A_Expr{
		Kind: pg_query.A_Expr_Kind_AEXPR_NULLIF, Name: []*pg_query.Node{pg_query.MakeStrNode("=")},
		Lexpr: n, Rexpr: pg_query.MakeAConstIntNode(0, -1), Location: -1,
	}}}
}

func caseWhen(cond, val *pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_CaseExpr{CaseExpr: &pg_query.CaseExpr{
		Args:     []*pg_query.Node{{Node: &pg_query.Node_CaseWhen{CaseWhen: &pg_query.CaseWhen{Expr: cond, Result: val, Location: -1}}}},
		Location: -1,
	}}}
}

// catalogExpr parses a catalog SQL snippet (a dimension's SQL, a metric's filter) over the
// dataset's fields. The catalog checked its syntax and names at load; the function allowlist
// applies to the operator's SQL as to a client's, so a catalog cannot open a file reader either.
func (s *planState) catalogExpr(ds *catalog.Dataset, owner, sql string) (*pg_query.Node, error) {
	expr, err := s.exprs.parse(sql)
	if err != nil {
		return nil, sqlerr.Internal(err)
	}
	var bad error
	sqlast.Walk(expr, func(n *pg_query.Node) bool {
		if fc := n.GetFuncCall(); fc != nil {
			_, fn := funcName(fc)
			if spec, ok := functions[fn]; !ok || spec.aggregate || spec.window {
				bad = sqlerr.New(sqlerr.UndefinedFunction, "catalog: %s.%s uses function %s, which is not allowed", ds.ID, owner, fn)
			}
		}
		return bad == nil
	})
	return expr, bad
}

// metricValue expands a resolved metric column.
func (s *planState) metricValue(r resolved, ref *pg_query.Node) (*pg_query.Node, error) {
	val, err := metricValue(s.exprs, r.col, r.rel, ref)
	if err == nil && r.col.metric.Derived() {
		s.bindCreated(val)
		s.fixes.noteDerivedDivisions(r.col.metric, val)
	}
	return val, err
}

// expand records a metric reference to aggregate where node stands, and counts the metric for
// the guards.
func (b *binder) expand(node *pg_query.Node, r resolved, ref *pg_query.Node, cast *pg_query.TypeCast) {
	b.metrics[r.col.metric.Name] = true
	b.carried(r)
	b.expansions = append(b.expansions, &expansion{node: node, r: r, ref: ref, cast: cast})
	if b.pending == nil {
		b.pending = map[*pg_query.Node]bool{}
	}
	b.pending[node] = true
}

// expanded reports whether node is a metric reference the expand pass will aggregate: for
// resolve's questions about the tree it is already an aggregate.
func (b *binder) expanded(node *pg_query.Node) bool { return b.pending[node] }
