package pgcatalog

import (
	"strings"

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

// userFunctions answer from the session: the role name.
var userFunctions = map[string]bool{"pg_get_userbyid": true}

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
		inFrom: map[*pg_query.FuncCall]bool{}, named: map[string]bool{}}
	sqlast.Walk(node, func(n *pg_query.Node) bool {
		if cr := n.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			r.named[cr.Fields[len(cr.Fields)-1].GetString_().GetSval()] = true
		}
		return true
	})
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

// relationName reads 'public.orders' or '"orders"' as the relation name.
func relationName(s string) string {
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

func (c *catalogRewriter) rewriteCast(n *pg_query.Node, tc *pg_query.TypeCast) error {
	tn := tc.TypeName
	if tn == nil || len(tn.Names) == 0 {
		return nil
	}
	name := strings.ToLower(tn.Names[len(tn.Names)-1].GetString_().GetSval())
	if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() == "pg_catalog" {
		// The engine knows PostgreSQL's built-in type names, unqualified.
		tn.Names = tn.Names[1:]
	}
	array := len(tn.ArrayBounds) > 0
	setType := func(t string) {
		tn.Names = []*pg_query.Node{pg_query.MakeStrNode(t)}
	}
	if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() == "information_schema" {
		// information_schema's domains over built-in types.
		switch name {
		case "cardinal_number":
			setType("int8")
		case "time_stamp":
			setType("timestamptz")
		default: // character_data, sql_identifier, yes_or_no
			setType("text")
		}
		return nil
	}
	lit, isLit := stringConst(tc.Arg)
	if array && isLit {
		// '{r,p,f}'::char[] is an array literal.
		elems, ok := arrayLiteral(lit)
		if !ok {
			return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", lit)
		}
		n.Node = arrayExpr(elems, arrayElemType(name)).Node
		return nil
	}
	if oid, ok := oidLiteral(lit); isLit && ok && !array && (name == "regclass" || name == "regtype" || name == "regproc" ||
		name == "regprocedure" || name == "regnamespace" || name == "regrole") {
		// '16384'::regclass is the relation with that oid.
		n.Node = pg_query.MakeAConstIntNode(oid, -1).Node
		return nil
	}
	var expr *pg_query.Node
	var err error
	switch {
	case array && (name == "name" || name == "char" || name == "bpchar" || name == "text" || name == "varchar"):
		setType("text")
		return nil
	case array && (name == "oid" || name == "regtype" || name == "regclass" || name == "int2"):
		setType("int8")
		return nil
	case array:
		return nil
	case name == "oid" || name == "xid" || name == "cid" || name == "regrole":
		setType("int8")
		return nil
	case name == "name" || name == "char" || name == "bpchar":
		setType("text")
		return nil
	case (name == "regproc" || name == "regprocedure") && isLit:
		// The regproc columns (typinput, typreceive, ...) hold pg_proc oids.
		if i := strings.LastIndexByte(lit, '.'); i >= 0 {
			lit = lit[i+1:]
		}
		if i := strings.IndexByte(lit, '('); i >= 0 {
			lit = lit[:i]
		}
		expr, err = template("(SELECT min(_rp.oid) FROM pg_catalog.pg_proc _rp WHERE _rp.proname = $1)", pg_query.MakeAConstStrNode(lit, -1))
	case name == "regproc" || name == "regprocedure":
		// An oid shown as a regproc is the function's name.
		expr, err = template("(SELECT min(_rp.proname) FROM pg_catalog.pg_proc _rp WHERE _rp.oid = $1)", tc.Arg)
	// The lookups' aliases start with an underscore so that they cannot capture a column of the
	// client's query (psql's "c.oid::regclass" over its own pg_class c).
	case name == "regclass" && isLit:
		expr, err = template("(SELECT _rc.oid FROM pg_catalog.pg_class _rc WHERE _rc.relname = $1)", pg_query.MakeAConstStrNode(relationName(lit), -1))
	case name == "regclass" && textRelation(tc.Arg):
		expr, err = template("(SELECT _rc.oid FROM pg_catalog.pg_class _rc WHERE _rc.relname = pgc.relation_name($1))", tc.Arg)
	case name == "regclass":
		expr, err = template("(SELECT _rc.relname FROM pg_catalog.pg_class _rc WHERE _rc.oid = $1)", tc.Arg)
	case name == "regtype" && isLit:
		expr, err = template("(SELECT _rt.oid FROM pg_catalog.pg_type _rt WHERE _rt.typname = $1)", pg_query.MakeAConstStrNode(regtypeName(lit), -1))
	case name == "regtype":
		expr, err = template("pgc.format_type($1, NULL)", tc.Arg)
	case name == "regnamespace" && isLit:
		expr, err = template("(SELECT _rn.oid FROM pg_catalog.pg_namespace _rn WHERE _rn.nspname = $1)", pg_query.MakeAConstStrNode(relationName(lit), -1))
	case name == "regnamespace":
		expr, err = template("(SELECT _rn.nspname FROM pg_catalog.pg_namespace _rn WHERE _rn.oid = $1)", tc.Arg)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	n.Node = expr.Node
	return nil
}

// regtypeName maps the SQL spelling of a type to its pg_type name.
func regtypeName(s string) string {
	s = relationName(s)
	if t, ok := planner.TypeNameOf(s); ok {
		return t
	}
	switch s {
	case "double precision":
		return "float8"
	case "character varying":
		return "varchar"
	case "timestamp without time zone":
		return "timestamp"
	case "timestamp with time zone":
		return "timestamptz"
	case "character":
		return "bpchar"
	}
	return s
}

func (c *catalogRewriter) rewriteFunc(n *pg_query.Node, fc *pg_query.FuncCall) error {
	schema, name := planner.FuncName(fc)
	if schema == "information_schema" {
		return c.infoSchemaFunction(n, fc, name)
	}
	if schema != "" && schema != "pg_catalog" {
		return sqlerr.New(sqlerr.UndefinedFunction, "function %s.%s does not exist", schema, name)
	}
	if val, ok, err := c.q.SessionValue(name, fc.Args); ok {
		if err != nil {
			return err
		}
		n.Node = val.Node
		return nil
	}
	var expr *pg_query.Node
	var err error
	switch {
	case userFunctions[name]:
		c.q.UsesSession()
		n.Node = pg_query.MakeAConstStrNode(c.q.Session().User, -1).Node
		return nil
	case name == "obj_description" && len(fc.Args) >= 1:
		expr, err = template("(SELECT _rd.description FROM pg_catalog.pg_description _rd WHERE _rd.objoid = $1 AND _rd.objsubid = 0 ORDER BY _rd.classoid LIMIT 1)", fc.Args[0])
	case name == "col_description" && len(fc.Args) == 2:
		expr, err = template("(SELECT _rd.description FROM pg_catalog.pg_description _rd WHERE _rd.objoid = $1 AND _rd.objsubid = $2 AND _rd.classoid = 1259)", fc.Args[0], fc.Args[1])
	case name == "format":
		expr, err = formatCall(fc)
	case (name == "to_regtype" || name == "to_regclass" || name == "to_regnamespace") && len(fc.Args) == 1:
		target := map[string]string{"to_regtype": "regtype", "to_regclass": "regclass", "to_regnamespace": "regnamespace"}[name]
		cast := &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: fc.Args[0],
			TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode(target)}, Typemod: -1, Location: -1}, Location: -1}}}
		if _, ok := stringConst(fc.Args[0]); !ok {
			return sqlerr.New(sqlerr.FeatureNotSupported, "%s in a system catalog query takes a constant", name)
		}
		if err := c.rewriteCast(cast, cast.GetTypeCast()); err != nil {
			return err
		}
		expr = cast
	case name == "json_build_object":
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("json_object")}
		return nil
	case name == "pg_partition_ancestors" && len(fc.Args) == 1:
		// No relation here is a partition: a relation is its only ancestor. The argument is a
		// regclass ('16417' or a name).
		rel := &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: fc.Args[0],
			TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("regclass")}, Typemod: -1, Location: -1}, Location: -1}}}
		if _, ok := stringConst(fc.Args[0]); ok {
			if err := c.rewriteCast(rel, rel.GetTypeCast()); err != nil {
				return err
			}
		} else {
			rel = fc.Args[0]
		}
		expr, err = template("unnest(ARRAY[$1])", rel)
	case name == "generate_series" && !c.inFrom[fc]:
		// A set-returning function in the select list: the engine's generate_series is a
		// list there.
		expr, err = template("unnest(generate_series($1, $2))", fc.Args...)
		if len(fc.Args) == 3 {
			expr, err = template("unnest(generate_series($1, $2, $3))", fc.Args...)
		}
	case name == "shobj_description":
		n.Node = &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}
		return nil
	case catalogFunctions[name]:
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("pgc"), pg_query.MakeStrNode(name)}
		return nil
	case fc.Funcformat == pg_query.CoercionForm_COERCE_SQL_SYNTAX:
		// TRIM(BOTH ...), EXTRACT(... FROM ...), SUBSTRING(... FROM ...): the deparser writes the
		// SQL syntax back only for the pg_catalog name, and the engine reads that syntax.
		return nil
	default:
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode(name)}
		return nil
	}
	if err != nil {
		return err
	}
	n.Node = expr.Node
	return nil
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
			Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: c.scopedTable(t, rv.Relname)}},
			Alias:    alias,
		}}
	}
	return nil
}

