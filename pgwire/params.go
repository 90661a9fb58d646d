package pgwire

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Bind's parameter values arrive as bytes in text or binary format; the executor binds Go values.
// The plan's parameter types (declared by the client in Parse, or inferred by the planner) decide
// what each value is, and pgx's pgtype codecs read both formats the way drivers write them:
// integers become int64, floats float64, numeric its canonical text (exact; the engine casts it),
// bool, text and varchar strings, dates and timestamps time.Time (UTC), bytea []byte, time and
// interval text the engine parses.

// bindArgs decodes Bind's values. codes are its parameter format codes: none means all text, one
// applies to all, otherwise one per value.
func (c *conn) bindArgs(params []pgtypes.Type, codes []int16, values [][]byte) ([]any, error) {
	if len(codes) > 1 && len(codes) != len(values) {
		return nil, sqlerr.New(sqlerr.ProtocolViolation, "bind message has %d parameter formats but %d parameters", len(codes), len(values))
	}
	if len(values) == 0 {
		return nil, nil
	}
	args := make([]any, len(values))
	for i, src := range values {
		format := int16(0)
		switch {
		case len(codes) == 1:
			format = codes[0]
		case len(codes) > 1:
			format = codes[i]
		}
		if format != 0 && format != 1 {
			return nil, sqlerr.New(sqlerr.InvalidParameterValue, "unsupported format code: %d", format)
		}
		if src == nil {
			continue // NULL
		}
		v, err := c.decodeParam(params[i], format, src)
		if err != nil {
			if e, ok := err.(*sqlerr.Error); ok {
				return nil, e
			}
			if format == 1 {
				return nil, sqlerr.New(sqlerr.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", i+1)
			}
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", pgtypes.SQLName(params[i]), src).
				WithDetail("bind parameter $%d", i+1)
		}
		args[i] = v
	}
	return args, nil
}

// typeMap is the connection's pgtype map, made on first use (a Map caches scan plans and is not
// safe for concurrent use, so each connection has its own).
func (c *conn) typeMap() *pgtype.Map {
	if c.types == nil {
		c.types = pgtype.NewMap()
	}
	return c.types
}

// decodeParam reads one non-NULL value. src belongs to the message buffer: whatever is kept is
// copied.
func (c *conn) decodeParam(t pgtypes.Type, format int16, src []byte) (any, error) {
	m := c.typeMap()
	if elem, ok := pgtypes.Elem(t); ok {
		return decodeArrayParam(m, t, elem, format, src)
	}
	switch t.OID {
	case pgtypes.Int2.OID, pgtypes.Int4.OID, pgtypes.Int8.OID:
		var v int64
		err := m.Scan(t.OID, format, src, &v)
		return v, err
	case pgtypes.Float4.OID, pgtypes.Float8.OID:
		var v float64
		err := m.Scan(t.OID, format, src, &v)
		return v, err
	case pgtypes.Bool.OID:
		var v bool
		err := m.Scan(t.OID, format, src, &v)
		return v, err
	case pgtypes.Numeric.OID:
		var n pgtype.Numeric
		if err := m.Scan(t.OID, format, src, &n); err != nil {
			return nil, err
		}
		text, err := m.Encode(t.OID, pgtype.TextFormatCode, n, nil)
		return string(text), err
	case pgtypes.Date.OID:
		var d pgtype.Date
		if err := m.Scan(t.OID, format, src, &d); err != nil {
			if format == 1 {
				return nil, err
			}
			// PostgreSQL reads the date part of a timestamp written where a date is expected
			// (pgx's exec mode sends a time.Time so).
			i := bytes.IndexAny(src, " T")
			if i <= 0 || m.Scan(t.OID, format, src[:i], &d) != nil {
				return nil, err
			}
		}
		if d.InfinityModifier != pgtype.Finite {
			return nil, errInfinite(t)
		}
		return time.Date(d.Time.Year(), d.Time.Month(), d.Time.Day(), 0, 0, 0, 0, time.UTC), nil
	case pgtypes.Timestamp.OID:
		var ts pgtype.Timestamp
		if err := m.Scan(t.OID, format, src, &ts); err != nil {
			if format == 1 {
				return nil, err
			}
			// PostgreSQL takes a bare date as its midnight, and ignores a zone offset written
			// after a timestamp without time zone (pgjdbc's setTimestamp sends one).
			wall, werr := parseWallClock(stripOffset(src))
			if werr != nil {
				return nil, err
			}
			return wall, nil
		}
		if ts.InfinityModifier != pgtype.Finite {
			return nil, errInfinite(t)
		}
		return ts.Time, nil
	case pgtypes.Timestamptz.OID:
		var ts pgtype.Timestamptz
		if err := m.Scan(t.OID, format, src, &ts); err != nil {
			if format == 1 {
				return nil, err
			}
			// No offset: the wall-clock time is in the session's time zone, as PostgreSQL reads it.
			wall, werr := parseWallClock(src)
			if werr != nil {
				return nil, err
			}
			return c.inSessionZone(wall), nil
		}
		if ts.InfinityModifier != pgtype.Finite {
			return nil, errInfinite(t)
		}
		return ts.Time.UTC(), nil
	case pgtypes.Time.OID:
		var tm pgtype.Time
		if err := m.Scan(t.OID, format, src, &tm); err != nil {
			return nil, err
		}
		us := tm.Microseconds
		return fmt.Sprintf("%02d:%02d:%02d.%06d", us/3600e6, us/60e6%60, us/1e6%60, us%1e6), nil
	case pgtypes.Interval.OID:
		var iv pgtype.Interval
		if err := m.Scan(t.OID, format, src, &iv); err != nil {
			return nil, err
		}
		// Unit by unit, a form the engine parses whatever the sign of each part.
		return fmt.Sprintf("%d months %d days %d microseconds", iv.Months, iv.Days, iv.Microseconds), nil
	case pgtypes.Bytea.OID:
		if format == 1 {
			return bytes.Clone(src), nil
		}
		var b []byte
		err := m.Scan(t.OID, format, src, &b)
		return bytes.Clone(b), err
	}
	// text, varchar and everything read as text: the bytes are the value, in the one encoding
	// the gateway speaks.
	if !utf8.Valid(src) {
		return nil, sqlerr.New(sqlerr.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\"")
	}
	return string(src), nil
}

// parseWallClock reads a timestamp without offset, or a bare date, as wall-clock time in UTC.
func parseWallClock(src []byte) (time.Time, error) {
	var ts pgtype.Timestamp
	if err := ts.Scan(string(src)); err == nil && ts.Valid && ts.InfinityModifier == pgtype.Finite {
		return ts.Time, nil
	}
	var d pgtype.Date
	if err := d.Scan(string(src)); err != nil || !d.Valid || d.InfinityModifier != pgtype.Finite {
		return time.Time{}, fmt.Errorf("not a timestamp: %q", src)
	}
	return time.Date(d.Time.Year(), d.Time.Month(), d.Time.Day(), 0, 0, 0, 0, time.UTC), nil
}

// stripOffset drops a zone offset ("+00", "-07:00", "+05:30:00") or a "Z" that ends a
// timestamp's text, which a timestamp without time zone reads as wall-clock time alone. Text
// with no clock part (a bare date's "-02" is no offset) is returned as it is.
func stripOffset(src []byte) []byte {
	clock := bytes.IndexAny(src, " T")
	if clock < 0 {
		return src
	}
	if src[len(src)-1] == 'Z' {
		return bytes.TrimRight(src[:len(src)-1], " ")
	}
	i := bytes.IndexAny(src[clock+1:], "+-")
	if i < 0 {
		return src
	}
	i += clock + 1
	for _, c := range src[i+1:] {
		if (c < '0' || c > '9') && c != ':' {
			return src
		}
	}
	return bytes.TrimRight(src[:i], " ")
}

// inSessionZone takes a wall-clock reading to the instant it names in the session's time zone.
func (c *conn) inSessionZone(wall time.Time) time.Time {
	loc := time.UTC
	if c.session.TimeZone != "" {
		if l, err := time.LoadLocation(c.session.TimeZone); err == nil {
			loc = l
		}
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc).UTC()
}

func errInfinite(t pgtypes.Type) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "infinite %s values are not supported as parameters", pgtypes.SQLName(t))
}
