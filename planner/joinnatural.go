package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// USING and NATURAL joins.
//
// A NATURAL join means USING (the column names its two sides have in common), and which names
// those are is decided here, by the columns the client sees: the dataset's dimensions and
// metrics, a sub-select's or CTE's output columns. The engine never sees NATURAL, because the
// derived tables the tenant pass puts in place of datasets carry columns the client does not
// (projected keys, tenant key columns, metric carriers the prune pass may drop), and the
// engine's set of common names would differ from the client's. The join is rewritten in
// place as the USING join it means, so every later pass (the join pass's equalities among
// them) treats it as one.
//
// USING (name) merges the two sides' columns of that name into one, which an unqualified
// name reads, as in PostgreSQL: the left side's column in an inner or left join, the right
// side's in a right join, their COALESCE in a full join. A side may itself be a join that
// merged the name (a chain of USING or NATURAL joins on one column); the merged column is
// then its representative. A merge's representative column is what the join pass equates
// (scope.eqs), and what an unqualified reference binds to.
//
// Refused, as not unambiguous: a common name that is a metric on either side (joining on a
// metric's per-row values has no meaning in the semantic model; 0A000); a name that several
// relations of one side have without a merge between them (42702, as PostgreSQL); a name a
// full join merged, whose COALESCE is no column of any relation (0A000).

// mergedColumn is a column a USING join merged: rels are every relation of the join that has
// the name (both sides, and what their own merges covered), pick the relation whose column
// stands for the merged one (nil for a full join).
type mergedColumn struct {
	name string
	rels []*relation
	pick *relation
}

// naturalToUsing rewrites NATURAL join j between relations left and right as JOIN ... USING
// (the common visible column names, in the left side's order), or as the cross join (inner,
// or ON TRUE for an outer join) that NATURAL means where there are none.
func (sc *scope) naturalToUsing(j *pg_query.JoinExpr, left, right []*relation) error {
	names, err := sc.naturalColumns(left, right)
	if err != nil {
		return err
	}
	j.IsNatural = false
	if len(names) == 0 {
		// PostgreSQL: a NATURAL join without common columns is a cross join.
		j.Quals = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{
			Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: true}}, Location: -1}}}
		return nil
	}
	for _, name := range names {
		j.UsingClause = append(j.UsingClause, pg_query.MakeStrNode(name))
	}
	return nil
}

// naturalColumns are the visible column names both sides of a NATURAL join have, in the
// order of the left side.
func (sc *scope) naturalColumns(left, right []*relation) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, l := range left {
		for _, c := range l.cols {
			if c.hidden || seen[c.name] {
				continue
			}
			seen[c.name] = true
			if len(relationsWith(right, c.name)) == 0 {
				continue
			}
			for _, side := range [][]*relation{left, right} {
				r, i, err := sc.sideColumn(side, c.name)
				if err != nil {
					return nil, err
				}
				if m := r.cols[i].metric; m != nil {
					return nil, sqlerr.New(sqlerr.FeatureNotSupported, "NATURAL join would join on metric %q, a column both sides have", m.Name).
						WithHint("name the join columns with JOIN ... USING or ON, or select only the join columns in a sub-select")
				}
			}
			names = append(names, c.name)
		}
	}
	return names, nil
}

// usingJoin binds the names of j's USING clause: each resolves on each side, is no metric,
// and becomes an equality for the join pass and a merged column for unqualified names.
func (sc *scope) usingJoin(j *pg_query.JoinExpr, left, right []*relation) error {
	for _, u := range j.UsingClause {
		name := u.GetString_().GetSval()
		var sides [2]*relation
		var idx [2]int
		for k, side := range [][]*relation{left, right} {
			r, i, err := sc.sideColumn(side, name)
			if err != nil {
				return err
			}
			if m := r.cols[i].metric; m != nil {
				return metricMisuse(m.Name, "JOIN", 0)
			}
			sides[k], idx[k] = r, i
		}
		sc.eqs = append(sc.eqs, joinEq{a: sides[0], ai: idx[0], b: sides[1], bi: idx[1]})
		m := mergedColumn{name: sides[0].cols[idx[0]].name,
			rels: append(relationsWith(left, name), relationsWith(right, name)...)}
		switch j.Jointype {
		case pg_query.JoinType_JOIN_RIGHT:
			m.pick = sides[1]
		case pg_query.JoinType_JOIN_FULL:
		default:
			m.pick = sides[0]
		}
		sc.merged = append(sc.merged, m)
	}
	return nil
}

// sideColumn resolves a USING or NATURAL name on one side of a join: the one relation that
// has it, or the representative of the merge that covers every relation of the side that has
// it; i is the column's position in it.
func (sc *scope) sideColumn(side []*relation, name string) (*relation, int, error) {
	has := relationsWith(side, name)
	switch len(has) {
	case 0:
		return nil, 0, sqlerr.New(sqlerr.UndefinedColumn, "column %q specified in USING clause does not exist in both tables", name)
	case 1:
		return has[0], indexOf(has[0], name), nil
	}
	m := sc.mergeOf(has, name)
	switch {
	case m == nil:
		return nil, 0, sqlerr.New(sqlerr.AmbiguousColumn, "common column name %q appears more than once in one side of the join", name).
			WithHint("name the join columns with JOIN ... ON")
	case m.pick == nil:
		return nil, 0, sqlerr.New(sqlerr.FeatureNotSupported, "column %q merged by a FULL join cannot be joined on again by USING or NATURAL", name).
			WithHint("name the join columns with JOIN ... ON")
	}
	return m.pick, indexOf(m.pick, name), nil
}

