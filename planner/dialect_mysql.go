package planner

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// The MySQL dialect: MySQL 8 and MariaDB 10.5+, written so that the distributed engines of
// the same wire (TiDB, StarRocks, Doris, SingleStore) accept it too. PostgreSQL's deparser
// cannot write MySQL, so a statement on a mysql source is written here from the planned tree
// by a deparser of its own. It knows a closed set of nodes and functions; anything else is
// refused with 0A000 naming the engine and the construct, never sent in PostgreSQL's spelling
// for the server to read differently.
//
// What the spelling relies on, and what it therefore rules out:
//   - Identifiers in backticks; strings in single quotes with only the quote doubled, which
//     is exact because engine/mysql pins sql_mode NO_BACKSLASH_ESCAPES on every connection.
//   - PostgreSQL's NULL ordering (last ascending, first descending) is spelled with a leading
//     "x IS NULL" key, as no MySQL-wire engine has NULLS FIRST/LAST.
//   - "||" is CONCAT (PIPES_AS_CONCAT is not portable); concat() is CONCAT_WS('', ...), which
//     skips NULLs as PostgreSQL's concat does.
//   - Integer division is DIV; a derived metric's ratio is computed as DOUBLE (x + 0E0), as
//     MySQL's decimal division keeps only div_precision_increment digits.
//   - date_trunc is DATE_FORMAT/MAKEDATE arithmetic; time zones other than UTC (the session
//     zone pinned by engine/mysql) are refused, since CONVERT_TZ needs the server's zone tables.
//   - Casts: to SIGNED, DECIMAL(p,s), DOUBLE via arithmetic, CHAR, DATE and DATETIME. MySQL
//     reads a malformed text as 0 or NULL with a warning where PostgreSQL raises an error, so a
//     cast of text to a number or a date is refused unless it is of a literal checked here.
//   - Window functions are written for MySQL 8 / MariaDB 10.2+; named windows, GROUPS frames,
//     EXCLUDE and RANGE offsets are not.
//   - Not written, so refused:
//     GROUPING SETS/ROLLUP/CUBE (WITH ROLLUP differs), DISTINCT ON, LATERAL, FULL JOIN,
//     NATURAL JOIN, recursive CTEs, ANY/ALL over arrays, ILIKE ... ESCAPE, greatest/least
//     (NULL handling differs), to_char/to_date formats, and parameters used out of order (the
//     wire's "?" binds by position).
//   - Text comparisons (=, <>, <, IN, BETWEEN, LIKE) are byte-exact: string literals and text
//     parameters in them are binary strings, as MySQL's default collations ignore case and
//     trailing spaces, and a tenant filter must not.
//   - LIMIT and OFFSET take only integer literals or "?": constant counts are checked here
//     with PostgreSQL's SQLSTATEs, other expressions refused.
//   - Division by zero yields NULL on MySQL-wire engines where PostgreSQL raises 22012.
//
// Boolean result columns come back from MySQL as integers; their engine aliases carry the
// prefix MySQLBoolPrefix so that engine/mysql reads them as booleans.

// MySQLBoolPrefix starts the engine alias of a boolean result column in MySQL engine SQL.
const MySQLBoolPrefix = "setu_bool_"

// mysqlRules is MySQL's rules table (see dialect.go).
var mysqlRules = []dialectRule{
	{"integer division", func(f *dialectFixes) {
		for _, e := range f.intDivisions {
			e.Name = []*pg_query.Node{pg_query.MakeStrNode("DIV")}
		}
	}},
	{"true division in derived metrics", func(f *dialectFixes) {
		for _, d := range f.derivedDivisions {
			d.expr.Lexpr = mysqlCast(d.expr.Lexpr, d.typ)
		}
	}},
	{"round of a double", func(f *dialectFixes) {
		for _, fc := range f.rounds {
			fc.Args[0] = mysqlCast(fc.Args[0], pgtypes.Numeric)
		}
	}},
}

// mysqlCastLocation marks the casts the rules above write: their operand is a number (a
// ratio's dividend, round's double), so they are written whatever the operand is, where a
// client's cast of an expression to a number is refused (see the notes above).
const mysqlCastLocation = -2

// mysqlCast is the dialect's cast of a number to t: DOUBLE or DECIMAL(65,30), the widest
// exact type every MySQL-wire engine has.
func mysqlCast(x *pg_query.Node, t pgtypes.Type) *pg_query.Node {
	n := castTo(x, t)
	n.GetTypeCast().Location = mysqlCastLocation
	return n
}

// mysqlGuards spell the value-size guards in MySQL. MySQL has no error function usable in a
// SELECT, so the guard cannot be written; refusing the growth calls is left to the streamed
// check of each value's size.

// deparseMySQL is the deparse pass for mysql sources.
func deparseMySQL(s *planState) error {
	sel := s.root.GetSelectStmt()
	if sel == nil {
		return mysqlUnsupported("a statement other than SELECT")
	}
	d := &mysqlWriter{boolCols: map[int]bool{}, paramTypes: s.params.list()}
	for i, c := range s.cols {
		if c.Type.OID == pgtypes.Bool.OID {
			d.boolCols[i] = true
		}
	}
	for rv := range s.physical {
		if rv.Schemaname == "" {
			d.physical = append(d.physical, strings.ToLower(rv.Relname))
		}
	}
	if err := d.selectStmt(sel, true); err != nil {
		return err
	}
	s.sql = d.b.String()
	return nil
}

func mysqlUnsupported(what string) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported on mysql sources", what).
		WithHint("the MySQL dialect of the gateway does not write it; see docs/engines.md")
}

// mysqlWriter writes one statement.
type mysqlWriter struct {
	b strings.Builder
	// boolCols are the top-level result columns of type boolean, by position.
	boolCols map[int]bool
	// physical are the unqualified source tables; no CTE may shadow them.
	physical []string
	// nextParam is the number the next "?" binds.
	nextParam int32
	// paramTypes are the types of $1..$n: a text parameter compares byte-exactly too.
	paramTypes []pgtypes.Type
	// exact is set while writing the operands of a comparison: string literals are then
	// written as binary strings, so the comparison is byte-exact whatever the column's
	// collation (MySQL's defaults ignore case and trailing spaces; a tenant filter must not).
	exact bool
}

