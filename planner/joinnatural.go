package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// NATURAL joins. A NATURAL join means USING (the column names its two sides have in common),
// and which names those are is decided here, by the columns the client sees: the dataset's
// dimensions and metrics, a sub-select's or CTE's output columns. The engine never sees
// NATURAL, because the derived tables the tenant pass puts in place of datasets carry columns
// the client does not (projected keys, tenant key columns, metric carriers the prune pass may
// drop), and the engine's set of common names would differ from the client's. The join is
// rewritten in place as the USING join it means, so every later pass (the join pass's
// equalities among them) treats it as one.
//
// A NATURAL join is answered only where it is unambiguous, and refused otherwise: a common
// name that is a metric on either side (joining on a metric's per-row values has no meaning
// in the semantic model; 0A000), and a common name that more than one relation of a side has
// (42702, as PostgreSQL says for a name that appears more than once in one table).

// naturalToUsing rewrites NATURAL join j between relations left and right as JOIN ... USING
// (the common visible column names, in the left side's order), or as the cross join (inner,
// or ON TRUE for an outer join) that NATURAL means where there are none.
func naturalToUsing(j *pg_query.JoinExpr, left, right []*relation) error {
	names, err := naturalColumns(left, right)
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
func naturalColumns(left, right []*relation) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, l := range left {
		for _, c := range l.cols {
			if c.hidden || seen[c.name] {
				continue
			}
			seen[c.name] = true
			lc, ln := sideColumn(left, c.name)
			rc, rn := sideColumn(right, c.name)
			if rn == 0 {
				continue
			}
			if ln > 1 || rn > 1 {
				side := "left"
				if ln <= 1 {
					side = "right"
				}
				return nil, sqlerr.New(sqlerr.AmbiguousColumn, "common column name %q appears more than once in the %s side of a NATURAL join", c.name, side).
					WithHint("name the join columns with JOIN ... ON")
			}
			if lc.metric != nil || rc.metric != nil {
				m := lc.metric
				if m == nil {
					m = rc.metric
				}
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "NATURAL join would join on metric %q, a column both sides have", m.Name).
					WithHint("name the join columns with JOIN ... USING or ON, or select only the join columns in a sub-select")
			}
			names = append(names, c.name)
		}
	}
	return names, nil
}

// sideColumn is the visible column name of the relations of one side of a join, and how many
// of them have it.
func sideColumn(rels []*relation, name string) (column, int) {
	var found column
	n := 0
	for _, r := range rels {
		if i := columnIndex(r, name); i >= 0 {
			found = r.cols[i]
			n++
		}
	}
	return found, n
}

// mergedColumn is a column a USING join merges: the two relations that have it, one on each
// side, and the one whose column stands for the merged one. In an inner or left join the
// merged column is the left one (equal to the right one where both are present), in a right
// join the right one; a full join's is their COALESCE, which no column is, so it is not
// merged and an unqualified name of it stays ambiguous.
type mergedColumn struct {
	name        string
	left, right *relation
	pick        *relation
}

// mergeUsing notes the columns a USING join of type jt merges, for unqualified names.
func (sc *scope) mergeUsing(jt pg_query.JoinType, eqs []joinEq) {
	if jt == pg_query.JoinType_JOIN_FULL {
		return
	}
	for _, e := range eqs {
		m := mergedColumn{name: e.a.cols[e.ai].name, left: e.a, right: e.b, pick: e.a}
		if jt == pg_query.JoinType_JOIN_RIGHT {
			m.pick = e.b
		}
		sc.merged = append(sc.merged, m)
	}
}

// mergedColumn resolves an unqualified name that two relations of the block have, where
// those two are the sides of one USING merge of it. A name more relations have (a chain of
// USING joins on one name) stays ambiguous: its merged column follows rules of its own.
func (s *scope) mergedColumn(name string) (column, *relation, bool) {
	var has []*relation
	for _, r := range s.rels {
		if columnIndex(r, name) >= 0 {
			has = append(has, r)
		}
	}
	if len(has) != 2 {
		return column{}, nil, false
	}
	for _, m := range s.merged {
		if m.name == name && (m.left == has[0] && m.right == has[1] || m.left == has[1] && m.right == has[0]) {
			return m.pick.cols[columnIndex(m.pick, name)], m.pick, true
		}
	}
	return column{}, nil, false
}
