package planner

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// The ClickHouse dialect. The target is the oldest server the gateway supports, Debian's
// 18.16, whose SQL newer releases still accept; so no construct needs a version gate yet.
// ClickHouse reads much of PostgreSQL's syntax the same (double-quoted identifiers, CASE,
// NULLIF, COALESCE, LIKE, IN, BETWEEN, LIMIT/OFFSET, count(DISTINCT x)), and the deparser's
// text is kept where it does. The rest is respelled over the whole tree (clickhouseTree):
//
//   - x::t has no ClickHouse spelling in 18.16: casts become toInt64(x), toFloat64(x),
//     toString(x), toDate(x), toDateTime(x). A cast to any other type is refused.
//   - agg(x) FILTER (WHERE c), a filtered metric, becomes aggIf(x, c).
//   - sum, avg, min and max of no rows (or of NULLs only) are NULL in PostgreSQL and 0 or nan
//     in ClickHouse: each becomes CASE WHEN count(x) > 0 THEN agg(x) END.
//   - date_trunc('unit', x) becomes toStartOfYear/Quarter/Month, toMonday, toStartOfDay,
//     toStartOfHour, toStartOfMinute; EXTRACT(f FROM x) becomes toYear, toMonth, ...
//   - GROUP BY 1 and ORDER BY 1 mean the constant 1 to 18.16 (positional arguments came
//     later): ordinals become the select list's expressions.
//   - ORDER BY ... DESC puts NULLs last in ClickHouse and first in PostgreSQL: the default is
//     spelled out. Integer "/" becomes intDiv (both round toward zero). ILIKE becomes LIKE
//     over lowerUTF8 of both sides.
//   - Functions pass through a ClickHouse allowlist of their own; anything else, and the
//     constructs whose ClickHouse meaning differs (joins, whose unmatched rows get default
//     values instead of NULL; CTEs, which are expressions in 18.16; subqueries over a
//     Distributed table, which need GLOBAL; window functions; UNION without ALL; boolean
//     literals; strings with a backslash, an escape to ClickHouse and a plain character to
//     PostgreSQL), are refused with 0A000 naming the construct, never sent.

// clickhouseFunctions are the allowlisted functions ClickHouse has under their PostgreSQL name
// (the value "") or under another name, with the same meaning.
var clickhouseFunctions = map[string]string{
	"count": "", "sum": "", "avg": "", "min": "", "max": "",
	"lower": "lowerUTF8", "upper": "upperUTF8", "length": "lengthUTF8", "char_length": "lengthUTF8",
	"abs": "", "floor": "", "ceil": "", "ceiling": "ceil", "concat": "", "now": "",
}

// clickhouseTruncs are date_trunc's units and their ClickHouse functions.
var clickhouseTruncs = map[string]string{
	"year": "toStartOfYear", "quarter": "toStartOfQuarter", "month": "toStartOfMonth",
	"week": "toMonday", "day": "toStartOfDay", "hour": "toStartOfHour", "minute": "toStartOfMinute",
}

// clickhouseExtracts are EXTRACT's fields and their ClickHouse functions.
var clickhouseExtracts = map[string]string{
	"year": "toYear", "quarter": "toQuarter", "month": "toMonth", "day": "toDayOfMonth",
	"hour": "toHour", "minute": "toMinute", "second": "toSecond",
}

// clickhouseCasts are the cast target types (pg_catalog names) and their conversions.
var clickhouseCasts = map[string]string{
	"int2": "toInt16", "int4": "toInt32", "int8": "toInt64", "float4": "toFloat32",
	"float8": "toFloat64", "text": "toString", "varchar": "toString", "date": "toDate",
	"timestamp": "toDateTime",
}

// clickhouseAggNulls are the aggregates that are NULL over no values in PostgreSQL.
var clickhouseAggNulls = map[string]bool{"sum": true, "avg": true, "min": true, "max": true}

func init() {
	// The verify pass checks every call against the allowlist; the names this dialect writes
	// are the planner's own (clients cannot call them: resolve knows only the allowlist).
	for _, names := range []map[string]string{clickhouseFunctions, clickhouseTruncs, clickhouseExtracts, clickhouseCasts} {
		for _, n := range names {
			if n != "" {
				engineFunctions[strings.ToLower(n)] = true
			}
		}
	}
	for agg := range clickhouseFunctions {
		engineFunctions[agg+"if"] = true
	}
	engineFunctions["intdiv"] = true
	engineFunctions["todatetime"] = true
}

