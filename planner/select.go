package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// blockOpts says what the enclosing query allows a block to do.
type blockOpts struct {
	// passthrough allows the block to hand metric carriers up unaggregated (FROM sub-selects
	// and CTE bodies), so an enclosing block decides the metric's grain.
	passthrough bool
}

// selectStmt plans a SELECT (plain or set operation) and returns its output columns.
func (b *binder) selectStmt(sel *pg_query.SelectStmt, parent *scope, opts blockOpts) ([]column, error) {
	if sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		return nil, sqlerr.New(sqlerr.ReadOnlySQLTransaction, "cannot execute SELECT INTO or SELECT FOR UPDATE in a read-only transaction")
	}
	sc := &scope{parent: parent}
	if sel.WithClause != nil {
		if err := b.withClause(sel.WithClause, sc); err != nil {
			return nil, err
		}
	}
	if len(sel.ValuesLists) > 0 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "VALUES lists are not supported")
	}
	if sel.Op != pg_query.SetOperation_SETOP_NONE && sel.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED {
		return b.setOp(sel, sc)
	}
	return b.block(sel, sc, opts)
}

func (b *binder) withClause(w *pg_query.WithClause, sc *scope) error {
	if w.Recursive {
		return sqlerr.New(sqlerr.FeatureNotSupported, "WITH RECURSIVE is not supported").WithPosition(b.pos(w.Location))
	}
	sc.ctes = map[string]*cte{}
	for _, n := range w.Ctes {
		c := n.GetCommonTableExpr()
		if c == nil {
			return sqlerr.New(sqlerr.FeatureNotSupported, "unsupported WITH item")
		}
		if _, dup := sc.ctes[c.Ctename]; dup {
			return sqlerr.New(sqlerr.DuplicateAlias, "WITH query name %q specified more than once", c.Ctename).WithPosition(b.pos(c.Location))
		}
		// DuckDB compares names without case: inside WITH "X", a reference x to an outer CTE
		// x would read "X". Such a pair is refused rather than answered from the wrong CTE.
		if b.cteNames == nil {
			b.cteNames = map[string]string{}
		}
		folded := strings.ToLower(c.Ctename)
		if prev, ok := b.cteNames[folded]; ok && prev != c.Ctename {
			return sqlerr.New(sqlerr.FeatureNotSupported, "WITH query names %q and %q differ only in case; rename one", prev, c.Ctename).WithPosition(b.pos(c.Location))
		}
		b.cteNames[folded] = c.Ctename
		sub := c.Ctequery.GetSelectStmt()
		if sub == nil {
			return sqlerr.New(sqlerr.ReadOnlySQLTransaction, "WITH query %q must be a SELECT", c.Ctename).WithPosition(b.pos(c.Location))
		}
		if c.SearchClause != nil || c.CycleClause != nil {
			return sqlerr.New(sqlerr.FeatureNotSupported, "SEARCH and CYCLE clauses are not supported").WithPosition(b.pos(c.Location))
		}
		// A CTE body sees the CTEs defined before it, as in PostgreSQL.
		cols, err := b.selectStmt(sub, &scope{parent: sc.parent, ctes: copyCTEs(sc.ctes)}, blockOpts{passthrough: true})
		if err != nil {
			return err
		}
		cols, err = renameColumns(cols, c.Aliascolnames, c.Ctename)
		if err != nil {
			return err
		}
		sc.ctes[c.Ctename] = &cte{name: c.Ctename, cols: cols, unique: b.uniqueOutputs(sub), through: b.keyed[sub]}
	}
	return nil
}

func copyCTEs(m map[string]*cte) map[string]*cte {
	out := make(map[string]*cte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// renameColumns applies a column alias list such as t(a, b) or WITH x(a, b).
func renameColumns(cols []column, names []*pg_query.Node, rel string) ([]column, error) {
	if len(names) == 0 {
		return cols, nil
	}
	if len(names) > len(cols) {
		return nil, sqlerr.New(sqlerr.InvalidColumnReference, "table %q has %d columns available but %d columns specified", rel, len(cols), len(names))
	}
	out := append([]column(nil), cols...)
	for i, n := range names {
		out[i].name = n.GetString_().GetSval()
	}
	return out, nil
}

// setOp plans UNION / INTERSECT / EXCEPT. Each branch is a complete query: metrics are
// aggregated inside it.
func (b *binder) setOp(sel *pg_query.SelectStmt, sc *scope) ([]column, error) {
	left, err := b.selectStmt(sel.Larg, sc, blockOpts{})
	if err != nil {
		return nil, err
	}
	right, err := b.selectStmt(sel.Rarg, sc, blockOpts{})
	if err != nil {
		return nil, err
	}
	if len(left) != len(right) {
		return nil, sqlerr.New(sqlerr.SyntaxError, "each %s query must have the same number of columns", setOpName(sel.Op))
	}
	out := make([]column, len(left))
	for i := range left {
		out[i] = column{name: left[i].name, typ: unify(left[i].typ, right[i].typ)}
	}
	for _, s := range sel.SortClause {
		sb := s.GetSortBy()
		if err := b.orderByOutput(sb, out); err != nil {
			return nil, err
		}
	}
	if err := b.bindLimits(sel, sc); err != nil {
		return nil, err
	}
	return out, nil
}

func setOpName(op pg_query.SetOperation) string {
	switch op {
	case pg_query.SetOperation_SETOP_INTERSECT:
		return "INTERSECT"
	case pg_query.SetOperation_SETOP_EXCEPT:
		return "EXCEPT"
	}
	return "UNION"
}

// orderByOutput binds an ORDER BY item of a set operation: it may only name an output column
// or give its position.
func (b *binder) orderByOutput(sb *pg_query.SortBy, out []column) error {
	if i, ok := ordinal(sb.Node); ok {
		if i < 1 || i > len(out) {
			return sqlerr.New(sqlerr.InvalidColumnReference, "ORDER BY position %d is not in select list", i).WithPosition(b.pos(sb.Location))
		}
		return nil
	}
	if name, ok := bareName(sb.Node); ok {
		for i, c := range out {
			if c.name == name {
				sb.Node = pg_query.MakeAConstIntNode(int64(i+1), -1)
				return nil
			}
		}
		return sqlerr.New(sqlerr.UndefinedColumn, "column %q does not exist", name).WithPosition(b.pos(sb.Location))
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "ORDER BY on a UNION/INTERSECT/EXCEPT result must name an output column or its position").WithPosition(b.pos(sb.Location))
}

// ordinal returns the value of an integer constant node.
func ordinal(n *pg_query.Node) (int, bool) {
	c := n.GetAConst()
	if c == nil || c.Isnull {
		return 0, false
	}
	iv, ok := c.Val.(*pg_query.A_Const_Ival)
	if !ok {
		return 0, false
	}
	return int(iv.Ival.Ival), true
}

// bareName returns the name of an unqualified column reference.
func bareName(n *pg_query.Node) (string, bool) {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 {
		return "", false
	}
	s := cr.Fields[0].GetString_()
	if s == nil {
		return "", false
	}
	return s.Sval, true
}