// operand writes n as a comparison's operand.
func (d *mysqlWriter) operand(n *pg_query.Node) error {
	was := d.exact
	d.exact = true
	err := d.expr(n)
	d.exact = was
	return err
}

func (d *mysqlWriter) w(parts ...string) {
	for _, p := range parts {
		d.b.WriteString(p)
	}
}

// ident writes a quoted identifier.
func (d *mysqlWriter) ident(name string) {
	d.w("`", strings.ReplaceAll(name, "`", "``"), "`")
}

// str writes a string literal.
func (d *mysqlWriter) str(v string) {
	d.w("'", strings.ReplaceAll(v, "'", "''"), "'")
}

func (d *mysqlWriter) selectStmt(s *pg_query.SelectStmt, top bool) error {
	if s.WithClause != nil {
		if err := d.with(s.WithClause); err != nil {
			return err
		}
	}
	if s.Op != pg_query.SetOperation_SETOP_NONE {
		return d.setOp(s, top)
	}
	if len(s.ValuesLists) > 0 {
		return mysqlUnsupported("VALUES")
	}
	if s.IntoClause != nil || len(s.LockingClause) > 0 || s.WindowClause != nil {
		return mysqlUnsupported("SELECT INTO, FOR UPDATE or WINDOW")
	}
	d.w("SELECT ")
	if len(s.DistinctClause) > 0 {
		if len(s.DistinctClause) != 1 || s.DistinctClause[0].GetNode() != nil {
			return mysqlUnsupported("DISTINCT ON")
		}
		d.w("DISTINCT ")
	}
	if err := d.targets(s.TargetList, top); err != nil {
		return err
	}
	if len(s.FromClause) > 0 {
		d.w(" FROM ")
		if err := d.list(s.FromClause, d.fromItem); err != nil {
			return err
		}
	}
	if err := d.clause(" WHERE ", s.WhereClause); err != nil {
		return err
	}
	if len(s.GroupClause) > 0 {
		if s.GroupDistinct {
			return mysqlUnsupported("GROUP BY DISTINCT")
		}
		d.w(" GROUP BY ")
		if err := d.list(s.GroupClause, d.groupItem); err != nil {
			return err
		}
	}
	if err := d.clause(" HAVING ", s.HavingClause); err != nil {
		return err
	}
	return d.tail(s, s.TargetList)
}

// tail writes ORDER BY and LIMIT/OFFSET.
func (d *mysqlWriter) tail(s *pg_query.SelectStmt, targets []*pg_query.Node) error {
	if len(s.SortClause) > 0 {
		d.w(" ORDER BY ")
		for i, n := range s.SortClause {
			if i > 0 {
				d.w(", ")
			}
			if err := d.sortBy(n.GetSortBy(), targets); err != nil {
				return err
			}
		}
	}
	if s.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES {
		return mysqlUnsupported("FETCH ... WITH TIES")
	}
	if s.LimitCount == nil && s.LimitOffset == nil {
		return nil
	}
	d.w(" LIMIT ")
	if s.LimitCount != nil && !s.LimitCount.GetAConst().GetIsnull() {
		if err := d.rowCount(s.LimitCount, "LIMIT"); err != nil {
			return err
		}
	} else {
		// MySQL has no OFFSET without LIMIT; this is its documented "no limit".
		d.w("18446744073709551615")
	}
	if s.LimitOffset == nil || s.LimitOffset.GetAConst().GetIsnull() {
		return nil
	}
	d.w(" OFFSET ")
	return d.rowCount(s.LimitOffset, "OFFSET")
}

// rowCount writes a LIMIT or OFFSET count. MySQL takes only an integer literal or a parameter
// there; the checks PostgreSQL makes on a constant count are made here, with its SQLSTATEs.
func (d *mysqlWriter) rowCount(n *pg_query.Node, clause string) error {
	if n.GetParamRef() != nil {
		return d.expr(n)
	}
	c := n.GetAConst()
	var v int64
	switch {
	case c != nil && c.GetIval() != nil:
		v = int64(c.GetIval().GetIval())
	case c != nil && c.GetSval() != nil:
		var err error
		if v, err = strconv.ParseInt(strings.TrimSpace(c.GetSval().GetSval()), 10, 64); err != nil {
			return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type bigint: %q", c.GetSval().GetSval())
		}
	default:
		return mysqlUnsupported(clause + " with an expression")
	}
	if v < 0 {
		code := sqlerr.InvalidRowCountInLimitClause
		if clause == "OFFSET" {
			code = sqlerr.InvalidRowCountInResultOffset
		}
		return sqlerr.New(code, "%s must not be negative", clause)
	}
	d.w(strconv.FormatInt(v, 10))
	return nil
}

func (d *mysqlWriter) clause(kw string, n *pg_query.Node) error {
	if n == nil {
		return nil
	}
	d.w(kw)
	return d.expr(n)
}

func (d *mysqlWriter) list(items []*pg_query.Node, f func(*pg_query.Node) error) error {
	for i, n := range items {
		if i > 0 {
			d.w(", ")
		}
		if err := f(n); err != nil {
			return err
		}
	}
	return nil
}

func (d *mysqlWriter) with(wc *pg_query.WithClause) error {
	if wc.Recursive {
		return mysqlUnsupported("WITH RECURSIVE")
	}
	d.w("WITH ")
	for i, n := range wc.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil || cte.Ctematerialized != pg_query.CTEMaterialize_CTEMaterializeDefault {
			return mysqlUnsupported("a MATERIALIZED CTE")
		}
		for _, p := range d.physical {
			if strings.EqualFold(p, cte.Ctename) {
				return mysqlUnsupported("a CTE named like a source table (" + cte.Ctename + ")")
			}
		}
		if i > 0 {
			d.w(", ")
		}
		d.ident(cte.Ctename)
		if len(cte.Aliascolnames) > 0 {
			d.w(" (")
			d.names(cte.Aliascolnames)
			d.w(")")
		}
		d.w(" AS (")
		q := cte.Ctequery.GetSelectStmt()
		if q == nil {
			return mysqlUnsupported("a CTE other than SELECT")
		}
		if err := d.selectStmt(q, false); err != nil {
			return err
		}
		d.w(")")
	}
	d.w(" ")
	return nil
}

