package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// Catalog queries keep their SQL shape and run on the catalog engine, so the engine binds every
// relation name the rewrite leaves in place. A name may only be left in place when it is a CTE
// in scope at that point; anything else would be bound by the engine to its own relations
// (duckdb_tables, its own pg_catalog, a file path). This file resolves relation references by
// CTE scope as PostgreSQL does (the dataset binder does the same in scope.go):
//
//   - a WITH list's CTEs are visible in the SELECT the list belongs to (all its clauses, set
//     operation arms and sub-selects) and not outside it;
//   - a CTE is visible in the bodies of the CTEs after it in the same list;
//   - in WITH RECURSIVE a CTE is also visible in its own body. PostgreSQL lets a recursive list
//     refer to later CTEs too; the engine does not, so such a reference is refused;
//   - an inner CTE of the same name shadows an outer one.
//
// After resolution the catalog rewrite gives every CTE a name of its own (cteName), so that the
// engine's own rules cannot bind a reference to anything but the CTE PostgreSQL binds it to:
// the engine compares names without case (inside `WITH "X"`, a reference x to an outer CTE x
// binds to "X"), and under a name no engine relation has, a CTE reference left in the engine
// SQL cannot be taken for one of the engine's relations.

// cteFrame is one WITH list as seen from one point of the statement: the first limit CTEs are
// visible there.
type cteFrame struct {
	parent    *cteFrame
	ctes      []*pg_query.CommonTableExpr
	limit     int
	recursive bool
}

// cteBinding is the result of resolving a statement's relation references by CTE scope.
type cteBinding struct {
	// refs maps each relation reference that names a CTE in scope to that CTE.
	refs map[*pg_query.RangeVar]*pg_query.CommonTableExpr
	// ctes are the statement's CTEs in the order met.
	ctes []*pg_query.CommonTableExpr
	// err is the first reference or WITH list the engine cannot be trusted to bind as
	// PostgreSQL does; resolution goes on past it so that refs is complete.
	err error
}

// bindCTEs resolves the relation references of a SELECT statement by CTE scope. pos maps a
// parse location to the client's statement position for errors.
func bindCTEs(root *pg_query.Node, pos func(int32) int) *cteBinding {
	b := &cteBinding{refs: map[*pg_query.RangeVar]*pg_query.CommonTableExpr{}}
	r := &cteResolver{b: b, pos: pos}
	if sel := root.GetSelectStmt(); sel != nil {
		r.selectStmt(sel, nil)
	} else {
		r.walk(root, nil)
	}
	return b
}

type cteResolver struct {
	b   *cteBinding
	pos func(int32) int
}

func (r *cteResolver) fail(err error) {
	if r.b.err == nil {
		r.b.err = err
	}
}

// walk resolves every relation reference below n with the CTEs of sc visible. A SELECT met on
// the way (other than n itself) opens its own scope.
func (r *cteResolver) walk(top *pg_query.Node, sc *cteFrame) {
	sqlast.Walk(top, func(n *pg_query.Node) bool {
		if n == top {
			return true
		}
		switch v := n.Node.(type) {
		case *pg_query.Node_SelectStmt:
			r.selectStmt(v.SelectStmt, sc)
			return false
		case *pg_query.Node_RangeVar:
			r.rangeVar(v.RangeVar, sc)
		case *pg_query.Node_CommonTableExpr:
			// Every WITH list is taken apart by selectStmt; one met here belongs to no SELECT
			// (a statement kind a catalog query never is), so its CTEs are in no scope.
			r.b.ctes = append(r.b.ctes, v.CommonTableExpr)
		}
		return true
	})
}

