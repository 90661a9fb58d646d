package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
)

// Semi-joins (the join pass, join.go). A relation the joins may repeat a metric's rows by is
// often read only to filter them: revenue by region of the orders with an item in a category,
//
//	SELECT c.region, o.revenue FROM orders o JOIN customers c ON c.customer_id = o.customer_id
//	  JOIN order_items i ON i.order_id = o.order_id WHERE i.category = 'K3' GROUP BY c.region
//
// Where such a relation X is joined by inner joins only, and nothing of the block reads it but
// its own join condition and WHERE conjuncts, the block keeps the rows X matches once each by
// asking only whether a match exists:
//
//	SELECT ... FROM orders o JOIN customers c ON ...
//	  WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id AND i.category = 'K3')
//
// For each combination of the other relations' rows, the join kept it once per matching row of
// X and the EXISTS keeps it once if there is one: the same rows, never repeated, which is what
// the metric's grain asks and what an engine runs as a hash semi-join, without the
// de-duplication of the joined rows that aggregateAtGrain writes. When the relations left still
// repeat the metric's rows, aggregateAtGrain de-duplicates what is left.

// semiJoins rewrites each relation of jb that may repeat the rows of f.rel and is read only to
// filter them into an EXISTS in WHERE. It reports whether no relation repeats f.rel's rows any
// more; otherwise f.other is one that still does. Only a block whose metrics are all f.rel's
// comes here: a client's own aggregate over the joined rows counts the repeats, so such a block
// is left to aggregateAtGrain, which refuses it.
func (s *planState) semiJoins(jb *joinBlock, f *fanOut) bool {
	sel := jb.sel
	if len(sel.WindowClause) > 0 || s.clientAggregates(sel) {
		return false
	}
	sc := &scope{rels: jb.sc.rels, eqs: jb.sc.eqs}
	for progress := true; progress; {
		progress = false
		for _, x := range unreached(f.rel, sc) {
			if len(x.metrics) == 0 && x.alias != "" && s.toSemiJoin(sel, x) {
				sc = withoutRelation(sc, x)
				progress = true
				break
			}
		}
	}
	if len(sc.rels) == len(jb.sc.rels) {
		return false
	}
	s.notes = append(s.notes, "join: relations that only filter the rows of "+f.rel.alias+" read as EXISTS")
	f.other = repeater(f.rel, sc)
	return f.other == nil
}

// unreached are the relations of sc that r does not reach through equalities on which they are
// unique (repeater's walk): the ones whose joins may repeat r's rows.
func unreached(r *relation, sc *scope) []*relation {
	var out []*relation
	for o := repeater(r, sc); o != nil; o = repeater(r, sc) {
		out = append(out, o)
		sc = withoutRelation(sc, o)
	}
	return out
}

// withoutRelation is sc without x and the equalities that name it.
func withoutRelation(sc *scope, x *relation) *scope {
	out := &scope{}
	for _, r := range sc.rels {
		if r != x {
			out.rels = append(out.rels, r)
		}
	}
	for _, e := range sc.eqs {
		if e.a != x && e.b != x {
			out.eqs = append(out.eqs, e)
		}
	}
	return out
}

// clientAggregates reports whether the select list, HAVING or ORDER BY of sel has an
// aggregate or window call of the client's (not a metric resolve will expand).
func (s *planState) clientAggregates(sel *pg_query.SelectStmt) bool {
	expanded := map[*pg_query.Node]bool{}
	for _, e := range s.expansions {
		expanded[e.node] = true
	}
	found := false
	for _, n := range clauseRoots(sel) {
		sqlast.Walk(n, func(n *pg_query.Node) bool {
			if found || expanded[n] {
				return false
			}
			if fc := n.GetFuncCall(); fc != nil {
				_, name := funcName(fc)
				if spec, ok := functions[name]; ok && (spec.aggregate || spec.window) || fc.Over != nil {
					found = true
				}
			}
			return !found
		})
	}
	return found
}

// clauseRoots are the parts of sel other than FROM and WHERE: what the block computes from the
// joined rows.
func clauseRoots(sel *pg_query.SelectStmt) []*pg_query.Node {
	var out []*pg_query.Node
	out = append(out, sel.TargetList...)
	out = append(out, sel.GroupClause...)
	out = append(out, sel.SortClause...)
	out = append(out, sel.DistinctClause...)
	if sel.HavingClause != nil {
		out = append(out, sel.HavingClause)
	}
	return out
}

// fromSlot is where a FROM item sits: in a join (join, with left telling which side) or at
// the top of the FROM list (index).
type fromSlot struct {
	join  *pg_query.JoinExpr
	left  bool
	index int
	// parent is the join that holds join (nil: join is the FROM list's item index), parentLeft
	// the side it sits on.
	parent     *pg_query.JoinExpr
	parentLeft bool
	// inner: every join from the FROM list down to the item is an inner (or cross) join
	// without USING, so its condition filters the block's rows as a WHERE conjunct would.
	inner bool
}

