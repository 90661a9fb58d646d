package pgtypes

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/setupranali/setupranali/sqlerr"
)

// AppendText appends v in PostgreSQL's text format for type t. The engine may hand back a
// different Go kind than the announced type (a DATE for a timestamp, an integer for numeric);
// the value is converted so the client always gets what RowDescription promised.
func AppendText(buf []byte, v any, t Type) ([]byte, error) {
	switch t.OID {
	case Bool.OID:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch(v, t)
		}
		if b {
			return append(buf, 't'), nil
		}
		return append(buf, 'f'), nil
	case Int2.OID, Int4.OID, Int8.OID:
		return appendInteger(buf, v, t)
	case Float4.OID, Float8.OID:
		f, ok := toFloat(v)
		if !ok {
			return nil, mismatch(v, t)
		}
		bits := 64
		if t.OID == Float4.OID {
			bits = 32
		}
		return AppendFloat(buf, f, bits), nil
	case Numeric.OID:
		return appendNumeric(buf, v, t)
	case Date.OID:
		tm, ok := v.(time.Time)
		if !ok {
			return appendAny(buf, v), nil
		}
		return appendDate(buf, tm), nil
	case Timestamp.OID:
		tm, ok := v.(time.Time)
		if !ok {
			return appendAny(buf, v), nil
		}
		return appendDateTime(buf, tm), nil
	case Timestamptz.OID:
		tm, ok := v.(time.Time)
		if !ok {
			return appendAny(buf, v), nil
		}
		return appendTimestamptz(buf, tm.UTC()), nil
	case Time.OID:
		tm, ok := v.(time.Time)
		if !ok {
			return appendAny(buf, v), nil
		}
		return tm.AppendFormat(buf, "15:04:05.999999"), nil
	case Interval.OID:
		iv, ok := v.(IntervalValue)
		if !ok {
			return appendAny(buf, v), nil
		}
		return appendInterval(buf, iv), nil
	case Bytea.OID:
		b, ok := v.([]byte)
		if !ok {
			b = []byte(fmt.Sprint(v))
		}
		buf = append(buf, `\x`...)
		return hex.AppendEncode(buf, b), nil
	}
	if IsArray(t) {
		return appendArrayText(buf, v, t, nil)
	}
	return appendAny(buf, v), nil
}

// AppendTextIn is AppendText for a session whose TimeZone is loc (nil: UTC): a timestamptz is
// printed as the wall-clock time in loc with loc's offset at that instant, as PostgreSQL
// prints it. Every other type prints the same in every zone.
func AppendTextIn(buf []byte, v any, t Type, loc *time.Location) ([]byte, error) {
	if loc != nil && t.OID == Timestamptz.OID {
		if tm, ok := v.(time.Time); ok {
			return appendTimestamptz(buf, tm.In(loc)), nil
		}
	}
	if IsArray(t) {
		return appendArrayText(buf, v, t, loc)
	}
	return AppendText(buf, v, t)
}

func mismatch(v any, t Type) error {
	return sqlerr.Internal(fmt.Errorf("engine value %T does not fit announced type %s", v, t.Name))
}

func appendInteger(buf []byte, v any, t Type) ([]byte, error) {
	switch x := v.(type) {
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case *big.Int:
		return x.Append(buf, 10), nil
	case bool:
		if x {
			return append(buf, '1'), nil
		}
		return append(buf, '0'), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return strconv.AppendInt(buf, int64(x), 10), nil
		}
	case Decimal:
		if x.Scale == 0 {
			return x.Unscaled.Append(buf, 10), nil
		}
		q := new(big.Int).Quo(x.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale)), nil))
		return q.Append(buf, 10), nil
	}
	return nil, mismatch(v, t)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case Decimal:
		f, _ := new(big.Float).Quo(new(big.Float).SetInt(x.Unscaled),
			new(big.Float).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale)), nil))).Float64()
		return f, true
	}
	return 0, false
}

