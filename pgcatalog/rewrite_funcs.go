package pgcatalog

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// catalogOnlyFunctions make a FROM-less statement a catalog query: they are evaluated by the
// emulation's engine, which has them (SELECT current_schemas(false), pg_is_in_recovery(), ...).
var catalogOnlyFunctions = map[string]bool{
	"current_schemas": true, "pg_is_in_recovery": true, "txid_current": true, "inet_server_addr": true,
	"inet_server_port": true, "inet_client_addr": true, "pg_postmaster_start_time": true, "pg_my_temp_schema": true,
	"pg_encoding_to_char": true, "has_database_privilege": true, "has_schema_privilege": true,
	"has_table_privilege": true, "pg_get_userbyid": true, "obj_description": true, "pg_tablespace_location": true,
	"to_regtype": true, "to_regclass": true, "format_type": true, "quote_ident": true, "parse_ident": true,
	"regexp_instr": true, "pg_conf_load_time": true, "pg_get_keywords": true,
}

// usesCatalogFunction reports whether a statement without tables (table functions aside) calls a function only the
// catalog emulation evaluates.
func usesCatalogFunction(node *pg_query.Node) bool {
	found, tables := false, false
	sqlast.Walk(node, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_RangeVar:
			tables = true
		case *pg_query.Node_FuncCall:
			schema, name := planner.FuncName(v.FuncCall)
			if catalogOnlyFunctions[name] || schema == "information_schema" {
				found = true
			}
		}
		return !tables
	})
	return found && !tables
}

// arrayLiteral reads PostgreSQL's text form of a one-dimensional array ('{r,p,f}',
// '{"a b",NULL}') into its elements; nil elements are NULLs. ok is false for anything else.
func arrayLiteral(s string) (elems []*string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if strings.TrimSpace(body) == "" {
		return []*string{}, true
	}
	var cur strings.Builder
	quoted, inQuotes, escaped := false, false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		if !quoted && strings.EqualFold(v, "NULL") {
			elems = append(elems, nil)
		} else {
			elems = append(elems, &v)
		}
		cur.Reset()
		quoted = false
	}
	for _, r := range body {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			inQuotes = !inQuotes
			quoted = true
		case r == '{' || r == '}':
			if !inQuotes {
				return nil, false // nested arrays are not read here
			}
			cur.WriteRune(r)
		case r == ',' && !inQuotes:
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	if inQuotes || escaped {
		return nil, false
	}
	flush()
	return elems, true
}

// arrayExpr builds ARRAY[...] of string constants (NULL for nil), each cast to elemType when
// it is not empty.
func arrayExpr(elems []*string, elemType string) *pg_query.Node {
	items := make([]*pg_query.Node, len(elems))
	for i, e := range elems {
		var item *pg_query.Node
		if e == nil {
			item = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}
		} else {
			item = pg_query.MakeAConstStrNode(*e, -1)
		}
		if elemType != "" {
			item = typeCast(item, elemType)
		}
		items[i] = item
	}
	return &pg_query.Node{Node: &pg_query.Node_AArrayExpr{AArrayExpr: &pg_query.A_ArrayExpr{Elements: items, Location: -1}}}
}

// arrayElemType is the engine type of the elements of a PostgreSQL array type, "" for text.
func arrayElemType(name string) string {
	switch name {
	case "int2", "int4", "int8", "oid", "regtype", "regclass", "regproc", "xid", "smallint", "integer", "bigint", "int":
		return "int8"
	case "bool", "boolean":
		return "bool"
	case "float4", "float8", "real", "numeric":
		return "float8"
	}
	return ""
}

// rewriteArrayOperator turns x = ANY(array) into list_contains(array, x) and x <> ALL(array)
// into its negation, after reading a '{...}' literal operand as an array: the engine has
// list_contains everywhere, while its ANY over a list is refused inside outer-join conditions.
// Other operators keep ANY/ALL, which the engine evaluates over lists.
func rewriteArrayOperator(n *pg_query.Node, e *pg_query.A_Expr, op string) {
	if s, ok := stringConst(e.Rexpr); ok {
		if elems, ok := arrayLiteral(s); ok {
			e.Rexpr = arrayExpr(elems, "")
		}
	}
	if e.Rexpr.GetSubLink() != nil {
		return
	}
	if e.Rexpr.GetParamRef() != nil {
		// A bound list (pgcli binds '{r,p,f}'): typed, so the engine reads the parameter as
		// a list and the client is asked for text[].
		e.Rexpr = castTextArray(e.Rexpr)
	}
	contains := func() *pg_query.Node {
		return pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("list_contains")}, []*pg_query.Node{e.Rexpr, e.Lexpr}, -1)
	}
	switch {
	case e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && op == "=":
		n.Node = contains().Node
	case e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL && (op == "<>" || op == "!="):
		n.Node = pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{contains()}, -1).Node
	}
}

