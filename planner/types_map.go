package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
)

// catalogType maps a catalog type to the PostgreSQL type a client sees.
func catalogType(t catalog.FieldType) Type {
	switch t {
	case catalog.TypeInt32:
		return TypeInt4
	case catalog.TypeInt64:
		return TypeInt8
	case catalog.TypeDouble:
		return TypeFloat8
	case catalog.TypeDecimal:
		return TypeNumeric
	case catalog.TypeBoolean:
		return TypeBool
	case catalog.TypeDate:
		return TypeDate
	case catalog.TypeTimestamp:
		return TypeTimestamp
	case catalog.TypeTimestampTZ:
		return TypeTimestamptz
	}
	return TypeText
}

// sqlTypeNames maps the names PostgreSQL's parser leaves in a TypeName (after its own
// normalisation: integer → int4, double precision → float8, ...) to types.
var sqlTypeNames = map[string]Type{
	"bool": TypeBool, "boolean": TypeBool,
	"int2": TypeInt2, "smallint": TypeInt2,
	"int4": TypeInt4, "int": TypeInt4, "integer": TypeInt4,
	"int8": TypeInt8, "bigint": TypeInt8,
	"float4": TypeFloat4, "real": TypeFloat4,
	"float8": TypeFloat8, "double": TypeFloat8,
	"numeric": TypeNumeric, "decimal": TypeNumeric,
	"text": TypeText, "varchar": TypeVarchar, "bpchar": TypeText, "char": TypeText, "name": TypeText,
	"date": TypeDate, "time": TypeTime,
	"timestamp": TypeTimestamp, "timestamptz": TypeTimestamptz,
	"interval": TypeInterval, "bytea": TypeBytea,
}

// typeFromName resolves a cast's target type. Arrays and unknown names are not supported.
func typeFromName(tn *pg_query.TypeName) (Type, string, bool) {
	if tn == nil || len(tn.Names) == 0 {
		return Type{}, "", false
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	if len(tn.Names) > 1 {
		schema := tn.Names[0].GetString_().GetSval()
		if schema != "pg_catalog" {
			return Type{}, schema + "." + name, false
		}
	}
	if len(tn.ArrayBounds) > 0 {
		return Type{}, name + "[]", false
	}
	t, ok := sqlTypeNames[strings.ToLower(name)]
	return t, name, ok
}

func isInteger(t Type) bool {
	return t.OID == TypeInt2.OID || t.OID == TypeInt4.OID || t.OID == TypeInt8.OID
}

func isNumeric(t Type) bool {
	return isInteger(t) || t.OID == TypeNumeric.OID || t.OID == TypeFloat4.OID || t.OID == TypeFloat8.OID
}

// numericRank orders numeric types by PostgreSQL's implicit promotion.
func numericRank(t Type) int {
	switch t.OID {
	case TypeInt2.OID:
		return 1
	case TypeInt4.OID:
		return 2
	case TypeInt8.OID:
		return 3
	case TypeNumeric.OID:
		return 4
	case TypeFloat4.OID:
		return 5
	case TypeFloat8.OID:
		return 6
	}
	return 0
}

// typeUnknown is the type of a string literal or NULL before context gives it one, as in
// PostgreSQL. It never reaches a client: result columns of that type are announced as text.
var typeUnknown = Type{OID: 705, Name: "unknown", Size: -2}

// resultType is how a column of type t is announced.
func resultType(t Type) Type {
	if t == typeUnknown {
		return TypeText
	}
	return t
}

// unify returns the type two values of types a and b share (UNION branches, CASE results).
// An untyped literal takes the other side's type.
func unify(a, b Type) Type {
	switch {
	case a == b:
		return a
	case a == typeUnknown:
		return b
	case b == typeUnknown:
		return a
	case isNumeric(a) && isNumeric(b):
		if numericRank(a) >= numericRank(b) {
			return a
		}
		return b
	case a.OID == TypeTimestamptz.OID || b.OID == TypeTimestamptz.OID:
		if (a.OID == TypeTimestamp.OID || a.OID == TypeDate.OID || a.OID == TypeTimestamptz.OID) &&
			(b.OID == TypeTimestamp.OID || b.OID == TypeDate.OID || b.OID == TypeTimestamptz.OID) {
			return TypeTimestamptz
		}
	case (a.OID == TypeTimestamp.OID && b.OID == TypeDate.OID) || (a.OID == TypeDate.OID && b.OID == TypeTimestamp.OID):
		return TypeTimestamp
	}
	return TypeText
}
