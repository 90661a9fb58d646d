package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// The join pass keeps every metric at the grain of its own dataset through joins (the
// INVARIANT of ARCHITECTURE.md): a join may filter which rows of a metric's dataset count and
// add dimensions to group by, but never repeat a row inside a metric.
//
// Resolve leaves, for every block that joins relations (joinBlock): the relations of its FROM,
// the metrics it reads from each (relation.metrics), the column equalities its join conditions
// require (scope.eqs: ON, USING and NATURAL, joinnatural.go, and the WHERE of a block, which
// is where comma joins keep theirs), and for each relation the column sets it is unique on
// (relation.unique: a dataset's primaryKey, with its tenant column where the principal reads
// several tenants' rows; a sub-select or CTE grouped by, DISTINCT on, or limited to one row;
// a plain sub-select or CTE keeping such a set, at any depth).
//
// A relation R whose metrics the block reads keeps its rows unrepeated when every other
// relation of the block is reached from R through equalities on which it is unique: each such
// step matches at most one row per row already reached, so the joined rows are at most one per
// row of R. A metric whose aggregation ignores repetition (min, max, count_distinct, and derived
// metrics made only of those) needs no such proof. A metric read from a relation the joins
// may repeat is aggregated once per row of its dataset's primaryKey (joingrain.go) when the
// dataset declares one and the block's shape allows it; otherwise the statement is refused with
// 0A000, naming the dataset and the relation that repeats it, with a hint on declaring keys.

// joinBlock is a block whose FROM joins more than one relation.
type joinBlock struct {
	sel *pg_query.SelectStmt
	sc  *scope
	// aggregated: the block aggregates its metrics (rather than passing carriers up).
	aggregated bool
}

// joinEq is one equality a block's joins require: column ai of a equals column bi of b.
type joinEq struct {
	a, b   *relation
	ai, bi int
}

// planJoins is the join pass.
func planJoins(s *planState) error {
	for _, jb := range s.joinBlocks {
		var metricRels []*relation
		var fans []*fanOut
		repeated := map[*relation]bool{}
		for _, r := range jb.sc.rels {
			if len(r.metrics) == 0 {
				continue
			}
			metricRels = append(metricRels, r)
			m := repeatSensitive(r.metrics)
			if m == nil {
				continue
			}
			if other := repeater(r, jb.sc); other != nil {
				fans = append(fans, &fanOut{rel: r, metric: m, other: other})
				repeated[r] = true
			}
		}
		if len(fans) == 0 {
			continue
		}
		for _, f := range fans {
			// The rewrite names the relation by its alias: an unnamed sub-select has none.
			if len(f.rel.keys) == 0 && f.rel.through == nil || f.rel.alias == "" {
				return s.fanOutRefusal(f)
			}
		}
		if !jb.aggregated {
			return s.fanOutRefusal(fans[0]).WithDetail("the block passes the metric up to an enclosing query unaggregated; aggregate it in the block that joins")
		}
		var err error
		if len(metricRels) == 1 {
			if !s.semiJoins(jb, fans[0]) {
				err = s.aggregateAtGrain(jb, fans[0])
			}
		} else {
			err = s.aggregateEach(jb, metricRels, repeated, fans[0])
		}
		if err != nil {
			return err
		}
		// A rewritten block reads a grouped expression back as a column where it repeated
		// it; a LIKE ... ESCAPE noted there for the dialect pass is gone.
		kept := s.fixes.likeEscapes[:0]
		for _, n := range s.fixes.likeEscapes {
			if n.GetAExpr() != nil {
				kept = append(kept, n)
			}
		}
		s.fixes.likeEscapes = kept
	}
	return nil
}

// fanOut is a metric relation whose rows a join may repeat: metric is one of its metrics that
// repetition changes, other a relation whose join may repeat them.
type fanOut struct {
	rel, other *relation
	metric     *catalog.Metric
}

// carried notes that the block reads metric carrier r (to aggregate it or to pass it up).
func (b *binder) carried(r resolved) {
	if r.from != nil && !r.outer {
		r.from.metrics = append(r.from.metrics, r.col.metric)
		for _, p := range r.col.parts {
			r.from.metrics = append(r.from.metrics, p.metric)
		}
	}
}

// repeatSensitive returns the first metric whose value changes when a row is counted twice,
// or nil.
func repeatSensitive(ms []*catalog.Metric) *catalog.Metric {
	for _, m := range ms {
		if m.Derived() {
			// Its parts are in the list too (carried).
			continue
		}
		switch m.Expression.Agg {
		case catalog.AggMin, catalog.AggMax, catalog.AggCountDistinct:
			continue
		}
		return m
	}
	return nil
}