// infoSchemaFunction rewrites a call of one of information_schema's internal helper functions,
// which JDBC- and ODBC-based tools call directly.
func (c *catalogRewriter) infoSchemaFunction(n *pg_query.Node, fc *pg_query.FuncCall, name string) error {
	var expr *pg_query.Node
	var err error
	switch name {
	case "_pg_expandarray":
		// A set of (x, n) records: the engine unnests a list of structs.
		if len(fc.Args) != 1 {
			break
		}
		expr, err = template("unnest(pgc._pg_expandarray($1))", fc.Args[0])
	case "_pg_truetypid", "_pg_truetypmod":
		// Called with whole rows, (a.*, t.*): the domain's base type or the column's own.
		if len(fc.Args) != 2 {
			break
		}
		att, typ := starRelation(fc.Args[0]), starRelation(fc.Args[1])
		if att == "" || typ == "" {
			break
		}
		if name == "_pg_truetypid" {
			expr, err = template("CASE WHEN $2 = 'd' THEN $3 ELSE $1 END", columnRef(att, "atttypid"), columnRef(typ, "typtype"), columnRef(typ, "typbasetype"))
		} else {
			expr, err = template("CASE WHEN $2 = 'd' THEN $3 ELSE $1 END", columnRef(att, "atttypmod"), columnRef(typ, "typtype"), columnRef(typ, "typtypmod"))
		}
	case "_pg_numeric_precision", "_pg_numeric_precision_radix", "_pg_numeric_scale", "_pg_datetime_precision",
		"_pg_char_max_length", "_pg_char_octet_length", "_pg_interval_type":
		fc.Funcname = macroName(name)
		return nil
	}
	if err != nil {
		return err
	}
	if expr == nil {
		return sqlerr.New(sqlerr.UndefinedFunction, "function information_schema.%s does not exist", name)
	}
	n.Node = expr.Node
	return nil
}

// starRelation is "a" for the argument a.*, else "".
func starRelation(n *pg_query.Node) string {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 2 || cr.Fields[1].GetAStar() == nil {
		return ""
	}
	return cr.Fields[0].GetString_().GetSval()
}

// formatCall expands format() with a constant format string into a concatenation: %s is the
// argument as text (NULL as empty), %I a quoted identifier, %L a quoted literal (NULL
// unquoted), %% a percent sign.
func formatCall(fc *pg_query.FuncCall) (*pg_query.Node, error) {
	if len(fc.Args) == 0 {
		return nil, sqlerr.New(sqlerr.UndefinedFunction, "function format() does not exist")
	}
	f, ok := stringConst(fc.Args[0])
	if !ok {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "format() in a system catalog query takes a constant format string")
	}
	args := fc.Args[1:]
	var parts []*pg_query.Node
	var lit strings.Builder
	next := 0
	call := func(name string, arg *pg_query.Node) *pg_query.Node {
		return pg_query.MakeFuncCallNode(macroName(name), []*pg_query.Node{arg}, -1)
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			lit.WriteByte(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unterminated format() type specifier")
		}
		if f[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		if next >= len(args) {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "too few arguments for format()")
		}
		if lit.Len() > 0 {
			parts = append(parts, pg_query.MakeAConstStrNode(lit.String(), -1))
			lit.Reset()
		}
		arg := args[next]
		next++
		switch f[i] {
		case 's':
			parts = append(parts, call("format_s", arg))
		case 'I':
			parts = append(parts, call("quote_ident", arg))
		case 'L':
			parts = append(parts, call("quote_nullable", arg))
		default:
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unrecognized format() type specifier %q", string(f[i]))
		}
	}
	if lit.Len() > 0 || len(parts) == 0 {
		parts = append(parts, pg_query.MakeAConstStrNode(lit.String(), -1))
	}
	return pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("concat")}, parts, -1), nil
}

