package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// PostgreSQL reads a date part's unit (date_trunc, date_part, extract) in many spellings:
// ThoughtSpot sends date_trunc('qtr', ...), others 'mon', 'y', 'hr'. Engines know the
// canonical names, so the binder respells a constant unit before anything else reads it.

// unitSpellings maps PostgreSQL's abbreviations of units (its datetime token table) to the
// canonical names every engine knows.
var unitSpellings = map[string]string{}

func init() {
	for canon, names := range map[string][]string{
		"year":        {"y", "yr", "yrs", "years"},
		"quarter":     {"qtr"},
		"month":       {"mon", "mons", "months"},
		"week":        {"w", "weeks"},
		"day":         {"d", "days"},
		"hour":        {"h", "hr", "hrs", "hours"},
		"minute":      {"m", "min", "mins", "minutes"},
		"second":      {"s", "sec", "secs", "seconds"},
		"millisecond": {"ms", "msec", "msecs", "msecond", "mseconds", "millisecon", "milliseconds"},
		"microsecond": {"us", "usec", "usecs", "usecond", "useconds", "microsecon", "microseconds"},
		"decade":      {"dec", "decs", "decades"},
		"century":     {"c", "cent", "centuries"},
		"millennium":  {"mil", "mils", "millennia"},
	} {
		for _, n := range names {
			unitSpellings[n] = canon
		}
	}
}

// canonicalUnit respells the constant unit of date_trunc, date_part and extract, and notes a
// truncation to a century or millennium, which DuckDB starts a year early (2000-01-01, where
// PostgreSQL's 21st century starts 2001-01-01).
func (f *dialectFixes) canonicalUnit(fc *pg_query.FuncCall, name string) {
	if name != "date_trunc" && name != "date_part" && name != "extract" || len(fc.Args) == 0 {
		return
	}
	s := fc.Args[0].GetAConst().GetSval()
	if s == nil {
		return
	}
	if canon, ok := unitSpellings[strings.ToLower(s.Sval)]; ok {
		s.Sval = canon
	}
	if u := strings.ToLower(s.Sval); name == "date_trunc" && len(fc.Args) == 2 && (u == "century" || u == "millennium") {
		f.centuryTruncs = append(f.centuryTruncs, fc)
	}
}

// duckCenturyTrunc writes date_trunc('century' | 'millennium', x) for DuckDB as the first
// instant of PostgreSQL's century (years 2001 to 2100 are the 21st).
func duckCenturyTrunc(fc *pg_query.FuncCall) {
	span := int64(100)
	if strings.EqualFold(fc.Args[0].GetAConst().GetSval().GetSval(), "millennium") {
		span = 1000
	}
	year := makeFunc("year", fc.Args[1])
	start := makeOp("+", makeOp("*", makeOp("//", makeOp("-", year, pg_query.MakeAConstIntNode(1, -1)), pg_query.MakeAConstIntNode(span, -1)),
		pg_query.MakeAConstIntNode(span, -1)), pg_query.MakeAConstIntNode(1, -1))
	one := func() *pg_query.Node { return pg_query.MakeAConstIntNode(1, -1) }
	zero := func() *pg_query.Node { return pg_query.MakeAConstIntNode(0, -1) }
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("make_timestamp")}
	fc.Args = []*pg_query.Node{start, one(), one(), zero(), zero(), zero()}
}

// duckJustifyDays writes justify_days(iv), which DuckDB lacks, as PostgreSQL computes it: whole
// 30-day runs of the days become months (truncating toward zero), and where months and days
// are left with opposite signs one month moves back into days. With dm the months moved, the
// result is iv + dm months - 30 * dm days.
func duckJustifyDays(n *pg_query.Node) {
	iv := n.GetFuncCall().Args[0]
	c := cloneNode
	part := func(field string) *pg_query.Node {
		return makeFunc("datepart", pg_query.MakeAConstStrNode(field, -1), c(iv))
	}
	num := func(v int64) *pg_query.Node { return pg_query.MakeAConstIntNode(v, -1) }
	whole := func() *pg_query.Node { return makeOp("//", part("day"), num(30)) }
	rem := func() *pg_query.Node { return makeOp("%", part("day"), num(30)) }
	months := func() *pg_query.Node {
		return makeOp("+", makeOp("+", makeOp("*", part("year"), num(12)), part("month")), whole())
	}
	and := func(a, b *pg_query.Node) *pg_query.Node {
		return pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, []*pg_query.Node{a, b}, -1)
	}
	adj := pg_query.MakeCaseExprNode(nil, []*pg_query.Node{
		pg_query.MakeCaseWhenNode(and(makeOp(">", months(), num(0)), makeOp("<", rem(), num(0))), num(-1), -1),
		pg_query.MakeCaseWhenNode(and(makeOp("<", months(), num(0)), makeOp(">", rem(), num(0))), num(1), -1),
	}, -1)
	adj.GetCaseExpr().Defresult = num(0)
	dm := func() *pg_query.Node { return makeCast(makeOp("+", whole(), c(adj)), "int4") }
	n.Node = makeOp("-", makeOp("+", iv, makeFunc("to_months", dm())), makeFunc("to_days", makeOp("*", num(30), dm()))).Node
}

