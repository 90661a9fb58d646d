package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Function calls, as resolve binds them. One entry (funcCall) dispatches by kind of call:
// session values (session.go), the allowlist, window calls, scalar calls and aggregates; an
// aggregate over a metric carrier is the metric's own aggregation (matchesMetric), left to the
// expand pass.

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

// funcCall binds a function call and returns its type.
func (b *binder) funcCall(n *pg_query.Node, fc *pg_query.FuncCall, sc *scope, c exprCtx) (pgtypes.Type, error) {
	schema, name := funcName(fc)
	if name == "statement_timestamp" && len(fc.Args) == 0 {
		// The gateway runs each statement on its own: its start is the transaction's, now().
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("now")}
		name = "now"
	}
	if name == "now" {
		b.readsClock = true
	}
	if schema == "" || schema == "pg_catalog" {
		if val, t, ok, err := b.sessionValue(name, fc.Args); ok {
			if err != nil {
				return pgtypes.Type{}, err
			}
			n.Node = val.Node
			return t, nil
		}
	}
	if (name == "dateadd" || name == "datediff") && schema == "" {
		return b.dateAddDiff(n, fc, name, sc, c)
	}
	spec, err := b.allowed(fc, schema, name)
	if err != nil {
		return pgtypes.Type{}, err
	}
	switch {
	case fc.Over != nil:
		return b.windowCall(fc, spec, name, sc, c)
	case spec.window:
		return pgtypes.Type{}, sqlerr.New(sqlerr.WrongObjectType, "window function %s requires an OVER clause", name).WithPosition(b.pos(fc.Location))
	case name == "date" && len(fc.Args) == 1:
		// PostgreSQL's date(x) is a cast; engines all know the cast.
		n.Node = &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
			Arg:      fc.Args[0],
			TypeName: &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("date")}, Typemod: -1, Location: -1},
			Location: fc.Location,
		}}
		return b.expr(n, sc, c)
	case !spec.aggregate:
		return b.scalarCall(n, fc, spec, name, sc, c)
	}
	return b.aggregateCall(n, fc, spec, name, sc, c)
}

// allowed looks a call up in the allowlist: a function not on it does not exist for a client.
func (b *binder) allowed(fc *pg_query.FuncCall, schema, name string) (funcSpec, error) {
	pos := b.pos(fc.Location)
	spec, ok := functions[name]
	if !ok || (schema != "" && schema != "pg_catalog") {
		full := name
		if schema != "" {
			full = schema + "." + name
		}
		return funcSpec{}, sqlerr.New(sqlerr.UndefinedFunction, "function %s does not exist or is not allowed", full).
			WithHint("SetuPranali runs an allowlist of functions; see the README").WithPosition(pos)
	}
	if fc.FuncVariadic || fc.AggWithinGroup != spec.orderedSet {
		if spec.orderedSet {
			// PostgreSQL finds no such plain function: 42883.
			return funcSpec{}, sqlerr.New(sqlerr.UndefinedFunction, "function %s without WITHIN GROUP does not exist", name).
				WithHint("%s is an ordered-set aggregate: %s(...) WITHIN GROUP (ORDER BY x)", name, name).WithPosition(pos)
		}
		return funcSpec{}, sqlerr.New(sqlerr.FeatureNotSupported, "%s: VARIADIC and WITHIN GROUP are not supported", name).WithPosition(pos)
	}
	return spec, nil
}

// scalarCall binds a call that is neither an aggregate nor a window function: its grains are
// moved into the session's zone, and the calls the limits pass caps or the dialect pass
// respells are noted.
func (b *binder) scalarCall(n *pg_query.Node, fc *pg_query.FuncCall, spec funcSpec, name string, sc *scope, c exprCtx) (pgtypes.Type, error) {
	b.fixes.canonicalUnit(fc, name)
	args, err := b.args(fc.Args, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	if err := b.extractOfDate(fc, name, args); err != nil {
		return pgtypes.Type{}, err
	}
	// An instant's epoch is the same in every zone: it is not a grain of the zone's
	// wall-clock time.
	if epoch := b.fixes.noteDatePart(n, fc, name, args); !epoch {
		if t, ok := b.zonedGrain(n, fc, name, args); ok {
			return t, nil
		}
	}
	if stringGrowth[name] {
		b.stringCaps = append(b.stringCaps, stringCap{fc, name})
	}
	if err := b.noteCall(n, fc, name, args); err != nil {
		return pgtypes.Type{}, err
	}
	return spec.ret(args), nil
}

// aggregateCall binds an aggregate: over a metric carrier it is the metric's aggregation,
// otherwise an ordinary aggregate whose arguments may not hold metrics.
func (b *binder) aggregateCall(n *pg_query.Node, fc *pg_query.FuncCall, spec funcSpec, name string, sc *scope, c exprCtx) (pgtypes.Type, error) {
	pos := b.pos(fc.Location)
	switch {
	case c.inAgg:
		return pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "aggregate function calls cannot be nested").WithPosition(pos)
	case c.clause == "WHERE" || c.clause == "GROUP BY" || c.clause == "JOIN conditions" || c.clause == "LIMIT":
		return pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "aggregate functions are not allowed in %s", c.clause).WithPosition(pos)
	}
	if r, ref, cast, ok := b.metricArg(fc, sc); ok {
		return b.metricCall(n, fc, name, r, ref, cast)
	}
	if name == "measure" {
		return pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "MEASURE() takes one metric column").WithPosition(pos)
	}
	if err := b.orderedSetOfMetric(fc, spec, name, sc); err != nil {
		return pgtypes.Type{}, err
	}
	if handled, t, err := b.metricInsideAggregate(n, fc, name, sc, c); handled {
		// An aggregate around an expression of metrics (shapes.go).
		return t, err
	}
	inner := c
	inner.inAgg = true
	args, err := b.args(fc.Args, sc, inner)
	if err != nil {
		return pgtypes.Type{}, err
	}
	if fc.AggFilter != nil {
		if _, err := b.expr(fc.AggFilter, sc, inner); err != nil {
			return pgtypes.Type{}, err
		}
	}
	var orderTypes []pgtypes.Type
	for _, o := range fc.AggOrder {
		t, err := b.expr(o.GetSortBy().Node, sc, inner)
		if err != nil {
			return pgtypes.Type{}, err
		}
		orderTypes = append(orderTypes, t)
	}
	if spec.orderedSet {
		// percentile_disc and mode return one of the ordered values; percentile_cont a double.
		return spec.ret(orderTypes), nil
	}
	if name == "count" && fc.AggStar {
		return pgtypes.Int8, nil
	}
	return spec.ret(args), nil
}

