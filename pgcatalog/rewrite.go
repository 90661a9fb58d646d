package pgcatalog

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// SystemTable is one emulated pg_catalog or information_schema table as the engine holds it.
type SystemTable struct {
	// EngineSchema is the engine schema holding the table ("pgc", "pgis"); the engine table has
	// the same name as the system table.
	EngineSchema string
	// Columns are the columns a client sees, in order. The engine table may hold more (the
	// hidden dataset_id).
	Columns []string
	// Scoped says the engine table has a dataset_id column: NULL for rows of no dataset, else
	// the dataset the row describes. Only rows of datasets in the principal's scope are kept.
	Scoped bool
	// RefScoped says the engine table also has a ref_dataset_id column: NULL, or the second
	// dataset a row names (the target of a foreign key, the referencing dataset of a key's
	// column usage). A row is kept only when both its datasets are in scope, so that a foreign
	// key to a dataset outside the key's scope is not shown.
	RefScoped bool
	// DatabaseColumns and UserColumns are answered with the session's database and user name.
	DatabaseColumns, UserColumns []string
	// SystemColumns are PostgreSQL's hidden columns the engine table holds (xmin): readable by
	// name, never part of SELECT *.
	SystemColumns []string
}

// catalogFunctions are the functions callable in catalog queries only, besides the general
// allowlist: DuckDB macros of the emulation (called as pgc.<name>) and engine built-ins that
// are harmless over catalog tables.
var catalogFunctions = map[string]bool{
	"format_type": true, "pg_get_expr": true, "pg_table_is_visible": true, "pg_type_is_visible": true,
	"pg_function_is_visible": true, "has_table_privilege": true, "has_schema_privilege": true,
	"has_database_privilege": true, "has_column_privilege": true, "pg_has_role": true,
	"pg_encoding_to_char": true, "current_schemas": true, "array_upper": true, "array_lower": true,
	"quote_ident": true, "pg_get_indexdef": true, "pg_get_constraintdef": true, "pg_get_viewdef": true,
	"pg_get_triggerdef": true, "pg_get_serial_sequence": true, "pg_is_in_recovery": true,
	"pg_relation_size": true, "pg_total_relation_size": true, "pg_get_partkeydef": true,
	"pg_get_function_result": true, "pg_get_function_arguments": true, "pg_get_statisticsobjdef_columns": true,
	"pg_postmaster_start_time": true, "pg_relation_is_publishable": true, "has_any_column_privilege": true, "txid_current": true, "pg_size_pretty": true,
	"_pg_expandarray": true, "_pg_numeric_precision": true, "_pg_numeric_precision_radix": true, "_pg_numeric_scale": true,
	"_pg_datetime_precision": true, "_pg_char_max_length": true, "_pg_char_octet_length": true, "_pg_interval_type": true,
	"relation_name": true, "format_s": true, "quote_nullable": true, "quote_literal": true, "parse_ident": true,
	"pg_my_temp_schema": true, "pg_is_other_temp_schema": true, "pg_stat_get_numscans": true, "pg_tablespace_location": true,
	"age": true, "inet_server_addr": true, "inet_server_port": true, "inet_client_addr": true, "pg_conf_load_time": true,
	"regexp_instr": true, "pg_stat_get_live_tuples": true, "pg_stat_get_dead_tuples": true, "pg_get_function_identity_arguments": true,
	"pg_get_ruledef": true, "pg_index_column_has_property": true, "pg_get_indexdef_col": true,
	"key_def": true, "index_def": true, "pg_table_size": true, "pg_indexes_size": true, "pg_database_size": true,
	"oid_lookup": true, "oid_name": true, "oid_vector": true, "regtype_array": true,
}

// catalogBuiltins are engine functions a catalog query may call under their own names.
var catalogBuiltins = map[string]bool{
	"array_to_string": true, "array_length": true, "regexp_matches": true, "coalesce": true,
	"unnest": true, "array_agg": true, "string_to_array": true, "nullif": true,
	"generate_subscripts": true, "generate_series": true, "list_contains": true, "concat": true, "json_object": true,
	"string_agg": true, "regexp_split_to_array": true, "array_position": true, "cardinality": true,
	"sha1": true, "md5": true,
}

// tableFunctions may stand in FROM of a catalog query.
var tableFunctions = map[string]bool{"generate_series": true, "unnest": true}

func funcNameOnly(fc *pg_query.FuncCall) string {
	_, name := planner.FuncName(fc)
	return name
}

