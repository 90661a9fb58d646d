package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
)

// Metric grain, as resolve decides it block by block (see the package doc): a block that
// aggregates turns metric carriers into aggregations (left to the expand pass); a sub-select
// that only passes carriers through leaves the grain to the block above it.

// blockGrain is what resolve decided about one block.
type blockGrain struct {
	// aggregated: the block aggregates, so metric carriers in it become aggregations.
	aggregated bool
	// passthrough: the block hands carriers up unaggregated.
	passthrough bool
}

// grain decides a block's grain from its shape, before its select list is bound.
func (b *binder) grain(sel *pg_query.SelectStmt, sc *scope, opts blockOpts) blockGrain {
	shape := b.scanShape(sel, sc)
	passthrough := opts.passthrough && shape.carriers && !shape.aggregates && !shape.windows &&
		!shape.carrierExprs && len(sel.GroupClause) == 0 && sel.HavingClause == nil &&
		len(sel.DistinctClause) == 0 && sel.LimitCount == nil && sel.LimitOffset == nil
	aggregated := shape.aggregates || len(sel.GroupClause) > 0 || sel.HavingClause != nil ||
		(shape.carriers && !passthrough)
	if passthrough {
		b.notes = append(b.notes, "metrics passed through a sub-select to the block that aggregates them")
	}
	return blockGrain{aggregated: aggregated, passthrough: passthrough}
}

// blockShape is what a scan of a block's select list, HAVING and ORDER BY finds before any
// rewriting; it decides whether the block aggregates.
type blockShape struct {
	aggregates bool // an aggregate call outside any window
	windows    bool
	carriers   bool // a metric carrier is referenced
	// carrierExprs is true when a carrier appears anywhere but as a whole select item.
	carrierExprs bool
}

// scanShape looks at the select list, HAVING and ORDER BY without rewriting anything.
// Sub-selects are separate blocks and are not looked into.
func (b *binder) scanShape(sel *pg_query.SelectStmt, sc *scope) blockShape {
	var s blockShape
	isCarrier := func(cr *pg_query.ColumnRef) bool {
		rel, name, err := b.columnName(cr)
		if err != nil {
			return false
		}
		r, err := sc.resolveColumn(rel, name, 0)
		return err == nil && !r.outer && r.col.metric != nil
	}
	visit := func(root *pg_query.Node, whole bool) {
		if whole {
			if cr := root.GetColumnRef(); cr != nil {
				if isCarrier(cr) {
					s.carriers = true
				}
				return
			}
		}
		sqlast.Walk(root, func(n *pg_query.Node) bool {
			switch {
			case n.GetSubLink() != nil:
				return false
			case n.GetFuncCall() != nil:
				fc := n.GetFuncCall()
				_, name := funcName(fc)
				if fc.Over != nil {
					s.windows = true
				} else if spec, ok := functions[name]; ok && spec.aggregate {
					s.aggregates = true
				}
			case n.GetColumnRef() != nil:
				if isCarrier(n.GetColumnRef()) {
					s.carriers = true
					s.carrierExprs = true
				}
			}
			return true
		})
	}
	for _, t := range sel.TargetList {
		visit(t.GetResTarget().Val, true)
	}
	if sel.HavingClause != nil {
		visit(sel.HavingClause, false)
	}
	for _, o := range sel.SortClause {
		visit(o.GetSortBy().Node, false)
	}
	return s
}

// carrier reports the metric carrier a select item of a passthrough block names whole, if it
// does.
func (b *binder) carrier(rt *pg_query.ResTarget, sc *scope) (*resolved, error) {
	cr := rt.Val.GetColumnRef()
	if cr == nil {
		return nil, nil
	}
	rel, name, err := b.columnName(cr)
	if err != nil {
		return nil, err
	}
	if r, err := sc.resolveColumn(rel, name, b.pos(cr.Location)); err == nil && r.col.metric != nil {
		return &r, nil
	}
	return nil, nil
}

// carry makes output column c of select item rt carry the metric carried names. A derived
// metric's formula is computed where the metric is aggregated; here only its parts travel, as
// the hidden targets and columns returned, and the item itself becomes a typed placeholder.
func (b *binder) carry(rt *pg_query.ResTarget, c *column, carried *resolved) ([]*pg_query.Node, []column) {
	c.metric = carried.col.metric
	if !c.metric.Derived() {
		return nil, nil
	}
	rt.Name = c.name
	rt.Val = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}
	targets, cols := carryParts(c, carried.col, carried.rel)
	for _, t := range targets {
		b.bindCreated(t)
	}
	return targets, cols
}

// carryParts passes a derived metric through a sub-select: the metrics it combines travel as
// hidden columns named "<output>.<metric>", and the output column points at them.
func carryParts(out *column, in column, rel string) ([]*pg_query.Node, []column) {
	var targets []*pg_query.Node
	var cols []column
	for _, p := range in.parts {
		name := out.name + "." + p.metric.Name
		ref := columnRef(p.col)
		if rel != "" {
			ref = columnRef(rel, p.col)
		}
		targets = append(targets, pg_query.MakeResTargetNodeWithNameAndVal(name, ref, -1))
		cols = append(cols, column{name: name, typ: catalogType(p.metric.ReturnType), metric: p.metric, hidden: true})
		out.parts = append(out.parts, part{metric: p.metric, col: name})
	}
	return targets, cols
}

// aggregates reports whether root aggregates: an aggregate or window call outside sub-selects
// (containsAggregate), or a metric reference the expand pass is to turn into one.
func (b *binder) aggregates(root *pg_query.Node) bool {
	if containsAggregate(root) {
		return true
	}
	found := false
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if found || n.GetSubLink() != nil {
			return false
		}
		found = b.expanded(n)
		return !found
	})
	return found
}
