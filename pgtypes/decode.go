package pgtypes

import (
	"bytes"
	"encoding/hex"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/sqlerr"
)

// The layouts of the date and time types' text forms, as AppendText writes them.
const (
	layoutDate        = "2006-01-02"
	layoutTime        = "15:04:05.999999"
	layoutTimestamp   = "2006-01-02 15:04:05.999999"
	layoutTimestamptz = "2006-01-02 15:04:05.999999-07"
	// PostgreSQL prints an offset with minutes (India's +05:30) in this longer form.
	layoutTimestamptzMinutes = "2006-01-02 15:04:05.999999-07:00"
)

// Numeric's limits in PostgreSQL (digits before and after the decimal point). DecodeText
// refuses an exponent beyond them rather than build a number of any size it is asked for.
const (
	maxNumericWeight = 131072
	maxNumericScale  = 16383
)

// DecodeText reads src, a non-NULL value of type t in PostgreSQL's text format as AppendText
// writes it, into a Go value of the kind its type has:
//
//	bool                    bool
//	int2, int4, int8        int64 (*big.Int beyond int64, as AppendText prints a *big.Int)
//	float4, float8          float64 (NaN and ±Inf for NaN, Infinity, -Infinity)
//	numeric                 Decimal, scale kept; float64 NaN or ±Inf for numeric's NaN and infinities
//	date                    time.Time, midnight UTC
//	timestamp               time.Time, the wall clock in UTC
//	timestamptz             time.Time at the offset written
//	time                    time.Time on January 1 of year 0, UTC
//	interval                IntervalValue
//	bytea                   []byte (hex format)
//	anything else           string
//
// Encoding the value again with AppendText under t gives src back. Text that is not a value of
// t is refused with 22P02; the value is not quoted in the error, which may reach a log.
//
// DecodeBool, DecodeInt, DecodeFloat and DecodeTime are the same decoders for the common kinds
// with their concrete result types: a caller that writes each value at once (the HTTP API's
// JSON) uses them to decode without boxing the value into an interface.
func DecodeText(src []byte, t Type) (any, error) {
	switch t.OID {
	case Bool.OID:
		if v, ok := DecodeBool(src); ok {
			return v, nil
		}
	case Int2.OID, Int4.OID, Int8.OID:
		if n, ok := DecodeInt(src); ok {
			return n, nil
		}
		if b, ok := new(big.Int).SetString(string(src), 10); ok {
			return b, nil
		}
	case Float4.OID, Float8.OID:
		if f, ok := DecodeFloat(src, t); ok {
			return f, nil
		}
	case Numeric.OID:
		switch string(src) {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if d, ok := parseDecimal(string(src)); ok {
			return d, nil
		}
	case Date.OID, Timestamp.OID, Timestamptz.OID, Time.OID:
		if tm, ok := DecodeTime(src, t); ok {
			return tm, nil
		}
	case Interval.OID:
		if iv, ok := parseInterval(string(src)); ok {
			return iv, nil
		}
	case Bytea.OID:
		if h, ok := bytes.CutPrefix(src, []byte(`\x`)); ok {
			b := make([]byte, hex.DecodedLen(len(h)))
			if _, err := hex.Decode(b, h); err == nil {
				return b, nil
			}
		}
	default:
		return string(src), nil
	}
	return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s", SQLName(t))
}

// The decoders below convert src to a string only to hand it to a parser that does not keep it
// (strconv and time clone what they put in an error), which costs no allocation.

// DecodeBool reads a bool's text: t or f (PostgreSQL's output), true or false.
func DecodeBool(src []byte) (bool, bool) {
	switch string(src) {
	case "t", "true":
		return true, true
	case "f", "false":
		return false, true
	}
	return false, false
}

// DecodeInt reads an integer's text that fits int64 (all of int2, int4 and int8; DecodeText
// reads a larger one as a *big.Int).
func DecodeInt(src []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(src), 10, 64)
	return n, err == nil
}

// DecodeFloat reads a float4 or float8 (t) text, NaN and the infinities included; a float4's
// value is the float32 it names.
func DecodeFloat(src []byte, t Type) (float64, bool) {
	bits := 64
	if t.OID == Float4.OID {
		bits = 32
	}
	f, err := strconv.ParseFloat(string(src), bits)
	return f, err == nil
}

// DecodeTime reads a date, timestamp, timestamptz or time of day (t) as DecodeText does.
func DecodeTime(src []byte, t Type) (time.Time, bool) {
	var layouts []string
	switch t.OID {
	case Date.OID:
		if tm, ok := parseDateTime(src, false); ok {
			return tm, true
		}
		layouts = []string{layoutDate}
	case Timestamp.OID:
		if tm, ok := parseDateTime(src, true); ok {
			return tm, true
		}
		layouts = []string{layoutTimestamp}
	case Timestamptz.OID:
		layouts = []string{layoutTimestamptz, layoutTimestamptzMinutes}
	case Time.OID:
		layouts = []string{layoutTime}
	}
	for _, l := range layouts {
		if tm, err := time.Parse(l, string(src)); err == nil {
			return tm, true
		}
	}
	return time.Time{}, false
}

