package planner

import (
	"google.golang.org/protobuf/proto"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Metric shapes that BI tools generate (README, "Semantic SQL"). All of them follow from one
// rule: in a block that aggregates, a metric has exactly one value per group, its own
// aggregation over the group's rows. So
//
//   - SUM, MIN, MAX or AVG around a metric of another kind is the metric itself (the sum, min,
//     max or mean of one value), and COUNT(m) / COUNT(DISTINCT m) that is not the metric's own
//     aggregation counts that one value: 1, or 0 when the metric is NULL for the group;
//   - an aggregate around an expression of metrics is the expression of the metrics' values,
//     under the same reading (COUNT of it: 1 or 0);
//   - a WHERE condition on metrics filters groups by the metrics' values: it is a HAVING;
//   - a metric as a GROUP BY key adds no grouping (its value is already a function of the
//     group), so the key is dropped;
//   - a dimension and a metric in one select item group implicitly by the dimension.
//
// Each rewrite happens in resolve, before or while the block is bound, so the expand pass and
// every later pass see an ordinary aggregate query; tenant filters, derived metrics (combined
// after aggregation) and filtered metrics are what they are for any metric reference. Only the
// shapes with no such reading are refused, with a hint naming the shape.

// oneValueAggregates are the aggregates that return the value itself over a single value.
var oneValueAggregates = map[string]bool{"sum": true, "min": true, "max": true, "avg": true}

// wrapHint names the shape of an aggregate around a metric that has no answer.
func wrapHint(metric string) string {
	return "an aggregate of another kind around a metric means the metric's value per group: SUM, MIN, MAX, AVG and COUNT are answered so; write MEASURE(" + metric + ") or one of those"
}

// wrappedMetric binds an aggregate around a metric carrier that is not the metric's own
// aggregation (matchesMetric said no). It reports handled=false when the call is a
// one-value aggregate, which then means the metric itself (the caller expands it).
func (b *binder) wrappedMetric(n *pg_query.Node, fc *pg_query.FuncCall, name string, r resolved, ref *pg_query.Node) (handled bool, t pgtypes.Type, err error) {
	m := r.col.metric
	pos := b.pos(fc.Location)
	switch {
	case oneValueAggregates[name] && !fc.AggDistinct:
		b.notes = append(b.notes, "an aggregate around metric "+m.Name+" means the metric's value per group")
		return false, pgtypes.Type{}, nil
	case name == "count" && fc.AggFilter == nil && len(fc.AggOrder) == 0 && !fc.AggStar:
		holder := &pg_query.Node{Node: ref.Node}
		b.expand(holder, r, ref, nil)
		n.Node = countOfOne(holder).Node
		b.notes = append(b.notes, "COUNT around metric "+m.Name+" counts its one value per group")
		return true, pgtypes.Int8, nil
	}
	spelled := name
	if fc.AggDistinct {
		spelled += "(DISTINCT)"
	}
	return true, pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "%s around metric %q, which is %s, has no defined meaning", spelled, m.Name, metricKind(m)).
		WithHint("%s", wrapHint(m.Name)).WithPosition(pos)
}

// countOfOne is COUNT over one value: CAST(CASE WHEN v IS NULL THEN 0 ELSE 1 END AS bigint).
func countOfOne(v *pg_query.Node) *pg_query.Node {
	isNull := &pg_query.Node{Node: &pg_query.Node_NullTest{NullTest: &pg_query.NullTest{
		Arg: v, Nulltesttype: pg_query.NullTestType_IS_NULL, Location: -1,
	}}}
	c := &pg_query.Node{Node: &pg_query.Node_CaseExpr{CaseExpr: &pg_query.CaseExpr{
		Args: []*pg_query.Node{{Node: &pg_query.Node_CaseWhen{CaseWhen: &pg_query.CaseWhen{
			Expr: isNull, Result: pg_query.MakeAConstIntNode(0, -1), Location: -1,
		}}}},
		Defresult: pg_query.MakeAConstIntNode(1, -1),
		Location:  -1,
	}}}
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg:      c,
		TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("int8")}, Typemod: -1, Location: -1},
		Location: -1,
	}}}
}

