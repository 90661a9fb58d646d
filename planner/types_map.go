package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
)

// catalogType maps a catalog type to the PostgreSQL type a client sees.
func catalogType(t catalog.FieldType) pgtypes.Type {
	switch t {
	case catalog.TypeInt32:
		return pgtypes.Int4
	case catalog.TypeInt64:
		return pgtypes.Int8
	case catalog.TypeDouble:
		return pgtypes.Float8
	case catalog.TypeDecimal:
		return pgtypes.Numeric
	case catalog.TypeBoolean:
		return pgtypes.Bool
	case catalog.TypeDate:
		return pgtypes.Date
	case catalog.TypeTimestamp:
		return pgtypes.Timestamp
	case catalog.TypeTimestampTZ:
		return pgtypes.Timestamptz
	}
	return pgtypes.Text
}

// typeFromName resolves a cast's target type. Arrays and unknown names are not supported.
func typeFromName(tn *pg_query.TypeName) (pgtypes.Type, string, bool) {
	if tn == nil || len(tn.Names) == 0 {
		return pgtypes.Type{}, "", false
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	if len(tn.Names) > 1 {
		schema := tn.Names[0].GetString_().GetSval()
		if schema != "pg_catalog" {
			return pgtypes.Type{}, schema + "." + name, false
		}
	}
	if len(tn.ArrayBounds) > 0 {
		return pgtypes.Type{}, name + "[]", false
	}
	t, ok := pgtypes.ByName(name)
	return t, name, ok
}

// resultType is how a column of type t is announced.
func resultType(t pgtypes.Type) pgtypes.Type {
	if t == pgtypes.Unknown {
		return pgtypes.Text
	}
	return t
}

// unify returns the type two values of types a and b share (UNION branches, CASE results).
// An untyped literal takes the other side's type.
func unify(a, b pgtypes.Type) pgtypes.Type {
	switch {
	case a == b:
		return a
	case a == pgtypes.Unknown:
		return b
	case b == pgtypes.Unknown:
		return a
	case pgtypes.IsNumeric(a) && pgtypes.IsNumeric(b):
		if pgtypes.NumericRank(a) >= pgtypes.NumericRank(b) {
			return a
		}
		return b
	case a.OID == pgtypes.Timestamptz.OID || b.OID == pgtypes.Timestamptz.OID:
		if (a.OID == pgtypes.Timestamp.OID || a.OID == pgtypes.Date.OID || a.OID == pgtypes.Timestamptz.OID) &&
			(b.OID == pgtypes.Timestamp.OID || b.OID == pgtypes.Date.OID || b.OID == pgtypes.Timestamptz.OID) {
			return pgtypes.Timestamptz
		}
	case (a.OID == pgtypes.Timestamp.OID && b.OID == pgtypes.Date.OID) || (a.OID == pgtypes.Date.OID && b.OID == pgtypes.Timestamp.OID):
		return pgtypes.Timestamp
	}
	return pgtypes.Text
}