func (d *mysqlWriter) names(ns []*pg_query.Node) {
	for i, n := range ns {
		if i > 0 {
			d.w(", ")
		}
		d.ident(n.GetString_().GetSval())
	}
}

func (d *mysqlWriter) setOp(s *pg_query.SelectStmt, top bool) error {
	op := map[pg_query.SetOperation]string{
		pg_query.SetOperation_SETOP_UNION:     " UNION ",
		pg_query.SetOperation_SETOP_INTERSECT: " INTERSECT ",
		pg_query.SetOperation_SETOP_EXCEPT:    " EXCEPT ",
	}[s.Op]
	if s.All {
		op += "ALL "
	} else {
		op += "DISTINCT "
	}
	wrap := len(s.SortClause) > 0
	var outer []*pg_query.Node
	if wrap {
		// The NULL-order keys are expressions, which MySQL does not take in a set
		// operation's ORDER BY: the operation becomes a derived table ordered outside, by
		// the first branch's column names.
		var err error
		if outer, err = d.setColumns(s, top); err != nil {
			return err
		}
		d.w("SELECT * FROM (")
	}
	d.w("(")
	if err := d.selectStmt(s.Larg, top); err != nil {
		return err
	}
	d.w(")", op, "(")
	if err := d.selectStmt(s.Rarg, false); err != nil {
		return err
	}
	d.w(")")
	if wrap {
		d.w(") AS `setu_set`")
	}
	return d.tail(s, outer)
}

// setColumns are the output columns of a set operation as references to the names its first
// branch gives them, for ordering the operation from outside.
func (d *mysqlWriter) setColumns(s *pg_query.SelectStmt, top bool) ([]*pg_query.Node, error) {
	first := s.Larg
	for first.Op != pg_query.SetOperation_SETOP_NONE {
		first = first.Larg
	}
	out := make([]*pg_query.Node, len(first.TargetList))
	for i, n := range first.TargetList {
		rt := n.GetResTarget()
		name := ""
		switch {
		case rt == nil:
		case top && d.boolCols[i]:
			name = MySQLBoolPrefix + strconv.Itoa(i+1)
		case rt.Name != "":
			name = rt.Name
		case rt.Val.GetColumnRef() != nil:
			f := rt.Val.GetColumnRef().Fields
			name = f[len(f)-1].GetString_().GetSval()
		}
		if name == "" {
			return nil, mysqlUnsupported("ORDER BY over a set operation whose first branch has an unnamed column")
		}
		ref := &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{
			Fields: []*pg_query.Node{pg_query.MakeStrNode(name)}}}}
		out[i] = &pg_query.Node{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: ref}}}
	}
	return out, nil
}

func (d *mysqlWriter) targets(list []*pg_query.Node, top bool) error {
	for i, n := range list {
		if i > 0 {
			d.w(", ")
		}
		rt := n.GetResTarget()
		if rt == nil {
			return mysqlUnsupported("this select list")
		}
		if err := d.expr(rt.Val); err != nil {
			return err
		}
		switch {
		case top && d.boolCols[i]:
			d.w(" AS ")
			d.ident(MySQLBoolPrefix + strconv.Itoa(i+1))
		case rt.Name != "":
			d.w(" AS ")
			d.ident(rt.Name)
		}
	}
	return nil
}

func (d *mysqlWriter) fromItem(n *pg_query.Node) error {
	switch v := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		rv := v.RangeVar
		if rv.Catalogname != "" {
			return mysqlUnsupported("a three-part table name")
		}
		if rv.Schemaname != "" {
			d.ident(rv.Schemaname)
			d.w(".")
		}
		d.ident(rv.Relname)
		return d.alias(rv.Alias)
	case *pg_query.Node_RangeSubselect:
		rs := v.RangeSubselect
		if rs.Lateral {
			return mysqlUnsupported("LATERAL")
		}
		q := rs.Subquery.GetSelectStmt()
		if q == nil || rs.Alias == nil {
			return mysqlUnsupported("this derived table")
		}
		d.w("(")
		if err := d.selectStmt(q, false); err != nil {
			return err
		}
		d.w(")")
		return d.alias(rs.Alias)
	case *pg_query.Node_JoinExpr:
		return d.join(v.JoinExpr)
	}
	return mysqlUnsupported("this FROM item")
}

func (d *mysqlWriter) alias(a *pg_query.Alias) error {
	if a == nil {
		return nil
	}
	d.w(" AS ")
	d.ident(a.Aliasname)
	if len(a.Colnames) > 0 {
		// MySQL 8 has derived column lists, MariaDB and most of the distributed engines not.
		return mysqlUnsupported("a column list on a table alias")
	}
	return nil
}

func (d *mysqlWriter) join(j *pg_query.JoinExpr) error {
	if j.IsNatural {
		return mysqlUnsupported("NATURAL JOIN")
	}
	kw := map[pg_query.JoinType]string{
		pg_query.JoinType_JOIN_INNER: " JOIN ",
		pg_query.JoinType_JOIN_LEFT:  " LEFT JOIN ",
		pg_query.JoinType_JOIN_RIGHT: " RIGHT JOIN ",
	}[j.Jointype]
	if kw == "" {
		return mysqlUnsupported("FULL JOIN")
	}
	if j.Alias != nil || j.JoinUsingAlias != nil {
		return mysqlUnsupported("an alias on a join")
	}
	d.w("(")
	if err := d.fromItem(j.Larg); err != nil {
		return err
	}
	if j.Quals == nil && len(j.UsingClause) == 0 && j.Jointype == pg_query.JoinType_JOIN_INNER {
		kw = " CROSS JOIN "
	}
	d.w(kw)
	if err := d.fromItem(j.Rarg); err != nil {
		return err
	}
	switch {
	case len(j.UsingClause) > 0:
		d.w(" USING (")
		d.names(j.UsingClause)
		d.w(")")
	case j.Quals != nil:
		d.w(" ON ")
		if err := d.expr(j.Quals); err != nil {
			return err
		}
	}
	d.w(")")
	return nil
}

