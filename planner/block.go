package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// block binds a plain SELECT block: FROM, WHERE, then the grain (grain.go), then the select
// list and the clauses that read it.
func (b *binder) block(sel *pg_query.SelectStmt, sc *scope, opts blockOpts) ([]column, error) {
	if err := b.bindFrom(sel, sc); err != nil {
		return nil, err
	}
	if err := b.expandStars(sel, sc); err != nil {
		return nil, err
	}
	if err := b.metricFilters(sel, sc, opts); err != nil {
		return nil, err
	}
	if err := b.condition(sel.WhereClause, sc, exprCtx{clause: "WHERE"}); err != nil {
		return nil, err
	}
	if len(sc.rels) > 1 {
		// The join pass looks at every block that joins relations (join.go).
		sc.eqs = append(sc.eqs, b.equalities(sel.WhereClause, sc)...)
		b.joinBlocks = append(b.joinBlocks, &joinBlock{sel: sel, sc: sc})
	}
	g := b.grain(sel, sc, opts)
	if len(sc.rels) > 1 {
		b.joinBlocks[len(b.joinBlocks)-1].aggregated = g.aggregated
	}
	ctx := exprCtx{clause: "SELECT", aggregated: g.aggregated, passthrough: g.passthrough}
	out, err := b.targets(sel, sc, ctx)
	if err != nil {
		return nil, err
	}
	if err := b.groupBy(sel, sc, out, g.aggregated); err != nil {
		return nil, err
	}
	if err := b.condition(sel.HavingClause, sc, exprCtx{clause: "HAVING", aggregated: true}); err != nil {
		return nil, err
	}
	if err := b.distinctOn(sel, sc, ctx); err != nil {
		return nil, err
	}
	for _, w := range sel.WindowClause {
		if err := b.windowDef(w.GetWindowDef(), sc, ctx); err != nil {
			return nil, err
		}
	}
	for _, s := range sel.SortClause {
		if err := b.orderBy(s.GetSortBy(), sc, out, ctx); err != nil {
			return nil, err
		}
	}
	if err := b.bindLimits(sel, sc); err != nil {
		return nil, err
	}
	b.keepUnique(sel, sc)
	return out, nil
}

// bindFrom binds the FROM items into the block's scope.
func (b *binder) bindFrom(sel *pg_query.SelectStmt, sc *scope) error {
	for _, item := range sel.FromClause {
		rels, err := b.fromItem(item, sc)
		if err != nil {
			return err
		}
		for _, r := range rels {
			if r.alias != "" {
				for _, have := range sc.rels {
					if have.alias == r.alias {
						return sqlerr.New(sqlerr.DuplicateAlias, "table name %q specified more than once", r.alias)
					}
				}
			}
			sc.rels = append(sc.rels, r)
		}
	}
	return nil
}

// condition binds a WHERE or HAVING condition (nil: none) under the filter-depth guard.
func (b *binder) condition(cond *pg_query.Node, sc *scope, ctx exprCtx) error {
	if cond == nil {
		return nil
	}
	if err := b.checkFilterDepth(cond, ctx.clause); err != nil {
		return err
	}
	_, err := b.expr(cond, sc, ctx)
	return err
}

// targets binds the select list. In a block that passes metrics through, a derived metric's
// parts travel as hidden columns after the client's (carry, grain.go), so positions in GROUP BY
// and ORDER BY keep their meaning.
func (b *binder) targets(sel *pg_query.SelectStmt, sc *scope, ctx exprCtx) ([]column, error) {
	out := make([]column, 0, len(sel.TargetList))
	var hiddenTargets []*pg_query.Node
	var hiddenCols []column
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		if len(rt.Indirection) > 0 {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "subscripts in the select list are not supported").WithPosition(b.pos(rt.Location))
		}
		var carried *resolved
		if ctx.passthrough {
			var err error
			if carried, err = b.carrier(rt, sc); err != nil {
				return nil, err
			}
		}
		name := figureName(rt)
		typ, err := b.expr(rt.Val, sc, ctx)
		if err != nil {
			return nil, err
		}
		if rt.Name == "" && (rt.Val.GetColumnRef() == nil || b.expanded(rt.Val)) {
			// Engines name computed columns their own way (DuckDB: "sum(total_revenue)"), and a
			// metric reference is to become such a computation; an enclosing block refers to
			// the PostgreSQL name, so spell it out.
			rt.Name = name
		}
		c := column{name: name, typ: typ, origin: b.targetOrigin(rt, typ, sc)}
		if carried != nil {
			targets, cols := b.carry(rt, &c, carried)
			hiddenTargets = append(hiddenTargets, targets...)
			hiddenCols = append(hiddenCols, cols...)
		}
		out = append(out, c)
	}
	sel.TargetList = append(sel.TargetList, hiddenTargets...)
	return append(out, hiddenCols...), nil
}

