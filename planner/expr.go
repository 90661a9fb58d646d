package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// exprCtx is where an expression stands.
type exprCtx struct {
	// clause names the clause, for messages ("WHERE", "SELECT", ...).
	clause string
	// aggregated: the block aggregates, so a metric carrier becomes its metric's aggregation.
	aggregated bool
	// passthrough: the block hands carriers up; a bare carrier stays as it is.
	passthrough bool
	// inAgg: inside the arguments of an aggregate call.
	inAgg bool
}

// expr binds and type-checks an expression, rewriting metric references in place. It returns
// the expression's type.
func (b *binder) expr(n *pg_query.Node, sc *scope, c exprCtx) (Type, error) {
	if n == nil || n.Node == nil {
		return typeUnknown, nil
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return b.columnRef(n, v.ColumnRef, sc, c)
	case *pg_query.Node_AConst:
		return constType(v.AConst), nil
	case *pg_query.Node_ParamRef:
		return b.params.ref(v.ParamRef)
	case *pg_query.Node_TypeCast:
		from, err := b.expr(v.TypeCast.Arg, sc, c)
		if err != nil {
			return Type{}, err
		}
		t, name, ok := typeFromName(v.TypeCast.TypeName)
		if !ok {
			return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "type %s is not supported", name).WithPosition(b.pos(v.TypeCast.Location))
		}
		if err := checkTypmods(v.TypeCast.TypeName); err != nil {
			return Type{}, err
		}
		b.params.infer(v.TypeCast.Arg, t)
		b.zonedDate(v.TypeCast, from, t)
		b.noteCast(v.TypeCast, t)
		return t, nil
	case *pg_query.Node_FuncCall:
		return b.funcCall(n, v.FuncCall, sc, c)
	case *pg_query.Node_AExpr:
		return b.aExpr(n, v.AExpr, sc, c)
	case *pg_query.Node_BoolExpr:
		for _, a := range v.BoolExpr.Args {
			if _, err := b.expr(a, sc, c); err != nil {
				return Type{}, err
			}
		}
		return TypeBool, nil
	case *pg_query.Node_NullTest:
		_, err := b.expr(v.NullTest.Arg, sc, c)
		return TypeBool, err
	case *pg_query.Node_BooleanTest:
		_, err := b.expr(v.BooleanTest.Arg, sc, c)
		return TypeBool, err
	case *pg_query.Node_CaseExpr:
		return b.caseExpr(v.CaseExpr, sc, c)
	case *pg_query.Node_CoalesceExpr:
		return b.exprList(v.CoalesceExpr.Args, sc, c)
	case *pg_query.Node_MinMaxExpr:
		return b.exprList(v.MinMaxExpr.Args, sc, c)
	case *pg_query.Node_SubLink:
		return b.subLink(v.SubLink, sc, c)
	case *pg_query.Node_SqlvalueFunction:
		if val := b.sqlValueSession(v.SqlvalueFunction.Op); val != nil {
			n.Node = val.Node
			return TypeText, nil
		}
		return sqlValueType(v.SqlvalueFunction.Op), nil
	case *pg_query.Node_CollateClause:
		return b.expr(v.CollateClause.Arg, sc, c)
	case *pg_query.Node_List:
		return b.exprList(v.List.Items, sc, c)
	}
	return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "expression %s is not supported", nodeKind(n))
}

func (b *binder) exprList(items []*pg_query.Node, sc *scope, c exprCtx) (Type, error) {
	t := typeUnknown
	for _, a := range items {
		at, err := b.expr(a, sc, c)
		if err != nil {
			return Type{}, err
		}
		t = unify(t, at)
	}
	return t, nil
}

