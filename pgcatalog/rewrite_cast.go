package pgcatalog

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// rewriteCast turns a cast of a catalog query into one the engine evaluates. The steps run in
// this order, each ending the rewrite when it applies: information_schema domains become their
// base type; array casts (castToArray); a reg* cast of an oid literal is that oid; the scalar
// types the engine spells differently are renamed (scalarCastTypes); a reg* cast becomes a
// lookup in a catalog table (regLookups). Any other cast is left as written.
func (c *catalogRewriter) rewriteCast(n *pg_query.Node, tc *pg_query.TypeCast) error {
	tn := tc.TypeName
	if tn == nil || len(tn.Names) == 0 {
		return nil
	}
	name := unqualifyBuiltinType(tn)
	if isInfoSchemaDomain(tn) {
		setTypeName(tn, infoSchemaDomainBase(name))
		return nil
	}
	if len(tn.ArrayBounds) > 0 {
		return castToArray(n, tc, name)
	}
	if oid, ok := regOIDLiteral(tc.Arg, name); ok {
		// '16384'::regclass is the relation with that oid.
		n.Node = pg_query.MakeAConstIntNode(oid, -1).Node
		return nil
	}
	if engineType, ok := scalarCastTypes[name]; ok {
		setTypeName(tn, engineType)
		return nil
	}
	lookup := regLookups[name]
	if lookup == nil {
		return nil
	}
	expr, err := lookup(tc.Arg)
	if err != nil {
		return err
	}
	n.Node = expr.Node
	return nil
}

// unqualifyBuiltinType drops a pg_catalog qualifier from a cast's type name (the engine knows
// PostgreSQL's built-in type names unqualified) and returns the type's name in lower case.
func unqualifyBuiltinType(tn *pg_query.TypeName) string {
	name := strings.ToLower(tn.Names[len(tn.Names)-1].GetString_().GetSval())
	if len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() == "pg_catalog" {
		tn.Names = tn.Names[1:]
	}
	return name
}

// setTypeName makes a cast's type the unqualified engine type t.
func setTypeName(tn *pg_query.TypeName, t string) {
	tn.Names = []*pg_query.Node{pg_query.MakeStrNode(t)}
}

// typeCast is the cast arg::typeName, as the parser would build it for an unqualified type.
func typeCast(arg *pg_query.Node, typeName string) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{Arg: arg,
		TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode(typeName)}, Typemod: -1, Location: -1}, Location: -1}}}
}

// isInfoSchemaDomain reports whether a cast's type is one of information_schema's domains.
func isInfoSchemaDomain(tn *pg_query.TypeName) bool {
	return len(tn.Names) == 2 && tn.Names[0].GetString_().GetSval() == "information_schema"
}

// infoSchemaDomainBase is the built-in type an information_schema domain is declared over.
func infoSchemaDomainBase(name string) string {
	switch name {
	case "cardinal_number":
		return "int8"
	case "time_stamp":
		return "timestamptz"
	}
	return "text" // character_data, sql_identifier, yes_or_no
}

// arrayCastTypes are the engine's element types for the array casts it spells differently; other
// array casts are left as written.
var arrayCastTypes = map[string]string{
	"name": "text", "char": "text", "bpchar": "text", "text": "text", "varchar": "text",
	"oid": "int8", "regtype": "int8", "regclass": "int8", "int2": "int8",
}

// castToArray rewrites a cast to an array type: a string literal ('{r,p,f}'::char[]) is an array
// literal and becomes ARRAY[...] of its elements; otherwise the element type is renamed.
func castToArray(n *pg_query.Node, tc *pg_query.TypeCast, name string) error {
	lit, ok := stringConst(tc.Arg)
	if !ok {
		if oidArrays[name] {
			return castToOIDArray(n, tc, name)
		}
		if engineType, ok := arrayCastTypes[name]; ok {
			setTypeName(tc.TypeName, engineType)
		}
		return nil
	}
	elems, ok := arrayLiteral(lit)
	if !ok {
		return sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", lit)
	}
	n.Node = arrayExpr(elems, arrayElemType(name)).Node
	return nil
}

// oidArrays are the array types whose elements are oids.
var oidArrays = map[string]bool{"oid": true, "regtype": true, "regclass": true, "regproc": true, "regprocedure": true, "regnamespace": true}

// castToOIDArray rewrites a cast of a column to an oid array: the column may hold an oidvector's
// text (pg_proc.proargtypes, "23 25"), which the engine cannot cast to a list, so it is read by
// pgc.oid_vector. A regtype[] shows the types' names (pgc.regtype_array); the other reg* arrays
// show oids.
func castToOIDArray(n *pg_query.Node, tc *pg_query.TypeCast, name string) error {
	sql := "pgc.oid_vector($1)"
	if name == "regtype" {
		sql = "pgc.regtype_array(pgc.oid_vector($1))"
	}
	expr, err := template(sql, tc.Arg)
	if err != nil {
		return err
	}
	n.Node = expr.Node
	return nil
}

