package pgtypes

import "strings"

// Type is a PostgreSQL type as it is announced in a RowDescription.
type Type struct {
	OID  uint32
	Name string
	// Size is the pg_type.typlen of the type (-1 for variable length).
	Size int16
}

// The PostgreSQL types results are announced with. OIDs are PostgreSQL's own.
var (
	Bool        = Type{OID: 16, Name: "bool", Size: 1}
	Bytea       = Type{OID: 17, Name: "bytea", Size: -1}
	Int8        = Type{OID: 20, Name: "int8", Size: 8}
	Int2        = Type{OID: 21, Name: "int2", Size: 2}
	Int4        = Type{OID: 23, Name: "int4", Size: 4}
	Text        = Type{OID: 25, Name: "text", Size: -1}
	Float4      = Type{OID: 700, Name: "float4", Size: 4}
	Float8      = Type{OID: 701, Name: "float8", Size: 8}
	Varchar     = Type{OID: 1043, Name: "varchar", Size: -1}
	Date        = Type{OID: 1082, Name: "date", Size: 4}
	Time        = Type{OID: 1083, Name: "time", Size: 8}
	Timestamp   = Type{OID: 1114, Name: "timestamp", Size: 8}
	Timestamptz = Type{OID: 1184, Name: "timestamptz", Size: 8}
	Interval    = Type{OID: 1186, Name: "interval", Size: 16}
	Numeric     = Type{OID: 1700, Name: "numeric", Size: -1}
)

// Unknown is the type of a string literal or NULL before context gives it one, as in
// PostgreSQL (pg_type.typlen -2: a C string). It is never announced to a client.
var Unknown = Type{OID: 705, Name: "unknown", Size: -2}

// byName maps the names PostgreSQL's parser leaves in a TypeName (after its own normalisation:
// integer → int4, double precision → float8, ...) and the SQL spellings to types. bpchar, char
// and name are read as text: the gateway has no blank-padded or fixed-length strings.
var byName = map[string]Type{
	"bool": Bool, "boolean": Bool,
	"int2": Int2, "smallint": Int2,
	"int4": Int4, "int": Int4, "integer": Int4,
	"int8": Int8, "bigint": Int8,
	"float4": Float4, "real": Float4,
	"float8": Float8, "double": Float8,
	"numeric": Numeric, "decimal": Numeric,
	"text": Text, "varchar": Varchar, "bpchar": Text, "char": Text, "name": Text,
	"date": Date, "time": Time,
	"timestamp": Timestamp, "timestamptz": Timestamptz,
	"interval": Interval, "bytea": Bytea,
}

// ByName resolves a type name as a cast or declaration spells it, case-insensitively.
func ByName(name string) (Type, bool) {
	t, ok := byName[strings.ToLower(name)]
	return t, ok
}

// SQLName is the name PostgreSQL's messages use for t ("integer out of range", "invalid input
// syntax for type double precision"): the SQL-standard spelling where it differs from the
// internal one, which is used for the rest.
func SQLName(t Type) string {
	switch t.OID {
	case Int2.OID:
		return "smallint"
	case Int4.OID:
		return "integer"
	case Int8.OID:
		return "bigint"
	case Float4.OID:
		return "real"
	case Float8.OID:
		return "double precision"
	case Bool.OID:
		return "boolean"
	case Timestamptz.OID:
		return "timestamp with time zone"
	case Timestamp.OID:
		return "timestamp without time zone"
	case Time.OID:
		return "time without time zone"
	}
	if elem, ok := Elem(t); ok {
		return SQLName(elem) + "[]"
	}
	return t.Name
}

// IsInteger reports whether t is one of the integer types.
func IsInteger(t Type) bool {
	return t.OID == Int2.OID || t.OID == Int4.OID || t.OID == Int8.OID
}

// IsNumeric reports whether t is a number type: an integer, numeric or a float.
func IsNumeric(t Type) bool {
	return IsInteger(t) || t.OID == Numeric.OID || t.OID == Float4.OID || t.OID == Float8.OID
}

// NumericRank orders the number types by PostgreSQL's implicit promotion (int2 < int4 < int8 <
// numeric < float4 < float8): of two numbers, the one of higher rank is the common type. It is 0
// for any other type.
func NumericRank(t Type) int {
	switch t.OID {
	case Int2.OID:
		return 1
	case Int4.OID:
		return 2
	case Int8.OID:
		return 3
	case Numeric.OID:
		return 4
	case Float4.OID:
		return 5
	case Float8.OID:
		return 6
	}
	return 0
}

// byOID maps the OIDs a client may declare (a Parse message's parameter types) to types: the
// table's own, plus bpchar and name read as text and unknown.
var byOID = func() map[uint32]Type {
	m := map[uint32]Type{}
	for _, t := range []Type{Bool, Bytea, Int8, Int2, Int4, Text, Float4, Float8,
		Varchar, Date, Time, Timestamp, Timestamptz, Interval, Numeric} {
		m[t.OID] = t
	}
	for _, a := range arrays {
		if a.elem.OID != Numeric.OID {
			m[a.array.OID] = a.array
		}
	}
	// Arrays of the types read as text are text arrays: bpchar[], name[] and "char"[]
	// (pg_class.relkind's type, which catalog queries bind lists of).
	m[1014], m[1003], m[1002] = TextArray, TextArray, TextArray
	m[1042] = Text // bpchar
	m[19] = Text   // name
	m[Unknown.OID] = Unknown
	return m
}()

// ByOID returns the type of a PostgreSQL OID the gateway handles.
func ByOID(oid uint32) (Type, bool) {
	t, ok := byOID[oid]
	return t, ok
}