func (d *mysqlWriter) groupItem(n *pg_query.Node) error {
	if n.GetGroupingSet() != nil {
		return mysqlUnsupported("GROUPING SETS, ROLLUP or CUBE")
	}
	return d.expr(n)
}

// sortBy writes one ORDER BY key with PostgreSQL's NULL order: a leading "IS NULL" key where
// MySQL's (NULLs lowest) differs. An ordinal key is written as the select list's expression
// for the NULL key, since "1 IS NULL" would test the constant.
func (d *mysqlWriter) sortBy(sb *pg_query.SortBy, targets []*pg_query.Node) error {
	if sb == nil || sb.SortbyDir == pg_query.SortByDir_SORTBY_USING {
		return mysqlUnsupported("ORDER BY ... USING")
	}
	desc := sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC
	nullsFirst := desc
	switch sb.SortbyNulls {
	case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
		nullsFirst = true
	case pg_query.SortByNulls_SORTBY_NULLS_LAST:
		nullsFirst = false
	}
	if nullsFirst != !desc { // MySQL puts NULLs first ascending, last descending
		key := sb.Node
		if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
			i := int(c.GetIval().GetIval())
			if targets == nil || i < 1 || i > len(targets) || targets[i-1].GetResTarget() == nil {
				return mysqlUnsupported("an ORDER BY position with NULLS FIRST/LAST here")
			}
			key = targets[i-1].GetResTarget().Val
		}
		d.w("(")
		if err := d.expr(key); err != nil {
			return err
		}
		if nullsFirst {
			d.w(" IS NULL) DESC, ")
		} else {
			d.w(" IS NULL) ASC, ")
		}
	}
	if err := d.expr(sb.Node); err != nil {
		return err
	}
	if desc {
		d.w(" DESC")
	}
	return nil
}

// expr writes an expression, parenthesised wherever it holds an operator, so MySQL's
// precedence (which differs from PostgreSQL's for NOT, ||, and comparisons) never decides.
func (d *mysqlWriter) expr(n *pg_query.Node) error {
	switch v := n.GetNode().(type) {
	case *pg_query.Node_ColumnRef:
		return d.columnRef(v.ColumnRef)
	case *pg_query.Node_AConst:
		return d.constant(v.AConst)
	case *pg_query.Node_ParamRef:
		d.nextParam++
		if v.ParamRef.Number != d.nextParam {
			return mysqlUnsupported("a parameter used out of order or twice")
		}
		n := int(v.ParamRef.Number)
		if d.exact && n <= len(d.paramTypes) && d.paramTypes[n-1].OID == pgtypes.Text.OID {
			d.w("CAST(? AS BINARY)")
			return nil
		}
		d.w("?")
		return nil
	case *pg_query.Node_AExpr:
		return d.aExpr(v.AExpr)
	case *pg_query.Node_BoolExpr:
		return d.boolExpr(v.BoolExpr)
	case *pg_query.Node_NullTest:
		d.w("(")
		if err := d.expr(v.NullTest.Arg); err != nil {
			return err
		}
		if v.NullTest.Nulltesttype == pg_query.NullTestType_IS_NOT_NULL {
			d.w(" IS NOT NULL)")
		} else {
			d.w(" IS NULL)")
		}
		return nil
	case *pg_query.Node_BooleanTest:
		return d.booleanTest(v.BooleanTest)
	case *pg_query.Node_CoalesceExpr:
		return d.call("COALESCE", v.CoalesceExpr.Args)
	case *pg_query.Node_CaseExpr:
		return d.caseExpr(v.CaseExpr)
	case *pg_query.Node_TypeCast:
		return d.typeCast(v.TypeCast)
	case *pg_query.Node_FuncCall:
		return d.funcCall(v.FuncCall)
	case *pg_query.Node_SubLink:
		return d.subLink(v.SubLink)
	case *pg_query.Node_SqlvalueFunction:
		if v.SqlvalueFunction.Op == pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE {
			d.w("CURRENT_DATE")
			return nil
		}
		return mysqlUnsupported("this SQL value function")
	}
	return mysqlUnsupported("the expression " + mysqlNodeKind(n))
}

