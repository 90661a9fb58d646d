package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// engineFunctions are the functions the planner itself writes into engine SQL (dialect
// rewrites and metric aggregations). They are not callable by clients under these names.
var engineFunctions = map[string]bool{
	"stddev_samp": true, "var_samp": true, "strftime": true, "strptime": true,
	"like_escape": true, "ilike_escape": true, "timezone": true,
	// DuckDB's spelling of regular expressions, SIMILAR TO and initcap (functions_regex.go).
	"regexp_matches": true, "regexp_full_match": true,
	"regexp_extract_all": true, "list_transform": true, "array_to_string": true,
	"regexp_extract": true, "list_value": true, // regexp_match (dialect_regex.go)
	"quarter": true, "dayofweek": true, "week": true, "year": true, "make_timestamp": true, "datepart": true, "to_months": true, "to_days": true, "printf": true, "epoch": true, "epoch_us": true, // to_char (dialect_tochar.go), centuries (functions_units.go)
}

// verify is the verify pass over the statement (verifyTree). It is the last pass that checks:
// it walks the whole engine tree, every node of it, and fails closed
// unless every table read is a physical table the tenant pass put under its filter or a CTE of
// the statement, and every function called is allowlisted. It does not trust the passes before
// it to have visited every corner of the tree (a window frame, a new clause of a future parser).
func verify(s *planState) error { return s.verifyTree(s.root) }

// verifyTree checks root; physical are the tables the tenant pass filtered.
func (s *planState) verifyTree(root *pg_query.Node) error {
	// One walk: CTE names are collected as they come, and table reads are checked against
	// them once the walk has seen every CTE.
	ctes := map[string]bool{}
	var tables []*pg_query.RangeVar
	var bad error
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_CommonTableExpr:
			ctes[v.CommonTableExpr.Ctename] = true
		case *pg_query.Node_RangeVar:
			tables = append(tables, v.RangeVar)
		case *pg_query.Node_RangeFunction, *pg_query.Node_RangeTableFunc, *pg_query.Node_RangeTableSample:
			bad = fmt.Errorf("table function in engine SQL")
		case *pg_query.Node_FuncCall:
			schema, name := funcName(v.FuncCall)
			if _, ok := functions[name]; !(ok || engineFunctions[name]) || (schema != "" && schema != "pg_catalog") {
				bad = fmt.Errorf("function %s.%s outside the allowlist", schema, name)
			}
		}
		return bad == nil
	})
	for _, rv := range tables {
		if bad == nil && !s.physical[rv] && (rv.Schemaname != "" || rv.Catalogname != "" || !ctes[rv.Relname]) {
			bad = fmt.Errorf("unfiltered table reference %s.%s", rv.Schemaname, rv.Relname)
		}
	}
	if bad != nil {
		// A client could only get here through a construct the earlier passes do not bind:
		// refuse the statement, and keep the reason for the log.
		return &sqlerr.Error{Code: sqlerr.FeatureNotSupported, Severity: sqlerr.SeverityError,
			Message: "this statement uses a construct the gateway cannot check; it was not run", Cause: bad}
	}
	return nil
}
