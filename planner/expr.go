package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
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

// expr binds and type-checks an expression and returns its type. Metric references it decides
// to aggregate are left to the expand pass (expand.go).
func (b *binder) expr(n *pg_query.Node, sc *scope, c exprCtx) (pgtypes.Type, error) {
	if n == nil || n.Node == nil {
		return pgtypes.Unknown, nil
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		return b.columnRef(n, v.ColumnRef, sc, c)
	case *pg_query.Node_AConst:
		return constType(v.AConst), nil
	case *pg_query.Node_ParamRef:
		t, err := b.params.ref(v.ParamRef)
		b.params.castDeclared(n, t)
		return t, err
	case *pg_query.Node_TypeCast:
		from, err := b.expr(v.TypeCast.Arg, sc, c)
		if err != nil {
			return pgtypes.Type{}, err
		}
		t, name, ok := typeFromName(v.TypeCast.TypeName)
		if !ok {
			return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "type %s is not supported", name).WithPosition(b.pos(v.TypeCast.Location))
		}
		if err := checkTypmods(v.TypeCast.TypeName); err != nil {
			return pgtypes.Type{}, err
		}
		b.params.infer(v.TypeCast.Arg, t)
		tc := v.TypeCast
		cast, err := b.zonedCast(n, tc, from, t)
		if err != nil {
			return pgtypes.Type{}, err
		}
		b.fixes.noteCast(tc, from, cast)
		return t, nil
	case *pg_query.Node_FuncCall:
		return b.funcCall(n, v.FuncCall, sc, c)
	case *pg_query.Node_AExpr:
		return b.aExpr(n, v.AExpr, sc, c)
	case *pg_query.Node_BoolExpr:
		for _, a := range v.BoolExpr.Args {
			if _, err := b.expr(a, sc, c); err != nil {
				return pgtypes.Type{}, err
			}
		}
		return pgtypes.Bool, nil
	case *pg_query.Node_NullTest:
		_, err := b.expr(v.NullTest.Arg, sc, c)
		return pgtypes.Bool, err
	case *pg_query.Node_BooleanTest:
		_, err := b.expr(v.BooleanTest.Arg, sc, c)
		return pgtypes.Bool, err
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
			return pgtypes.Text, nil
		}
		t := sqlValueType(v.SqlvalueFunction.Op)
		if t.OID != pgtypes.Text.OID {
			// current_date, current_timestamp, localtime, ...: the time of the query.
			b.readsClock = true
		}
		if b.localClock(n, v.SqlvalueFunction.Op) {
			return t, nil
		}
		return sqlValueType(v.SqlvalueFunction.Op), nil
	case *pg_query.Node_CollateClause:
		return b.expr(v.CollateClause.Arg, sc, c)
	case *pg_query.Node_List:
		return b.exprList(v.List.Items, sc, c)
	}
	return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "expression %s is not supported", nodeKind(n))
}

func (b *binder) exprList(items []*pg_query.Node, sc *scope, c exprCtx) (pgtypes.Type, error) {
	t := pgtypes.Unknown
	types := make([]pgtypes.Type, len(items))
	for i, a := range items {
		at, err := b.expr(a, sc, c)
		if err != nil {
			return pgtypes.Type{}, err
		}
		types[i] = at
		t = unify(t, at)
	}
	b.zonedBranches(items, types, t)
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

func (b *binder) columnRef(n *pg_query.Node, cr *pg_query.ColumnRef, sc *scope, c exprCtx) (pgtypes.Type, error) {
	rel, name, err := b.columnName(cr)
	if err != nil {
		return pgtypes.Type{}, err
	}
	pos := b.pos(cr.Location)
	r, err := sc.resolveColumn(rel, name, pos)
	if err != nil {
		return pgtypes.Type{}, err
	}
	b.bind(cr, r)
	normalizeRef(cr, rel, r.col.name)
	m := r.col.metric
	if m == nil {
		if r.dataset != "" {
			b.dims[r.dataset+"."+r.col.name] = true
		}
		return r.col.typ, nil
	}
	switch {
	case r.outer:
		return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "metric %q of an enclosing query cannot be used in a sub-select", m.Name).WithPosition(pos)
	case c.inAgg:
		return pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "metric %q must be aggregated on its own", m.Name).
			WithHint("write MEASURE(%s) or the metric's own aggregate; expressions inside an aggregate cannot use metrics", m.Name).WithPosition(pos)
	case c.passthrough && c.clause == "SELECT":
		b.carried(r)
		return r.col.typ, nil
	case c.aggregated && c.clause != "GROUP BY":
		b.expand(n, r, &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: cr}}, nil)
		return r.col.typ, nil
	}
	return pgtypes.Type{}, metricMisuse(m.Name, c.clause, pos)
}