// repeater returns a relation of sc whose join with r may repeat r's rows, or nil when every
// other relation is reached from r through equalities on which it is unique.
func repeater(r *relation, sc *scope) *relation {
	reached := map[*relation]bool{r: true}
	for grew := true; grew; {
		grew = false
		for _, o := range sc.rels {
			if reached[o] {
				continue
			}
			covered := map[int]bool{}
			for _, e := range sc.eqs {
				switch {
				case e.b == o && reached[e.a]:
					covered[e.bi] = true
				case e.a == o && reached[e.b]:
					covered[e.ai] = true
				}
			}
			if uniqueOn(o, covered) {
				reached[o] = true
				grew = true
			}
		}
	}
	for _, o := range sc.rels {
		if !reached[o] {
			return o
		}
	}
	return nil
}

// uniqueOn reports whether rel has at most one row per value of the covered columns.
func uniqueOn(rel *relation, covered map[int]bool) bool {
	for _, set := range rel.unique {
		all := true
		for _, i := range set {
			all = all && covered[i]
		}
		if all {
			return true
		}
	}
	return false
}

// fanOutRefusal is the 0A000 for a metric whose rows a join may repeat.
func (s *planState) fanOutRefusal(f *fanOut) *sqlerr.Error {
	ds := f.rel.dataset
	if ds == "" {
		ds = s.metricDataset(f.metric)
	}
	return sqlerr.New(sqlerr.FeatureNotSupported,
		"metric %q of dataset %q%s would be counted once per matching row of %s: the join may repeat its rows",
		f.metric.Name, ds, readThrough(f.rel, ds), relationName(f.other)).
		WithHint("declare primaryKey (and joins) for the datasets in the catalog, or join to a sub-select grouped by the join columns so each row matches at most once")
}

// metricDataset is the id of the dataset that defines m.
func (s *planState) metricDataset(m *catalog.Metric) string {
	for _, ds := range s.cat.Datasets {
		for _, dm := range ds.Metrics {
			if dm == m {
				return ds.ID
			}
		}
	}
	return ""
}

func relationName(r *relation) string {
	switch {
	case r.dataset != "" && r.alias != "" && r.alias != r.dataset:
		return "dataset " + quoteIdent(r.dataset) + " as " + quoteIdent(r.alias)
	case r.dataset != "":
		return "dataset " + quoteIdent(r.dataset)
	case r.alias != "":
		return "relation " + quoteIdent(r.alias)
	}
	return "an unnamed sub-select"
}

// readThrough says how a metric's dataset ds is read in a refusal, when that is not plainly
// by its own name: under an alias, or through a sub-select.
func readThrough(r *relation, ds string) string {
	if r.dataset != ds {
		return " (read through " + relationName(r) + ")"
	}
	if r.alias != "" && r.alias != ds {
		return " (as " + quoteIdent(r.alias) + ")"
	}
	return ""
}

func quoteIdent(s string) string { return `"` + s + `"` }

// equalities are the column equalities between relations that cond requires: its top-level
// conjuncts of the form x = y or x IS NOT DISTINCT FROM y over columns of two relations of sc.
func (b *binder) equalities(cond *pg_query.Node, sc *scope) []joinEq {
	if cond == nil {
		return nil
	}
	if be := cond.GetBoolExpr(); be != nil {
		if be.Boolop != pg_query.BoolExprType_AND_EXPR {
			return nil
		}
		var out []joinEq
		for _, a := range be.Args {
			out = append(out, b.equalities(a, sc)...)
		}
		return out
	}
	e := cond.GetAExpr()
	if e == nil || !(isOperator(e, "=") || e.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT) {
		return nil
	}
	l, lok := b.localColumn(e.Lexpr, sc)
	r, rok := b.localColumn(e.Rexpr, sc)
	if !lok || !rok || l.from == r.from {
		return nil
	}
	li, ri := columnIndex(l.from, l.col.name), columnIndex(r.from, r.col.name)
	if li < 0 || ri < 0 {
		return nil
	}
	return []joinEq{{a: l.from, ai: li, b: r.from, bi: ri}}
}

// localColumn resolves n when it is a plain reference to a column of a relation of sc.
func (b *binder) localColumn(n *pg_query.Node, sc *scope) (resolved, bool) {
	cr := n.GetColumnRef()
	if cr == nil {
		return resolved{}, false
	}
	rel, name, err := b.columnName(cr)
	if err != nil {
		return resolved{}, false
	}
	r, err := sc.resolveColumn(rel, name, 0)
	if err != nil || r.outer || r.from == nil {
		return resolved{}, false
	}
	return r, true
}

// columnIndex is the position of the visible column name in rel, or -1.
func columnIndex(rel *relation, name string) int {
	for i, c := range rel.cols {
		if c.name == name && !c.hidden {
			return i
		}
	}
	return -1
}