// expandStars replaces * and rel.* in the select list by the columns they stand for, so the
// block's output is known and metrics in it are handled like any named metric.
func (b *binder) expandStars(sel *pg_query.SelectStmt, sc *scope) error {
	var out []*pg_query.Node
	changed := false
	for _, t := range sel.TargetList {
		rt := t.GetResTarget()
		cr := rt.Val.GetColumnRef()
		if cr == nil || len(cr.Fields) == 0 || cr.Fields[len(cr.Fields)-1].GetAStar() == nil {
			out = append(out, t)
			continue
		}
		changed = true
		rel := ""
		if len(cr.Fields) >= 2 {
			rel = cr.Fields[len(cr.Fields)-2].GetString_().GetSval()
		}
		if rel == "" && len(sc.merged) > 0 {
			// USING and NATURAL show each merged column once (joinnatural.go).
			if items, ok := sc.usingStar(sel.FromClause); ok {
				keepAll(sc.rels)
				for _, it := range items {
					it.GetResTarget().Location = rt.Location
				}
				out = append(out, items...)
				continue
			}
		}
		found := false
		for _, r := range sc.rels {
			if rel != "" && r.alias != rel {
				continue
			}
			found = true
			keepAll([]*relation{r})
			for _, c := range r.cols {
				if c.hidden {
					continue
				}
				var ref *pg_query.Node
				if r.alias != "" {
					ref = columnRef(r.alias, c.name)
				} else {
					ref = columnRef(c.name)
				}
				out = append(out, pg_query.MakeResTargetNodeWithNameAndVal(c.name, ref, rt.Location))
			}
		}
		if rel != "" && !found {
			return sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", rel).WithPosition(b.pos(cr.Location))
		}
		if rel == "" && len(sc.rels) == 0 {
			return sqlerr.New(sqlerr.SyntaxError, "SELECT * with no tables specified is not valid").WithPosition(b.pos(cr.Location))
		}
	}
	if changed {
		sel.TargetList = out
	}
	return nil
}

// groupBy binds an explicit GROUP BY, or adds the implicit one of a block that aggregates
// metrics.
func (b *binder) groupBy(sel *pg_query.SelectStmt, sc *scope, out []column, aggregated bool) error {
	if len(sel.GroupClause) == 0 {
		if aggregated {
			b.implicitGroupBy(sel)
		}
		return nil
	}
	if sel.GroupDistinct {
		return sqlerr.New(sqlerr.FeatureNotSupported, "GROUP BY DISTINCT is not supported")
	}
	kept := make([]*pg_query.Node, 0, len(sel.GroupClause))
	for _, g := range sel.GroupClause {
		drop, err := b.metricKey(g, sel, sc, out)
		if err != nil {
			return err
		}
		if drop {
			continue
		}
		if err := b.groupItem(g, sel, sc, out); err != nil {
			return err
		}
		kept = append(kept, g)
	}
	// A GROUP BY of metric keys only is one group; an empty list says so to the engine.
	sel.GroupClause = kept
	return nil
}

// implicitGroupBy groups by every select item that is not an aggregate and references a column,
// and by the columns of an item that also reads a metric (city || ':' || total_revenue groups by
// city; shapes.go).
func (b *binder) implicitGroupBy(sel *pg_query.SelectStmt) {
	var mixed []*pg_query.Node
	for i, t := range sel.TargetList {
		val := t.GetResTarget().Val
		switch {
		case !b.aggregates(val) && referencesColumn(val):
			sel.GroupClause = append(sel.GroupClause, pg_query.MakeAConstIntNode(int64(i+1), -1))
		case b.aggregates(val):
			mixed = append(mixed, b.mixedGroupKeys(val)...)
		}
	}
	sel.GroupClause = append(sel.GroupClause, mixed...)
	if len(sel.GroupClause) > 0 {
		b.notes = append(b.notes, "implicit GROUP BY of the selected dimensions")
	}
}

// groupItem binds one GROUP BY item: a position, an output column name, or an expression.
func (b *binder) groupItem(g *pg_query.Node, sel *pg_query.SelectStmt, sc *scope, out []column) error {
	if g.GetGroupingSet() != nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "ROLLUP, CUBE and GROUPING SETS are not supported")
	}
	if i, ok := ordinal(g); ok {
		if i < 1 || i > len(out) {
			return sqlerr.New(sqlerr.InvalidColumnReference, "GROUP BY position %d is not in select list", i)
		}
		if b.aggregates(sel.TargetList[i-1].GetResTarget().Val) {
			return sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in GROUP BY").
				WithHint("GROUP BY position %d refers to an aggregate or a metric (%s)", i, out[i-1].name)
		}
		return nil
	}
	if name, ok := bareName(g); ok {
		// An input column wins over an output name, as in PostgreSQL.
		if _, err := sc.resolveColumn("", name, 0); err != nil {
			if idx := outputIndex(out, name); idx >= 0 {
				if b.aggregates(sel.TargetList[idx].GetResTarget().Val) {
					return sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in GROUP BY").WithHint("%q is an aggregate or a metric", name)
				}
				g.Node = pg_query.MakeAConstIntNode(int64(idx+1), -1).Node
				return nil
			}
		}
	}
	_, err := b.expr(g, sc, exprCtx{clause: "GROUP BY"})
	return err
}

