package planner

import "github.com/setupranali/setupranali/pgtypes"

// The PostgreSQL types live in pgtypes. These names are temporary aliases that keep the
// planner's own code (and the packages still reading planner.TypeX) compiling while issue 16's
// workstreams land; the integrator removes them with a mechanical rewrite to pgtypes.X.

// Type is pgtypes.Type.
type Type = pgtypes.Type

// The types results are announced with (see pgtypes).
var (
	TypeBool        = pgtypes.Bool
	TypeBytea       = pgtypes.Bytea
	TypeInt8        = pgtypes.Int8
	TypeInt2        = pgtypes.Int2
	TypeInt4        = pgtypes.Int4
	TypeText        = pgtypes.Text
	TypeFloat4      = pgtypes.Float4
	TypeFloat8      = pgtypes.Float8
	TypeVarchar     = pgtypes.Varchar
	TypeDate        = pgtypes.Date
	TypeTime        = pgtypes.Time
	TypeTimestamp   = pgtypes.Timestamp
	TypeTimestamptz = pgtypes.Timestamptz
	TypeInterval    = pgtypes.Interval
	TypeNumeric     = pgtypes.Numeric
)
