package sqlast

import (
	"errors"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// ParseExpr parses a single SQL value expression, such as a catalog's `upper(city)` or
// `status = 'paid'`. It refuses anything that is not one plain expression: a second statement,
// a sub-select, a FROM clause smuggled in. The returned node belongs to the caller.
func ParseExpr(sql string) (*pg_query.Node, error) {
	tree, err := pg_query.Parse("SELECT " + sql)
	if err != nil {
		return nil, fmt.Errorf("invalid SQL expression %q: %w", sql, err)
	}
	if len(tree.Stmts) != 1 {
		return nil, fmt.Errorf("invalid SQL expression %q: one expression expected", sql)
	}
	sel := tree.Stmts[0].Stmt.GetSelectStmt()
	if sel == nil || len(sel.TargetList) != 1 || len(sel.FromClause) > 0 || sel.WhereClause != nil ||
		len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.SortClause) > 0 ||
		sel.LimitCount != nil || sel.WithClause != nil || len(sel.DistinctClause) > 0 ||
		sel.Op != pg_query.SetOperation_SETOP_NONE {
		return nil, fmt.Errorf("invalid SQL expression %q: one expression expected", sql)
	}
	rt := sel.TargetList[0].GetResTarget()
	if rt == nil || rt.Name != "" || rt.Val == nil {
		return nil, fmt.Errorf("invalid SQL expression %q: one expression without alias expected", sql)
	}
	var bad error
	Walk(rt.Val, func(n *pg_query.Node) bool {
		if n.GetSubLink() != nil {
			bad = errors.New("sub-selects are not allowed")
		}
		if cr := n.GetColumnRef(); cr != nil && (len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil) {
			bad = errors.New("columns must be plain names")
		}
		return bad == nil
	})
	if bad != nil {
		return nil, fmt.Errorf("invalid SQL expression %q: %w", sql, bad)
	}
	return rt.Val, nil
}

// ColumnNames returns the names of the columns an expression refers to, in order of appearance.
func ColumnNames(n *pg_query.Node) []string {
	var names []string
	Walk(n, func(n *pg_query.Node) bool {
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			names = append(names, cr.Fields[len(cr.Fields)-1].GetString_().GetSval())
		}
		return true
	})
	return names
}
