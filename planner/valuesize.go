package planner

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/internal/valuesize"
	"github.com/setupranali/setupranali/sqlerr"
)

// The value-size pass. A string function can ask the engine for a value far larger than its
// inputs (repeat('x', 10000000) repeated 100 times is 1 GB), and engines allocate such a value
// outside their memory limit. So the calls that multiply their input are rewritten to have the
// engine compute the size of the result first and refuse, with an error carrying
// valuesize.Marker, before it allocates: the engine's error mapping turns that into 54000
// naming SETU_MAX_VALUE_BYTES. What grows by adding (concatenation) is bounded by its inputs
// and checked as rows are streamed (engine.stream).
//
// The pass runs last, on the engine tree, after the allowlist check: the guards call engine
// functions (DuckDB's error(), strlen()) that clients cannot.

// maxGrowthNesting bounds how deeply the guarded calls nest. A guard evaluates its string
// argument twice (to size it, and to use it), so nesting k guarded calls evaluates the
// innermost argument up to 2^k times; no BI tool nests them at all.
const maxGrowthNesting = 6

// growthFunctions are the calls the pass guards.
var growthFunctions = map[string]bool{"repeat": true, "lpad": true, "rpad": true, "string_agg": true}

// guardDialect is how one engine spells the pieces of a guard: the byte length of a value and
// a refusal that is an error raised by evaluating an expression of the given type.
type guardDialect struct {
	bytes func(arg string) string
	raise func(msg, typ string) string
	// countType, lengthType and textType are the types the refusal stands in for: repeat's
	// count, lpad's and rpad's length, string_agg's result.
	countType, lengthType, textType string
}

// guardDialects are the guard spellings by engine; each lives in its engine's dialect file.
var guardDialects = map[string]guardDialect{"duckdb": duckdbGuards, "postgres": postgresGuards}

// boundValues rewrites the growth calls of an engine tree for engine ("" is DuckDB) so that a
// value past limit bytes is refused before it is built. A zero limit, or an engine without a
// dialect here, leaves the tree alone: the streamed check still applies.
func boundValues(root *pg_query.Node, engine string, limit int64) error {
	if engine == "" {
		engine = "duckdb"
	}
	d, ok := guardDialects[engine]
	if limit <= 0 || !ok {
		return nil
	}
	var calls []*pg_query.Node
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if fc := n.GetFuncCall(); fc != nil && growthFunctions[funcNameOnly(fc)] {
			calls = append(calls, n)
		}
		return true
	})
	if len(calls) == 0 {
		return nil
	}
	if err := checkGrowthNesting(calls); err != nil {
		return err
	}
	// Innermost first: a guard copies its arguments, which then carry their own guards.
	for i := len(calls) - 1; i >= 0; i-- {
		if err := guardCall(calls[i], d, limit); err != nil {
			return err
		}
	}
	return nil
}

// checkGrowthNesting refuses growth calls nested more than maxGrowthNesting deep. calls are in
// walk order (parents before children), so each call's depth is known from the calls inside
// it, which come after it.
func checkGrowthNesting(calls []*pg_query.Node) error {
	depth := make(map[*pg_query.FuncCall]int, len(calls))
	for i := len(calls) - 1; i >= 0; i-- {
		fc := calls[i].GetFuncCall()
		inner := 0
		for _, a := range fc.Args {
			sqlast.Walk(a, func(n *pg_query.Node) bool {
				if c := n.GetFuncCall(); c != nil {
					if d, ok := depth[c]; ok {
						inner = max(inner, d)
						return false
					}
				}
				return true
			})
		}
		depth[fc] = inner + 1
		if inner+1 > maxGrowthNesting {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "repeat, lpad, rpad and string_agg nest more than %d levels deep", maxGrowthNesting)
		}
	}
	return nil
}

