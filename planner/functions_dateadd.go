package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// DATEADD and DATEDIFF are Redshift's and Snowflake's, which ThoughtSpot and other tools send
// to any "PostgreSQL": PostgreSQL has neither, so the binder writes each as PostgreSQL
// expressions every engine runs the same way, with this meaning (the README's function list):
//
//   - DATEADD(unit, n, x) is x + n units: a date or timestamp gives a timestamp (as on Redshift),
//     a timestamptz a timestamptz. n must be an integer. Months clamp to the month's last day
//     (Jan 31 + 1 month is Feb 28), as PostgreSQL's interval arithmetic does.
//   - DATEDIFF(unit, a, b) counts the unit boundaries crossed going from a to b (Snowflake and
//     Redshift): DATEDIFF(year, '2019-12-31', '2020-01-01') is 1, DATEDIFF(day, '2020-01-01
//     23:59', '2020-01-02 00:01') is 1. Weeks start on Monday (ISO, as date_trunc('week')).
//     The result is a bigint; an instant is read in the grain zone.
//
// The unit is written bare (DATEADD(day, ...)) or quoted; its spellings are Redshift's.

// dateUnits maps the spellings of a DATEADD/DATEDIFF unit to its canonical name.
var dateUnits = map[string]string{}

func init() {
	for canon, names := range map[string][]string{
		"year":    {"year", "years", "y", "yy", "yyy", "yyyy", "yr", "yrs"},
		"quarter": {"quarter", "quarters", "qtr", "qtrs", "q", "qq"},
		"month":   {"month", "months", "mon", "mons", "mm"},
		"week":    {"week", "weeks", "w", "wk", "wks"},
		"day":     {"day", "days", "d", "dd"},
		"hour":    {"hour", "hours", "h", "hh", "hr", "hrs"},
		"minute":  {"minute", "minutes", "m", "mi", "min", "mins"},
		"second":  {"second", "seconds", "s", "ss", "sec", "secs"},
	} {
		for _, n := range names {
			dateUnits[n] = canon
		}
	}
}

// dateAddIntervals is one unit of DATEADD as a PostgreSQL interval.
var dateAddIntervals = map[string]string{
	"year": "1 year", "quarter": "3 months", "month": "1 month", "week": "7 days",
	"day": "1 day", "hour": "1 hour", "minute": "1 minute", "second": "1 second",
}

// dateDiffSeconds is the length of a fixed unit of DATEDIFF in seconds.
var dateDiffSeconds = map[string]int64{
	"week": 7 * 86400, "day": 86400, "hour": 3600, "minute": 60, "second": 1,
}

// dateUnitArg reads the unit argument of DATEADD/DATEDIFF: a bare word or a string.
func (b *binder) dateUnitArg(fc *pg_query.FuncCall, name string) (string, error) {
	a := fc.Args[0]
	word := ""
	if cr := a.GetColumnRef(); cr != nil && len(cr.Fields) == 1 {
		word = cr.Fields[0].GetString_().GetSval()
	} else if s := a.GetAConst().GetSval(); s != nil {
		word = s.Sval
	}
	unit, ok := dateUnits[strings.ToLower(word)]
	if !ok {
		return "", sqlerr.New(sqlerr.InvalidParameterValue, "%s unit %q is not recognized", strings.ToUpper(name), word).
			WithHint("use year, quarter, month, week, day, hour, minute or second").WithPosition(b.pos(fc.Location))
	}
	return unit, nil
}

// dateAddDiff binds DATEADD or DATEDIFF by writing it as PostgreSQL expressions over its bound
// arguments.
func (b *binder) dateAddDiff(n *pg_query.Node, fc *pg_query.FuncCall, name string, sc *scope, c exprCtx) (pgtypes.Type, error) {
	if len(fc.Args) != 3 || fc.AggStar || fc.Over != nil || len(fc.AggOrder) > 0 || fc.AggFilter != nil || fc.AggDistinct {
		return pgtypes.Type{}, sqlerr.New(sqlerr.UndefinedFunction, "%s takes a unit and two values", strings.ToUpper(name)).WithPosition(b.pos(fc.Location))
	}
	unit, err := b.dateUnitArg(fc, name)
	if err != nil {
		return pgtypes.Type{}, err
	}
	if name == "dateadd" {
		return b.dateAdd(n, fc, unit, sc, c)
	}
	return b.dateDiff(n, fc, unit, sc, c)
}