// fromFunction rewrites a function in FROM that the engine has no table function for:
// pg_get_keywords() reads the emulation's keyword table, and a scalar function (pgjdbc's and
// Grafana's string_to_array(...) s) becomes the one-row derived table PostgreSQL makes of it.
func (c *catalogRewriter) fromFunction(n *pg_query.Node, rf *pg_query.RangeFunction) error {
	if len(rf.Functions) != 1 || rf.Ordinality || rf.IsRowsfrom {
		return nil
	}
	items := rf.Functions[0].GetList().GetItems()
	if len(items) == 0 || items[0].GetFuncCall() == nil {
		return nil
	}
	fc := items[0].GetFuncCall()
	schema, name := planner.FuncName(fc)
	if schema != "" && schema != "pg_catalog" {
		return nil
	}
	switch {
	case name == "pg_get_keywords" && len(fc.Args) == 0:
		alias := rf.Alias
		if alias == nil {
			alias = &pg_query.Alias{Aliasname: name}
		}
		n.Node = &pg_query.Node_RangeVar{RangeVar: &pg_query.RangeVar{Schemaname: "pg_catalog", Relname: name, Inh: true,
			Relpersistence: "p", Alias: alias, Location: -1}}
	case tableFunctions[name]:
	case name == "string_to_array" || name == "current_schemas" || name == "regexp_split_to_array" || name == "parse_ident":
		alias := rf.Alias
		if alias == nil {
			alias = &pg_query.Alias{Aliasname: name}
		}
		col := alias.Aliasname
		if len(alias.Colnames) == 1 {
			col = alias.Colnames[0].GetString_().GetSval()
		}
		sel := &pg_query.SelectStmt{
			TargetList:  []*pg_query.Node{pg_query.MakeResTargetNodeWithNameAndVal(col, &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}}, -1)},
			Op:          pg_query.SetOperation_SETOP_NONE,
			LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
		}
		n.Node = &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
			Lateral:  rf.Lateral,
			Subquery: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}},
			Alias:    &pg_query.Alias{Aliasname: alias.Aliasname},
		}}
	}
	return nil
}

// rewriteFunc turns a function call of a catalog query into what the engine evaluates: a call
// qualified by information_schema is one of its helpers (infoSchemaFunction), another schema
// than pg_catalog is refused, a session value (current_user, current_setting(...)) is answered
// by the planner, a function of funcRewrites is rewritten by its entry, and any other call
// names the emulation's macro or the engine's function (emulationName).
func (c *catalogRewriter) rewriteFunc(n *pg_query.Node, fc *pg_query.FuncCall) error {
	schema, name := planner.FuncName(fc)
	switch schema {
	case "information_schema":
		return c.infoSchemaFunction(n, fc, name)
	case "", "pg_catalog":
	default:
		return sqlerr.New(sqlerr.UndefinedFunction, "function %s.%s does not exist", schema, name)
	}
	if val, ok, err := c.q.SessionValue(name, fc.Args); ok {
		if err != nil {
			return err
		}
		n.Node = val.Node
		return nil
	}
	if rewrite := funcRewrites[name]; rewrite != nil {
		if done, err := rewrite(c, n, fc); done || err != nil {
			return err
		}
	}
	fc.Funcname = emulationName(fc, name)
	return nil
}

// emulationName is the name a call keeps on the engine: the emulation's pgc.<name> macro for a
// catalog function; the pg_catalog-qualified name for a call in SQL syntax (TRIM(BOTH ...),
// EXTRACT(... FROM ...), SUBSTRING(... FROM ...)), since the deparser writes the syntax back
// only for that name and the engine reads the syntax; else the unqualified name.
func emulationName(fc *pg_query.FuncCall, name string) []*pg_query.Node {
	switch {
	case catalogFunctions[name]:
		return macroName(name)
	case fc.Funcformat == pg_query.CoercionForm_COERCE_SQL_SYNTAX:
		return fc.Funcname
	}
	return []*pg_query.Node{pg_query.MakeStrNode(name)}
}

// macroName is the function name pgc.<name> of one of the emulation's DuckDB macros.
func macroName(name string) []*pg_query.Node {
	return []*pg_query.Node{pg_query.MakeStrNode("pgc"), pg_query.MakeStrNode(name)}
}