// regTypes are the reg* types whose values are oids, so a cast of an oid literal is that oid.
var regTypes = map[string]bool{
	"regclass": true, "regtype": true, "regproc": true, "regprocedure": true, "regnamespace": true, "regrole": true,
}

// regOIDLiteral is the oid a reg* cast of a numeric string literal ('16384'::regclass) stands for.
func regOIDLiteral(arg *pg_query.Node, typeName string) (int64, bool) {
	lit, isLit := stringConst(arg)
	if !isLit || !regTypes[typeName] {
		return 0, false
	}
	return oidLiteral(lit)
}

// oidLiteral reads '16384' (a reg* cast of a number) as an oid.
func oidLiteral(s string) (int64, bool) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return v, err == nil && v >= 0
}

// scalarCastTypes are the engine types of the scalar casts the engine spells differently. Oids
// and the regrole values are integers here (no role has an oid of its own); names and
// characters are text.
var scalarCastTypes = map[string]string{
	"oid": "int8", "xid": "int8", "cid": "int8", "regrole": "int8",
	"name": "text", "char": "text", "bpchar": "text",
}

// regLookups rewrite a cast to a reg* type, by type name, into a lookup in the catalog table of
// that type's objects: a name (a string literal, or for regclass a text expression) is looked up
// as the object's oid, an oid as the object's name. A literal is looked up in a sub-select; an
// expression stays outside the sub-selects (lookupBy), so that an unqualified column of the
// client's query (psql's "oid::regclass" over its own pg_class) cannot bind to the lookup's
// table. The lookups' aliases start with an underscore for the same reason.
var regLookups = map[string]func(arg *pg_query.Node) (*pg_query.Node, error){
	"regproc":      regprocLookup,
	"regprocedure": regprocLookup,
	"regclass":     regclassLookup,
	"regtype":      regtypeLookup,
	"regnamespace": regnamespaceLookup,
}

// lookupBy is the value column of table (alias _rl) in the row whose key column equals arg,
// built as pgc.oid_lookup over the two columns listed in key order: arg is evaluated in the
// query around the cast, never inside a sub-select. An oid key is looked up by pgc.oid_name,
// which reads an argument that is no number as no oid (NULL) rather than failing to bind.
func lookupBy(table, key, value string, arg *pg_query.Node) (*pg_query.Node, error) {
	macro := "pgc.oid_lookup"
	if key == "oid" {
		macro = "pgc.oid_name"
	}
	return template(macro+"((SELECT array_agg(_rl."+key+" ORDER BY _rl.oid) FROM pg_catalog."+table+" _rl), "+
		"(SELECT array_agg(_rl."+value+" ORDER BY _rl.oid) FROM pg_catalog."+table+" _rl), $1)", arg)
}

// regprocLookup: the regproc columns (typinput, typreceive, ...) hold pg_proc oids; an oid shown
// as a regproc is the function's name.
func regprocLookup(arg *pg_query.Node) (*pg_query.Node, error) {
	lit, ok := stringConst(arg)
	if !ok {
		return lookupBy("pg_proc", "oid", "proname", arg)
	}
	// 'pg_catalog.int4in(cstring)' names the function int4in.
	if i := strings.LastIndexByte(lit, '.'); i >= 0 {
		lit = lit[i+1:]
	}
	if i := strings.IndexByte(lit, '('); i >= 0 {
		lit = lit[:i]
	}
	return template("(SELECT min(_rp.oid) FROM pg_catalog.pg_proc _rp WHERE _rp.proname = $1)", pg_query.MakeAConstStrNode(lit, -1))
}

// regclassLookup: a relation name, literal or computed as text, is looked up as its oid; an oid
// is shown as the relation's name. A system catalog's name ('pg_class'::regclass, which pgjdbc
// and DBeaver compare pg_description.classoid with) is its PostgreSQL oid.
func regclassLookup(arg *pg_query.Node) (*pg_query.Node, error) {
	if lit, ok := stringConst(arg); ok {
		if oid, ok := systemRelationOID(lit); ok {
			return pg_query.MakeAConstIntNode(oid, -1), nil
		}
		return template("(SELECT _rc.oid FROM pg_catalog.pg_class _rc WHERE _rc.relname = $1)", pg_query.MakeAConstStrNode(relationName(lit), -1))
	}
	if textRelation(arg) || nameColumn(arg) {
		name, err := template("pgc.relation_name($1)", arg)
		if err != nil {
			return nil, err
		}
		return lookupBy("pg_class", "relname", "oid", name)
	}
	return lookupBy("pg_class", "oid", "relname", arg)
}

