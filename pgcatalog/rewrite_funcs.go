package pgcatalog

import (
	"strconv"
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
			item = &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
				Arg: item, TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode(elemType)}, Typemod: -1, Location: -1}, Location: -1}}}
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
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("pgc"), pg_query.MakeStrNode(name)}
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
		return pg_query.MakeFuncCallNode([]*pg_query.Node{pg_query.MakeStrNode("pgc"), pg_query.MakeStrNode(name)}, []*pg_query.Node{arg}, -1)
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

// oidLiteral reads '16384' (a reg* cast of a number) as an oid.
func oidLiteral(s string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return v, err == nil && v >= 0
}

// textRelation reports whether a regclass cast's operand is text rather than an oid: a
// concatenation, a format() or a text cast; the relation is then looked up by name.
func textRelation(n *pg_query.Node) bool {
	switch v := n.Node.(type) {
	case *pg_query.Node_FuncCall:
		_, name := planner.FuncName(v.FuncCall)
		return name == "concat" || name == "format"
	case *pg_query.Node_TypeCast:
		name := strings.ToLower(v.TypeCast.TypeName.GetNames()[len(v.TypeCast.TypeName.GetNames())-1].GetString_().GetSval())
		return name == "text" || name == "varchar"
	case *pg_query.Node_AExpr:
		return len(v.AExpr.Name) == 1 && v.AExpr.Name[0].GetString_().GetSval() == "||"
	}
	return false
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