// IsCatalogQuery implements planner.SystemCatalog: a statement reads a system catalog when it
// names a table qualified by pg_catalog or information_schema, or an unqualified pg_catalog
// table name (pg_catalog is first on PostgreSQL's search_path) that is not a CTE in scope.
func (c *Catalog) IsCatalogQuery(node *pg_query.Node) bool {
	if node.GetSelectStmt() == nil {
		return false
	}
	if usesCatalogFunction(node) {
		return true
	}
	// Names of system tables first; only when there are any (rarely in a dataset query) are
	// CTEs resolved, to drop the names that are CTEs in scope.
	var names []*pg_query.RangeVar
	sqlast.Walk(node, func(n *pg_query.Node) bool {
		if rv := n.GetRangeVar(); rv != nil {
			switch rv.Schemaname {
			case "pg_catalog", "information_schema":
				names = append(names, rv)
			case "":
				if _, ok := c.Table("pg_catalog", rv.Relname); ok {
					names = append(names, rv)
				}
			}
		}
		return true
	})
	if len(names) == 0 {
		return false
	}
	ctes := planner.ResolveCTEs(node, func(int32) int { return 0 })
	for _, rv := range names {
		if ctes.CTE(rv) == nil {
			return true
		}
	}
	return false
}

// Rewrite implements planner.SystemCatalog. System tables become scope-filtered derived tables
// over the engine's tables, PostgreSQL-only spellings become what the engine evaluates, and the
// result is verified to read nothing else; the planner then bounds, deparses and plans it.
func (c *Catalog) Rewrite(q *planner.CatalogQuery, node *pg_query.Node) error {
	r := &catalogRewriter{q: q, cat: q.Catalog(), sys: c, engine: map[*pg_query.RangeVar]bool{},
		inFrom: map[*pg_query.FuncCall]bool{}, named: map[string]bool{}, definitions: map[*pg_query.RangeVar][]string{}}
	sqlast.Walk(node, func(n *pg_query.Node) bool {
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			r.named[cr.Fields[len(cr.Fields)-1].GetString_().GetSval()] = true
		}
		return true
	})
	nameColumns(node)
	liftSetReturning(node)
	if err := r.rewriteExprs(node); err != nil {
		return err
	}
	// CTEs are resolved by scope before any name is replaced, and renamed so the engine binds
	// each reference to the CTE PostgreSQL binds it to (planner.CTEScope).
	ctes := planner.ResolveCTEs(node, q.Pos)
	if err := ctes.Err(); err != nil {
		return err
	}
	r.cteNames = ctes.Rename()
	if err := r.substituteTables(node, ctes); err != nil {
		return err
	}
	return r.verify(node)
}

// catalogRewriter is the state of one Rewrite.
type catalogRewriter struct {
	// q is the statement's session and snapshot, lent by the planner.
	q   *planner.CatalogQuery
	cat *catalog.Catalog
	// sys is the system catalog of the same snapshot as cat.
	sys *Catalog
	// engine marks the engine table references the rewrite made.
	engine map[*pg_query.RangeVar]bool
	// inFrom marks the function calls that stand in FROM (table functions).
	inFrom map[*pg_query.FuncCall]bool
	// named are the column names the query spells out; a system column is exposed only when
	// named, so that SELECT * stays PostgreSQL's.
	named map[string]bool
	// cteNames are the names the rewrite gave the statement's CTEs (planner.CTEScope.Rename).
	cteNames map[string]bool
	// definitions are the system table references a key definition's lookup put in
	// (rewriteConstraintDef, rewriteIndexDef), with the hidden columns each reads; only they
	// project those columns, so that a client's c.* never shows them.
	definitions map[*pg_query.RangeVar][]string
}

// rewriteExprs turns the PostgreSQL-only spellings of a catalog query into what the engine
// evaluates: casts to reg* types become lookups in (scope-filtered) catalog tables, catalog
// functions become the emulation's macros or session values, regex operators become
// regexp_matches. Children are rewritten before their parents.
func (c *catalogRewriter) rewriteExprs(root *pg_query.Node) error {
	var nodes []*pg_query.Node
	var walkErr error
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_FuncCall, *pg_query.Node_TypeCast, *pg_query.Node_AExpr, *pg_query.Node_CollateClause, *pg_query.Node_SqlvalueFunction:
			if e := n.GetAExpr(); e != nil {
				// Before its operands are walked and rewritten.
				regComparison(e)
			}
			nodes = append(nodes, n)
		case *pg_query.Node_RangeFunction:
			// FROM generate_series(...) s: in PostgreSQL s also names the single column.
			rf := v.RangeFunction
			if rf.Alias != nil && len(rf.Alias.Colnames) == 0 && len(rf.Functions) == 1 {
				rf.Alias.Colnames = []*pg_query.Node{pg_query.MakeStrNode(rf.Alias.Aliasname)}
			}
			for _, f := range rf.Functions {
				if items := f.GetList().GetItems(); len(items) > 0 && items[0].GetFuncCall() != nil {
					c.inFrom[items[0].GetFuncCall()] = true
				}
			}
			if err := c.fromFunction(n, rf); err != nil {
				walkErr = err
				return false
			}
		case *pg_query.Node_ColumnRef:
			// pg_catalog.pg_class.relname: the system table is now a derived table named
			// pg_class, so the schema part goes.
			cr := v.ColumnRef
			if len(cr.Fields) >= 3 {
				switch cr.Fields[len(cr.Fields)-3].GetString_().GetSval() {
				case "pg_catalog", "information_schema":
					cr.Fields = cr.Fields[len(cr.Fields)-2:]
				}
			}
		}
		return true
	})
	if walkErr != nil {
		return walkErr
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		if err := c.rewriteExpr(nodes[i]); err != nil {
			return err
		}
	}
	return nil
}