// metricCall binds an aggregate over a metric carrier (SUM(m), MEASURE(m), sum(cast(m AS t))):
// the aggregate must fit the metric, and then means the metric's own aggregation, which the
// expand pass writes where the call stands.
func (b *binder) metricCall(n *pg_query.Node, fc *pg_query.FuncCall, name string, r resolved, ref *pg_query.Node, cast *pg_query.TypeCast) (pgtypes.Type, error) {
	pos := b.pos(fc.Location)
	m := r.col.metric
	if !matchesMetric(name, fc.AggDistinct, m) {
		// Another aggregate around a metric: its meaning per shape is in shapes.go.
		if handled, t, err := b.wrappedMetric(n, fc, name, r, ref); handled {
			return t, err
		}
	}
	if fc.AggFilter != nil || len(fc.AggOrder) > 0 {
		return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "FILTER and ORDER BY inside an aggregate of metric %q are not supported", m.Name).WithPosition(pos)
	}
	if cast == nil {
		b.expand(n, r, ref, nil)
		return catalogType(m.ReturnType), nil
	}
	t, tname, ok := typeFromName(cast.TypeName)
	if !ok {
		return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "type %s is not supported", tname).WithPosition(b.pos(cast.Location))
	}
	if err := checkTypmods(cast.TypeName); err != nil {
		return pgtypes.Type{}, err
	}
	b.fixes.noteNumericCast(cast, catalogType(m.ReturnType), t)
	b.expand(n, r, ref, cast)
	return t, nil
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
	normalizeRef(cr, rel, r.col.name)
	return r, ref, cast, true
}

// normalizeRef respells a column reference as the relation.column the engine will see, with
// the catalog's spelling of the name.
func normalizeRef(cr *pg_query.ColumnRef, rel, name string) {
	if rel != "" {
		cr.Fields = []*pg_query.Node{pg_query.MakeStrNode(rel), pg_query.MakeStrNode(name)}
	} else {
		cr.Fields = []*pg_query.Node{pg_query.MakeStrNode(name)}
	}
}

func (b *binder) windowCall(fc *pg_query.FuncCall, spec funcSpec, name string, sc *scope, c exprCtx) (pgtypes.Type, error) {
	if !spec.window && !spec.aggregate {
		return pgtypes.Type{}, sqlerr.New(sqlerr.WrongObjectType, "OVER specified, but %s is not a window function nor an aggregate function", name).WithPosition(b.pos(fc.Location))
	}
	if c.inAgg || c.clause == "WHERE" || c.clause == "GROUP BY" || c.clause == "HAVING" {
		return pgtypes.Type{}, sqlerr.New(sqlerr.GroupingError, "window functions are not allowed in %s", c.clause).WithPosition(b.pos(fc.Location))
	}
	args, err := b.args(fc.Args, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	if err := b.windowDef(fc.Over, sc, c); err != nil {
		return pgtypes.Type{}, err
	}
	if name == "count" {
		return pgtypes.Int8, nil
	}
	return spec.ret(args), nil
}

func (b *binder) args(args []*pg_query.Node, sc *scope, c exprCtx) ([]pgtypes.Type, error) {
	types := make([]pgtypes.Type, len(args))
	for i, a := range args {
		t, err := b.expr(a, sc, c)
		if err != nil {
			return nil, err
		}
		types[i] = t
	}
	return types, nil
}

// orderedSetOfMetric refuses a percentile or mode of a metric of this block: the metric has a
// value per group of some grain, and the query names none. The hint shows the shape that does.
func (b *binder) orderedSetOfMetric(fc *pg_query.FuncCall, spec funcSpec, name string, sc *scope) error {
	if !spec.orderedSet || len(fc.AggOrder) != 1 {
		return nil
	}
	cr := fc.AggOrder[0].GetSortBy().GetNode().GetColumnRef()
	if cr == nil {
		return nil
	}
	rel, col, err := b.columnName(cr)
	if err != nil {
		return nil
	}
	r, err := sc.resolveColumn(rel, col, 0)
	if err != nil || r.outer || r.col.metric == nil {
		return nil
	}
	m := r.col.metric.Name
	return sqlerr.New(sqlerr.GroupingError, "%s of metric %q needs the grain its values are computed at", name, m).
		WithHint("compute the metric per group in a subquery: SELECT %s(...) WITHIN GROUP (ORDER BY %s) FROM (SELECT <dimension>, %s FROM <dataset> GROUP BY <dimension>) t", name, m, m).
		WithPosition(b.pos(fc.Location))
}