// parseDateTime is the fast path of the forms AppendText writes most, "2006-01-02" and (with
// clock) "2006-01-02 15:04:05" with an optional fraction of up to 6 digits, years 1-9999. It
// accepts only what time.Parse with the same layout accepts, and gives the same time; anything
// else is left to time.Parse.
func parseDateTime(src []byte, clock bool) (time.Time, bool) {
	n := 10
	if clock {
		n = 19
	}
	if len(src) < n || src[4] != '-' || src[7] != '-' {
		return time.Time{}, false
	}
	num := func(i, w int) (int, bool) {
		v := 0
		for _, c := range src[i : i+w] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || y < 1 {
		return time.Time{}, false
	}
	h, mi, sec, nsec := 0, 0, 0, 0
	if clock {
		if src[10] != ' ' || src[13] != ':' || src[16] != ':' {
			return time.Time{}, false
		}
		var ok4, ok5, ok6 bool
		h, ok4 = num(11, 2)
		mi, ok5 = num(14, 2)
		sec, ok6 = num(17, 2)
		if !ok4 || !ok5 || !ok6 || h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, false
		}
		if len(src) > n {
			frac := len(src) - n - 1
			if src[n] != '.' || frac < 1 || frac > 6 {
				return time.Time{}, false
			}
			f, ok := num(n+1, frac)
			if !ok {
				return time.Time{}, false
			}
			for range 9 - frac {
				f *= 10
			}
			nsec = f
		}
	} else if len(src) != n {
		return time.Time{}, false
	}
	tm := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
	// time.Date carries an out-of-range month or day over (February 30 is March 2);
	// time.Parse refuses it.
	if tm.Month() != time.Month(mo) || tm.Day() != d || tm.Year() != y {
		return time.Time{}, false
	}
	return tm, true
}

// parseDecimal reads [+-]digits[.digits][e[+-]digits] exactly. A positive exponent is folded
// into the unscaled value, so the scale is never negative (AppendText prints a Decimal of
// negative scale without its zeros).
func parseDecimal(s string) (Decimal, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > maxNumericWeight || e < -maxNumericScale {
			return Decimal{}, false
		}
		mant, exp = s[:i], e
	}
	neg := false
	if mant != "" && (mant[0] == '-' || mant[0] == '+') {
		neg, mant = mant[0] == '-', mant[1:]
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := whole + frac
	if digits == "" {
		return Decimal{}, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return Decimal{}, false
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return Decimal{}, false
	}
	if neg {
		u.Neg(u)
	}
	scale := len(frac) - exp
	if scale < 0 {
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	return Decimal{Unscaled: u, Scale: scale}, true
}

// parseInterval reads IntervalStyle postgres, as appendInterval writes it: "N unit" parts for
// years, months and days ("1 year 2 mons -3 days") and then an optional [-]H:MM:SS[.ffffff].
func parseInterval(s string) (IntervalValue, bool) {
	var iv IntervalValue
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return iv, false
	}
	months, days := int64(0), int64(0)
	for i := 0; i < len(fields); {
		if strings.Contains(fields[i], ":") {
			if i != len(fields)-1 {
				return iv, false
			}
			us, ok := parseClock(fields[i])
			if !ok {
				return iv, false
			}
			iv.Micros = us
			break
		}
		if i+1 >= len(fields) {
			return iv, false
		}
		n, err := strconv.ParseInt(fields[i], 10, 32)
		if err != nil {
			return iv, false
		}
		switch strings.TrimSuffix(fields[i+1], "s") {
		case "year":
			months += n * 12
		case "mon":
			months += n
		case "day":
			days += n
		default:
			return iv, false
		}
		i += 2
	}
	if months < math.MinInt32 || months > math.MaxInt32 || days < math.MinInt32 || days > math.MaxInt32 {
		return iv, false
	}
	iv.Months, iv.Days = int32(months), int32(days)
	return iv, true
}

// parseClock reads [-]H:MM:SS[.ffffff] (hours may exceed 24) as microseconds.
func parseClock(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	sec, frac, hasFrac := strings.Cut(parts[2], ".")
	h, errH := strconv.ParseUint(parts[0], 10, 64)
	m, errM := strconv.ParseUint(parts[1], 10, 8)
	sc, errS := strconv.ParseUint(sec, 10, 8)
	if errH != nil || errM != nil || errS != nil || h > math.MaxInt64/3_600_000_000 || m > 59 || sc > 59 || (hasFrac && (frac == "" || len(frac) > 6)) {
		return 0, false
	}
	us := int64(h)*3600e6 + int64(m)*60e6 + int64(sc)*1e6
	if hasFrac {
		f, err := strconv.ParseUint(frac+strings.Repeat("0", 6-len(frac)), 10, 32)
		if err != nil {
			return 0, false
		}
		us += int64(f)
	}
	if us < 0 {
		return 0, false // beyond int64: only the hours were checked
	}
	if neg {
		us = -us
	}
	return us, true
}