func metricMisuse(metric, clause string, pos int) error {
	e := sqlerr.New(sqlerr.GroupingError, "metric %q cannot be used in %s", metric, clause).WithPosition(pos)
	switch clause {
	case "WHERE":
		e.Hint = "a condition on a metric in WHERE filters groups (as HAVING) only in a block that aggregates; this sub-select passes the metric through to the block that does, so filter there"
	case "GROUP BY":
		e.Hint = "a metric as a GROUP BY key adds no grouping and is dropped; here it is mixed with other columns"
	}
	return e
}

func (b *binder) aExpr(n *pg_query.Node, e *pg_query.A_Expr, sc *scope, c exprCtx) (pgtypes.Type, error) {
	if e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY || e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL {
		return b.arrayCompare(n, e, sc, c)
	}
	lt, err := b.expr(e.Lexpr, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	rt, err := b.expr(e.Rexpr, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	b.inferOperands(e, lt, rt)
	op := ""
	if len(e.Name) > 0 {
		op = e.Name[len(e.Name)-1].GetString_().GetSval()
	}
	if err := b.noteRegex(e, op); err != nil {
		return pgtypes.Type{}, err
	}
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		t, err := b.operator(e, op, lt, rt)
		if err == nil {
			err = b.zonedInterval(n, e, op, lt, rt)
		}
		return t, err
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		b.fixes.noteLikeEscape(n, e)
		return pgtypes.Bool, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return lt, nil
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL,
		pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT,
		pg_query.A_Expr_Kind_AEXPR_IN, pg_query.A_Expr_Kind_AEXPR_SIMILAR, pg_query.A_Expr_Kind_AEXPR_BETWEEN,
		pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN, pg_query.A_Expr_Kind_AEXPR_BETWEEN_SYM,
		pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN_SYM:
		return pgtypes.Bool, nil
	}
	return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "operator %s is not supported", op).WithPosition(b.pos(e.Location))
}

// operator types a binary or unary operator the way PostgreSQL resolves the common ones.
func (b *binder) operator(e *pg_query.A_Expr, op string, lt, rt pgtypes.Type) (pgtypes.Type, error) {
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=", "~~", "!~~", "~~*", "!~~*", "~", "!~", "~*", "!~*":
		return pgtypes.Bool, nil
	case "||":
		if err := b.instantText(e, lt, rt); err != nil {
			return pgtypes.Type{}, err
		}
		b.fixes.noteConcat(e, lt, rt)
		return pgtypes.Text, nil
	case "+", "-", "*", "/", "%":
		if e.Lexpr == nil {
			return rt, nil
		}
		if op == "/" && pgtypes.IsInteger(lt) && pgtypes.IsInteger(rt) {
			b.fixes.intDivisions = append(b.fixes.intDivisions, e)
		}
		return arithmeticType(op, lt, rt), nil
	}
	return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "operator %s is not supported", op).WithPosition(b.pos(e.Location))
}

