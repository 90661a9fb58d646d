package catalog

import "strings"

// fieldTypeAliases maps every accepted spelling to its canonical type. Catalogs are often written
// by people thinking in their warehouse's SQL dialect, so the common SQL names are accepted too.
var fieldTypeAliases = map[string]FieldType{
	"string":      TypeString,
	"text":        TypeString,
	"varchar":     TypeString,
	"str":         TypeString,
	"int":         TypeInt32,
	"int32":       TypeInt32,
	"integer":     TypeInt32,
	"int4":        TypeInt32,
	"int64":       TypeInt64,
	"bigint":      TypeInt64,
	"long":        TypeInt64,
	"int8":        TypeInt64,
	"double":      TypeDouble,
	"float":       TypeDouble,
	"float64":     TypeDouble,
	"float8":      TypeDouble,
	"number":      TypeDouble,
	"real":        TypeDouble,
	"decimal":     TypeDecimal,
	"numeric":     TypeDecimal,
	"boolean":     TypeBoolean,
	"bool":        TypeBoolean,
	"date":        TypeDate,
	"timestamp":   TypeTimestamp,
	"datetime":    TypeTimestamp,
	"timestamptz": TypeTimestampTZ,
}

// fieldTypeNames lists the canonical types for error messages.
const fieldTypeNames = "string, int32, int64, double, decimal, boolean, date, timestamp, timestamptz"

// ParseFieldType normalises a type name or alias (e.g. "bigint", "TEXT") to its FieldType.
// Matching ignores case and surrounding spaces, as SQL type names do.
func ParseFieldType(s string) (FieldType, bool) {
	t, ok := fieldTypeAliases[strings.ToLower(strings.TrimSpace(s))]
	return t, ok
}

// numeric reports whether values of t can be summed and averaged.
func (t FieldType) numeric() bool {
	switch t {
	case TypeInt32, TypeInt64, TypeDouble, TypeDecimal:
		return true
	}
	return false
}

// The closed vocabularies of the format. They are matched exactly: they are keywords of the
// format, not SQL names.
var (
	semanticTypes   = []string{"dimension", "metric", "time", "identifier", "measure", "attribute"}
	engines         = []string{"duckdb", "postgres", "mysql", "clickhouse"}
	sourceTypes     = []string{"table"}
	expressionTypes = []string{ExpressionAggregation, ExpressionDerived}
	aggs            = []string{string(AggSum), string(AggAvg), string(AggMin), string(AggMax), string(AggCount), string(AggCountDistinct), string(AggStddev), string(AggVariance)}
	rlsModes        = []string{"equals", "in_list"}
)

// Defaults filled in by Load.
const (
	defaultTimezone       = "UTC"
	defaultEngine         = "duckdb"
	defaultSourceType     = "table"
	defaultExpressionType = "aggregation"
	defaultRLSMode        = "equals"
)

// derivedReturnType is the result type of agg over a field of type t when a metric declares
// none. ok is false when the aggregation cannot apply to the type (sum of a string).
func derivedReturnType(agg Agg, t FieldType) (FieldType, bool) {
	switch agg {
	case AggCount, AggCountDistinct:
		return TypeInt64, true
	case AggAvg, AggStddev, AggVariance:
		return TypeDouble, t.numeric()
	case AggSum:
		// A sum of 32-bit integers overflows 32 bits long before it overflows 64.
		if t == TypeInt32 {
			return TypeInt64, true
		}
		return t, t.numeric()
	case AggMin, AggMax:
		return t, true
	}
	return "", false
}
