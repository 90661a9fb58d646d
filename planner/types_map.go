package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
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

// sqlTypeNames is pgtypes' table of type names (see pgtypes.ByName), kept under its old name for
// the planner files that read it until the integrator rewrites them to pgtypes.ByName.
var sqlTypeNames = pgtypes.Names()

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
	t, ok := pgtypes.ByName(name)
	return t, name, ok
}

// isInteger, isNumeric and numericRank are pgtypes' type categories under the names the
// planner's passes use.
func isInteger(t Type) bool { return pgtypes.IsInteger(t) }

func isNumeric(t Type) bool { return pgtypes.IsNumeric(t) }

func numericRank(t Type) int { return pgtypes.NumericRank(t) }

// typeUnknown is the type of a string literal or NULL before context gives it one, as in
// PostgreSQL. It never reaches a client: result columns of that type are announced as text.
var typeUnknown = pgtypes.Unknown

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