// toSemiJoin moves relation x of sel into an EXISTS when nothing reads it but its join's
// condition and WHERE; it reports whether it did.
func (s *planState) toSemiJoin(sel *pg_query.SelectStmt, x *relation) bool {
	var slot *fromSlot
	var leaf *pg_query.Node
	for i, item := range sel.FromClause {
		if l, sl := findFromItem(item, x.alias, &fromSlot{index: i, inner: true}); l != nil {
			leaf, slot = l, sl
		}
	}
	if leaf == nil || !slot.inner {
		return false
	}
	// Nothing else of the block may read x: not the select list or other clauses, not the
	// condition of another join.
	for _, n := range clauseRoots(sel) {
		if mentions(n, x) {
			return false
		}
	}
	otherQuals := false
	for _, item := range sel.FromClause {
		sqlast.Walk(item, func(n *pg_query.Node) bool {
			if j := n.GetJoinExpr(); j != nil && j != slot.join && j.Quals != nil && mentions(j.Quals, x) {
				otherQuals = true
			}
			// Sub-selects in FROM have scopes of their own.
			return !otherQuals && n.GetRangeSubselect() == nil
		})
	}
	if otherQuals {
		return false
	}

	var conds, kept []*pg_query.Node
	if slot.join != nil && slot.join.Quals != nil {
		// Flat: the engine SQL must parse back into this very tree, and PostgreSQL's parser
		// makes one AND of "(a AND b) AND c".
		conds = append(conds, conjuncts(slot.join.Quals)...)
	}
	for _, c := range conjuncts(sel.WhereClause) {
		if mentions(c, x) {
			conds = append(conds, c)
		} else {
			kept = append(kept, c)
		}
	}
	exists := &pg_query.SelectStmt{
		TargetList:  []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(pg_query.MakeAConstIntNode(1, -1), -1)},
		FromClause:  []*pg_query.Node{leaf},
		WhereClause: andOf(conds),
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	kept = append(kept, &pg_query.Node{Node: &pg_query.Node_SubLink{SubLink: &pg_query.SubLink{
		SubLinkType: pg_query.SubLinkType_EXISTS_SUBLINK,
		Subselect:   &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: exists}},
		Location:    -1,
	}}})
	sel.WhereClause = andOf(kept)
	if slot.join == nil {
		sel.FromClause = append(sel.FromClause[:slot.index:slot.index], sel.FromClause[slot.index+1:]...)
		return true
	}
	// The join becomes its other side: the same node, as the tenant pass substitutes the
	// dataset references it holds by their node.
	other := slot.join.Larg
	if slot.left {
		other = slot.join.Rarg
	}
	switch {
	case slot.parent == nil:
		sel.FromClause[slot.index] = other
	case slot.parentLeft:
		slot.parent.Larg = other
	default:
		slot.parent.Rarg = other
	}
	return true
}

// findFromItem finds the leaf FROM item named alias under n, and its slot.
func findFromItem(n *pg_query.Node, alias string, slot *fromSlot) (*pg_query.Node, *fromSlot) {
	switch v := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		name := v.RangeVar.Relname
		if v.RangeVar.Alias != nil {
			name = v.RangeVar.Alias.Aliasname
		}
		if name == alias {
			return n, slot
		}
	case *pg_query.Node_RangeSubselect:
		if a := v.RangeSubselect.Alias; a != nil && a.Aliasname == alias {
			return n, slot
		}
	case *pg_query.Node_JoinExpr:
		j := v.JoinExpr
		inner := slot.inner && j.Jointype == pg_query.JoinType_JOIN_INNER && len(j.UsingClause) == 0 && !j.IsNatural
		if l, sl := findFromItem(j.Larg, alias, &fromSlot{join: j, left: true, index: slot.index, inner: inner, parent: slot.join, parentLeft: slot.left}); l != nil {
			return l, sl
		}
		return findFromItem(j.Rarg, alias, &fromSlot{join: j, index: slot.index, inner: inner, parent: slot.join, parentLeft: slot.left})
	}
	return nil, nil
}

// mentions reports whether n may read a column of x: a reference qualified by its alias, or
// an unqualified name x has a column of (erring towards yes, which only keeps the join).
func mentions(n *pg_query.Node, x *relation) bool {
	found := false
	sqlast.Walk(n, func(n *pg_query.Node) bool {
		if found {
			// Walk goes on to the siblings of the node that answered.
			return false
		}
		if cr := n.GetColumnRef(); cr != nil {
			if first := cr.Fields[0].GetString_(); first != nil {
				found = first.Sval == x.alias || len(cr.Fields) == 1 && columnIndex(x, first.Sval) >= 0
			}
		}
		return !found
	})
	return found
}

// conjuncts are the top-level AND operands of a condition.
func conjuncts(n *pg_query.Node) []*pg_query.Node {
	if n == nil {
		return nil
	}
	if be := n.GetBoolExpr(); be != nil && be.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range be.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

// andOf is the conjunction of conds, or nil for none.
func andOf(conds []*pg_query.Node) *pg_query.Node {
	switch len(conds) {
	case 0:
		return nil
	case 1:
		return conds[0]
	}
	return pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, conds, -1)
}
