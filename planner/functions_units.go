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

// canonicalUnit respells the constant unit of date_trunc, date_part and extract.
func canonicalUnit(fc *pg_query.FuncCall, name string) {
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
}