// refuseOnClickHouse is the refusal of a construct the ClickHouse dialect does not send.
func refuseOnClickHouse(what string) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "%s is not supported on the ClickHouse engine", what).
		WithHint("run it on a dataset of another engine, or rewrite it without %s", what)
}

// clickhouseTree respells the whole statement for ClickHouse, or refuses it.
func clickhouseTree(root *pg_query.Node, f *dialectFixes) error {
	if err := clickhouseRefusals(root); err != nil {
		return err
	}
	var calls []*pg_query.Node
	var casts []*pg_query.Node
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_FuncCall:
			calls = append(calls, n)
		case *pg_query.Node_TypeCast:
			casts = append(casts, n)
		case *pg_query.Node_SortBy:
			clickhouseNulls(v.SortBy)
		}
		return true
	})
	// Children first: a rewrite wraps its node, and the walk above saw parents first.
	for i := len(casts) - 1; i >= 0; i-- {
		if err := clickhouseCast(casts[i]); err != nil {
			return err
		}
	}
	for i := len(calls) - 1; i >= 0; i-- {
		if err := clickhouseCall(calls[i]); err != nil {
			return err
		}
	}
	// Operators after calls: their rewrites write calls the loop above must not see.
	clickhouseOperators(root, f)
	// Ordinals last, so the expressions they copy are respelled already.
	clickhouseOrdinals(root)
	return clickhouseAliases(root)
}

// clickhouseAliases keeps ClickHouse's aliases from changing what names mean. A ClickHouse
// alias is visible in the whole SELECT: in "sum(x) AS y, count(y)" the y inside count means
// the sum (an aggregate inside an aggregate), and in "upper(c) AS c ... WHERE c = 'x'" the
// WHERE compares the upper-cased value. PostgreSQL reads those names as input columns. The
// outermost SELECT's aliases are only the gateway's (clients get the plan's column names), so
// they become names no column has; ORDER BY a bare output name follows its alias, as in
// PostgreSQL. An inner SELECT's aliases are what the SELECT around it reads, so there a
// collision is refused instead.
func clickhouseAliases(root *pg_query.Node) error {
	top := root.GetSelectStmt()
	if top == nil {
		return nil
	}
	if top.Op == pg_query.SetOperation_SETOP_NONE {
		clickhouseRenameOutputs(top)
	}
	var bad error
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if s := n.GetSelectStmt(); s != nil && s != top && bad == nil {
			bad = clickhouseAliasCollision(s)
		}
		return bad == nil
	})
	return bad
}

// clickhouseRenameOutputs gives the outermost SELECT's columns aliases of their own.
func clickhouseRenameOutputs(s *pg_query.SelectStmt) {
	renamed := map[string]string{}
	for i, t := range s.TargetList {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		name := "setu_c" + strconv.Itoa(i+1)
		if rt.Name != "" {
			renamed[rt.Name] = name
		}
		rt.Name = name
	}
	for _, o := range s.SortClause {
		sb := o.GetSortBy()
		if sb == nil {
			continue
		}
		if cr := sb.Node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
			if to, ok := renamed[cr.Fields[0].GetString_().GetSval()]; ok {
				cr.Fields[0] = pg_query.MakeStrNode(to)
			}
		}
	}
}

// clickhouseAliasCollision refuses an inner SELECT where an alias names something other than
// the column of that name and the same name is read elsewhere in the SELECT.
func clickhouseAliasCollision(s *pg_query.SelectStmt) error {
	aliases := map[string]*pg_query.ResTarget{}
	for _, t := range s.TargetList {
		rt := t.GetResTarget()
		if rt == nil || rt.Name == "" {
			continue
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && len(cr.Fields) > 0 && cr.Fields[len(cr.Fields)-1].GetString_().GetSval() == rt.Name {
			continue // x AS x, or t.x AS x: the alias is the column
		}
		aliases[rt.Name] = rt
	}
	if len(aliases) == 0 {
		return nil
	}
	var bad error
	check := func(owner *pg_query.ResTarget, n *pg_query.Node) {
		sqlast.Walk(n, func(c *pg_query.Node) bool {
			if c.GetSelectStmt() != nil {
				return false // a nested SELECT has aliases of its own
			}
			if cr := c.GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
				if rt := aliases[cr.Fields[len(cr.Fields)-1].GetString_().GetSval()]; rt != nil && rt != owner && bad == nil {
					bad = refuseOnClickHouse("a column alias that is also the name of a column read in the same SELECT")
				}
			}
			return bad == nil
		})
	}
	for _, t := range s.TargetList {
		check(t.GetResTarget(), t)
	}
	for _, n := range []*pg_query.Node{s.WhereClause, s.HavingClause} {
		check(nil, n)
	}
	for _, n := range append(append([]*pg_query.Node{}, s.GroupClause...), s.SortClause...) {
		check(nil, n)
	}
	return bad
}