// columnName splits a column reference into relation and column, accepting the qualified
// spellings tools send (schema.table.column, db.schema.table.column) and shortening them to
// relation.column, since only the relation alias exists after substitution.
func (b *binder) columnName(cr *pg_query.ColumnRef) (rel, name string, err error) {
	parts := make([]string, 0, len(cr.Fields))
	for _, f := range cr.Fields {
		s := f.GetString_()
		if s == nil {
			return "", "", sqlerr.New(sqlerr.FeatureNotSupported, "* is not allowed here").WithPosition(b.pos(cr.Location))
		}
		parts = append(parts, s.Sval)
	}
	switch len(parts) {
	case 1:
		return "", parts[0], nil
	case 2:
		return parts[0], parts[1], nil
	case 3, 4:
		if len(parts) == 4 && parts[0] != b.sess.Database {
			return "", "", sqlerr.New(sqlerr.FeatureNotSupported, "cross-database references are not implemented: %s", strings.Join(parts, ".")).WithPosition(b.pos(cr.Location))
		}
		schema := parts[len(parts)-3]
		if schema != "public" {
			return "", "", sqlerr.New(sqlerr.UndefinedTable, "missing FROM-clause entry for table %q", schema+"."+parts[len(parts)-2]).WithPosition(b.pos(cr.Location))
		}
		return parts[len(parts)-2], parts[len(parts)-1], nil
	}
	return "", "", sqlerr.New(sqlerr.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, ".")).WithPosition(b.pos(cr.Location))
}

func (b *binder) columnRef(n *pg_query.Node, cr *pg_query.ColumnRef, sc *scope, c exprCtx) (Type, error) {
	rel, name, err := b.columnName(cr)
	if err != nil {
		return Type{}, err
	}
	pos := b.pos(cr.Location)
	r, err := sc.resolveColumn(rel, name, pos)
	if err != nil {
		return Type{}, err
	}
	b.bind(cr, r)
	// Normalise the reference to the relation.column the engine will see, with the catalog's
	// spelling of the name.
	if rel != "" {
		cr.Fields = []*pg_query.Node{pg_query.MakeStrNode(rel), pg_query.MakeStrNode(r.col.name)}
	} else {
		cr.Fields = []*pg_query.Node{pg_query.MakeStrNode(r.col.name)}
	}
	m := r.col.metric
	if m == nil {
		if r.dataset != "" {
			b.dims[r.dataset+"."+r.col.name] = true
		}
		return r.col.typ, nil
	}
	switch {
	case r.outer:
		return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "metric %q of an enclosing query cannot be used in a sub-select", m.Name).WithPosition(pos)
	case c.inAgg:
		return Type{}, sqlerr.New(sqlerr.GroupingError, "metric %q must be aggregated on its own", m.Name).
			WithHint("write MEASURE(%s) or the metric's own aggregate; expressions inside an aggregate cannot use metrics", m.Name).WithPosition(pos)
	case c.passthrough && c.clause == "SELECT":
		return r.col.typ, nil
	case c.aggregated && c.clause != "GROUP BY":
		ref := &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: cr}}
		val, err := b.metricValue(r, ref)
		if err != nil {
			return Type{}, err
		}
		n.Node = val.Node
		return r.col.typ, nil
	}
	return Type{}, metricMisuse(m.Name, c.clause, pos)
}

func metricMisuse(metric, clause string, pos int) error {
	e := sqlerr.New(sqlerr.GroupingError, "metric %q cannot be used in %s", metric, clause).WithPosition(pos)
	if clause == "WHERE" {
		e.Hint = "filter on metrics with HAVING"
	}
	return e
}

// funcName returns a function call's schema (or "") and lower-cased name.
func funcName(fc *pg_query.FuncCall) (schema, name string) {
	parts := fc.Funcname
	if len(parts) == 0 {
		return "", ""
	}
	name = strings.ToLower(parts[len(parts)-1].GetString_().GetSval())
	if len(parts) > 1 {
		schema = parts[len(parts)-2].GetString_().GetSval()
	}
	return schema, name
}