// columnKinds looks at the column references of root outside sub-selects and returns the first
// that names a metric of this block and the first that names anything else ("" when none).
func (b *binder) columnKinds(root *pg_query.Node, sc *scope) (metric, other string) {
	metric, other, _ = b.columnKindsAt(root, sc)
	return metric, other
}

// columnKindsAt is columnKinds with the position of the metric reference, for messages.
func (b *binder) columnKindsAt(root *pg_query.Node, sc *scope) (metric, other string, pos int) {
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if n.GetSubLink() != nil {
			return false
		}
		cr := n.GetColumnRef()
		if cr == nil {
			return true
		}
		rel, name, err := b.columnName(cr)
		if err != nil {
			return false
		}
		r, err := sc.resolveColumn(rel, name, 0)
		switch {
		case err != nil:
		case r.col.metric != nil && !r.outer:
			if metric == "" {
				metric, pos = r.col.metric.Name, b.pos(cr.Location)
			}
		case other == "":
			other = name
		}
		return false
	})
	return metric, other, pos
}

// metricInsideAggregate binds an aggregate whose argument is an expression over metrics
// (SUM(COALESCE(m, 0)), MAX(CASE WHEN m IS NULL THEN 1 ELSE 0 END)): over the one value per
// group the expression has, the aggregate is the expression itself, and COUNT is 1 or 0. It
// reports handled=false when the arguments name no metric.
func (b *binder) metricInsideAggregate(n *pg_query.Node, fc *pg_query.FuncCall, name string, sc *scope, c exprCtx) (handled bool, t pgtypes.Type, err error) {
	metric, other := "", ""
	for _, a := range fc.Args {
		m, o := b.columnKinds(a, sc)
		if metric == "" {
			metric = m
		}
		if other == "" {
			other = o
		}
	}
	if metric == "" || containsAggregate(&pg_query.Node{Node: &pg_query.Node_List{List: &pg_query.List{Items: fc.Args}}}) {
		// No metric, or a nested aggregate, which binding refuses as PostgreSQL does.
		return false, pgtypes.Type{}, nil
	}
	pos := b.pos(fc.Location)
	hint := "an aggregate around an expression of metrics means the expression of the metrics' values per group (COUNT: 1 or 0); it is answered for SUM, MIN, MAX, AVG and COUNT over metrics and constants"
	switch {
	case other != "":
		return true, pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "metric %q and column %q inside one aggregate have no defined meaning", metric, other).
			WithHint("%s; aggregate the column apart from the metric", hint).WithPosition(pos)
	case len(fc.Args) != 1 || fc.AggFilter != nil || len(fc.AggOrder) > 0 || (!oneValueAggregates[name] && name != "count"):
		return true, pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "%s over an expression of metric %q has no defined meaning", name, metric).
			WithHint("%s", hint).WithPosition(pos)
	}
	arg := fc.Args[0]
	c.aggregated, c.inAgg = true, false
	if name == "count" {
		if _, err := b.expr(arg, sc, c); err != nil {
			return true, pgtypes.Type{}, err
		}
		n.Node = countOfOne(arg).Node
		t = pgtypes.Int8
	} else {
		n.Node = arg.Node
		if t, err = b.expr(n, sc, c); err != nil {
			return true, pgtypes.Type{}, err
		}
	}
	b.notes = append(b.notes, "an aggregate around an expression of metric "+metric+" is the expression of its value per group")
	return true, t, nil
}

// metricFilters moves the WHERE conditions on metrics of a block that aggregates into its
// HAVING: a condition on a metric's value filters groups. A condition mixing a metric with
// another column, or a metric condition in a sub-select that only passes metrics through (which
// has no groups), is left for the WHERE binding to refuse.
func (b *binder) metricFilters(sel *pg_query.SelectStmt, sc *scope, opts blockOpts) error {
	if sel.WhereClause == nil {
		return nil
	}
	var keep, move []*pg_query.Node
	for _, cond := range conjuncts(sel.WhereClause) {
		metric, other, pos := b.columnKindsAt(cond, sc)
		switch {
		case metric == "":
			keep = append(keep, cond)
		case other != "":
			return sqlerr.New(sqlerr.GroupingError, "a WHERE condition using metric %q and column %q has no defined meaning", metric, other).
				WithHint("a condition on metrics in WHERE filters groups, like HAVING; write the condition on %q apart from the one on %q (joined by AND)", metric, other).WithPosition(pos)
		default:
			move = append(move, cond)
		}
	}
	if len(move) == 0 {
		return nil
	}
	if opts.passthrough && !b.scanShape(sel, sc).aggregates && len(sel.GroupClause) == 0 && sel.HavingClause == nil {
		// Left in WHERE, where binding refuses it with the metric's name.
		return nil
	}
	sel.WhereClause = andOf(keep)
	if sel.HavingClause != nil {
		move = append([]*pg_query.Node{sel.HavingClause}, move...)
	}
	sel.HavingClause = andOf(move)
	b.notes = append(b.notes, "a WHERE condition on metrics filters groups, as HAVING")
	return nil
}