// datePart is a noted extract or date_part of seconds, milliseconds or the epoch: PostgreSQL
// counts fractions of a second there (extract as a numeric of scale 6 or 3, date_part as a
// double), where DuckDB gives whole seconds and milliseconds.
type datePart struct {
	n       *pg_query.Node
	unit    string
	numeric bool // extract, else date_part
	date    bool // of a date: the epoch is whole
}

// noteDatePart notes a date part DuckDB computes otherwise, and reports whether it is the
// epoch.
func (f *dialectFixes) noteDatePart(n *pg_query.Node, fc *pg_query.FuncCall, name string, args []pgtypes.Type) bool {
	if name != "extract" && name != "date_part" || len(args) != 2 {
		return false
	}
	unit := strings.ToLower(fc.Args[0].GetAConst().GetSval().GetSval())
	switch unit {
	case "second", "millisecond", "epoch":
	default:
		return false
	}
	f.dateParts = append(f.dateParts, datePart{n: n, unit: unit, numeric: name == "extract", date: args[1].OID == pgtypes.Date.OID})
	return unit == "epoch"
}

// duckDatePart writes a noted date part from DuckDB's microseconds: extract keeps
// PostgreSQL's numeric scale (5.500000 seconds, 5500.000 milliseconds), date_part its double.
func duckDatePart(d datePart) {
	x := d.n.GetFuncCall().Args[1]
	num := func(v string) *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Fval{Fval: &pg_query.Float{Fval: v}}, Location: -1}}}
	}
	whole := func(v *pg_query.Node) *pg_query.Node { return decimalCast(v, 38, 0) }
	var out *pg_query.Node
	switch {
	case d.unit == "epoch" && !d.numeric:
		return // DuckDB's epoch is PostgreSQL's double already
	case d.unit == "epoch" && d.date:
		out = whole(makeFunc("epoch", x))
	case d.unit == "epoch":
		out = makeOp("*", whole(makeFunc("epoch_us", x)), decimalCast(num("0.000001"), 7, 6))
	default:
		micros := makeFunc("date_part", pg_query.MakeAConstStrNode("microseconds", -1), x)
		per, scale, frac := "1000000.0", int64(6), "0.000001"
		if d.unit == "millisecond" {
			per, scale, frac = "1000.0", 3, "0.001"
		}
		if d.numeric {
			out = makeOp("*", whole(micros), decimalCast(num(frac), scale+1, scale))
		} else {
			out = makeOp("/", micros, num(per))
		}
	}
	d.n.Node = out.Node
}

// decimalCast is CAST(x AS DECIMAL(p, s)).
func decimalCast(x *pg_query.Node, p, s int64) *pg_query.Node {
	c := makeCast(x, "numeric")
	c.GetTypeCast().TypeName.Typmods = []*pg_query.Node{pg_query.MakeAConstIntNode(p, -1), pg_query.MakeAConstIntNode(s, -1)}
	return c
}

// extractOfDate refuses extract of a time-of-day unit from a date, as PostgreSQL does
// (date_part casts the date to a timestamp and answers 0; extract does not).
func (b *binder) extractOfDate(fc *pg_query.FuncCall, name string, args []pgtypes.Type) error {
	if name != "extract" || len(args) != 2 || args[1].OID != pgtypes.Date.OID {
		return nil
	}
	switch unit := strings.ToLower(fc.Args[0].GetAConst().GetSval().GetSval()); unit {
	case "hour", "minute", "second", "millisecond", "microsecond", "timezone", "timezone_hour", "timezone_minute":
		return sqlerr.New(sqlerr.FeatureNotSupported, "unit %q not supported for type date", unit).WithPosition(b.pos(fc.Location))
	}
	return nil
}