func (b *binder) funcCall(n *pg_query.Node, fc *pg_query.FuncCall, sc *scope, c exprCtx) (Type, error) {
	schema, name := funcName(fc)
	pos := b.pos(fc.Location)
	if schema == "" || schema == "pg_catalog" {
		if val, t, ok, err := b.sessionValue(name, fc.Args); ok {
			if err != nil {
				return Type{}, err
			}
			n.Node = val.Node
			return t, nil
		}
	}
	spec, ok := functions[name]
	if !ok || (schema != "" && schema != "pg_catalog") {
		full := name
		if schema != "" {
			full = schema + "." + name
		}
		return Type{}, sqlerr.New(sqlerr.UndefinedFunction, "function %s does not exist or is not allowed", full).
			WithHint("SetuPranali runs an allowlist of functions; see the README").WithPosition(pos)
	}
	if fc.FuncVariadic || fc.AggWithinGroup {
		return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "%s: VARIADIC and WITHIN GROUP are not supported", name).WithPosition(pos)
	}
	if fc.Over != nil {
		return b.windowCall(fc, spec, name, sc, c)
	}
	if spec.window {
		return Type{}, sqlerr.New(sqlerr.WrongObjectType, "window function %s requires an OVER clause", name).WithPosition(pos)
	}
	if name == "date" && len(fc.Args) == 1 {
		// PostgreSQL's date(x) is a cast; engines all know the cast.
		n.Node = &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
			Arg:      fc.Args[0],
			TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("date")}, Typemod: -1, Location: -1},
			Location: fc.Location,
		}}
		return b.expr(n, sc, c)
	}
	if !spec.aggregate {
		args, err := b.args(fc.Args, sc, c)
		if err != nil {
			return Type{}, err
		}
		if t, ok := b.zonedGrain(n, fc, name, args); ok {
			return t, nil
		}
		if err := capStringLength(fc, name); err != nil {
			return Type{}, err
		}
		switch name {
		case "to_char":
			if err := b.noteToChar(fc, args); err != nil {
				return Type{}, err
			}
		case "to_timestamp", "to_date":
			if err := b.noteParse(fc, name, args); err != nil {
				return Type{}, err
			}
		case "round":
			b.noteRound(fc, args)
		}
		return spec.ret(args), nil
	}

	switch {
	case c.inAgg:
		return Type{}, sqlerr.New(sqlerr.GroupingError, "aggregate function calls cannot be nested").WithPosition(pos)
	case c.clause == "WHERE" || c.clause == "GROUP BY" || c.clause == "JOIN conditions" || c.clause == "LIMIT":
		return Type{}, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", c.clause).WithPosition(pos)
	}
	if r, ref, cast, ok := b.metricArg(fc, sc); ok {
		m := r.col.metric
		if !matchesMetric(name, fc.AggDistinct, m) {
			spelled := strings.ToUpper(name)
			if fc.AggDistinct {
				spelled += "(DISTINCT)"
			}
			return Type{}, sqlerr.New(sqlerr.GroupingError, "%s does not match metric %q, which is %s", spelled, m.Name, metricKind(m)).
				WithHint("use MEASURE(%s) to apply the metric's own aggregation", m.Name).WithPosition(pos)
		}
		if fc.AggFilter != nil || len(fc.AggOrder) > 0 {
			return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "FILTER and ORDER BY inside an aggregate of metric %q are not supported", m.Name).WithPosition(pos)
		}
		val, err := b.metricValue(r, ref)
		if err != nil {
			return Type{}, err
		}
		if cast == nil {
			n.Node = val.Node
			return catalogType(m.ReturnType), nil
		}
		t, tname, ok := typeFromName(cast.TypeName)
		if !ok {
			return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "type %s is not supported", tname).WithPosition(b.pos(cast.Location))
		}
		if err := checkTypmods(cast.TypeName); err != nil {
			return Type{}, err
		}
		cast.Arg = val
		n.Node = &pg_query.Node_TypeCast{TypeCast: cast}
		return t, nil
	}
	if name == "measure" {
		return Type{}, sqlerr.New(sqlerr.GroupingError, "MEASURE() takes one metric column").WithPosition(pos)
	}
	inner := c
	inner.inAgg = true
	args, err := b.args(fc.Args, sc, inner)
	if err != nil {
		return Type{}, err
	}
	if fc.AggFilter != nil {
		if _, err := b.expr(fc.AggFilter, sc, inner); err != nil {
			return Type{}, err
		}
	}
	for _, o := range fc.AggOrder {
		if _, err := b.expr(o.GetSortBy().Node, sc, inner); err != nil {
			return Type{}, err
		}
	}
	if name == "count" && fc.AggStar {
		return TypeInt8, nil
	}
	return spec.ret(args), nil
}