// arithmeticType follows PostgreSQL: numbers promote; date ± integer is a date; date - date is an
// integer; timestamp - timestamp is an interval; date + time is a timestamp; an interval scaled is one.
func arithmeticType(op string, lt, rt pgtypes.Type) pgtypes.Type {
	isTime := func(t pgtypes.Type) bool {
		return t.OID == pgtypes.Date.OID || t.OID == pgtypes.Timestamp.OID || t.OID == pgtypes.Timestamptz.OID
	}
	switch {
	case lt.OID == pgtypes.Date.OID && rt.OID == pgtypes.Date.OID && op == "-":
		return pgtypes.Int4
	case isTime(lt) && isTime(rt) && op == "-":
		return pgtypes.Interval
	case (lt.OID == pgtypes.Timestamp.OID || lt.OID == pgtypes.Timestamptz.OID) && rt == pgtypes.Unknown && op == "-":
		// PostgreSQL reads the untyped side as the other's type: a difference of two times.
		return pgtypes.Interval
	case lt.OID == pgtypes.Date.OID && pgtypes.IsInteger(rt):
		return pgtypes.Date
	case (op == "*" || op == "/") && (lt.OID == pgtypes.Interval.OID || rt.OID == pgtypes.Interval.OID):
		return pgtypes.Interval
	case op == "+" && (lt.OID == pgtypes.Date.OID && rt.OID == pgtypes.Time.OID || lt.OID == pgtypes.Time.OID && rt.OID == pgtypes.Date.OID):
		// date + time is a wall-clock timestamp, which a cast to timestamptz reads in the zone.
		return pgtypes.Timestamp
	case isTime(lt) && rt.OID == pgtypes.Interval.OID:
		if lt.OID == pgtypes.Date.OID {
			return pgtypes.Timestamp
		}
		return lt
	case lt == pgtypes.Unknown && rt == pgtypes.Unknown:
		return pgtypes.Numeric
	}
	return unify(lt, rt)
}

func (b *binder) caseExpr(e *pg_query.CaseExpr, sc *scope, c exprCtx) (pgtypes.Type, error) {
	if _, err := b.expr(e.Arg, sc, c); err != nil {
		return pgtypes.Type{}, err
	}
	t := pgtypes.Unknown
	var results []*pg_query.Node
	var types []pgtypes.Type
	for _, w := range e.Args {
		cw := w.GetCaseWhen()
		if _, err := b.expr(cw.Expr, sc, c); err != nil {
			return pgtypes.Type{}, err
		}
		rt, err := b.expr(cw.Result, sc, c)
		if err != nil {
			return pgtypes.Type{}, err
		}
		t = unify(t, rt)
		results, types = append(results, cw.Result), append(types, rt)
	}
	dt, err := b.expr(e.Defresult, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	t = unify(t, dt)
	b.zonedBranches(append(results, e.Defresult), append(types, dt), t)
	return t, nil
}

func (b *binder) subLink(s *pg_query.SubLink, sc *scope, c exprCtx) (pgtypes.Type, error) {
	if c.inAgg {
		return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "sub-selects inside aggregates are not supported").WithPosition(b.pos(s.Location))
	}
	if s.Testexpr != nil {
		if _, err := b.expr(s.Testexpr, sc, c); err != nil {
			return pgtypes.Type{}, err
		}
	}
	sub := s.Subselect.GetSelectStmt()
	if sub == nil {
		return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "unsupported sub-select")
	}
	cols, err := b.selectStmt(sub, sc, blockOpts{})
	if err != nil {
		return pgtypes.Type{}, err
	}
	switch s.SubLinkType {
	case pg_query.SubLinkType_EXPR_SUBLINK:
		if len(cols) != 1 {
			return pgtypes.Type{}, sqlerr.New(sqlerr.SyntaxError, "subquery must return only one column").WithPosition(b.pos(s.Location))
		}
		return cols[0].typ, nil
	case pg_query.SubLinkType_EXISTS_SUBLINK, pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		return pgtypes.Bool, nil
	}
	return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "this kind of sub-select is not supported").WithPosition(b.pos(s.Location))
}

func constType(c *pg_query.A_Const) pgtypes.Type {
	if c.Isnull {
		return pgtypes.Unknown
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return pgtypes.Int4
	case *pg_query.A_Const_Fval:
		// The parser leaves integers too large for int4 as "float" strings; PostgreSQL types
		// those as int8 and true decimals as numeric.
		if !strings.ContainsAny(v.Fval.Fval, ".eE") {
			return pgtypes.Int8
		}
		return pgtypes.Numeric
	case *pg_query.A_Const_Boolval:
		return pgtypes.Bool
	case *pg_query.A_Const_Sval, *pg_query.A_Const_Bsval:
		return pgtypes.Unknown
	}
	return pgtypes.Unknown
}

func sqlValueType(op pg_query.SQLValueFunctionOp) pgtypes.Type {
	switch op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return pgtypes.Date
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N,
		pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return pgtypes.Time
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return pgtypes.Timestamptz
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return pgtypes.Timestamp
	}
	return pgtypes.Text
}