func (c *catalogRewriter) scopedTable(t *SystemTable, name string) *pg_query.SelectStmt {
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
		if c.named[col] {
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
	if t.Scoped {
		sel.WhereClause = c.scopePredicate()
	}
	return sel
}

// scopePredicate keeps rows of no dataset and rows of the datasets in the principal's scope,
// listed by id: a dataset not listed is invisible (fail closed).
func (c *catalogRewriter) scopePredicate() *pg_query.Node {
	isNull := &pg_query.Node{Node: &pg_query.Node_NullTest{NullTest: &pg_query.NullTest{
		Arg: columnRef("dataset_id"), Nulltesttype: pg_query.NullTestType_IS_NULL, Location: -1}}}
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
		columnRef("dataset_id"), pg_query.MakeListNode(ids), -1)
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

// verify walks the rewritten tree and fails closed unless every table read is an engine table
// the rewrite put there (under its scope filter) or a CTE in scope that the rewrite renamed, and
// every function is allowlisted. The CTE scopes are resolved afresh on the rewritten tree.
func (c *catalogRewriter) verify(root *pg_query.Node) error {
	ctes := planner.ResolveCTEs(root, c.q.Pos)
	if err := ctes.Err(); err != nil {
		return err
	}
	for _, cte := range ctes.CTEs() {
		if !c.cteNames[cte.Ctename] {
			return sqlerr.New(sqlerr.FeatureNotSupported, "WITH query %q is not supported in a system catalog query", cte.Ctename)
		}
	}
	var bad string
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_RangeVar:
			rv := v.RangeVar
			if cte := ctes.CTE(rv); !c.engine[rv] && (cte == nil || !c.cteNames[cte.Ctename]) {
				bad = "table " + rv.Relname
			}
		case *pg_query.Node_RangeFunction:
			// Row generators only (pgjdbc numbers current_schemas with generate_series); their
			// arguments are checked as function calls below.
			for _, f := range v.RangeFunction.Functions {
				items := f.GetList().GetItems()
				if len(items) == 0 || items[0].GetFuncCall() == nil || !tableFunctions[funcNameOnly(items[0].GetFuncCall())] ||
					(len(items) > 1 && items[1] != nil && items[1].Node != nil) {
					bad = "table function"
				}
			}
		case *pg_query.Node_RangeTableFunc, *pg_query.Node_RangeTableSample:
			bad = "table function"
		case *pg_query.Node_FuncCall:
			schema, name := planner.FuncName(v.FuncCall)
			general := planner.AllowlistedFunction(name)
			switch {
			case schema == "pgc" && catalogFunctions[name]:
			case (schema == "" || schema == "pg_catalog" && v.FuncCall.Funcformat == pg_query.CoercionForm_COERCE_SQL_SYNTAX) &&
				(general || catalogBuiltins[name] || tableFunctions[name]):
			default:
				bad = "function " + name
			}
		}
		return bad == ""
	})
	if bad != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported in a system catalog query", bad)
	}
	return nil
}