// metricArg reports whether an aggregate's single argument is a metric carrier of this block.
// The argument may be cast (Power BI writes sum(cast("rows"."m" as decimal))): the cast then
// applies to the metric's value, returned as cast.
func (b *binder) metricArg(fc *pg_query.FuncCall, sc *scope) (r resolved, ref *pg_query.Node, cast *pg_query.TypeCast, ok bool) {
	if len(fc.Args) != 1 {
		return resolved{}, nil, nil, false
	}
	ref = fc.Args[0]
	if tc := ref.GetTypeCast(); tc != nil {
		cast, ref = tc, tc.Arg
	}
	cr := ref.GetColumnRef()
	if cr == nil {
		return resolved{}, nil, nil, false
	}
	rel, name, err := b.columnName(cr)
	if err != nil {
		return resolved{}, nil, nil, false
	}
	r, err = sc.resolveColumn(rel, name, 0)
	if err != nil || r.outer || r.col.metric == nil {
		return resolved{}, nil, nil, false
	}
	b.bind(cr, r)
	if rel != "" {
		cr.Fields = []*pg_query.Node{pg_query.MakeStrNode(rel), pg_query.MakeStrNode(r.col.name)}
	} else {
		cr.Fields = []*pg_query.Node{pg_query.MakeStrNode(r.col.name)}
	}
	return r, ref, cast, true
}

func (b *binder) windowCall(fc *pg_query.FuncCall, spec funcSpec, name string, sc *scope, c exprCtx) (Type, error) {
	if !spec.window && !spec.aggregate {
		return Type{}, sqlerr.New(sqlerr.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", name).WithPosition(b.pos(fc.Location))
	}
	if c.inAgg || c.clause == "WHERE" || c.clause == "GROUP BY" || c.clause == "HAVING" {
		return Type{}, sqlerr.New(sqlerr.GroupingError, "window functions are not allowed in %s", c.clause).WithPosition(b.pos(fc.Location))
	}
	args, err := b.args(fc.Args, sc, c)
	if err != nil {
		return Type{}, err
	}
	if err := b.windowDef(fc.Over, sc, c); err != nil {
		return Type{}, err
	}
	if name == "count" {
		return TypeInt8, nil
	}
	return spec.ret(args), nil
}

func (b *binder) args(args []*pg_query.Node, sc *scope, c exprCtx) ([]Type, error) {
	types := make([]Type, len(args))
	for i, a := range args {
		t, err := b.expr(a, sc, c)
		if err != nil {
			return nil, err
		}
		types[i] = t
	}
	return types, nil
}

func (b *binder) aExpr(n *pg_query.Node, e *pg_query.A_Expr, sc *scope, c exprCtx) (Type, error) {
	lt, err := b.expr(e.Lexpr, sc, c)
	if err != nil {
		return Type{}, err
	}
	rt, err := b.expr(e.Rexpr, sc, c)
	if err != nil {
		return Type{}, err
	}
	b.inferOperands(e, lt, rt)
	op := ""
	if len(e.Name) > 0 {
		op = e.Name[len(e.Name)-1].GetString_().GetSval()
	}
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		return b.operator(e, op, lt, rt)
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		b.noteLikeEscape(n, e)
		return TypeBool, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return lt, nil
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL,
		pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT,
		pg_query.A_Expr_Kind_AEXPR_IN, pg_query.A_Expr_Kind_AEXPR_SIMILAR, pg_query.A_Expr_Kind_AEXPR_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN, pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM,
		pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		return TypeBool, nil
	}
	return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "operator %s is not supported", op).WithPosition(b.pos(e.Location))
}