// mysqlNodeKind names a node's kind for a refusal.
func mysqlNodeKind(n *pg_query.Node) string {
	if n == nil || n.Node == nil {
		return "(empty)"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", n.Node), "*pg_query.Node_")
}

func (d *mysqlWriter) columnRef(c *pg_query.ColumnRef) error {
	for i, f := range c.Fields {
		if i > 0 {
			d.w(".")
		}
		if f.GetAStar() != nil {
			d.w("*")
			continue
		}
		d.ident(f.GetString_().GetSval())
	}
	return nil
}

func (d *mysqlWriter) constant(c *pg_query.A_Const) error {
	switch {
	case c.Isnull:
		d.w("NULL")
	case c.GetIval() != nil:
		d.w(strconv.FormatInt(int64(c.GetIval().GetIval()), 10))
	case c.GetFval() != nil:
		d.w(c.GetFval().GetFval())
	case c.GetBoolval() != nil:
		if c.GetBoolval().GetBoolval() {
			d.w("TRUE")
		} else {
			d.w("FALSE")
		}
	case c.GetSval() != nil && d.exact:
		d.w("CAST(")
		d.str(c.GetSval().GetSval())
		d.w(" AS BINARY)")
	case c.GetSval() != nil:
		d.str(c.GetSval().GetSval())
	default:
		return mysqlUnsupported("a bit-string constant")
	}
	return nil
}

// mysqlOperators are PostgreSQL's binary operators MySQL spells the same way (and DIV, which
// the integer-division rule writes).
var mysqlComparisons = map[string]bool{"=": true, "<>": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

var mysqlOperators = map[string]bool{
	"+": true, "-": true, "*": true, "/": true, "%": true, "DIV": true,
	"=": true, "<>": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
}

func (d *mysqlWriter) aExpr(e *pg_query.A_Expr) error {
	op := ""
	if len(e.Name) > 0 {
		op = e.Name[len(e.Name)-1].GetString_().GetSval()
	}
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if op == "||" {
			return d.call("CONCAT", []*pg_query.Node{e.Lexpr, e.Rexpr})
		}
		if !mysqlOperators[op] {
			return mysqlUnsupported("the operator " + op)
		}
		if op == "=" && e.Lexpr.GetColumnRef() != nil && e.Rexpr.GetAConst().GetSval() != nil {
			// A column against a text: the plain comparison first, so an index on the
			// column still serves it, then the byte-exact one that decides.
			d.w("(")
			if err := d.binary(e.Lexpr, " = ", e.Rexpr, " AND "); err != nil {
				return err
			}
			return d.exactBinary(e.Lexpr, " = ", e.Rexpr, ")")
		}
		side := d.expr
		if mysqlComparisons[op] {
			side = d.operand
		}
		d.w("(")
		if e.Lexpr != nil {
			if err := side(e.Lexpr); err != nil {
				return err
			}
			d.w(" ")
		}
		d.w(op, " ")
		if err := side(e.Rexpr); err != nil {
			return err
		}
		d.w(")")
		return nil
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		if e.Kind == pg_query.A_Expr_Kind_AEXPR_DISTINCT {
			d.w("(NOT ")
		} else {
			d.w("(")
		}
		return d.exactBinary(e.Lexpr, " <=> ", e.Rexpr, ")")
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return d.call("NULLIF", []*pg_query.Node{e.Lexpr, e.Rexpr})
	case pg_query.A_Expr_Kind_AEXPR_IN:
		kw := " IN ("
		if op == "<>" {
			kw = " NOT IN ("
		}
		d.w("(")
		if err := d.operand(e.Lexpr); err != nil {
			return err
		}
		d.w(kw)
		if err := d.list(e.Rexpr.GetList().GetItems(), d.operand); err != nil {
			return err
		}
		d.w("))")
		return nil
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		return d.like(e, op)
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		bounds := e.Rexpr.GetList().GetItems()
		if len(bounds) != 2 {
			return mysqlUnsupported("this BETWEEN")
		}
		kw := " BETWEEN "
		if e.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			kw = " NOT BETWEEN "
		}
		d.w("(")
		if err := d.operand(e.Lexpr); err != nil {
			return err
		}
		d.w(kw)
		return d.exactBinary(bounds[0], " AND ", bounds[1], ")")
	}
	return mysqlUnsupported("this operator form (" + e.Kind.String() + ")")
}

// exactBinary is binary with both sides written as comparison operands.
func (d *mysqlWriter) exactBinary(l *pg_query.Node, sep string, r *pg_query.Node, end string) error {
	was := d.exact
	d.exact = true
	err := d.binary(l, sep, r, end)
	d.exact = was
	return err
}

// binary writes l sep r and then end.
func (d *mysqlWriter) binary(l *pg_query.Node, sep string, r *pg_query.Node, end string) error {
	if err := d.expr(l); err != nil {
		return err
	}
	d.w(sep)
	if err := d.expr(r); err != nil {
		return err
	}
	d.w(end)
	return nil
}

// like writes LIKE with PostgreSQL's escape character (backslash), named explicitly since the
// connection's NO_BACKSLASH_ESCAPES leaves MySQL's own default open. ILIKE compares lowered
// operands. The collation is the column's; a case-insensitive collation makes LIKE
// case-insensitive, which is documented in docs/engines.md.
func (d *mysqlWriter) like(e *pg_query.A_Expr, op string) error {
	not := op == "!~~" || op == "!~~*"
	pattern := e.Rexpr
	if fc := pattern.GetFuncCall(); fc != nil {
		return mysqlUnsupported("LIKE ... ESCAPE")
	}
	d.w("(")
	lower := e.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE
	if err := d.maybeLower(e.Lexpr, lower); err != nil {
		return err
	}
	if not {
		d.w(" NOT LIKE ")
	} else {
		d.w(" LIKE ")
	}
	if err := d.maybeLower(pattern, lower); err != nil {
		return err
	}
	d.w(" ESCAPE '\\')")
	return nil
}

func (d *mysqlWriter) maybeLower(n *pg_query.Node, lower bool) error {
	if !lower {
		// A binary pattern makes LIKE case-sensitive, as PostgreSQL's is.
		return d.operand(n)
	}
	return d.call("LOWER", []*pg_query.Node{n})
}

func (d *mysqlWriter) boolExpr(b *pg_query.BoolExpr) error {
	if b.Boolop == pg_query.BoolExprType_NOT_EXPR {
		d.w("(NOT ")
		if err := d.expr(b.Args[0]); err != nil {
			return err
		}
		d.w(")")
		return nil
	}
	sep := " AND "
	if b.Boolop == pg_query.BoolExprType_OR_EXPR {
		sep = " OR "
	}
	d.w("(")
	for i, a := range b.Args {
		if i > 0 {
			d.w(sep)
		}
		if err := d.expr(a); err != nil {
			return err
		}
	}
	d.w(")")
	return nil
}

func (d *mysqlWriter) booleanTest(t *pg_query.BooleanTest) error {
	kw := map[pg_query.BoolTestType]string{
		pg_query.BoolTestType_IS_TRUE:        " IS TRUE)",
		pg_query.BoolTestType_IS_NOT_TRUE:    " IS NOT TRUE)",
		pg_query.BoolTestType_IS_FALSE:       " IS FALSE)",
		pg_query.BoolTestType_IS_NOT_FALSE:   " IS NOT FALSE)",
		pg_query.BoolTestType_IS_UNKNOWN:     " IS NULL)",
		pg_query.BoolTestType_IS_NOT_UNKNOWN: " IS NOT NULL)",
	}[t.Booltesttype]
	if kw == "" {
		return mysqlUnsupported("this boolean test")
	}
	d.w("(")
	if err := d.expr(t.Arg); err != nil {
		return err
	}
	d.w(kw)
	return nil
}