// metricKey reports whether a GROUP BY item is a metric key to drop: a position or output
// name of a select item, or an expression, that reads metrics and no other column. Its value
// is a function of the group the other keys make, so it splits no group. An item mixing a
// metric and another column is refused; a real aggregate is left to groupItem to refuse.
func (b *binder) metricKey(g *pg_query.Node, sel *pg_query.SelectStmt, sc *scope, out []column) (bool, error) {
	var metric, other string
	if i, ok := ordinal(g); ok {
		if i < 1 || i > len(out) {
			return false, nil
		}
		metric, other = b.boundKinds(sel.TargetList[i-1].GetResTarget().Val)
	} else if name, ok := bareName(g); ok && b.outputOnly(name, sc, out) {
		metric, other = b.boundKinds(sel.TargetList[outputIndex(out, name)].GetResTarget().Val)
	} else {
		if containsAggregate(g) {
			return false, nil
		}
		metric, other = b.columnKinds(g, sc)
	}
	switch {
	case metric == "":
		return false, nil
	case other != "":
		return false, sqlerr.New(sqlerr.GroupingError, "a GROUP BY key using metric %q and column %q has no defined meaning", metric, other).
			WithHint("a metric as a GROUP BY key adds no grouping (its value is one per group of the other keys) and is dropped; group by %q on its own", other)
	}
	b.notes = append(b.notes, "metric "+metric+" as a GROUP BY key adds no grouping and is dropped")
	return true, nil
}

// outputOnly reports whether a bare GROUP BY name names an output column and no input column
// (an input column wins, as in PostgreSQL).
func (b *binder) outputOnly(name string, sc *scope, out []column) bool {
	if _, err := sc.resolveColumn("", name, 0); err == nil {
		return false
	}
	return outputIndex(out, name) >= 0
}

// boundKinds is columnKinds over a bound select item: a metric reference is one the expand pass
// aggregates; a real aggregate call counts as neither (the caller refuses it).
func (b *binder) boundKinds(root *pg_query.Node) (metric, other string) {
	if containsAggregate(root) {
		return "", ""
	}
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if n.GetSubLink() != nil {
			return false
		}
		cr := n.GetColumnRef()
		if cr == nil {
			return true
		}
		name := cr.Fields[len(cr.Fields)-1].GetString_().GetSval()
		if b.expanded(n) {
			if metric == "" {
				metric = name
			}
		} else if other == "" {
			other = name
		}
		return false
	})
	return metric, other
}

// mixedGroupKeys returns the column references of a select item that also reads a metric:
// outside aggregates and metric references, they are what the item groups by
// (city || ':' || total_revenue groups by city). Each is a copy, bound like the original.
func (b *binder) mixedGroupKeys(val *pg_query.Node) []*pg_query.Node {
	var keys []*pg_query.Node
	sqlast.Walk(val, func(n *pg_query.Node) bool {
		switch {
		case n.GetSubLink() != nil || b.expanded(n):
			return false
		case n.GetFuncCall() != nil:
			if spec, ok := functions[lowerName(n.GetFuncCall())]; ok && (spec.aggregate || spec.window) {
				return false
			}
		case n.GetColumnRef() != nil:
			k := proto.Clone(n).(*pg_query.Node)
			b.bindCreated(k)
			keys = append(keys, k)
			return false
		}
		return true
	})
	return keys
}

func lowerName(fc *pg_query.FuncCall) string {
	_, name := funcName(fc)
	return name
}
