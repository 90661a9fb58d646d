package planner

import "github.com/setupranali/setupranali/catalog"

// funcSpec describes an allowlisted function: what it returns and how it may be used.
type funcSpec struct {
	aggregate bool
	window    bool
	ret       func(args []Type) Type
}

func fixed(t Type) func([]Type) Type { return func([]Type) Type { return t } }

func argType(i int) func([]Type) Type {
	return func(args []Type) Type {
		if i < len(args) {
			return args[i]
		}
		return typeUnknown
	}
}

// firstKnown returns the first argument type that is not an untyped literal.
func firstKnown(args []Type) Type {
	t := typeUnknown
	for _, a := range args {
		t = unify(t, a)
	}
	return t
}

func sumType(args []Type) Type {
	if len(args) == 0 {
		return TypeNumeric
	}
	switch args[0].OID {
	case TypeInt2.OID, TypeInt4.OID:
		return TypeInt8
	case TypeFloat4.OID, TypeFloat8.OID:
		return args[0]
	}
	return TypeNumeric
}

func avgType(args []Type) Type {
	if len(args) > 0 && (args[0].OID == TypeFloat4.OID || args[0].OID == TypeFloat8.OID) {
		return TypeFloat8
	}
	return TypeNumeric
}

// truncType is the type of date_trunc: a date is truncated as a timestamp.
func truncType(args []Type) Type {
	if len(args) > 1 && args[1].OID == TypeTimestamptz.OID {
		return TypeTimestamptz
	}
	return TypeTimestamp
}

// roundType: round(x) keeps x's type; round(x, n) is numeric, as in PostgreSQL.
func roundType(args []Type) Type {
	if len(args) > 1 {
		return TypeNumeric
	}
	if len(args) == 1 && isNumeric(args[0]) {
		return args[0]
	}
	return TypeNumeric
}

// functions is the allowlist. Anything not here does not exist for a client: no file readers,
// no settings, no sleeps, no reach into other databases or the engine's internals.
var functions = map[string]funcSpec{
	// Aggregates. MEASURE(m) is the semantic aggregate: the metric's own aggregation.
	"measure":     {aggregate: true, ret: argType(0)},
	"count":       {aggregate: true, ret: fixed(TypeInt8)},
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
	"bool_and":    {aggregate: true, ret: fixed(TypeBool)},
	"bool_or":     {aggregate: true, ret: fixed(TypeBool)},
	"every":       {aggregate: true, ret: fixed(TypeBool)},
	"string_agg":  {aggregate: true, ret: fixed(TypeText)},

	// Window functions.
	"row_number":   {window: true, ret: fixed(TypeInt8)},
	"rank":         {window: true, ret: fixed(TypeInt8)},
	"dense_rank":   {window: true, ret: fixed(TypeInt8)},
	"percent_rank": {window: true, ret: fixed(TypeFloat8)},
	"cume_dist":    {window: true, ret: fixed(TypeFloat8)},
	"ntile":        {window: true, ret: fixed(TypeInt4)},
	"lag":          {window: true, ret: argType(0)},
	"lead":         {window: true, ret: argType(0)},
	"first_value":  {window: true, ret: argType(0)},
	"last_value":   {window: true, ret: argType(0)},
	"nth_value":    {window: true, ret: argType(0)},

	// Strings.
	"lower": {ret: fixed(TypeText)}, "upper": {ret: fixed(TypeText)}, "initcap": {ret: fixed(TypeText)},
	"length": {ret: fixed(TypeInt4)}, "char_length": {ret: fixed(TypeInt4)},
	"character_length": {ret: fixed(TypeInt4)}, "octet_length": {ret: fixed(TypeInt4)},
	"substring": {ret: fixed(TypeText)}, "substr": {ret: fixed(TypeText)},
	"btrim": {ret: fixed(TypeText)}, "ltrim": {ret: fixed(TypeText)}, "rtrim": {ret: fixed(TypeText)},
	"trim":   {ret: fixed(TypeText)},
	"concat": {ret: fixed(TypeText)}, "concat_ws": {ret: fixed(TypeText)},
	"replace": {ret: fixed(TypeText)}, "left": {ret: fixed(TypeText)}, "right": {ret: fixed(TypeText)},
	"lpad": {ret: fixed(TypeText)}, "rpad": {ret: fixed(TypeText)}, "reverse": {ret: fixed(TypeText)},
	"repeat": {ret: fixed(TypeText)}, "split_part": {ret: fixed(TypeText)},
	"strpos": {ret: fixed(TypeInt4)}, "position": {ret: fixed(TypeInt4)},
	"starts_with": {ret: fixed(TypeBool)}, "md5": {ret: fixed(TypeText)},
	"to_char": {ret: fixed(TypeText)}, "like_escape": {ret: fixed(TypeText)},

	// Numbers.
	"abs": {ret: argType(0)}, "ceil": {ret: argType(0)}, "ceiling": {ret: argType(0)},
	"floor": {ret: argType(0)}, "round": {ret: roundType}, "trunc": {ret: roundType},
	"sign": {ret: argType(0)}, "mod": {ret: argType(0)},
	"sqrt": {ret: fixed(TypeFloat8)}, "cbrt": {ret: fixed(TypeFloat8)},
	"power": {ret: fixed(TypeFloat8)}, "pow": {ret: fixed(TypeFloat8)},
	"exp": {ret: fixed(TypeFloat8)}, "ln": {ret: fixed(TypeFloat8)}, "log": {ret: fixed(TypeFloat8)},
	"log10": {ret: fixed(TypeFloat8)}, "pi": {ret: fixed(TypeFloat8)},

	// Dates and times.
	"date_trunc":   {ret: truncType},
	"date":         {ret: fixed(TypeDate)},
	"date_part":    {ret: fixed(TypeFloat8)},
	"extract":      {ret: fixed(TypeNumeric)},
	"now":          {ret: fixed(TypeTimestamptz)},
	"make_date":    {ret: fixed(TypeDate)},
	"to_date":      {ret: fixed(TypeDate)},
	"to_timestamp": {ret: fixed(TypeTimestamp)},
	"age":          {ret: fixed(TypeInterval)},
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
