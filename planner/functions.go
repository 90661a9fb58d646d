package planner

import (
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
)

// funcSpec describes an allowlisted function: what it returns and how it may be used.
type funcSpec struct {
	aggregate bool
	window    bool
	// orderedSet aggregates take WITHIN GROUP (ORDER BY x); ret gets the type of x.
	orderedSet bool
	ret        func(args []pgtypes.Type) pgtypes.Type
}

func fixed(t pgtypes.Type) func([]pgtypes.Type) pgtypes.Type {
	return func([]pgtypes.Type) pgtypes.Type { return t }
}

func argType(i int) func([]pgtypes.Type) pgtypes.Type {
	return func(args []pgtypes.Type) pgtypes.Type {
		if i < len(args) {
			return args[i]
		}
		return pgtypes.Unknown
	}
}

// firstKnown returns the first argument type that is not an untyped literal.
func firstKnown(args []pgtypes.Type) pgtypes.Type {
	t := pgtypes.Unknown
	for _, a := range args {
		t = unify(t, a)
	}
	return t
}

func sumType(args []pgtypes.Type) pgtypes.Type {
	if len(args) == 0 {
		return pgtypes.Numeric
	}
	switch args[0].OID {
	case pgtypes.Int2.OID, pgtypes.Int4.OID:
		return pgtypes.Int8
	case pgtypes.Float4.OID, pgtypes.Float8.OID:
		return args[0]
	}
	return pgtypes.Numeric
}

func avgType(args []pgtypes.Type) pgtypes.Type {
	if len(args) > 0 && (args[0].OID == pgtypes.Float4.OID || args[0].OID == pgtypes.Float8.OID) {
		return pgtypes.Float8
	}
	return pgtypes.Numeric
}

// truncType is the type of date_trunc: a date is truncated as a timestamp.
func truncType(args []pgtypes.Type) pgtypes.Type {
	if len(args) > 1 && args[1].OID == pgtypes.Timestamptz.OID {
		return pgtypes.Timestamptz
	}
	return pgtypes.Timestamp
}

// roundType: round(x) keeps x's type; round(x, n) is numeric, as in PostgreSQL.
func roundType(args []pgtypes.Type) pgtypes.Type {
	if len(args) > 1 {
		return pgtypes.Numeric
	}
	if len(args) == 1 && pgtypes.IsNumeric(args[0]) {
		return args[0]
	}
	return pgtypes.Numeric
}