// funcRewrite rewrites one call of a catalog function in place (n is the call's node). done is
// false when the entry does not apply to this call (another number of arguments, a table
// function in FROM): the call is then named as any other (emulationName).
type funcRewrite func(c *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (done bool, err error)

// funcRewrites are the catalog functions the engine has no macro for, by name.
var funcRewrites = map[string]funcRewrite{
	"pg_get_userbyid":        rewriteUserByID,
	"obj_description":        rewriteObjDescription,
	"col_description":        rewriteColDescription,
	"format":                 rewriteFormat,
	"to_regtype":             rewriteToReg,
	"to_regclass":            rewriteToReg,
	"to_regnamespace":        rewriteToReg,
	"json_build_object":      rewriteJSONBuildObject,
	"pg_partition_ancestors": rewritePartitionAncestors,
	"generate_series":        rewriteSelectListSeries,
	"regexp_split_to_table":  rewriteSplitToTable,
	"shobj_description":      rewriteShobjDescription,
	"pg_get_constraintdef":   rewriteConstraintDef,
	"pg_get_indexdef":        rewriteIndexDef,
}

// replaceWith puts expr in the place of the call n unless building it failed.
func replaceWith(n, expr *pg_query.Node, err error) (bool, error) {
	if err != nil {
		return true, err
	}
	n.Node = expr.Node
	return true, nil
}

// rewriteUserByID answers pg_get_userbyid with the session's role name: the only role here.
func rewriteUserByID(c *catalogRewriter, n *pg_query.Node, _ *pg_query.FuncCall) (bool, error) {
	c.q.UsesSession()
	n.Node = pg_query.MakeAConstStrNode(c.q.Session().User, -1).Node
	return true, nil
}

// rewriteObjDescription reads an object's comment from pg_description; the class argument, when
// given, is not needed to find it.
func rewriteObjDescription(_ *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	if len(fc.Args) < 1 {
		return false, nil
	}
	expr, err := template("(SELECT _rd.description FROM pg_catalog.pg_description _rd WHERE _rd.objoid = $1 AND _rd.objsubid = 0 ORDER BY _rd.classoid LIMIT 1)", fc.Args[0])
	return replaceWith(n, expr, err)
}

// rewriteColDescription reads a column's comment from pg_description.
func rewriteColDescription(_ *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	if len(fc.Args) != 2 {
		return false, nil
	}
	expr, err := template("(SELECT _rd.description FROM pg_catalog.pg_description _rd WHERE _rd.objoid = $1 AND _rd.objsubid = $2 AND _rd.classoid = 1259)", fc.Args[0], fc.Args[1])
	return replaceWith(n, expr, err)
}

// rewriteFormat expands format() into a concatenation (formatCall).
func rewriteFormat(_ *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	expr, err := formatCall(fc)
	return replaceWith(n, expr, err)
}

// toRegTypes are the reg* types the to_reg* functions cast their argument to.
var toRegTypes = map[string]string{"to_regtype": "regtype", "to_regclass": "regclass", "to_regnamespace": "regnamespace"}

// rewriteToReg rewrites to_regtype('int4') and its siblings as the reg* cast of their constant
// argument.
func rewriteToReg(c *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	if len(fc.Args) != 1 {
		return false, nil
	}
	_, name := planner.FuncName(fc)
	if _, ok := stringConst(fc.Args[0]); !ok {
		return true, sqlerr.New(sqlerr.FeatureNotSupported, "%s in a system catalog query takes a constant", name)
	}
	cast := typeCast(fc.Args[0], toRegTypes[name])
	if err := c.rewriteCast(cast, cast.GetTypeCast()); err != nil {
		return true, err
	}
	return replaceWith(n, cast, nil)
}

// rewriteJSONBuildObject calls the engine's json_object, which takes the same key/value list.
func rewriteJSONBuildObject(_ *catalogRewriter, _ *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("json_object")}
	return true, nil
}

// rewritePartitionAncestors: no relation here is a partition, so a relation is its only
// ancestor. The argument is a regclass ('16417' or a name).
func rewritePartitionAncestors(c *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	if len(fc.Args) != 1 {
		return false, nil
	}
	rel := fc.Args[0]
	if _, ok := stringConst(rel); ok {
		rel = typeCast(fc.Args[0], "regclass")
		if err := c.rewriteCast(rel, rel.GetTypeCast()); err != nil {
			return true, err
		}
	}
	expr, err := template("unnest(ARRAY[$1])", rel)
	return replaceWith(n, expr, err)
}

// rewriteSelectListSeries: a set-returning generate_series in the select list, where the
// engine's generate_series is a list. In FROM it is the engine's table function as it is.
func rewriteSelectListSeries(c *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	if c.inFrom[fc] {
		return false, nil
	}
	sql := "unnest(generate_series($1, $2))"
	if len(fc.Args) == 3 {
		sql = "unnest(generate_series($1, $2, $3))"
	}
	expr, err := template(sql, fc.Args...)
	return replaceWith(n, expr, err)
}

