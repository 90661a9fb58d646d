package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
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