func (c *catalogRewriter) rewriteExpr(n *pg_query.Node) error {
	switch v := n.Node.(type) {
	case *pg_query.Node_CollateClause:
		// Catalog text compares byte-wise here; the collation changes nothing.
		n.Node = v.CollateClause.Arg.Node
	case *pg_query.Node_SqlvalueFunction:
		if val := c.q.SQLValue(v.SqlvalueFunction.Op); val != nil {
			n.Node = val.Node
		}
	case *pg_query.Node_AExpr:
		return c.rewriteOperator(n, v.AExpr)
	case *pg_query.Node_TypeCast:
		return c.rewriteCast(n, v.TypeCast)
	case *pg_query.Node_FuncCall:
		return c.rewriteFunc(n, v.FuncCall)
	}
	return nil
}

func (c *catalogRewriter) rewriteOperator(n *pg_query.Node, e *pg_query.A_Expr) error {
	if len(e.Name) == 0 {
		return nil
	}
	op := e.Name[len(e.Name)-1].GetString_().GetSval()
	// OPERATOR(pg_catalog.=) is the plain operator.
	e.Name = []*pg_query.Node{pg_query.MakeStrNode(op)}
	if e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY || e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL {
		rewriteArrayOperator(n, e, op)
		return nil
	}
	if e.Kind != pg_query.A_Expr_Kind_AEXPR_OP {
		return nil
	}
	var negate, icase bool
	switch op {
	case "~":
	case "!~":
		negate = true
	case "~*":
		icase = true
	case "!~*":
		negate, icase = true, true
	default:
		return nil
	}
	if e.Lexpr == nil || e.Rexpr == nil {
		// A prefix `!~ 'x'`: PostgreSQL has no such operator, and a call with a missing
		// argument must never reach the deparser (it crashes on it).
		return sqlerr.New(sqlerr.UndefinedFunction, "operator does not exist: prefix %s", op).WithPosition(c.q.Pos(e.Location))
	}
	args := []*pg_query.Node{e.Lexpr, e.Rexpr}
	if icase {
		args = append(args, pg_query.MakeAConstStrNode("i", -1))
	}
	call := pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("regexp_matches")}, args, -1)
	if negate {
		call = pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{call}, -1)
	}
	n.Node = call.Node
	return nil
}

// template parses a scalar sub-select whose placeholders $1.. are replaced by args.
func template(sql string, args ...*pg_query.Node) (*pg_query.Node, error) {
	tree, err := pg_query.Parse("SELECT " + sql)
	if err != nil {
		return nil, sqlerr.Internal(err)
	}
	expr := tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val
	sqlast.Walk(expr, func(n *pg_query.Node) bool {
		if pr := n.GetParamRef(); pr != nil && int(pr.Number) <= len(args) {
			n.Node = args[pr.Number-1].Node
			return false
		}
		return true
	})
	return expr, nil
}

func stringConst(n *pg_query.Node) (string, bool) {
	if ac := n.GetAConst(); ac != nil && ac.GetSval() != nil {
		return ac.GetSval().Sval, true
	}
	return "", false
}