// guardCall rewrites one growth call.
func guardCall(n *pg_query.Node, d guardDialect, limit int64) error {
	fc := n.GetFuncCall()
	name := funcNameOnly(fc)
	marker := fmt.Sprintf("'%s%d:'", valuesize.Marker, limit)
	switch name {
	case "repeat":
		if len(fc.Args) != 2 {
			return nil
		}
		// The result is the string's bytes times the count (a count below one is empty).
		size := d.bytes("$1") + " * greatest(CAST($2 AS bigint), 0)"
		expr, err := guardTemplate(fmt.Sprintf("CASE WHEN %s > %d THEN %s ELSE $2 END", size, limit,
			d.raise("concat("+marker+", "+size+")", d.countType)), fc.Args[0], fc.Args[1])
		if err != nil {
			return err
		}
		fc.Args[1] = expr
	case "lpad", "rpad":
		if len(fc.Args) < 2 {
			return nil
		}
		// The length is in characters; the streamed check sees the bytes.
		expr, err := guardTemplate(fmt.Sprintf("CASE WHEN $1 > %d THEN %s ELSE $1 END", limit,
			d.raise("concat("+marker+", $1)", d.lengthType)), fc.Args[1])
		if err != nil {
			return err
		}
		fc.Args[1] = expr
	case "string_agg":
		// A window string_agg grows per row of its frame, and DISTINCT drops values a sum of
		// all of them would count: both are left to the engine's memory limit and the streamed
		// check.
		if fc.Over != nil || fc.AggDistinct || fc.AggStar || len(fc.Args) == 0 || len(fc.Args) > 2 {
			return nil
		}
		// The aggregate's size is at most the bytes of its non-NULL values, each with a
		// separator; the engine refuses when that sum passes the limit, before it sends the
		// value. The sum runs over the same rows (FILTER) as the aggregate.
		sep := "1"
		if len(fc.Args) == 2 {
			sep = "coalesce(" + d.bytes("$2") + ", 0)"
		}
		args := []*pg_query.Node{fc.Args[0]}
		if len(fc.Args) == 2 {
			args = append(args, fc.Args[1])
		}
		size := "sum(" + d.bytes("$1") + " + " + sep + ")"
		expr, err := guardTemplate(fmt.Sprintf("CASE WHEN %s > %d THEN %s ELSE NULL END", size, limit,
			d.raise("concat("+marker+", "+size+")", d.textType)), args...)
		if err != nil {
			return err
		}
		ce := expr.GetCaseExpr()
		if fc.AggFilter != nil {
			sqlast.Walk(ce, func(m *pg_query.Node) bool {
				if s := m.GetFuncCall(); s != nil && funcNameOnly(s) == "sum" {
					s.AggFilter = cloneNode(fc.AggFilter)
				}
				return true
			})
		}
		ce.Defresult = &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}}
		n.Node = expr.Node
	}
	return nil
}

// guardTemplate parses an expression whose placeholders $1.. stand for args; each occurrence
// gets its own copy, so no two places of the tree share a node.
func guardTemplate(sql string, args ...*pg_query.Node) (*pg_query.Node, error) {
	tree, err := pg_query.Parse("SELECT " + sql)
	if err != nil {
		return nil, sqlerr.Internal(fmt.Errorf("value-size guard %q: %w", sql, err))
	}
	expr := tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val
	sqlast.Walk(expr, func(n *pg_query.Node) bool {
		if pr := n.GetParamRef(); pr != nil && int(pr.Number) <= len(args) {
			n.Node = cloneNode(args[pr.Number-1]).Node
			return false
		}
		return true
	})
	return expr, nil
}

// MaxCatalogSeries bounds the values of a generate_series in the select list of a catalog query.
// There the engine builds the whole series as one list value per row (FROM generate_series
// streams and is left to the time bound): generate_series(1, 100000000) took 9 GB before the
// time bound could end it. Drivers number array elements and attributes with it (at most 1600
// columns a relation in PostgreSQL).
const MaxCatalogSeries = 10000