// uniqueOutputs are the sets of output positions on which a bound SELECT has at most one row:
// those a plain block keeps from its one relation (keepUnique), all of them for a DISTINCT or a UNION/INTERSECT/EXCEPT without ALL, the grouped ones for a
// GROUP BY whose every item is an output column, the DISTINCT ON ones, and the empty set (at
// most one row) for an aggregate without GROUP BY or a LIMIT of at most one.
func (b *binder) uniqueOutputs(sel *pg_query.SelectStmt) [][]int {
	out := append([][]int(nil), b.kept[sel]...)
	if n, ok := ordinal(nodeOrNil(sel.LimitCount)); ok && n <= 1 {
		out = append(out, []int{})
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE && sel.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED {
		if !sel.All {
			out = append(out, allPositions(setOpWidth(sel)))
		}
		return out
	}
	if len(sel.DistinctClause) > 0 {
		if len(sel.DistinctClause) == 1 && (sel.DistinctClause[0] == nil || sel.DistinctClause[0].Node == nil) {
			out = append(out, allPositions(len(sel.TargetList)))
		} else if set, ok := outputPositions(sel, sel.DistinctClause); ok {
			out = append(out, set)
		}
	}
	switch {
	case len(sel.GroupClause) > 0:
		if set, ok := outputPositions(sel, sel.GroupClause); ok {
			out = append(out, set)
		}
	case sel.HavingClause != nil || b.plainAggregate(sel):
		out = append(out, []int{})
	}
	return out
}

// keepUnique notes the unique sets a plain block over one relation keeps: it filters and
// projects that relation's rows without repeating any, so where it selects a unique set's
// columns as they are, it is unique on their positions (Power BI wraps every table this way).
func (b *binder) keepUnique(sel *pg_query.SelectStmt, sc *scope) {
	if len(sc.rels) != 1 || len(sel.GroupClause) > 0 || len(sel.DistinctClause) > 0 {
		return
	}
	rel := sc.rels[0]
	// A plain block over a keyed dataset, or over such a block (any number of levels), can
	// pass the dataset's key up for the join pass (keyRefs).
	if (len(rel.keys) > 0 && rel.ref != nil || rel.through != nil && rel.alias != "") && sel.LimitCount == nil && sel.LimitOffset == nil {
		if b.keyed == nil {
			b.keyed = map[*pg_query.SelectStmt]*keyedBlock{}
		}
		b.keyed[sel] = &keyedBlock{sel: sel, rel: rel}
	}
	for _, set := range rel.unique {
		var out []int
		for _, i := range set {
			pos := -1
			for t, item := range sel.TargetList {
				if cr := item.GetResTarget().Val.GetColumnRef(); cr != nil && namesColumn(cr, rel, i) {
					pos = t
					break
				}
			}
			if pos < 0 {
				out = nil
				break
			}
			out = append(out, pos)
		}
		if out != nil || len(set) == 0 {
			if b.kept == nil {
				b.kept = map[*pg_query.SelectStmt][][]int{}
			}
			b.kept[sel] = append(b.kept[sel], out)
		}
	}
}

// namesColumn reports whether a bound column reference (relation.column or column) names
// column i of rel.
func namesColumn(cr *pg_query.ColumnRef, rel *relation, i int) bool {
	f := cr.Fields
	last := f[len(f)-1].GetString_()
	if last == nil || last.Sval != rel.cols[i].name {
		return false
	}
	return len(f) == 1 || len(f) == 2 && f[0].GetString_().GetSval() == rel.alias
}

func nodeOrNil(n *pg_query.Node) *pg_query.Node {
	if n == nil {
		return &pg_query.Node{}
	}
	return n
}

func setOpWidth(sel *pg_query.SelectStmt) int {
	for sel.Larg != nil {
		sel = sel.Larg
	}
	return len(sel.TargetList)
}

func allPositions(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// outputPositions maps items (GROUP BY or DISTINCT ON) to select-list positions: a position, or
// a column reference the select list has as an item; ok is false when an item is neither.
func outputPositions(sel *pg_query.SelectStmt, items []*pg_query.Node) ([]int, bool) {
	var set []int
	for _, g := range items {
		if i, ok := ordinal(g); ok {
			if i < 1 || i > len(sel.TargetList) {
				return nil, false
			}
			set = append(set, i-1)
			continue
		}
		cr := g.GetColumnRef()
		if cr == nil {
			return nil, false
		}
		found := -1
		for i, t := range sel.TargetList {
			if tc := t.GetResTarget().Val.GetColumnRef(); tc != nil && sameNames(tc, cr) {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, false
		}
		set = append(set, found)
	}
	return set, true
}

func sameNames(a, b *pg_query.ColumnRef) bool {
	if len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		as, bs := a.Fields[i].GetString_(), b.Fields[i].GetString_()
		if as == nil || bs == nil || as.Sval != bs.Sval {
			return false
		}
	}
	return true
}

// plainAggregate reports whether the select list aggregates (an aggregate call outside any
// window, or a metric to aggregate), so a block without GROUP BY yields one row.
func (b *binder) plainAggregate(sel *pg_query.SelectStmt) bool {
	found := false
	for _, t := range sel.TargetList {
		sqlast.Walk(t.GetResTarget().Val, func(n *pg_query.Node) bool {
			if found || n.GetSubLink() != nil {
				return false
			}
			if b.expanded(n) {
				found = true
			} else if fc := n.GetFuncCall(); fc != nil && fc.Over == nil {
				_, name := funcName(fc)
				if spec, ok := functions[name]; ok && spec.aggregate {
					found = true
				}
			}
			return !found
		})
	}
	return found
}