// rewriteSplitToTable: regexp_split_to_table is the engine's regexp_split_to_array unnested, in
// the select list (pgcli's casing query) and in FROM. Flags, when given, are passed on.
func rewriteSplitToTable(_ *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	var sql string
	switch len(fc.Args) {
	case 2:
		sql = "unnest(regexp_split_to_array($1, $2))"
	case 3:
		sql = "unnest(regexp_split_to_array($1, $2, $3))"
	default:
		return false, nil
	}
	expr, err := template(sql, fc.Args...)
	return replaceWith(n, expr, err)
}

// rewriteShobjDescription: shared objects (databases, roles, tablespaces) have no comments here.
func rewriteShobjDescription(_ *catalogRewriter, n *pg_query.Node, _ *pg_query.FuncCall) (bool, error) {
	n.Node = &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}
	return true, nil
}

// rewriteConstraintDef reads a key's definition ("PRIMARY KEY (id)", "FOREIGN KEY (a)
// REFERENCES t(b)") from pg_constraint's hidden setu_def, under pg_constraint's scope filter:
// a constraint out of the key's scope has no definition. SQLAlchemy parses foreign keys from it;
// psql \d prints it. The pretty-print flag changes nothing for these definitions.
//
// The argument stays outside the sub-selects (pgc.key_def looks it up in their lists): inside
// one, an unqualified argument such as psql's pg_get_constraintdef(oid, true) would bind to the
// sub-select's own table.
func rewriteConstraintDef(c *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	if len(fc.Args) < 1 || len(fc.Args) > 2 {
		return false, nil
	}
	expr, err := template(`pgc.key_def((SELECT array_agg(_rk.oid ORDER BY _rk.oid) FROM pg_catalog.pg_constraint _rk),
		(SELECT array_agg(_rk.setu_def ORDER BY _rk.oid) FROM pg_catalog.pg_constraint _rk), $1)`, fc.Args[0])
	c.readsDefinitions(expr, "setu_def", fc.Args...)
	return replaceWith(n, expr, err)
}

// rewriteIndexDef reads a key index's definition from pg_index's hidden setu_defs, the CREATE
// INDEX statement followed by the index's column names: pg_get_indexdef(oid) and
// pg_get_indexdef(oid, 0, pretty) are the statement, pg_get_indexdef(oid, k, pretty) the k-th
// column. The arguments stay outside the sub-selects, as in rewriteConstraintDef.
func rewriteIndexDef(c *catalogRewriter, n *pg_query.Node, fc *pg_query.FuncCall) (bool, error) {
	col := pg_query.MakeAConstIntNode(0, -1)
	switch len(fc.Args) {
	case 1:
	case 3:
		col = fc.Args[1]
	default:
		return false, nil
	}
	expr, err := template(`pgc.index_def((SELECT array_agg(_rx.indexrelid ORDER BY _rx.indexrelid) FROM pg_catalog.pg_index _rx),
		(SELECT array_agg(_rx.setu_defs ORDER BY _rx.indexrelid) FROM pg_catalog.pg_index _rx), $1, $2)`, fc.Args[0], col)
	c.readsDefinitions(expr, "setu_defs", fc.Args...)
	return replaceWith(n, expr, err)
}

// readsDefinitions marks the system table references of a definition lookup's template as
// reading the hidden column col; those of its arguments, the client's, are not marked.
func (c *catalogRewriter) readsDefinitions(expr *pg_query.Node, col string, args ...*pg_query.Node) {
	if expr == nil {
		return
	}
	client := map[*pg_query.RangeVar]bool{}
	for _, a := range args {
		sqlast.Walk(a, func(n *pg_query.Node) bool {
			if rv := n.GetRangeVar(); rv != nil {
				client[rv] = true
			}
			return true
		})
	}
	sqlast.Walk(expr, func(n *pg_query.Node) bool {
		if rv := n.GetRangeVar(); rv != nil && !client[rv] {
			c.definitions[rv] = append(c.definitions[rv], col)
		}
		return true
	})
}

// castTextArray is CAST(x AS VARCHAR[]).
func castTextArray(x *pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg: x,
		TypeName: &pg_query.TypeName{
			Names:       []*pg_query.Node{pg_query.MakeStrNode("varchar")},
			ArrayBounds: []*pg_query.Node{{Node: &pg_query.Node_Integer{Integer: &pg_query.Integer{Ival: -1}}}},
			Typemod:     -1,
			Location:    -1,
		},
		Location: -1,
	}}}
}