// boundCatalogSeries guards every generate_series of a catalog's engine tree that is not a
// table function in FROM (the catalog rewrite makes a select-list one unnest(generate_series)).
// It runs after the catalog's allowlist check, as the guard calls error().
func boundCatalogSeries(root *pg_query.Node) error {
	inFrom := map[*pg_query.FuncCall]bool{}
	var calls []*pg_query.FuncCall
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_RangeFunction:
			for _, f := range v.RangeFunction.Functions {
				if items := f.GetList().GetItems(); len(items) > 0 && items[0].GetFuncCall() != nil {
					inFrom[items[0].GetFuncCall()] = true
				}
			}
		case *pg_query.Node_FuncCall:
			if funcNameOnly(v.FuncCall) == "generate_series" {
				calls = append(calls, v.FuncCall)
			}
		}
		return true
	})
	for _, fc := range calls {
		if inFrom[fc] {
			continue
		}
		if err := boundSeries(fc); err != nil {
			return err
		}
	}
	return nil
}

// boundSeries guards a select-list generate_series of a catalog query: constant bounds are
// checked here, others by the engine before it builds the list. Only integer series are
// guarded; the engine's list of timestamps has no count it can compute without building it.
func boundSeries(fc *pg_query.FuncCall) error {
	if len(fc.Args) < 2 || len(fc.Args) > 3 {
		return nil
	}
	lo, ok1 := ordinal(fc.Args[0])
	hi, ok2 := ordinal(fc.Args[1])
	step, ok3 := 1, true
	if len(fc.Args) == 3 {
		step, ok3 = ordinal(fc.Args[2])
	}
	if ok1 && ok2 && ok3 {
		if step != 0 && (int64(hi)-int64(lo))/int64(step)+1 > MaxCatalogSeries {
			return sqlerr.New(sqlerr.ProgramLimitExceeded, "generate_series in the select list of a system catalog query yields %d values; the limit is %d",
				(int64(hi)-int64(lo))/int64(step)+1, MaxCatalogSeries).WithHint("put generate_series in FROM, where its values are streamed")
		}
		return nil
	}
	for _, a := range fc.Args {
		if !integerSeriesArg(a) {
			// A series of dates or timestamps has no count the engine can compute without
			// building it, and one second over a century is three billion values.
			return sqlerr.New(sqlerr.FeatureNotSupported, "generate_series of dates or times in the select list of a system catalog query is not supported").
				WithHint("put generate_series in FROM, where its values are streamed")
		}
	}
	stepSQL := "1"
	args := []*pg_query.Node{fc.Args[0], fc.Args[1]}
	if len(fc.Args) == 3 {
		stepSQL = "greatest(abs(CAST($3 AS BIGINT)), 1)"
		args = append(args, fc.Args[2])
	}
	count := "((CAST($2 AS BIGINT) - CAST($1 AS BIGINT)) // " + stepSQL + ")"
	expr, err := guardTemplate(fmt.Sprintf("CASE WHEN %s >= %d THEN CAST(error(concat('%s%d:', %s + 1)) AS BIGINT) ELSE $2 END",
		count, MaxCatalogSeries, valuesize.SeriesMarker, MaxCatalogSeries, count), args...)
	if err != nil {
		return err
	}
	fc.Args[1] = expr
	return nil
}

// integerSeriesArg reports whether a generate_series argument can be an integer as far as its
// spelling shows: not a string literal ('2024-01-01', '1 day') and not a cast to another type.
func integerSeriesArg(n *pg_query.Node) bool {
	if _, ok := stringConst(n); ok {
		return false
	}
	if tc := n.GetTypeCast(); tc != nil {
		names := tc.GetTypeName().GetNames()
		if len(names) == 0 {
			return false
		}
		switch strings.ToLower(names[len(names)-1].GetString_().GetSval()) {
		case "int2", "int4", "int8", "smallint", "integer", "int", "bigint", "oid":
			return true
		}
		return false
	}
	return true
}