// operator types a binary or unary operator the way PostgreSQL resolves the common ones.
func (b *binder) operator(e *pg_query.A_Expr, op string, lt, rt Type) (Type, error) {
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=", "~~", "!~~", "~~*", "!~~*", "~", "!~", "~*", "!~*":
		return TypeBool, nil
	case "||":
		return TypeText, nil
	case "+", "-", "*", "/", "%":
		if e.Lexpr == nil {
			return rt, nil
		}
		if op == "/" && isInteger(lt) && isInteger(rt) {
			b.intDivisions = append(b.intDivisions, e)
		}
		return arithmeticType(op, lt, rt), nil
	}
	return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "operator %s is not supported", op).WithPosition(b.pos(e.Location))
}

// arithmeticType follows PostgreSQL: numbers promote; date ± integer is a date; date - date is an
// integer; timestamp - timestamp is an interval.
func arithmeticType(op string, lt, rt Type) Type {
	isTime := func(t Type) bool {
		return t.OID == TypeDate.OID || t.OID == TypeTimestamp.OID || t.OID == TypeTimestamptz.OID
	}
	switch {
	case lt.OID == TypeDate.OID && rt.OID == TypeDate.OID && op == "-":
		return TypeInt4
	case isTime(lt) && isTime(rt) && op == "-":
		return TypeInterval
	case lt.OID == TypeDate.OID && isInteger(rt):
		return TypeDate
	case isTime(lt) && rt.OID == TypeInterval.OID:
		if lt.OID == TypeDate.OID {
			return TypeTimestamp
		}
		return lt
	case lt == typeUnknown && rt == typeUnknown:
		return TypeNumeric
	}
	return unify(lt, rt)
}

func (b *binder) caseExpr(e *pg_query.CaseExpr, sc *scope, c exprCtx) (Type, error) {
	if _, err := b.expr(e.Arg, sc, c); err != nil {
		return Type{}, err
	}
	t := typeUnknown
	for _, w := range e.Args {
		cw := w.GetCaseWhen()
		if _, err := b.expr(cw.Expr, sc, c); err != nil {
			return Type{}, err
		}
		rt, err := b.expr(cw.Result, sc, c)
		if err != nil {
			return Type{}, err
		}
		t = unify(t, rt)
	}
	dt, err := b.expr(e.Defresult, sc, c)
	if err != nil {
		return Type{}, err
	}
	return unify(t, dt), nil
}

func (b *binder) subLink(s *pg_query.SubLink, sc *scope, c exprCtx) (Type, error) {
	if c.inAgg {
		return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "sub-selects inside aggregates are not supported").WithPosition(b.pos(s.Location))
	}
	if s.Testexpr != nil {
		if _, err := b.expr(s.Testexpr, sc, c); err != nil {
			return Type{}, err
		}
	}
	sub := s.Subselect.GetSelectStmt()
	if sub == nil {
		return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "unsupported sub-select")
	}
	cols, err := b.selectStmt(sub, sc, blockOpts{})
	if err != nil {
		return Type{}, err
	}
	switch s.SubLinkType {
	case pg_query.SubLinkType_EXPR_SUBLINK:
		if len(cols) != 1 {
			return Type{}, sqlerr.New(sqlerr.SyntaxError, "subquery must return only one column").WithPosition(b.pos(s.Location))
		}
		return cols[0].typ, nil
	case pg_query.SubLinkType_EXISTS_SUBLINK, pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		return TypeBool, nil
	}
	return Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "this kind of sub-select is not supported").WithPosition(b.pos(s.Location))
}

func constType(c *pg_query.A_Const) Type {
	if c.Isnull {
		return typeUnknown
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return TypeInt4
	case *pg_query.A_Const_Fval:
		// The parser leaves integers too large for int4 as "float" strings; PostgreSQL types
		// those as int8 and true decimals as numeric.
		if !strings.ContainsAny(v.Fval.Fval, ".eE") {
			return TypeInt8
		}
		return TypeNumeric
	case *pg_query.A_Const_Boolval:
		return TypeBool
	case *pg_query.A_Const_Sval, *pg_query.A_Const_Bsval:
		return typeUnknown
	}
	return typeUnknown
}

func sqlValueType(op pg_query.SQLValueFunctionOp) Type {
	switch op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return TypeDate
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N,
		pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return TypeTime
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return TypeTimestamptz
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return TypeTimestamp
	}
	return TypeText
}