// AppendFloat formats like PostgreSQL 12+ (extra_float_digits = 1): the shortest text that reads
// back exactly, in positional notation for decimal exponents from -4 up to (not including) 15 for
// float8 (6 for float4), exponential otherwise.
func AppendFloat(buf []byte, f float64, bits int) []byte {
	if bits == 32 {
		// A float8 beyond float4's range is an infinity as a float4, as AppendBinary writes it
		// (strconv would print "+Inf", which no PostgreSQL client reads).
		f = float64(float32(f))
	}
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	maxExp := 15
	if bits == 32 {
		maxExp = 6
	}
	// The shortest digits are computed once, in exponential form into a stack buffer; the
	// positional form is laid out from the same digits (what 'f' with precision -1 prints).
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	i := bytes.LastIndexByte(e, 'e')
	exp := parseExp(e[i+1:])
	if exp < -4 || exp >= maxExp {
		return append(buf, e...)
	}
	mant := e[:i]
	if mant[0] == '-' {
		buf = append(buf, '-')
		mant = mant[1:]
	}
	var dig [24]byte
	digits := append(dig[:0], mant[0])
	if len(mant) > 2 {
		digits = append(digits, mant[2:]...) // skip the '.'
	}
	if exp < 0 {
		buf = append(buf, '0', '.')
		for k := -1; k > exp; k-- {
			buf = append(buf, '0')
		}
		return append(buf, digits...)
	}
	if len(digits) <= exp+1 {
		buf = append(buf, digits...)
		for k := len(digits); k <= exp; k++ {
			buf = append(buf, '0')
		}
		return buf
	}
	buf = append(buf, digits[:exp+1]...)
	buf = append(buf, '.')
	return append(buf, digits[exp+1:]...)
}

