package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// FigureName names a select item the way PostgreSQL does when it has no alias; the system
// catalog names its queries' columns with it.
func FigureName(rt *pg_query.ResTarget) string { return figureName(rt) }

// figureName names a select item the way PostgreSQL does when it has no alias.
func figureName(rt *pg_query.ResTarget) string {
	if rt.Name != "" {
		return rt.Name
	}
	if name := exprName(rt.Val); name != "" {
		return name
	}
	return "?column?"
}

func exprName(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		f := v.ColumnRef.Fields
		if len(f) > 0 {
			return f[len(f)-1].GetString_().GetSval()
		}
	case *pg_query.Node_FuncCall:
		_, name := funcName(v.FuncCall)
		return name
	case *pg_query.Node_TypeCast:
		if name := exprName(v.TypeCast.Arg); name != "" {
			return name
		}
		if tn := v.TypeCast.TypeName; tn != nil && len(tn.Names) > 0 {
			return tn.Names[len(tn.Names)-1].GetString_().GetSval()
		}
	case *pg_query.Node_CaseExpr:
		return "case"
	case *pg_query.Node_CoalesceExpr:
		return "coalesce"
	case *pg_query.Node_MinMaxExpr:
		if v.MinMaxExpr.Op == pg_query.MinMaxOp_IS_LEAST {
			return "least"
		}
		return "greatest"
	case *pg_query.Node_AExpr:
		if v.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif"
		}
	case *pg_query.Node_SubLink:
		switch v.SubLink.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if sel := v.SubLink.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
				rt := sel.TargetList[0].GetResTarget()
				if rt.Name != "" {
					return rt.Name
				}
				return exprName(rt.Val)
			}
		}
	case *pg_query.Node_SqlvalueFunction:
		return sqlValueName(v.SqlvalueFunction.Op)
	}
	return ""
}

func sqlValueName(op pg_query.SQLValueFunctionOp) string {
	name := strings.TrimPrefix(op.String(), "SVFOP_")
	name = strings.TrimSuffix(name, "_N")
	return strings.ToLower(name)
}