// resolveMerged resolves an unqualified name that several relations of the block have, where
// a merge covers exactly those: the merge's representative column.
func (sc *scope) resolveMerged(name string) (column, *relation, bool) {
	m := sc.mergeOf(relationsWith(sc.rels, name), name)
	if m == nil || m.pick == nil {
		return column{}, nil, false
	}
	return m.pick.cols[indexOf(m.pick, name)], m.pick, true
}

// mergeOf is the merge of name whose relations are exactly has, or nil.
func (sc *scope) mergeOf(has []*relation, name string) *mergedColumn {
	for i := len(sc.merged) - 1; i >= 0; i-- {
		m := &sc.merged[i]
		if len(m.rels) != len(has) || !nameMatches(m.name, name) {
			continue
		}
		same := true
		for _, r := range has {
			found := false
			for _, o := range m.rels {
				found = found || o == r
			}
			same = same && found
		}
		if same {
			return m
		}
	}
	return nil
}

// relationsWith are the relations of rels that have a visible column name resolves to.
func relationsWith(rels []*relation, name string) []*relation {
	var out []*relation
	for _, r := range rels {
		if _, ok := findColumn(r.cols, name); ok {
			out = append(out, r)
		}
	}
	return out
}

// indexOf is the position of the column name resolves to in r.
func indexOf(r *relation, name string) int {
	c, _ := findColumn(r.cols, name)
	return columnIndex(r, c.name)
}

// nameMatches reports whether a column named have is what name resolves to (findColumn's
// rule: exact, or an unquoted name differing only in case).
func nameMatches(have, name string) bool {
	_, ok := findColumn([]column{{name: have}}, name)
	return ok
}

// usingStar is what an unqualified * lists over a FROM clause with USING (or NATURAL) joins,
// as PostgreSQL lists it: each FROM item in turn, and for a join with USING its merged columns
// first (in USING order: the representative's column, or for a full join the COALESCE of
// both sides), then the other columns of its left side, then of its right. ok is false when
// the FROM items do not account for the block's relations one for one.
func (sc *scope) usingStar(from []*pg_query.Node) (out []*pg_query.Node, ok bool) {
	next := 0
	ok = true
	var walk func(n *pg_query.Node) []*pg_query.Node
	walk = func(n *pg_query.Node) []*pg_query.Node {
		j := n.GetJoinExpr()
		if j == nil {
			if next >= len(sc.rels) {
				ok = false
				return nil
			}
			r := sc.rels[next]
			next++
			var cols []*pg_query.Node
			for _, c := range r.cols {
				if !c.hidden {
					cols = append(cols, pg_query.MakeResTargetNodeWithNameAndVal(c.name, relColumnRef(r, c.name), -1))
				}
			}
			return cols
		}
		first := next
		left := walk(j.Larg)
		mid := next
		right := walk(j.Rarg)
		if len(j.UsingClause) == 0 || !ok {
			return append(left, right...)
		}
		var merged []*pg_query.Node
		var names []string
		for _, u := range j.UsingClause {
			name := u.GetString_().GetSval()
			l, li, errL := sc.sideColumn(sc.rels[first:mid], name)
			r, ri, errR := sc.sideColumn(sc.rels[mid:next], name)
			if errL != nil || errR != nil {
				ok = false
				return nil
			}
			lref, rref := relColumnRef(l, l.cols[li].name), relColumnRef(r, r.cols[ri].name)
			val := lref
			switch j.Jointype {
			case pg_query.JoinType_JOIN_RIGHT:
				val = rref
			case pg_query.JoinType_JOIN_FULL:
				val = &pg_query.Node{Node: &pg_query.Node_CoalesceExpr{CoalesceExpr: &pg_query.CoalesceExpr{
					Args: []*pg_query.Node{lref, rref}, Location: -1}}}
			}
			merged = append(merged, pg_query.MakeResTargetNodeWithNameAndVal(l.cols[li].name, val, -1))
			names = append(names, name)
		}
		rest := func(items []*pg_query.Node) []*pg_query.Node {
			var kept []*pg_query.Node
			for _, it := range items {
				drop := false
				for _, name := range names {
					drop = drop || nameMatches(it.GetResTarget().Name, name)
				}
				if !drop {
					kept = append(kept, it)
				}
			}
			return kept
		}
		return append(append(merged, rest(left)...), rest(right)...)
	}
	for _, item := range from {
		out = append(out, walk(item)...)
	}
	return out, ok && next == len(sc.rels)
}

// relColumnRef references column name of r, qualified by its alias where it has one.
func relColumnRef(r *relation, name string) *pg_query.Node {
	if r.alias != "" {
		return columnRef(r.alias, name)
	}
	return columnRef(name)
}