// dateAdd writes DATEADD(unit, k, x) as x + k * interval '1 unit'.
func (b *binder) dateAdd(n *pg_query.Node, fc *pg_query.FuncCall, unit string, sc *scope, c exprCtx) (pgtypes.Type, error) {
	types, err := b.args(fc.Args[1:], sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	if !pgtypes.IsInteger(types[0]) {
		return pgtypes.Type{}, sqlerr.New(sqlerr.UndefinedFunction, "DATEADD's count must be an integer, not %s", types[0].Name).
			WithHint("cast it: DATEADD(%s, CAST(n AS int), x)", unit).WithPosition(b.pos(fc.Location))
	}
	x, ret, err := b.dateValue(fc, fc.Args[2], types[1], false)
	if err != nil {
		return pgtypes.Type{}, err
	}
	step := makeOp("*", fc.Args[1], makeCast(pg_query.MakeAConstStrNode(dateAddIntervals[unit], -1), "interval"))
	n.Node = makeOp("+", x, step).Node
	if ret.OID == pgtypes.Timestamptz.OID {
		b.zonedStep(n, dateAddIntervals[unit])
	}
	return ret, nil
}

// dateDiff writes DATEDIFF(unit, a, b) as the difference of the two values' unit boundaries.
func (b *binder) dateDiff(n *pg_query.Node, fc *pg_query.FuncCall, unit string, sc *scope, c exprCtx) (pgtypes.Type, error) {
	// Calendar units read two fields of each value; the second reading is a copy, bound on its
	// own like any expression a client writes twice.
	from, to := fc.Args[1], fc.Args[2]
	from2, to2 := cloneNode(from), cloneNode(to)
	vals := []*pg_query.Node{from, to}
	if _, fixed := dateDiffSeconds[unit]; !fixed {
		vals = append(vals, from2, to2)
	}
	types, err := b.args(vals, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	for i := range vals {
		if vals[i], _, err = b.dateValue(fc, vals[i], types[i], true); err != nil {
			return pgtypes.Type{}, err
		}
	}
	var diff *pg_query.Node
	if secs, fixed := dateDiffSeconds[unit]; fixed {
		epoch := func(x *pg_query.Node) *pg_query.Node {
			return makeExtract("epoch", makeFunc("date_trunc", pg_query.MakeAConstStrNode(unit, -1), x))
		}
		diff = makeOp("/", makeOp("-", epoch(vals[1]), epoch(vals[0])), pg_query.MakeAConstIntNode(secs, -1))
	} else {
		diff = makeOp("-", calendarIndex(unit, vals[1], vals[3]), calendarIndex(unit, vals[0], vals[2]))
	}
	n.Node = makeCast(diff, "int8").Node
	return pgtypes.Int8, nil
}

// calendarIndex numbers x's year, quarter or month counting from year 0, so two indexes
// differ by the boundaries crossed between them. x and x2 are the same value, read once each.
func calendarIndex(unit string, x, x2 *pg_query.Node) *pg_query.Node {
	year := makeExtract("year", x)
	if unit == "year" {
		return year
	}
	per, field := int64(12), "month"
	if unit == "quarter" {
		per, field = 4, "quarter"
	}
	return makeOp("+", makeOp("*", year, pg_query.MakeAConstIntNode(per, -1)), makeExtract(field, x2))
}

// dateValue returns a bound DATEADD/DATEDIFF value as the engines should read it, and the type
// DATEADD gives. An instant is read in the grain zone where DATEDIFF needs wall-clock fields
// (wall); a string is read as a timestamp.
func (b *binder) dateValue(fc *pg_query.FuncCall, x *pg_query.Node, t pgtypes.Type, wall bool) (*pg_query.Node, pgtypes.Type, error) {
	switch {
	case t.OID == pgtypes.Date.OID || t.OID == pgtypes.Timestamp.OID:
		if wall {
			return makeCast(x, "timestamp"), pgtypes.Timestamp, nil
		}
		return x, pgtypes.Timestamp, nil
	case t.OID == pgtypes.Timestamptz.OID:
		if wall {
			return atTimeZone(x, b.grainZone()), pgtypes.Timestamp, nil
		}
		return x, pgtypes.Timestamptz, nil
	case t == pgtypes.Unknown || t.OID == pgtypes.Text.OID || t.OID == pgtypes.Varchar.OID:
		return makeCast(x, "timestamp"), pgtypes.Timestamp, nil
	}
	_, name := funcName(fc)
	return nil, pgtypes.Type{}, sqlerr.New(sqlerr.UndefinedFunction, "%s takes dates and timestamps, not %s", strings.ToUpper(name), t.Name).WithPosition(b.pos(fc.Location))
}

// makeOp is the binary operator l op r.
func makeOp(op string, l, r *pg_query.Node) *pg_query.Node {
	return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, []*pg_query.Node{pg_query.MakeStrNode(op)}, l, r, -1)
}

// makeCast is CAST(x AS typ), typ a name both PostgreSQL and DuckDB know unqualified.
func makeCast(x *pg_query.Node, typ string) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg: x,
		TypeName: &pg_query.TypeName{
			Names:    []*pg_query.Node{pg_query.MakeStrNode(typ)},
			Typemod:  -1,
			Location: -1,
		},
		Location: -1,
	}}}
}

// makeExtract is EXTRACT(field FROM x).
func makeExtract(field string, x *pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode("extract")},
		Args:       []*pg_query.Node{pg_query.MakeAConstStrNode(field, -1), x},
		Funcformat: pg_query.CoercionForm_COERCE_SQL_SYNTAX,
		Location:   -1,
	}}}
}

// makeFunc is the call name(args).
func makeFunc(name string, args ...*pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode(name)},
		Args:       args,
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:   -1,
	}}}
}