// clickhouseOperators respells integer "/" as intDiv (both round toward zero) and ILIKE.
func clickhouseOperators(root *pg_query.Node, f *dialectFixes) {
	intDivs := map[*pg_query.A_Expr]bool{}
	for _, e := range f.intDivisions {
		intDivs[e] = true
	}
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		e := n.GetAExpr()
		switch {
		case e == nil:
		case e.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE:
			clickhouseILike(e)
		case intDivs[e]:
			n.Node = chCall("intDiv", e.Lexpr, e.Rexpr).Node
		}
		return true
	})
}

// clickhouseRefusals finds the first construct ClickHouse would answer differently.
func clickhouseRefusals(root *pg_query.Node) error {
	var bad error
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if bad == nil {
			bad = clickhouseRefusal(n)
		}
		// The walk goes on into siblings whatever this returns; bad keeps the first refusal.
		return bad == nil
	})
	return bad
}

// clickhouseRefusal is the refusal of one node, or nil.
func clickhouseRefusal(n *pg_query.Node) error {
	var bad error
	{
		switch v := n.Node.(type) {
		case *pg_query.Node_JoinExpr:
			bad = refuseOnClickHouse("a join")
		case *pg_query.Node_WithClause, *pg_query.Node_CommonTableExpr:
			bad = refuseOnClickHouse("WITH")
		case *pg_query.Node_SubLink:
			bad = refuseOnClickHouse("a subquery in an expression")
		case *pg_query.Node_WindowDef:
			bad = refuseOnClickHouse("a window function")
		case *pg_query.Node_MinMaxExpr:
			bad = refuseOnClickHouse("GREATEST and LEAST")
		case *pg_query.Node_BooleanTest:
			bad = refuseOnClickHouse("IS TRUE and IS FALSE")
		case *pg_query.Node_SelectStmt:
			bad = clickhouseSelectRefusal(v.SelectStmt)
		case *pg_query.Node_AExpr:
			switch v.AExpr.Kind {
			case pg_query.A_Expr_Kind_AEXPR_OP, pg_query.A_Expr_Kind_AEXPR_IN, pg_query.A_Expr_Kind_AEXPR_LIKE,
				pg_query.A_Expr_Kind_AEXPR_ILIKE, pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN,
				pg_query.A_Expr_Kind_AEXPR_NULLIF:
			default:
				bad = refuseOnClickHouse("the operator " + v.AExpr.Kind.String())
			}
		case *pg_query.Node_AConst:
			bad = clickhouseConstRefusal(v.AConst)
		case *pg_query.Node_FuncCall:
			if v.FuncCall.Over != nil {
				bad = refuseOnClickHouse("a window function")
			} else if v.FuncCall.AggFilter != nil && v.FuncCall.AggDistinct {
				bad = refuseOnClickHouse("a DISTINCT aggregate with FILTER")
			} else if len(v.FuncCall.AggOrder) > 0 || v.FuncCall.AggWithinGroup || v.FuncCall.AggStar && v.FuncCall.AggFilter == nil && funcNameOnly(v.FuncCall) != "count" {
				bad = refuseOnClickHouse("an ordered aggregate")
			}
		}
	}
	return bad
}

