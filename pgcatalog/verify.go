package pgcatalog

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// verify walks the rewritten tree and fails closed unless every table read is an engine table
// the rewrite put there (under its scope filter) or a CTE in scope that the rewrite renamed, and
// every function is allowlisted. The CTE scopes are resolved afresh on the rewritten tree.
func (c *catalogRewriter) verify(root *pg_query.Node) error {
	ctes, err := c.verifiedCTEs(root)
	if err != nil {
		return err
	}
	var bad string
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if what := c.unverified(n, ctes); what != "" {
			bad = what
		}
		return bad == ""
	})
	if bad != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported in a system catalog query", bad)
	}
	return nil
}

// verifiedCTEs resolves the CTE scopes of the rewritten tree and refuses a CTE the rewrite did
// not rename: a WITH query the rewrite did not see (none should exist).
func (c *catalogRewriter) verifiedCTEs(root *pg_query.Node) (*planner.CTEScope, error) {
	ctes := planner.ResolveCTEs(root, c.q.Pos)
	if err := ctes.Err(); err != nil {
		return nil, err
	}
	for _, cte := range ctes.CTEs() {
		if !c.cteNames[cte.Ctename] {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "WITH query %q is not supported in a system catalog query", cte.Ctename)
		}
	}
	return ctes, nil
}

// unverified names what a node reads or calls that a catalog query may not ("table x",
// "function f", "table function"); "" when the node is allowed or is no read or call.
func (c *catalogRewriter) unverified(n *pg_query.Node, ctes *planner.CTEScope) string {
	switch v := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		return c.unverifiedTable(v.RangeVar, ctes)
	case *pg_query.Node_RangeFunction:
		return unverifiedTableFunctions(v.RangeFunction)
	case *pg_query.Node_RangeTableFunc, *pg_query.Node_RangeTableSample:
		return "table function"
	case *pg_query.Node_FuncCall:
		return unverifiedFunction(v.FuncCall)
	}
	return ""
}

// unverifiedTable allows the engine tables the rewrite put in place of system tables and the
// CTEs in scope it renamed; any other table reference is named.
func (c *catalogRewriter) unverifiedTable(rv *pg_query.RangeVar, ctes *planner.CTEScope) string {
	if c.engine[rv] {
		return ""
	}
	if cte := ctes.CTE(rv); cte != nil && c.cteNames[cte.Ctename] {
		return ""
	}
	return "table " + rv.Relname
}

// unverifiedTableFunctions allows row generators only (pgjdbc numbers current_schemas with
// generate_series), without a column definition list; their arguments are checked as function
// calls when the walk reaches them.
func unverifiedTableFunctions(rf *pg_query.RangeFunction) string {
	for _, f := range rf.Functions {
		items := f.GetList().GetItems()
		if len(items) == 0 || items[0].GetFuncCall() == nil || !tableFunctions[funcNameOnly(items[0].GetFuncCall())] ||
			(len(items) > 1 && items[1] != nil && items[1].Node != nil) {
			return "table function"
		}
	}
	return ""
}

// unverifiedFunction allows the emulation's pgc.* macros and, called unqualified (or by their
// pg_catalog name in SQL syntax, EXTRACT(... FROM ...)), the functions of the planner's general
// allowlist, the engine built-ins allowed over catalog tables and the row generators; any other
// call is named.
func unverifiedFunction(fc *pg_query.FuncCall) string {
	schema, name := planner.FuncName(fc)
	if schema == "pgc" && catalogFunctions[name] {
		return ""
	}
	plain := schema == "" || schema == "pg_catalog" && fc.Funcformat == pg_query.CoercionForm_COERCE_SQL_SYNTAX
	if plain && (planner.AllowlistedFunction(name) || catalogBuiltins[name] || tableFunctions[name]) {
		return ""
	}
	return "function " + name
}
