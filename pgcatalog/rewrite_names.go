package pgcatalog

import (
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/planner"
)

// nameColumns gives every unnamed select item of the client's query the name PostgreSQL gives
// it (planner.FigureName), before the rewrite changes the expressions: the engine would name
// pg_catalog.pg_table_size(c.oid) after its rewritten text, and a query that reads a column of
// a CTE or sub-select by PostgreSQL's name (pgcli's "Row_Number = 1" over ROW_NUMBER() OVER
// ...) would not bind. "?column?" is given in the outermost select list only, where it names a
// result column; inside, several such columns would collide to no purpose.
func nameColumns(root *pg_query.Node) {
	top := outermostTargets(root.GetSelectStmt())
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		sel := n.GetSelectStmt()
		if sel == nil {
			return true
		}
		for _, t := range sel.TargetList {
			rt := t.GetResTarget()
			if rt == nil || rt.Name != "" || isStar(rt.Val) {
				continue
			}
			if name := planner.FigureName(rt); name != "?column?" || sel == top {
				rt.Name = name
			}
		}
		return true
	})
}

// outermostTargets is the select whose list names the statement's result: the leftmost arm of
// a set operation.
func outermostTargets(sel *pg_query.SelectStmt) *pg_query.SelectStmt {
	for sel != nil && sel.Op != pg_query.SetOperation_SETOP_NONE && sel.Larg != nil {
		sel = sel.Larg
	}
	return sel
}

// isStar reports whether a select item is * or t.*.
func isStar(n *pg_query.Node) bool {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return false
	}
	return cr.Fields[len(cr.Fields)-1].GetAStar() != nil
}

// comparisonOps are the operators a comparison of two reg* values uses.
var comparisonOps = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

// regComparison makes a comparison of reg* values compare oids, as PostgreSQL does (pgcli's
// p.prorettype::regtype != 'trigger'::regtype): the rewrite shows a reg* cast of an oid
// column as a name, which must not be compared with the oid a literal's cast is looked up as.
// A reg* cast of an expression becomes an oid cast, and a bare string literal on the other side
// is read as the reg* type, as PostgreSQL reads an unknown literal.
func regComparison(e *pg_query.A_Expr) {
	if e.Kind != pg_query.A_Expr_Kind_AEXPR_OP || len(e.Name) == 0 || e.Lexpr == nil || e.Rexpr == nil {
		return
	}
	if !comparisonOps[e.Name[len(e.Name)-1].GetString_().GetSval()] {
		return
	}
	lt, rt := regCastType(e.Lexpr), regCastType(e.Rexpr)
	if lt == "" && rt == "" {
		return
	}
	for _, side := range []struct {
		n     *pg_query.Node
		other string
	}{{e.Lexpr, rt}, {e.Rexpr, lt}} {
		if tc := side.n.GetTypeCast(); tc != nil && regCastType(side.n) != "" {
			// A literal or a name is looked up as its oid; an oid expression is the oid.
			if _, lit := stringConst(tc.Arg); !lit && !nameColumn(tc.Arg) && !textRelation(tc.Arg) {
				setTypeName(tc.TypeName, "oid")
			}
			continue
		}
		if _, lit := stringConst(side.n); lit && side.other != "" {
			side.n.Node = typeCast(&pg_query.Node{Node: side.n.Node}, side.other).Node
		}
	}
}

// regCastType is the reg* type a cast node casts to, "" for any other node.
func regCastType(n *pg_query.Node) string {
	tc := n.GetTypeCast()
	if tc == nil || tc.TypeName == nil || len(tc.TypeName.Names) == 0 || len(tc.TypeName.ArrayBounds) > 0 {
		return ""
	}
	if len(tc.TypeName.Names) == 2 && tc.TypeName.Names[0].GetString_().GetSval() != "pg_catalog" {
		return ""
	}
	name := tc.TypeName.Names[len(tc.TypeName.Names)-1].GetString_().GetSval()
	if regTypes[name] {
		return name
	}
	return ""
}

// liftSetReturning moves a select list's regexp_split_to_table(...) into FROM as a lateral
// table function, the rows PostgreSQL makes of it, so that the block may group by it (pgcli's
// casing query groups by the words): the engine unnests only in a select list that does not
// group. Only a block with one such call and a FROM clause is changed; several set-returning
// calls in one list zip their rows in PostgreSQL, which a cross join would not.
func liftSetReturning(root *pg_query.Node) {
	lifted := 0
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		sel := n.GetSelectStmt()
		if sel == nil || len(sel.FromClause) == 0 {
			return true
		}
		var target *pg_query.ResTarget
		for _, t := range sel.TargetList {
			rt := t.GetResTarget()
			if fc := rt.GetVal().GetFuncCall(); fc != nil && funcNameOnly(fc) == "regexp_split_to_table" {
				if target != nil {
					return true
				}
				target = rt
			}
		}
		if target == nil {
			return true
		}
		lifted++
		alias := "_srf" + strconv.Itoa(lifted)
		rf := &pg_query.RangeFunction{Lateral: true,
			Functions: []*pg_query.Node{pg_query.MakeListNode([]*pg_query.Node{target.Val, nil})},
			Alias:     &pg_query.Alias{Aliasname: alias, Colnames: []*pg_query.Node{pg_query.MakeStrNode("v")}}}
		sel.FromClause = append(sel.FromClause, &pg_query.Node{Node: &pg_query.Node_RangeFunction{RangeFunction: rf}})
		target.Val = columnRef(alias, "v")
		return true
	})
}
