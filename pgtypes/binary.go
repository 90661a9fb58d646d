package pgtypes

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/sqlerr"
)

// AppendBinary appends v in PostgreSQL's binary format for type t. It takes the same values as
// AppendText (see Values) and converts the same way, so a column reads the same in both formats.
// The variable-layout types (numeric, date and time types, interval) are encoded by pgx's pgtype
// codecs, the ones drivers decode with; fixed-width numbers are a few bytes written here.
func AppendBinary(buf []byte, v any, t Type) ([]byte, error) {
	switch t.OID {
	case Bool.OID:
		if b, ok := v.(bool); ok {
			if b {
				return append(buf, 1), nil
			}
			return append(buf, 0), nil
		}
	case Int2.OID, Int4.OID, Int8.OID:
		n, ok, err := toInt64(v, t)
		if err != nil {
			return nil, err
		}
		if ok {
			return appendFixedInt(buf, n, t)
		}
	case Float4.OID:
		if f, ok := toFloat(v); ok {
			return binary.BigEndian.AppendUint32(buf, math.Float32bits(float32(f))), nil
		}
	case Float8.OID:
		if f, ok := toFloat(v); ok {
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(f)), nil
		}
	case Numeric.OID:
		if n, ok := toNumeric(v); ok {
			return encodeWith(pgtype.NumericCodec{}, t, n, buf)
		}
	// The fixed-layout date and time types are written here, as pgx's codecs write them (a
	// codec's encode plan per value cost an allocation or three per date on the streaming path).
	case Date.OID:
		if tm, ok := v.(time.Time); ok {
			y, m, d := tm.Date()
			days := (time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - pgEpochUnix) / 86400
			return binary.BigEndian.AppendUint32(buf, uint32(int32(days))), nil
		}
	case Timestamp.OID:
		if tm, ok := v.(time.Time); ok {
			// The wall-clock reading is the value, as AppendText prints it.
			if tm.Location() != time.UTC {
				y, mo, d := tm.Date()
				h, mi, sec := tm.Clock()
				tm = time.Date(y, mo, d, h, mi, sec, tm.Nanosecond(), time.UTC)
			}
			return binary.BigEndian.AppendUint64(buf, uint64(pgMicros(tm))), nil
		}
	case Timestamptz.OID:
		if tm, ok := v.(time.Time); ok {
			return binary.BigEndian.AppendUint64(buf, uint64(pgMicros(tm))), nil
		}
	case Time.OID:
		if tm, ok := v.(time.Time); ok {
			us := int64(tm.Hour())*3600e6 + int64(tm.Minute())*60e6 + int64(tm.Second())*1e6 + int64(tm.Nanosecond())/1000
			return binary.BigEndian.AppendUint64(buf, uint64(us)), nil
		}
	case Interval.OID:
		if iv, ok := v.(IntervalValue); ok {
			buf = binary.BigEndian.AppendUint64(buf, uint64(iv.Micros))
			buf = binary.BigEndian.AppendUint32(buf, uint32(iv.Days))
			return binary.BigEndian.AppendUint32(buf, uint32(iv.Months)), nil
		}
	case Bytea.OID:
		if b, ok := v.([]byte); ok {
			return append(buf, b...), nil
		}
		// As AppendText: whatever else the engine hands back is its printed form.
		return fmt.Append(buf, v), nil
	default:
		if IsArray(t) {
			return appendArrayBinary(buf, v, t)
		}
		// text, varchar and anything announced as text: the binary form is the text itself.
		return AppendText(buf, v, t)
	}
	return appendBinaryFromText(buf, v, t)
}

// pgEpochUnix is PostgreSQL's epoch for dates and timestamps, 2000-01-01 UTC, in Unix seconds.
const pgEpochUnix = 946_684_800

// pgMicros is tm's instant in microseconds since PostgreSQL's epoch.
func pgMicros(tm time.Time) int64 {
	return (tm.Unix()-pgEpochUnix)*1_000_000 + int64(tm.Nanosecond())/1000
}