// functions is the allowlist. Anything not here does not exist for a client: no file readers,
// no settings, no sleeps, no reach into other databases or the engine's internals.
var functions = map[string]funcSpec{
	// Aggregates. MEASURE(m) is the semantic aggregate: the metric's own aggregation.
	"measure":     {aggregate: true, ret: argType(0)},
	"count":       {aggregate: true, ret: fixed(pgtypes.Int8)},
	"sum":         {aggregate: true, ret: sumType},
	"avg":         {aggregate: true, ret: avgType},
	"min":         {aggregate: true, ret: argType(0)},
	"max":         {aggregate: true, ret: argType(0)},
	"stddev":      {aggregate: true, ret: avgType},
	"stddev_samp": {aggregate: true, ret: avgType},
	"stddev_pop":  {aggregate: true, ret: avgType},
	"variance":    {aggregate: true, ret: avgType},
	"var_samp":    {aggregate: true, ret: avgType},
	"var_pop":     {aggregate: true, ret: avgType},
	"bool_and":    {aggregate: true, ret: fixed(pgtypes.Bool)},
	"bool_or":     {aggregate: true, ret: fixed(pgtypes.Bool)},
	"every":       {aggregate: true, ret: fixed(pgtypes.Bool)},
	"string_agg":  {aggregate: true, ret: fixed(pgtypes.Text)},
	"array_agg":   {aggregate: true, ret: arrayAggType},
	// Ordered-set aggregates (Tableau's, Power BI's and Looker Studio's MEDIAN).
	"percentile_cont": {aggregate: true, orderedSet: true, ret: fixed(pgtypes.Float8)},
	"percentile_disc": {aggregate: true, orderedSet: true, ret: argType(0)},
	"mode":            {aggregate: true, orderedSet: true, ret: argType(0)},

	// Window functions.
	"row_number":   {window: true, ret: fixed(pgtypes.Int8)},
	"rank":         {window: true, ret: fixed(pgtypes.Int8)},
	"dense_rank":   {window: true, ret: fixed(pgtypes.Int8)},
	"percent_rank": {window: true, ret: fixed(pgtypes.Float8)},
	"cume_dist":    {window: true, ret: fixed(pgtypes.Float8)},
	"ntile":        {window: true, ret: fixed(pgtypes.Int4)},
	"lag":          {window: true, ret: argType(0)},
	"lead":         {window: true, ret: argType(0)},
	"first_value":  {window: true, ret: argType(0)},
	"last_value":   {window: true, ret: argType(0)},
	"nth_value":    {window: true, ret: argType(0)},

	// Strings.
	"lower": {ret: fixed(pgtypes.Text)}, "upper": {ret: fixed(pgtypes.Text)}, "initcap": {ret: fixed(pgtypes.Text)},
	"length": {ret: fixed(pgtypes.Int4)}, "char_length": {ret: fixed(pgtypes.Int4)},
	"character_length": {ret: fixed(pgtypes.Int4)}, "octet_length": {ret: fixed(pgtypes.Int4)},
	"substring": {ret: fixed(pgtypes.Text)}, "substr": {ret: fixed(pgtypes.Text)},
	"btrim": {ret: fixed(pgtypes.Text)}, "ltrim": {ret: fixed(pgtypes.Text)}, "rtrim": {ret: fixed(pgtypes.Text)},
	"trim":   {ret: fixed(pgtypes.Text)},
	"concat": {ret: fixed(pgtypes.Text)}, "format": {ret: fixed(pgtypes.Text)}, "concat_ws": {ret: fixed(pgtypes.Text)},
	"replace": {ret: fixed(pgtypes.Text)}, "left": {ret: fixed(pgtypes.Text)}, "right": {ret: fixed(pgtypes.Text)},
	"lpad": {ret: fixed(pgtypes.Text)}, "rpad": {ret: fixed(pgtypes.Text)}, "reverse": {ret: fixed(pgtypes.Text)},
	"repeat": {ret: fixed(pgtypes.Text)}, "split_part": {ret: fixed(pgtypes.Text)},
	"strpos": {ret: fixed(pgtypes.Int4)}, "position": {ret: fixed(pgtypes.Int4)},
	"starts_with": {ret: fixed(pgtypes.Bool)}, "md5": {ret: fixed(pgtypes.Text)},
	"to_char": {ret: fixed(pgtypes.Text)}, "like_escape": {ret: fixed(pgtypes.Text)},
	"regexp_replace": {ret: fixed(pgtypes.Text)}, "regexp_match": {ret: fixed(pgtypes.TextArray)},
	// similar_to_escape is how the parser keeps x SIMILAR TO p (see functions_regex.go).
	"similar_to_escape": {ret: fixed(pgtypes.Text)},

	// Numbers.
	"abs": {ret: argType(0)}, "ceil": {ret: argType(0)}, "ceiling": {ret: argType(0)},
	"floor": {ret: argType(0)}, "round": {ret: roundType}, "trunc": {ret: roundType},
	"sign": {ret: argType(0)}, "mod": {ret: argType(0)},
	"sqrt": {ret: fixed(pgtypes.Float8)}, "cbrt": {ret: fixed(pgtypes.Float8)},
	"power": {ret: fixed(pgtypes.Float8)}, "pow": {ret: fixed(pgtypes.Float8)},
	"exp": {ret: fixed(pgtypes.Float8)}, "ln": {ret: fixed(pgtypes.Float8)}, "log": {ret: fixed(pgtypes.Float8)},
	"log10": {ret: fixed(pgtypes.Float8)}, "pi": {ret: fixed(pgtypes.Float8)},
	"width_bucket": {ret: fixed(pgtypes.Int4)},

	// Dates and times.
	"date_trunc":   {ret: truncType},
	"date":         {ret: fixed(pgtypes.Date)},
	"date_part":    {ret: fixed(pgtypes.Float8)},
	"extract":      {ret: fixed(pgtypes.Numeric)},
	"now":          {ret: fixed(pgtypes.Timestamptz)},
	"make_date":    {ret: fixed(pgtypes.Date)},
	"to_date":      {ret: fixed(pgtypes.Date)},
	"to_timestamp": {ret: fixed(pgtypes.Timestamptz)}, // an instant, as in PostgreSQL
	"age":          {ret: fixed(pgtypes.Interval)},
	"justify_days": {ret: fixed(pgtypes.Interval)},
	"timezone":     {ret: timezoneType},

	// Conditionals that the parser keeps as function calls.
	"greatest": {ret: firstKnown}, "least": {ret: firstKnown},
}

// matchesMetric reports whether a SQL aggregate may be applied to metric m. SUM adds up sums
// and counts; MIN/MAX/AVG, STDDEV, VARIANCE and COUNT(DISTINCT) only fit their own kind.
// MEASURE fits every metric. A derived metric is already a value per group, so the aggregates
// BI tools wrap every measure in (SUM, MIN, MAX, AVG) mean the metric itself.
func matchesMetric(fn string, distinct bool, m *catalog.Metric) bool {
	if fn == "measure" {
		return !distinct
	}
	if m.Derived() {
		return !distinct && (fn == "sum" || fn == "min" || fn == "max" || fn == "avg")
	}
	agg := m.Expression.Agg
	switch fn {
	case "sum":
		return !distinct && (agg == catalog.AggSum || agg == catalog.AggCount)
	case "min", "max", "avg":
		return !distinct && string(agg) == fn
	case "stddev", "stddev_samp":
		return !distinct && agg == catalog.AggStddev
	case "variance", "var_samp":
		return !distinct && agg == catalog.AggVariance
	case "count":
		// COUNT(DISTINCT m) fits a distinct count; a plain COUNT(m) of a count metric counts
		// the same non-null values the metric counts.
		return distinct && agg == catalog.AggCountDistinct || !distinct && agg == catalog.AggCount
	}
	return false
}

// metricKind names a metric's aggregation for messages.
func metricKind(m *catalog.Metric) string {
	if m.Derived() {
		return "derived (" + m.Expression.SQL + ")"
	}
	return "a " + string(m.Expression.Agg)
}