func clickhouseSelectRefusal(s *pg_query.SelectStmt) error {
	switch {
	case s.Op != pg_query.SetOperation_SETOP_NONE && (s.Op != pg_query.SetOperation_SETOP_UNION || !s.All):
		return refuseOnClickHouse("UNION without ALL, INTERSECT and EXCEPT")
	case len(s.DistinctClause) > 0 && s.DistinctClause[0] != nil && s.DistinctClause[0].Node != nil:
		return refuseOnClickHouse("DISTINCT ON")
	case s.LockingClause != nil:
		return refuseOnClickHouse("FOR UPDATE")
	}
	for _, g := range s.GroupClause {
		if g.GetGroupingSet() != nil {
			return refuseOnClickHouse("GROUPING SETS, ROLLUP and CUBE")
		}
	}
	return nil
}

func clickhouseConstRefusal(c *pg_query.A_Const) error {
	switch {
	case c.GetBoolval() != nil:
		return refuseOnClickHouse("a boolean literal")
	case c.GetSval() != nil && strings.ContainsRune(c.GetSval().Sval, '\\'):
		return refuseOnClickHouse("a string literal with a backslash")
	case c.GetBsval() != nil:
		return refuseOnClickHouse("a bit string literal")
	}
	return nil
}

// clickhouseOrdinals replaces GROUP BY and ORDER BY ordinals with the expressions they name.
func clickhouseOrdinals(root *pg_query.Node) {
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		s := n.GetSelectStmt()
		if s == nil || len(s.TargetList) == 0 {
			return true
		}
		expr := func(item *pg_query.Node) *pg_query.Node {
			c := item.GetAConst()
			if c == nil || c.GetIval() == nil {
				return item
			}
			i := int(c.GetIval().Ival)
			if i < 1 || i > len(s.TargetList) {
				return item // resolve refuses these; keep the tree as it is
			}
			return proto.Clone(s.TargetList[i-1].GetResTarget().Val).(*pg_query.Node)
		}
		for i, g := range s.GroupClause {
			s.GroupClause[i] = expr(g)
		}
		for _, o := range s.SortClause {
			if sb := o.GetSortBy(); sb != nil {
				sb.Node = expr(sb.Node)
			}
		}
		return true
	})
}

// clickhouseNulls spells out PostgreSQL's NULL ordering: last ascending, first descending.
func clickhouseNulls(sb *pg_query.SortBy) {
	if sb.SortbyNulls != pg_query.SortByNulls_SORTBY_NULLS_DEFAULT {
		return
	}
	if sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC {
		sb.SortbyNulls = pg_query.SortByNulls_SORTBY_NULLS_FIRST
	} else {
		sb.SortbyNulls = pg_query.SortByNulls_SORTBY_NULLS_LAST
	}
}

// clickhouseILike turns x ILIKE p into lowerUTF8(x) LIKE lowerUTF8(p).
func clickhouseILike(e *pg_query.A_Expr) {
	e.Kind = pg_query.A_Expr_Kind_AEXPR_LIKE
	for _, n := range e.Name {
		if s := n.GetString_(); s != nil {
			s.Sval = strings.Replace(strings.Replace(s.Sval, "~~*", "~~", 1), "!~~*", "!~~", 1)
		}
	}
	e.Lexpr = chCall("lowerUTF8", e.Lexpr)
	e.Rexpr = chCall("lowerUTF8", e.Rexpr)
}

// clickhouseCast turns x::t into t's conversion function.
func clickhouseCast(n *pg_query.Node) error {
	tc := n.GetTypeCast()
	if tc.Location == checkedCastLocation {
		// A date the planner reads as its midnight for date_trunc: ClickHouse truncates a
		// Date itself, and toDateTime would read the midnight in the server's zone.
		n.Node = tc.Arg.Node
		return nil
	}
	names := tc.TypeName.GetNames()
	if len(names) == 0 || len(tc.TypeName.GetTypmods()) > 0 || len(tc.TypeName.GetArrayBounds()) > 0 {
		return refuseOnClickHouse("this cast")
	}
	typ := names[len(names)-1].GetString_().GetSval()
	fn, ok := clickhouseCasts[typ]
	if !ok {
		return refuseOnClickHouse("a cast to " + typ)
	}
	n.Node = chCall(fn, tc.Arg).Node
	return nil
}