func (d *mysqlWriter) caseExpr(c *pg_query.CaseExpr) error {
	d.w("CASE")
	if c.Arg != nil {
		d.w(" ")
		if err := d.expr(c.Arg); err != nil {
			return err
		}
	}
	for _, n := range c.Args {
		w := n.GetCaseWhen()
		d.w(" WHEN ")
		if err := d.binary(w.Expr, " THEN ", w.Result, ""); err != nil {
			return err
		}
	}
	if c.Defresult != nil {
		d.w(" ELSE ")
		if err := d.expr(c.Defresult); err != nil {
			return err
		}
	}
	d.w(" END")
	return nil
}

func (d *mysqlWriter) subLink(s *pg_query.SubLink) error {
	q := s.Subselect.GetSelectStmt()
	if q == nil {
		return mysqlUnsupported("this sub-select")
	}
	switch s.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		d.w("EXISTS ")
	case pg_query.SubLinkType_EXPR_SUBLINK:
	case pg_query.SubLinkType_ANY_SUBLINK:
		if len(s.OperName) > 0 && s.OperName[len(s.OperName)-1].GetString_().GetSval() != "=" {
			return mysqlUnsupported("ANY with an operator other than =")
		}
		d.w("(")
		if err := d.expr(s.Testexpr); err != nil {
			return err
		}
		d.w(" IN ")
		defer d.w(")")
	default:
		return mysqlUnsupported("this sub-select form")
	}
	d.w("(")
	if err := d.selectStmt(q, false); err != nil {
		return err
	}
	d.w(")")
	return nil
}

// call writes NAME(args).
func (d *mysqlWriter) call(name string, args []*pg_query.Node) error {
	d.w(name, "(")
	if err := d.list(args, d.expr); err != nil {
		return err
	}
	d.w(")")
	return nil
}

// typeCast writes a cast. See the notes at the top for which casts are refused and why.
func (d *mysqlWriter) typeCast(tc *pg_query.TypeCast) error {
	names := tc.TypeName.GetNames()
	if len(names) == 0 || len(tc.TypeName.ArrayBounds) > 0 {
		return mysqlUnsupported("this cast")
	}
	typ := names[len(names)-1].GetString_().GetSval()
	mods := tc.TypeName.GetTypmods()
	lit := tc.Arg.GetAConst()
	// The dialect's own casts, and parameters (the gateway checked the client's value against
	// the parameter's type before binding it), are written whatever they cast.
	trusted := tc.Location == mysqlCastLocation || tc.Location == checkedCastLocation ||
		tc.Arg.GetParamRef() != nil || numericAggregate(tc.Arg)
	if lit != nil && lit.GetSval() != nil {
		if err := checkCastLiteral(lit.GetSval().GetSval(), typ); err != nil {
			return err
		}
	}
	target := ""
	switch typ {
	case "text", "varchar", "bpchar":
		target = "CHAR"
		if len(mods) == 1 && mods[0].GetAConst().GetIval() != nil {
			target = "CHAR(" + strconv.Itoa(int(mods[0].GetAConst().GetIval().GetIval())) + ")"
		}
	case "int2", "int4", "int8":
		target = "SIGNED"
	case "numeric":
		switch {
		case len(mods) == 2:
			target = "DECIMAL(" + strconv.Itoa(int(mods[0].GetAConst().GetIval().GetIval())) + ", " +
				strconv.Itoa(int(mods[1].GetAConst().GetIval().GetIval())) + ")"
		case trusted:
			target = "DECIMAL(65, 30)"
		default:
			return mysqlUnsupported("a cast to numeric without precision and scale")
		}
	case "float8", "float4":
		if lit == nil && !trusted {
			return mysqlUnsupported("a cast of an expression to double precision")
		}
		// CAST AS DOUBLE is MySQL 8.0.17+ only; adding a double zero is a double everywhere.
		return d.binaryParen(tc.Arg, " + 0E0")
	case "date":
		target = "DATE"
	case "timestamp":
		target = "DATETIME(6)"
	default:
		return mysqlUnsupported("a cast to " + typ)
	}
	if lit == nil && !trusted && target != "CHAR" && !strings.HasPrefix(target, "CHAR(") {
		// MySQL reads a malformed text as 0 or NULL with a warning where PostgreSQL refuses.
		return mysqlUnsupported("a cast of an expression to " + typ)
	}
	d.w("CAST(")
	if err := d.expr(tc.Arg); err != nil {
		return err
	}
	d.w(" AS ", target, ")")
	return nil
}

// numericAggregate reports a count, sum or avg call: a number whatever it aggregates, so a
// cast of it cannot meet malformed text.
func numericAggregate(n *pg_query.Node) bool {
	fc := n.GetFuncCall()
	if fc == nil || fc.Over != nil {
		return false
	}
	_, name := funcName(fc)
	return name == "count" || name == "sum" || name == "avg"
}

func (d *mysqlWriter) binaryParen(x *pg_query.Node, suffix string) error {
	d.w("(")
	if err := d.expr(x); err != nil {
		return err
	}
	d.w(suffix, ")")
	return nil
}

// checkCastLiteral refuses a text literal PostgreSQL would not read as typ, as MySQL would
// read it as something.
func checkCastLiteral(v, typ string) error {
	t, ok := map[string]pgtypes.Type{
		"int2": pgtypes.Int8, "int4": pgtypes.Int8, "int8": pgtypes.Int8, "numeric": pgtypes.Numeric,
		"float8": pgtypes.Float8, "float4": pgtypes.Float8, "date": pgtypes.Date, "timestamp": pgtypes.Timestamp,
	}[typ]
	if !ok {
		return nil
	}
	if _, err := pgtypes.DecodeText([]byte(strings.TrimSpace(v)), t); err != nil {
		return sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", typ, v)
	}
	return nil
}

// mysqlSame are the functions MySQL has under the same name with the same meaning for the
// argument types the planner lets through.
var mysqlSame = map[string]string{
	"lower": "LOWER", "upper": "UPPER", "abs": "ABS", "ceil": "CEIL", "ceiling": "CEILING",
	"floor": "FLOOR", "sqrt": "SQRT", "power": "POWER", "mod": "MOD", "sign": "SIGN", "ln": "LN",
	"exp": "EXP", "round": "ROUND", "replace": "REPLACE", "left": "LEFT", "right": "RIGHT",
	"length": "CHAR_LENGTH", "char_length": "CHAR_LENGTH", "reverse": "REVERSE",
	"nullif": "NULLIF", "coalesce": "COALESCE",
}