// regtypeLookup: a type name as SQL spells it is looked up as its oid; an oid is shown as
// format_type shows it.
func regtypeLookup(arg *pg_query.Node) (*pg_query.Node, error) {
	if lit, ok := stringConst(arg); ok {
		return template("(SELECT _rt.oid FROM pg_catalog.pg_type _rt WHERE _rt.typname = $1)", pg_query.MakeAConstStrNode(regtypeName(lit), -1))
	}
	if nameColumn(arg) {
		return lookupBy("pg_type", "typname", "oid", arg)
	}
	return template("pgc.format_type($1, NULL)", arg)
}

// regnamespaceLookup: a schema name is looked up as its oid; an oid is shown as the schema's name.
func regnamespaceLookup(arg *pg_query.Node) (*pg_query.Node, error) {
	if lit, ok := stringConst(arg); ok {
		return template("(SELECT _rn.oid FROM pg_catalog.pg_namespace _rn WHERE _rn.nspname = $1)", pg_query.MakeAConstStrNode(relationName(lit), -1))
	}
	return lookupBy("pg_namespace", "oid", "nspname", arg)
}

// systemRelationOIDs are the oids PostgreSQL 15 gives its system catalogs (fixed in its source,
// the same on every server). The emulation lists no pg_class row for them; a reg* cast of their
// name is still answered, since clients use it to name a class of objects.
var systemRelationOIDs = map[string]int64{
	"pg_class": 1259, "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_namespace": 2615,
	"pg_constraint": 2606, "pg_index": 2610, "pg_description": 2609, "pg_database": 1262,
	"pg_authid": 1260, "pg_am": 2601, "pg_trigger": 2620, "pg_attrdef": 2604, "pg_rewrite": 2618,
	"pg_inherits": 2611, "pg_depend": 2608, "pg_extension": 3079, "pg_collation": 3456,
	"pg_tablespace": 1213, "pg_language": 2612, "pg_operator": 2617, "pg_cast": 2605, "pg_enum": 3501,
	"pg_sequence": 2224, "pg_range": 3541, "pg_policy": 3256, "pg_statistic_ext": 3381,
	"pg_publication": 6104, "pg_foreign_table": 3118, "pg_event_trigger": 3466, "pg_shdescription": 2396,
	"pg_opclass": 2616, "pg_aggregate": 2600, "pg_largeobject": 2613, "pg_auth_members": 1261,
}

// systemRelationOID is the oid of the system catalog a regclass literal names, unqualified or
// qualified by pg_catalog.
func systemRelationOID(lit string) (int64, bool) {
	if i := strings.LastIndexByte(lit, '.'); i >= 0 && strings.ToLower(strings.TrimSpace(lit[:i])) != "pg_catalog" {
		return 0, false
	}
	oid, ok := systemRelationOIDs[relationName(lit)]
	return oid, ok
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

// sqlTypeSpellings are the multi-word SQL spellings of types the planner's map does not hold.
var sqlTypeSpellings = map[string]string{
	"double precision":            "float8",
	"character varying":           "varchar",
	"timestamp without time zone": "timestamp",
	"timestamp with time zone":    "timestamptz",
	"character":                   "bpchar",
}

// regtypeName maps the SQL spelling of a type to its pg_type name.
func regtypeName(s string) string {
	s = relationName(s)
	if t, ok := planner.TypeNameOf(s); ok {
		return t
	}
	if t, ok := sqlTypeSpellings[s]; ok {
		return t
	}
	return s
}

// textFunctions return text: a regclass cast of their result looks a relation up by name
// (SQLAlchemy's pg_get_serial_sequence(...)::regclass).
var textFunctions = map[string]bool{"concat": true, "format": true, "pg_get_serial_sequence": true,
	"quote_ident": true, "lower": true, "upper": true, "btrim": true}

// regNameColumns are the catalog columns of type name that hold a relation's or a type's name; a
// reg* cast of one (psql's and pgcli's relname::regclass, typname::regtype) looks the object up
// by name, as PostgreSQL reads a name cast to a reg* type.
var regNameColumns = map[string]bool{"relname": true, "typname": true, "tablename": true, "table_name": true, "viewname": true}

// nameColumn reports whether n is a reference to one of regNameColumns.
func nameColumn(n *pg_query.Node) bool {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return false
	}
	return regNameColumns[cr.Fields[len(cr.Fields)-1].GetString_().GetSval()]
}

// textRelation reports whether a regclass cast's operand is text rather than an oid: a
// concatenation, a format() or a text cast; the relation is then looked up by name.
func textRelation(n *pg_query.Node) bool {
	switch v := n.Node.(type) {
	case *pg_query.Node_FuncCall:
		_, name := planner.FuncName(v.FuncCall)
		return textFunctions[name]
	case *pg_query.Node_TypeCast:
		name := strings.ToLower(v.TypeCast.TypeName.GetNames()[len(v.TypeCast.TypeName.GetNames())-1].GetString_().GetSval())
		return name == "text" || name == "varchar"
	case *pg_query.Node_AExpr:
		return len(v.AExpr.Name) == 1 && v.AExpr.Name[0].GetString_().GetSval() == "||"
	}
	return false
}