// clickhouseCall respells one call, or refuses a function ClickHouse does not have.
func clickhouseCall(n *pg_query.Node) error {
	fc := n.GetFuncCall()
	_, name := funcName(fc)
	switch name {
	case "date_trunc":
		return clickhouseTrunc(n, fc)
	case "extract", "date_part":
		return clickhouseExtract(n, fc)
	case "timezone":
		// x AT TIME ZONE 'UTC', as the planner reads a date's midnight for date_trunc: the
		// gateway's ClickHouse sessions run in UTC, so the conversion is none.
		if len(fc.Args) == 2 && strings.EqualFold(fc.Args[0].GetAConst().GetSval().GetSval(), "UTC") {
			n.Node = fc.Args[1].Node
			return nil
		}
		return refuseOnClickHouse("a time zone other than UTC")
	}
	ch, ok := clickhouseFunctions[name]
	if !ok {
		return refuseOnClickHouse("the function " + name)
	}
	if ch == "" {
		ch = name
	}
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode(ch)}
	var value *pg_query.Node
	if len(fc.Args) > 0 {
		value = fc.Args[0]
	}
	if fc.AggFilter != nil {
		// agg(x) FILTER (WHERE c) is aggIf(x, c); count(*) FILTER (WHERE c) is countIf(c).
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode(ch + "If")}
		fc.Args = append(fc.Args, fc.AggFilter)
		fc.AggStar = false
	}
	if clickhouseAggNulls[name] && value != nil {
		clickhouseNullIfEmpty(n, value, fc.AggFilter)
	}
	fc.AggFilter = nil
	return nil
}

// clickhouseNullIfEmpty wraps the aggregate n over value as CASE WHEN count(value) > 0 THEN n
// END (countIf with the aggregate's filter), PostgreSQL's NULL for no values.
func clickhouseNullIfEmpty(n, value, filter *pg_query.Node) {
	count := chCall("count", proto.Clone(value).(*pg_query.Node))
	if filter != nil {
		count = chCall("countIf", proto.Clone(value).(*pg_query.Node), proto.Clone(filter).(*pg_query.Node))
	}
	agg := &pg_query.Node{Node: n.Node}
	cond := &pg_query.Node{Node: &pg_query.Node_AExpr{AExpr: &pg_query.A_Expr{
		Kind: pg_query.A_Expr_Kind_AEXPR_OP, Name: []*pg_query.Node{pg_query.MakeStrNode(">")},
		Lexpr: count, Rexpr: pg_query.MakeAConstIntNode(0, -1), Location: -1,
	}}}
	n.Node = &pg_query.Node_CaseExpr{CaseExpr: &pg_query.CaseExpr{
		Args:     []*pg_query.Node{{Node: &pg_query.Node_CaseWhen{CaseWhen: &pg_query.CaseWhen{Expr: cond, Result: agg, Location: -1}}}},
		Location: -1,
	}}
}

// clickhouseTrunc turns date_trunc('unit', x) into the unit's toStartOf function.
func clickhouseTrunc(n *pg_query.Node, fc *pg_query.FuncCall) error {
	unit, ok := "", len(fc.Args) == 2
	if ok {
		unit, ok = stringConst(fc.Args[0])
	}
	fn, known := clickhouseTruncs[strings.ToLower(unit)]
	if !ok || !known {
		return refuseOnClickHouse("date_trunc other than to year, quarter, month, week, day, hour or minute")
	}
	arg := fc.Args[1]
	if fn != "toStartOfYear" && fn != "toStartOfQuarter" && fn != "toStartOfMonth" && fn != "toMonday" {
		// The time-of-day truncations take a DateTime only; a Date becomes its midnight.
		arg = chCall("toDateTime", arg)
	}
	n.Node = chCall(fn, arg).Node
	return nil
}

// clickhouseExtract turns EXTRACT(field FROM x) into the field's function.
func clickhouseExtract(n *pg_query.Node, fc *pg_query.FuncCall) error {
	field, ok := "", len(fc.Args) == 2
	if ok {
		field, ok = stringConst(fc.Args[0])
	}
	fn, known := clickhouseExtracts[strings.ToLower(field)]
	if !ok || !known {
		return refuseOnClickHouse("EXTRACT of this field")
	}
	n.Node = chCall(fn, fc.Args[1]).Node
	return nil
}

// chCall is a call of a ClickHouse function.
func chCall(name string, args ...*pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname: []*pg_query.Node{pg_query.MakeStrNode(name)}, Args: args,
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL, Location: -1,
	}}}
}