// selectStmt resolves a SELECT: its WITH list first, then everything else, set operation arms
// included, with the list's CTEs visible.
func (r *cteResolver) selectStmt(sel *pg_query.SelectStmt, sc *cteFrame) {
	if sel == nil {
		return
	}
	sc = r.with(sel.WithClause, sc)
	// The rest of the SELECT is walked generically (so no clause is missed) with the WITH list
	// and the arms, which are walked here, set aside. The tree is the planner's own copy.
	with, larg, rarg := sel.WithClause, sel.Larg, sel.Rarg
	sel.WithClause, sel.Larg, sel.Rarg = nil, nil, nil
	r.walk(&pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}, sc)
	sel.WithClause, sel.Larg, sel.Rarg = with, larg, rarg
	r.selectStmt(larg, sc)
	r.selectStmt(rarg, sc)
}

// with resolves the bodies of a WITH list's CTEs and returns the scope of the SELECT it belongs
// to.
func (r *cteResolver) with(w *pg_query.WithClause, sc *cteFrame) *cteFrame {
	if w == nil {
		return sc
	}
	ctes := make([]*pg_query.CommonTableExpr, 0, len(w.Ctes))
	seen := map[string]bool{}
	for _, n := range w.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil {
			r.fail(sqlerr.New(sqlerr.FeatureNotSupported, "unsupported WITH item %s", nodeKind(n)))
			continue
		}
		if seen[cte.Ctename] {
			r.fail(sqlerr.New(sqlerr.DuplicateAlias, "WITH query name %q specified more than once", cte.Ctename).WithPosition(r.pos(cte.Location)))
		}
		seen[cte.Ctename] = true
		ctes = append(ctes, cte)
	}
	r.b.ctes = append(r.b.ctes, ctes...)
	for i, cte := range ctes {
		limit := i
		if w.Recursive {
			limit = i + 1
		}
		// The body, and the SEARCH and CYCLE clauses with it, see the CTEs before it.
		r.walk(&pg_query.Node{Node: &pg_query.Node_CommonTableExpr{CommonTableExpr: cte}},
			&cteFrame{parent: sc, ctes: ctes, limit: limit, recursive: w.Recursive})
	}
	return &cteFrame{parent: sc, ctes: ctes, limit: len(ctes), recursive: w.Recursive}
}

func (r *cteResolver) rangeVar(rv *pg_query.RangeVar, sc *cteFrame) {
	if rv.Schemaname != "" || rv.Catalogname != "" {
		// A qualified name is never a CTE.
		return
	}
	for f := sc; f != nil; f = f.parent {
		for i, cte := range f.ctes {
			if cte.Ctename != rv.Relname {
				continue
			}
			if i < f.limit {
				r.b.refs[rv] = cte
				return
			}
			if f.recursive {
				r.fail(sqlerr.New(sqlerr.FeatureNotSupported,
					"WITH query %q is referenced before its definition; define it earlier in the WITH list", rv.Relname).WithPosition(r.pos(rv.Location)))
				// Bound as PostgreSQL binds it, so that nothing else takes the name.
				r.b.refs[rv] = cte
				return
			}
			// A later CTE of a plain WITH list is not visible here: the name means what it
			// means in the enclosing scopes.
		}
	}
}

// cteName is the name the catalog rewrite gives the i-th CTE of a statement: no engine relation
// has it, and no two CTEs share it whatever their case.
func cteName(i int) string {
	return fmt.Sprintf("setu_cte_%d", i+1)
}

// renameCTEs gives every CTE of a binding its own name and points the references bound to it at
// that name, keeping the name the client gave as the reference's alias so that its columns
// are qualified as before. It returns the names given.
func renameCTEs(b *cteBinding) map[string]bool {
	names := make(map[string]bool, len(b.ctes))
	renamed := make(map[*pg_query.CommonTableExpr]string, len(b.ctes))
	for i, cte := range b.ctes {
		renamed[cte] = cteName(i)
		names[cteName(i)] = true
	}
	for rv, cte := range b.refs {
		if rv.Alias == nil {
			rv.Alias = &pg_query.Alias{Aliasname: rv.Relname}
		}
		rv.Relname = renamed[cte]
	}
	for cte, name := range renamed {
		cte.Ctename = name
	}
	return names
}