func outputIndex(out []column, name string) int {
	for i, c := range out {
		if c.name == name {
			return i
		}
	}
	return -1
}

func (b *binder) distinctOn(sel *pg_query.SelectStmt, sc *scope, ctx exprCtx) error {
	for _, d := range sel.DistinctClause {
		if d == nil || d.Node == nil {
			continue
		}
		if _, err := b.expr(d, sc, ctx); err != nil {
			return err
		}
	}
	return nil
}

func (b *binder) windowDef(w *pg_query.WindowDef, sc *scope, ctx exprCtx) error {
	if w == nil {
		return nil
	}
	ctx.clause = "window definition"
	for _, p := range w.PartitionClause {
		if _, err := b.expr(p, sc, ctx); err != nil {
			return err
		}
	}
	for _, o := range w.OrderClause {
		if _, err := b.expr(o.GetSortBy().Node, sc, ctx); err != nil {
			return err
		}
	}
	for _, off := range []*pg_query.Node{w.StartOffset, w.EndOffset} {
		if off == nil {
			continue
		}
		if referencesColumn(off) || containsSubLink(off) {
			return sqlerr.New(sqlerr.FeatureNotSupported, "window frame offsets must be constants")
		}
		if _, err := b.expr(off, sc, exprCtx{clause: "window frame"}); err != nil {
			return err
		}
	}
	return nil
}

// orderBy binds an ORDER BY item: a position, an output column name, or an expression.
func (b *binder) orderBy(sb *pg_query.SortBy, sc *scope, out []column, ctx exprCtx) error {
	if len(sb.UseOp) > 0 {
		return sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY ... USING is not supported").WithPosition(b.pos(sb.Location))
	}
	if i, ok := ordinal(sb.Node); ok {
		if i < 1 || i > len(out) {
			return sqlerr.New(sqlerr.InvalidColumnReference, "ORDER BY position %d is not in select list", i).WithPosition(b.pos(sb.Location))
		}
		return nil
	}
	if name, ok := bareName(sb.Node); ok {
		if idx := outputIndex(out, name); idx >= 0 {
			// The select item may have been rewritten (a metric into its aggregation), so point
			// at it by position rather than leave a name the engine might bind elsewhere.
			sb.Node = pg_query.MakeAConstIntNode(int64(idx+1), -1)
			return nil
		}
	}
	ctx.clause = "ORDER BY"
	_, err := b.expr(sb.Node, sc, ctx)
	return err
}

// bindLimits checks LIMIT and OFFSET: constants or parameters only.
func (b *binder) bindLimits(sel *pg_query.SelectStmt, sc *scope) error {
	if sel.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return sqlerr.New(sqlerr.FeatureNotSupported, "FETCH ... WITH TIES is not supported")
	}
	for _, n := range []*pg_query.Node{sel.LimitCount, sel.LimitOffset} {
		if n == nil {
			continue
		}
		if referencesColumn(n) || containsAggregate(n) || containsSubLink(n) {
			return sqlerr.New(sqlerr.FeatureNotSupported, "LIMIT and OFFSET must be constants")
		}
		b.params.infer(n, pgtypes.Int8)
		if _, err := b.expr(n, sc, exprCtx{clause: "LIMIT"}); err != nil {
			return err
		}
	}
	return nil
}

// containsAggregate reports an aggregate call (or a window call, which also needs the grouped
// rows) outside sub-selects.
func containsAggregate(root *pg_query.Node) bool {
	found := false
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if found || n.GetSubLink() != nil {
			return false
		}
		if fc := n.GetFuncCall(); fc != nil {
			_, name := funcName(fc)
			if spec, ok := functions[name]; ok && (spec.aggregate || spec.window) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// referencesColumn reports a column reference outside sub-selects.
func referencesColumn(root *pg_query.Node) bool {
	found := false
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if found || n.GetSubLink() != nil {
			return false
		}
		if n.GetColumnRef() != nil {
			found = true
		}
		return !found
	})
	return found
}

func containsSubLink(root *pg_query.Node) bool {
	found := false
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if n.GetSubLink() != nil {
			found = true
		}
		return !found
	})
	return found
}
