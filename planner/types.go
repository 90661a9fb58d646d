package planner

// Type is a PostgreSQL type as it is announced in a RowDescription.
type Type struct {
	OID  uint32
	Name string
	// Size is the pg_type.typlen of the type (-1 for variable length).
	Size int16
}

// The PostgreSQL types results are announced with. OIDs are PostgreSQL's own.
var (
	TypeBool        = Type{OID: 16, Name: "bool", Size: 1}
	TypeBytea       = Type{OID: 17, Name: "bytea", Size: -1}
	TypeInt8        = Type{OID: 20, Name: "int8", Size: 8}
	TypeInt2        = Type{OID: 21, Name: "int2", Size: 2}
	TypeInt4        = Type{OID: 23, Name: "int4", Size: 4}
	TypeText        = Type{OID: 25, Name: "text", Size: -1}
	TypeFloat4      = Type{OID: 700, Name: "float4", Size: 4}
	TypeFloat8      = Type{OID: 701, Name: "float8", Size: 8}
	TypeVarchar     = Type{OID: 1043, Name: "varchar", Size: -1}
	TypeDate        = Type{OID: 1082, Name: "date", Size: 4}
	TypeTime        = Type{OID: 1083, Name: "time", Size: 8}
	TypeTimestamp   = Type{OID: 1114, Name: "timestamp", Size: 8}
	TypeTimestamptz = Type{OID: 1184, Name: "timestamptz", Size: 8}
	TypeInterval    = Type{OID: 1186, Name: "interval", Size: 16}
	TypeNumeric     = Type{OID: 1700, Name: "numeric", Size: -1}
)