// substituteTables replaces every system table reference by a derived table over the engine
// table that keeps only rows of no dataset or of a dataset in the principal's scope. A dataset
// in a catalog query is refused: the two live on different engines. A name that is neither a
// system table nor a CTE in scope (ctes) is refused as PostgreSQL refuses it, never left for the
// engine to bind.
func (c *catalogRewriter) substituteTables(root *pg_query.Node, ctes *planner.CTEScope) error {
	var refs []*pg_query.Node
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if n.GetRangeVar() != nil {
			refs = append(refs, n)
		}
		return true
	})
	for _, n := range refs {
		rv := n.GetRangeVar()
		if ctes.CTE(rv) != nil {
			continue
		}
		if rv.Catalogname != "" && rv.Catalogname != c.q.Session().Database {
			return sqlerr.New(sqlerr.FeatureNotSupported, "cross-database references are not implemented").WithPosition(c.q.Pos(rv.Location))
		}
		schema := rv.Schemaname
		if schema == "" {
			schema = "pg_catalog"
		}
		t, ok := c.sys.Table(schema, rv.Relname)
		if !ok && rv.Schemaname == "" {
			if ds, _ := c.cat.LookupDataset(rv.Relname); ds != nil && c.q.Session().Principal.InScope(ds.ID) {
				return sqlerr.New(sqlerr.FeatureNotSupported, "a query cannot read datasets and system catalogs together").WithPosition(c.q.Pos(rv.Location))
			}
		}
		if !ok {
			switch rv.Schemaname {
			case "pg_catalog", "information_schema":
				return sqlerr.New(sqlerr.FeatureNotSupported, "system catalog %s.%s is not supported yet", rv.Schemaname, rv.Relname).WithPosition(c.q.Pos(rv.Location))
			case "public":
				if ds, _ := c.cat.LookupDataset(rv.Relname); ds != nil && c.q.Session().Principal.InScope(ds.ID) {
					return sqlerr.New(sqlerr.FeatureNotSupported, "a query cannot read datasets and system catalogs together").WithPosition(c.q.Pos(rv.Location))
				}
			}
			name := rv.Relname
			if rv.Schemaname != "" {
				name = rv.Schemaname + "." + name
			}
			return sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", name).WithPosition(c.q.Pos(rv.Location))
		}
		alias := rv.Alias
		if alias == nil {
			alias = &pg_query.Alias{Aliasname: rv.Relname}
		}
		n.Node = &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
			Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: c.scopedTable(t, rv.Relname, c.definitions[rv])}},
			Alias:    alias,
		}}
	}
	return nil
}

// scopedTable is the derived table standing for system table t: its client columns, the
// system columns the query names, and hidden, the columns a key definition's lookup reads.
func (c *catalogRewriter) scopedTable(t *SystemTable, name string, hidden []string) *pg_query.SelectStmt {
	targets := make([]*pg_query.Node, len(t.Columns))
	for i, col := range t.Columns {
		val := columnRef(col)
		switch {
		case contains(t.DatabaseColumns, col):
			val = pg_query.MakeAConstStrNode(c.q.Session().Database, -1)
			c.q.UsesSession()
		case contains(t.UserColumns, col):
			val = pg_query.MakeAConstStrNode(c.q.Session().User, -1)
			c.q.UsesSession()
		}
		targets[i] = pg_query.MakeResTargetNodeWithNameAndVal(col, val, -1)
	}
	for _, col := range t.SystemColumns {
		if c.named[col] || contains(hidden, col) {
			targets = append(targets, pg_query.MakeResTargetNodeWithNameAndVal(col, columnRef(col), -1))
		}
	}
	rv := &pg_query.RangeVar{Schemaname: t.EngineSchema, Relname: name, Inh: true, Relpersistence: "p", Location: -1}
	c.engine[rv] = true
	sel := &pg_query.SelectStmt{
		TargetList:  targets,
		FromClause:  []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: rv}}},
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	switch {
	case t.Scoped && t.RefScoped:
		sel.WhereClause = pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR,
			[]*pg_query.Node{c.scopePredicate("dataset_id"), c.scopePredicate("ref_dataset_id")}, -1)
	case t.Scoped:
		sel.WhereClause = c.scopePredicate("dataset_id")
	}
	return sel
}

// scopePredicate keeps rows whose column col names no dataset or a dataset in the principal's
// scope, listed by id: a dataset not listed is invisible (fail closed).
func (c *catalogRewriter) scopePredicate(col string) *pg_query.Node {
	isNull := &pg_query.Node{Node: &pg_query.Node_NullTest{NullTest: &pg_query.NullTest{
		Arg: columnRef(col), Nulltesttype: pg_query.NullTestType_IS_NULL, Location: -1}}}
	var ids []*pg_query.Node
	for _, ds := range c.cat.Datasets {
		if c.q.Session().Principal.InScope(ds.ID) {
			ids = append(ids, pg_query.MakeAConstStrNode(ds.ID, -1))
		}
	}
	if len(ids) == 0 {
		return isNull
	}
	in := pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_IN, []*pg_query.Node{pg_query.MakeStrNode("=")},
		columnRef(col), pg_query.MakeListNode(ids), -1)
	return pg_query.MakeBoolExprNode(pg_query.BoolExprType_OR_EXPR, []*pg_query.Node{isNull, in}, -1)
}

// columnRef is the column reference names[0].names[1]...
func columnRef(names ...string) *pg_query.Node {
	fields := make([]*pg_query.Node, len(names))
	for i, n := range names {
		fields[i] = pg_query.MakeStrNode(n)
	}
	return pg_query.MakeColumnRefNode(fields, -1)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
