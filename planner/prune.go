package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
)

// The prune pass: projection pruning. The tenant pass projects every column of a dataset into its derived
// table; once the statement is bound, each derived table keeps only the columns the statement
// reads from that reference. Engine SQL shrinks, and with it deparsing and the parse-back check.
//
// Removing a column from a derived table can change a query only if some reference in the
// engine SQL resolved to that column. A column resolve bound a reference to is kept, so
// pruning is exact where the engine resolves names as resolve did. Where the two could
// differ, the derived tables keep what they had:
//
//   - a column reference resolve did not bind (a clause it does not visit, a star it did not
//     expand): every derived table of the statement keeps every column;
//   - a reference bound to an enclosing block (correlated): every derived table keeps every
//     column of that name, so whatever an engine resolves the name to is still there;
//   - *, alias.*, JOIN ... USING, a column alias list (orders AS o(a, b), positional) and an
//     unqualified name equal to the reference's alias (a whole-row reference in PostgreSQL
//     when no column has that name): that reference keeps every column.
//
// NATURAL joins never reach prune: resolve rewrites them as the USING joins they mean. The
// tenant predicate, the source table and the verify pass that follows are untouched: pruning
// only drops select items of derived tables.

// tenantRef is one dataset reference, and what the statement uses of the derived table the
// tenant pass puts in its place.
type tenantRef struct {
	alias string
	// body is the derived table's SELECT (set by the tenant pass).
	body *pg_query.SelectStmt
	// used are the derived-table column names the statement reads.
	used map[string]bool
	// full keeps every column.
	full bool
	// keys are primary key fields the join pass reads that no dimension holds: the tenant pass
	// projects each as keyColumn(field).
	keys []string
}

// use marks the derived-table column name as read.
func (t *tenantRef) use(name string) {
	if t.used == nil {
		t.used = map[string]bool{}
	}
	t.used[name] = true
}

// usedTargets is parallel to body.TargetList: the columns read, plus every column whose name
// matches one of outer the way either engine might match it.
func (t *tenantRef) usedTargets(outer []string) []bool {
	used := make([]bool, len(t.body.TargetList))
	for i, n := range t.body.TargetList {
		name := n.GetResTarget().Name
		used[i] = t.used[name]
		for _, o := range outer {
			used[i] = used[i] || strings.EqualFold(name, o)
		}
	}
	return used
}

// keepAll keeps every column of the dataset relations in rels.
func keepAll(rels []*relation) {
	for _, r := range rels {
		if r.ref != nil {
			r.ref.full = true
		}
	}
}

// bind records a column reference resolve bound, and the columns of a derived table it reads.
func (b *planState) bind(cr *pg_query.ColumnRef, r resolved) {
	if b.bound == nil {
		b.bound = map[*pg_query.ColumnRef]bool{}
	}
	b.bound[cr] = true
	if r.outer {
		b.outerNames = append(b.outerNames, r.col.name)
	}
	if r.ref == nil {
		return
	}
	if m := r.col.metric; m != nil && m.Derived() {
		// A derived metric has no column of its own: it reads the metrics it combines.
		for _, p := range r.col.parts {
			r.ref.use(p.col)
		}
		return
	}
	r.ref.use(r.col.name)
}

// bindCreated records column references the planner wrote itself (the parts of a derived
// metric), whose derived-table columns bind already marked.
func (b *planState) bindCreated(n *pg_query.Node) {
	sqlast.Walk(n, func(n *pg_query.Node) bool {
		if cr := n.GetColumnRef(); cr != nil {
			if b.bound == nil {
				b.bound = map[*pg_query.ColumnRef]bool{}
			}
			b.bound[cr] = true
		}
		return true
	})
}

// prune is the prune pass: it drops the unread columns of the statement's derived tables (see
// the top of this file), unless Config.FullProjection keeps them all.
func prune(s *planState) error {
	if s.cfg.FullProjection || len(s.refs) == 0 {
		return nil
	}
	unbound := false
	sqlast.Walk(s.root, func(n *pg_query.Node) bool {
		if unbound {
			return false
		}
		switch v := n.Node.(type) {
		case *pg_query.Node_RangeSubselect:
			// A derived table's own select list reads the source table, not the statement's
			// relations.
			if s.refBody(v.RangeSubselect.Subquery.GetSelectStmt()) {
				return false
			}
		case *pg_query.Node_ColumnRef:
			cr := v.ColumnRef
			if !s.bound[cr] {
				unbound = true
				return false
			}
			if len(cr.Fields) == 1 {
				name := cr.Fields[0].GetString_().GetSval()
				for _, t := range s.refs {
					if strings.EqualFold(t.alias, name) {
						t.full = true
					}
				}
			}
		}
		return true
	})
	if unbound {
		return nil
	}
	for _, t := range s.refs {
		if !t.full {
			t.body.TargetList = keptTargets(t.body.TargetList, t.usedTargets(s.outerNames))
		}
	}
	return nil
}

func (s *planState) refBody(sel *pg_query.SelectStmt) bool {
	if sel == nil {
		return false
	}
	for _, t := range s.refs {
		if t.body == sel {
			return true
		}
	}
	return false
}

// keptTargets is the select list of a pruned derived table. One that no column is read of
// (SELECT count(*) FROM orders) keeps one column, as neither engine accepts an empty select
// list in every position: a plain field if there is one, so nothing is computed for it.
func keptTargets(targets []*pg_query.Node, used []bool) []*pg_query.Node {
	n := 0
	for _, u := range used {
		if u {
			n++
		}
	}
	if n == len(targets) || len(targets) == 0 {
		return targets
	}
	if n == 0 {
		for _, t := range targets {
			if t.GetResTarget().Val.GetColumnRef() != nil {
				return []*pg_query.Node{t}
			}
		}
		return targets[:1]
	}
	out := make([]*pg_query.Node, 0, n)
	for i, t := range targets {
		if used[i] {
			out = append(out, t)
		}
	}
	return out
}