// parseExp reads strconv's exponent, e.g. "+07" or "-10".
func parseExp(b []byte) int {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

func appendNumeric(buf []byte, v any, t Type) ([]byte, error) {
	switch x := v.(type) {
	case Decimal:
		return appendDecimal(buf, x), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case *big.Int:
		return x.Append(buf, 10), nil
	case float64:
		// numeric has NaN and (since PostgreSQL 14) the infinities, spelled as float8 spells
		// them, and no negative zero.
		switch {
		case math.IsNaN(x):
			return append(buf, "NaN"...), nil
		case math.IsInf(x, 1):
			return append(buf, "Infinity"...), nil
		case math.IsInf(x, -1):
			return append(buf, "-Infinity"...), nil
		case x == 0:
			return append(buf, '0'), nil
		}
		return strconv.AppendFloat(buf, x, 'f', -1, 64), nil
	case string:
		return append(buf, x...), nil
	}
	return nil, mismatch(v, t)
}

// appendDecimal keeps the scale, as PostgreSQL prints numeric (1250.00 stays 1250.00).
func appendDecimal(buf []byte, d Decimal) []byte {
	s := d.Unscaled.String()
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	if neg {
		buf = append(buf, '-')
	}
	if d.Scale <= 0 {
		return append(buf, s...)
	}
	for len(s) <= d.Scale {
		s = "0" + s
	}
	buf = append(buf, s[:len(s)-d.Scale]...)
	buf = append(buf, '.')
	return append(buf, s[len(s)-d.Scale:]...)
}

// appendDate writes tm's date as "2006-01-02" without going through a layout string; years
// outside 1-9999 take time's formatter.
func appendDate(buf []byte, tm time.Time) []byte {
	y, m, d := tm.Date()
	if y < 1 || y > 9999 {
		return tm.AppendFormat(buf, "2006-01-02")
	}
	buf = append(buf, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	buf = append(buf, byte('0'+m/10), byte('0'+m%10), '-')
	return append(buf, byte('0'+d/10), byte('0'+d%10))
}

// appendDateTime writes tm as "2006-01-02 15:04:05.999999" (fraction without trailing zeros,
// none when zero).
func appendDateTime(buf []byte, tm time.Time) []byte {
	if y := tm.Year(); y < 1 || y > 9999 {
		return tm.AppendFormat(buf, "2006-01-02 15:04:05.999999")
	}
	buf = appendDate(buf, tm)
	h, mi, sec := tm.Clock()
	buf = append(buf, ' ', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+sec/10), byte('0'+sec%10))
	us := tm.Nanosecond() / 1000
	if us == 0 {
		return buf
	}
	var frac [7]byte
	frac[0] = '.'
	for i := 6; i >= 1; i-- {
		frac[i] = byte('0' + us%10)
		us /= 10
	}
	n := 7
	for frac[n-1] == '0' {
		n--
	}
	return append(buf, frac[:n]...)
}

func appendTimestamptz(buf []byte, tm time.Time) []byte {
	buf = appendDateTime(buf, tm)
	_, off := tm.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	buf = append(buf, sign)
	buf = appendTwo(buf, off/3600)
	if m := off % 3600 / 60; m != 0 {
		buf = append(buf, ':')
		buf = appendTwo(buf, m)
	}
	return buf
}

func appendTwo(buf []byte, n int) []byte {
	if n < 10 {
		buf = append(buf, '0')
	}
	return strconv.AppendInt(buf, int64(n), 10)
}

// appendInterval writes PostgreSQL's default (IntervalStyle postgres) form, e.g.
// "1 year 2 mons 3 days 04:05:06", as interval_out writes it: a unit is plural unless its
// value is 1 ("-1 days"), and a positive part after a negative one carries a "+" ("-1 days
// +02:00:00").
func appendInterval(buf []byte, iv IntervalValue) []byte {
	start := len(buf)
	afterNegative := false
	part := func(n int64, unit string) {
		if n == 0 {
			return
		}
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		if afterNegative && n > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, n, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if n != 1 {
			buf = append(buf, 's')
		}
		afterNegative = n < 0
	}
	years, months := int64(iv.Months)/12, int64(iv.Months)%12
	part(years, "year")
	part(months, "mon")
	part(int64(iv.Days), "day")
	if iv.Micros != 0 || len(buf) == start {
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		us := iv.Micros
		if us < 0 {
			buf = append(buf, '-')
			us = -us
		} else if afterNegative {
			buf = append(buf, '+')
		}
		h, m, s, frac := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
		buf = appendTwo(buf, int(h))
		buf = append(buf, ':')
		buf = appendTwo(buf, int(m))
		buf = append(buf, ':')
		buf = appendTwo(buf, int(s))
		if frac != 0 {
			f := strconv.FormatInt(frac+1e6, 10)[1:]
			for len(f) > 0 && f[len(f)-1] == '0' {
				f = f[:len(f)-1]
			}
			buf = append(buf, '.')
			buf = append(buf, f...)
		}
	}
	return buf
}

func appendAny(buf []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(buf, x...)
	case []byte:
		return append(buf, x...)
	case bool:
		if x {
			return append(buf, "true"...)
		}
		return append(buf, "false"...)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case float64:
		return AppendFloat(buf, x, 64)
	case *big.Int:
		return x.Append(buf, 10)
	case Decimal:
		return appendDecimal(buf, x)
	case IntervalValue:
		return appendInterval(buf, x)
	case time.Time:
		return x.AppendFormat(buf, "2006-01-02 15:04:05.999999")
	case []any:
		return appendListText(buf, x)
	}
	return fmt.Append(buf, v)
}

// appendListText prints an engine's list announced as text (catalog arrays such as
// current_schemas()) as PostgreSQL prints an array: {a,"b c",NULL}, booleans as t and f, each
// other element as its kind prints.
func appendListText(buf []byte, list []any) []byte {
	buf = append(buf, '{')
	var scratch []byte
	for i, e := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		switch x := e.(type) {
		case nil:
			buf = append(buf, "NULL"...)
		case []any:
			buf = appendListText(buf, x)
		case bool:
			buf = append(buf, "ft"[boolIndex(x)])
		default:
			scratch = appendAny(scratch[:0], x)
			buf = appendArrayElem(buf, scratch)
		}
	}
	return append(buf, '}')
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}