// mysqlAggregates are the aggregates, all with PostgreSQL's NULL handling.
var mysqlAggregates = map[string]string{"sum": "SUM", "count": "COUNT", "avg": "AVG", "min": "MIN", "max": "MAX"}

func (d *mysqlWriter) funcCall(fc *pg_query.FuncCall) error {
	_, name := funcName(fc)
	if fc.Over != nil {
		return d.windowCall(fc, name)
	}
	if len(fc.AggOrder) > 0 || fc.AggWithinGroup || fc.FuncVariadic {
		return mysqlUnsupported("ORDER BY, WITHIN GROUP or VARIADIC in " + name)
	}
	if agg, ok := mysqlAggregates[name]; ok {
		return d.aggregate(agg, fc)
	}
	if fc.AggStar || fc.AggDistinct || fc.AggFilter != nil {
		return mysqlUnsupported("* , DISTINCT or FILTER in " + name)
	}
	args := fc.Args
	switch name {
	case "date_trunc":
		return d.dateTrunc(fc)
	case "extract", "date_part":
		return d.extract(fc)
	case "timezone":
		if len(args) == 2 && strings.EqualFold(args[0].GetAConst().GetSval().GetSval(), "UTC") {
			// The session's zone is UTC (engine/mysql pins it), so the conversion is none.
			return d.expr(args[1])
		}
		return mysqlUnsupported("a time zone other than UTC")
	case "concat":
		d.w("CONCAT_WS('', ")
		if err := d.list(args, d.expr); err != nil {
			return err
		}
		d.w(")")
		return nil
	case "substring", "substr":
		if fc.Funcformat == pg_query.CoercionForm_COERCE_SQL_SYNTAX && len(args) == 3 {
			return d.call("SUBSTRING", args)
		}
		if len(args) == 2 || len(args) == 3 {
			return d.call("SUBSTRING", args)
		}
	case "strpos":
		if len(args) == 2 {
			return d.call("LOCATE", []*pg_query.Node{args[1], args[0]})
		}
	case "btrim", "trim", "ltrim", "rtrim":
		if len(args) == 1 {
			return d.call(map[string]string{"btrim": "TRIM", "trim": "TRIM", "ltrim": "LTRIM", "rtrim": "RTRIM"}[name], args)
		}
	default:
		if m, ok := mysqlSame[name]; ok {
			return d.call(m, args)
		}
	}
	return mysqlUnsupported("the function " + name)
}

// aggregate writes an aggregate; FILTER (WHERE c) becomes a CASE inside it, which ignores the
// rows c does not keep exactly as FILTER does (COUNT and SUM skip NULLs).
func (d *mysqlWriter) aggregate(agg string, fc *pg_query.FuncCall) error {
	d.w(agg, "(")
	if fc.AggDistinct {
		d.w("DISTINCT ")
	}
	switch {
	case fc.AggStar && fc.AggFilter != nil:
		d.w("CASE WHEN ")
		if err := d.expr(fc.AggFilter); err != nil {
			return err
		}
		d.w(" THEN 1 END")
	case fc.AggStar:
		d.w("*")
	case len(fc.Args) != 1:
		return mysqlUnsupported(agg + " of several arguments")
	case fc.AggFilter != nil:
		d.w("CASE WHEN ")
		if err := d.binary(fc.AggFilter, " THEN ", fc.Args[0], " END"); err != nil {
			return err
		}
	default:
		if err := d.expr(fc.Args[0]); err != nil {
			return err
		}
	}
	d.w(")")
	return nil
}

// dateTrunc writes date_trunc('unit', x) for the units with a portable spelling. The result
// is a DATE or DATETIME at the start of the unit, in the session's zone (UTC).
func (d *mysqlWriter) dateTrunc(fc *pg_query.FuncCall) error {
	if len(fc.Args) != 2 || fc.Args[0].GetAConst().GetSval() == nil {
		return mysqlUnsupported("date_trunc with a non-constant unit or a time zone")
	}
	unit := strings.ToLower(fc.Args[0].GetAConst().GetSval().GetSval())
	x := fc.Args[1]
	each := func(parts ...any) error {
		for _, p := range parts {
			if s, ok := p.(string); ok {
				d.w(s)
			} else if err := d.expr(x); err != nil {
				return err
			}
		}
		return nil
	}
	switch unit {
	case "year":
		return each("MAKEDATE(YEAR(", x, "), 1)")
	case "quarter":
		return each("(MAKEDATE(YEAR(", x, "), 1) + INTERVAL ((QUARTER(", x, ") - 1) * 3) MONTH)")
	case "month":
		return each("CAST(DATE_FORMAT(", x, ", '%Y-%m-01') AS DATE)")
	case "week":
		// ISO weeks start on Monday, as PostgreSQL's do; WEEKDAY is 0 on Monday.
		return each("(CAST(", x, " AS DATE) - INTERVAL WEEKDAY(", x, ") DAY)")
	case "day":
		return each("CAST(", x, " AS DATE)")
	case "hour":
		return each("CAST(DATE_FORMAT(", x, ", '%Y-%m-%d %H:00:00') AS DATETIME)")
	case "minute":
		return each("CAST(DATE_FORMAT(", x, ", '%Y-%m-%d %H:%i:00') AS DATETIME)")
	case "second":
		return each("CAST(DATE_FORMAT(", x, ", '%Y-%m-%d %H:%i:%s') AS DATETIME)")
	}
	return mysqlUnsupported("date_trunc to " + unit)
}