// appendBinaryFromText handles a value of an unexpected Go kind (a string the engine returned
// for a date, say, or a text value computed by the planner): it is printed as AppendText would,
// and the text is read back as a value of type t, which fails cleanly when it is not one.
func appendBinaryFromText(buf []byte, v any, t Type) ([]byte, error) {
	s, isString := v.(string)
	if !isString {
		text, err := AppendText(nil, v, t)
		if err != nil {
			return nil, err
		}
		s = string(text)
	}
	var val pgtypeScanner
	switch t.OID {
	case Bool.OID:
		val = &pgtype.Bool{}
	case Int2.OID, Int4.OID, Int8.OID:
		val = &pgtype.Int8{}
	case Float4.OID, Float8.OID:
		val = &pgtype.Float8{}
	case Numeric.OID:
		val = &pgtype.Numeric{}
	case Date.OID:
		val = &pgtype.Date{}
	case Timestamp.OID:
		val = &pgtype.Timestamp{}
	case Timestamptz.OID:
		val = &pgtype.Timestamptz{}
	case Time.OID:
		val = &pgtype.Time{}
	case Interval.OID:
		val = &pgtype.Interval{}
	default:
		return append(buf, s...), nil
	}
	if err := val.Scan(s); err != nil {
		return nil, mismatch(v, t)
	}
	switch x := val.(type) {
	case *pgtype.Bool:
		return AppendBinary(buf, x.Bool, t)
	case *pgtype.Int8:
		return AppendBinary(buf, x.Int64, t)
	case *pgtype.Float8:
		return AppendBinary(buf, x.Float64, t)
	case *pgtype.Numeric:
		return encodeWith(pgtype.NumericCodec{}, t, *x, buf)
	case *pgtype.Date:
		return encodeWith(pgtype.DateCodec{}, t, *x, buf)
	case *pgtype.Timestamp:
		return encodeWith(&pgtype.TimestampCodec{}, t, *x, buf)
	case *pgtype.Timestamptz:
		return encodeWith(&pgtype.TimestamptzCodec{}, t, *x, buf)
	case *pgtype.Time:
		return encodeWith(pgtype.TimeCodec{}, t, *x, buf)
	case *pgtype.Interval:
		return encodeWith(pgtype.IntervalCodec{}, t, *x, buf)
	}
	return nil, mismatch(v, t)
}

type pgtypeScanner interface{ Scan(src any) error }

// encodeWith runs a pgtype codec's binary encoder. The codecs used here plan from the value's
// type alone, so no type map is needed.
func encodeWith(codec pgtype.Codec, t Type, value any, buf []byte) ([]byte, error) {
	plan := codec.PlanEncode(nil, t.OID, pgtype.BinaryFormatCode, value)
	if plan == nil {
		return nil, mismatch(value, t)
	}
	out, err := plan.Encode(value, buf)
	if err != nil {
		return nil, sqlerr.New(sqlerr.DataException, "cannot encode %s value in binary: %v", t.Name, err)
	}
	return out, nil
}

// toInt64 converts what appendInteger accepts. ok is false for a kind it does not handle; err is
// set for a number too large for int8.
func toInt64(v any, t Type) (int64, bool, error) {
	switch x := v.(type) {
	case int64:
		return x, true, nil
	case bool:
		if x {
			return 1, true, nil
		}
		return 0, true, nil
	case *big.Int:
		if !x.IsInt64() {
			return 0, false, outOfRange(t)
		}
		return x.Int64(), true, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), true, nil
		}
	case Decimal:
		q := x.Unscaled
		if x.Scale > 0 {
			q = new(big.Int).Quo(x.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale)), nil))
		}
		if !q.IsInt64() {
			return 0, false, outOfRange(t)
		}
		return q.Int64(), true, nil
	}
	return 0, false, nil
}

func appendFixedInt(buf []byte, n int64, t Type) ([]byte, error) {
	switch t.OID {
	case Int2.OID:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, outOfRange(t)
		}
		return binary.BigEndian.AppendUint16(buf, uint16(int16(n))), nil
	case Int4.OID:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, outOfRange(t)
		}
		return binary.BigEndian.AppendUint32(buf, uint32(int32(n))), nil
	}
	return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
}

func outOfRange(t Type) error {
	return sqlerr.New(sqlerr.NumericValueOutOfRange, "%s out of range", SQLName(t))
}

// toNumeric converts what appendNumeric accepts into pgtype's numeric, keeping a decimal's scale
// (PostgreSQL's binary numeric carries it, so 1250.00 stays 1250.00).
func toNumeric(v any) (pgtype.Numeric, bool) {
	switch x := v.(type) {
	case Decimal:
		return pgtype.Numeric{Int: x.Unscaled, Exp: int32(-x.Scale), Valid: true}, true
	case int64:
		return pgtype.Numeric{Int: big.NewInt(x), Valid: true}, true
	case *big.Int:
		return pgtype.Numeric{Int: x, Valid: true}, true
	case float64:
		switch {
		case math.IsNaN(x):
			return pgtype.Numeric{NaN: true, Valid: true}, true
		case math.IsInf(x, 1):
			return pgtype.Numeric{InfinityModifier: pgtype.Infinity, Valid: true}, true
		case math.IsInf(x, -1):
			return pgtype.Numeric{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, true
		}
	}
	// float64 and strings go through their text form, the one AppendText sends.
	return pgtype.Numeric{}, false
}