// extract writes extract/date_part for the fields MySQL computes the same way.
func (d *mysqlWriter) extract(fc *pg_query.FuncCall) error {
	if len(fc.Args) != 2 || fc.Args[0].GetAConst().GetSval() == nil {
		return mysqlUnsupported("extract with a non-constant field")
	}
	field := strings.ToLower(fc.Args[0].GetAConst().GetSval().GetSval())
	x := fc.Args[1]
	f := map[string]string{"year": "YEAR", "quarter": "QUARTER", "month": "MONTH", "day": "DAYOFMONTH",
		"hour": "HOUR", "minute": "MINUTE", "doy": "DAYOFYEAR"}[field]
	switch {
	case f != "":
		return d.call(f, []*pg_query.Node{x})
	case field == "dow":
		// PostgreSQL counts from Sunday = 0, MySQL's DAYOFWEEK from Sunday = 1.
		d.w("(")
		if err := d.call("DAYOFWEEK", []*pg_query.Node{x}); err != nil {
			return err
		}
		d.w(" - 1)")
		return nil
	case field == "isodow":
		d.w("(")
		if err := d.call("WEEKDAY", []*pg_query.Node{x}); err != nil {
			return err
		}
		d.w(" + 1)")
		return nil
	}
	return mysqlUnsupported("extract of " + field)
}

// mysqlWindowFunctions are the window functions MySQL 8 and MariaDB 10.2+ compute as
// PostgreSQL does; the aggregates of mysqlAggregates take OVER too.
var mysqlWindowFunctions = map[string]string{
	"row_number": "ROW_NUMBER", "rank": "RANK", "dense_rank": "DENSE_RANK", "percent_rank": "PERCENT_RANK",
	"cume_dist": "CUME_DIST", "ntile": "NTILE", "lag": "LAG", "lead": "LEAD",
	"first_value": "FIRST_VALUE", "last_value": "LAST_VALUE",
}

// windowCall writes f(...) OVER (PARTITION BY ... ORDER BY ... frame).
func (d *mysqlWriter) windowCall(fc *pg_query.FuncCall, name string) error {
	w := fc.Over
	if w.Name != "" || w.Refname != "" {
		return mysqlUnsupported("a named window")
	}
	if fc.AggFilter != nil || fc.AggDistinct {
		return mysqlUnsupported("FILTER or DISTINCT in the window function " + name)
	}
	if agg, ok := mysqlAggregates[name]; ok {
		if err := d.aggregate(agg, fc); err != nil {
			return err
		}
	} else if f, ok := mysqlWindowFunctions[name]; ok {
		if err := d.call(f, fc.Args); err != nil {
			return err
		}
	} else {
		return mysqlUnsupported("the window function " + name)
	}
	d.w(" OVER (")
	sep := ""
	if len(w.PartitionClause) > 0 {
		d.w("PARTITION BY ")
		if err := d.list(w.PartitionClause, d.expr); err != nil {
			return err
		}
		sep = " "
	}
	if len(w.OrderClause) > 0 {
		d.w(sep, "ORDER BY ")
		for i, n := range w.OrderClause {
			if i > 0 {
				d.w(", ")
			}
			if n.GetSortBy().GetNode().GetAConst() != nil {
				return mysqlUnsupported("a constant ORDER BY key in a window")
			}
			if err := d.sortBy(n.GetSortBy(), nil); err != nil {
				return err
			}
		}
		sep = " "
	}
	if err := d.frame(w, sep); err != nil {
		return err
	}
	d.w(")")
	return nil
}

// Frame option bits of PostgreSQL's WindowDef.FrameOptions (nodes/parsenodes.h).
const (
	frameNonDefault        = 0x00001
	frameRange             = 0x00002
	frameRows              = 0x00004
	frameStartUnboundedPre = 0x00020
	frameEndUnboundedFol   = 0x00100
	frameStartCurrentRow   = 0x00200
	frameEndCurrentRow     = 0x00400
	frameStartOffsetPre    = 0x00800
	frameEndOffsetPre      = 0x01000
	frameStartOffsetFol    = 0x02000
	frameEndOffsetFol      = 0x04000
	frameKnown             = frameNonDefault | frameRange | frameRows | 0x10 | frameStartUnboundedPre |
		frameEndUnboundedFol | frameStartCurrentRow | frameEndCurrentRow | frameStartOffsetPre |
		frameEndOffsetPre | frameStartOffsetFol | frameEndOffsetFol
)

// frame writes an explicit ROWS or RANGE frame; the default frame is the same on both sides
// and is left out. Offsets must be integer constants (RANGE offsets over dates are refused).
func (d *mysqlWriter) frame(w *pg_query.WindowDef, sep string) error {
	o := w.FrameOptions
	if o&frameNonDefault == 0 {
		return nil
	}
	if o&^frameKnown != 0 || (o&frameRange != 0 && (w.StartOffset != nil || w.EndOffset != nil)) {
		return mysqlUnsupported("this window frame (GROUPS, EXCLUDE, or a RANGE offset)")
	}
	kind := "ROWS"
	if o&frameRange != 0 {
		kind = "RANGE"
	}
	bound := func(unboundedPre, unboundedFol, current, offPre, offFol int32, off *pg_query.Node) (string, error) {
		switch {
		case unboundedPre != 0 && o&unboundedPre != 0:
			return "UNBOUNDED PRECEDING", nil
		case unboundedFol != 0 && o&unboundedFol != 0:
			return "UNBOUNDED FOLLOWING", nil
		case o&current != 0:
			return "CURRENT ROW", nil
		}
		n := off.GetAConst().GetIval()
		if n == nil || n.GetIval() < 0 {
			return "", mysqlUnsupported("a window frame offset other than a whole number")
		}
		if o&offPre != 0 {
			return strconv.Itoa(int(n.GetIval())) + " PRECEDING", nil
		}
		return strconv.Itoa(int(n.GetIval())) + " FOLLOWING", nil
	}
	start, err := bound(frameStartUnboundedPre, 0, frameStartCurrentRow, frameStartOffsetPre, frameStartOffsetFol, w.StartOffset)
	if err != nil {
		return err
	}
	end := "CURRENT ROW"
	if o&0x10 != 0 { // BETWEEN
		if end, err = bound(0, frameEndUnboundedFol, frameEndCurrentRow, frameEndOffsetPre, frameEndOffsetFol, w.EndOffset); err != nil {
			return err
		}
	}
	d.w(sep, kind, " BETWEEN ", start, " AND ", end)
	return nil
}
