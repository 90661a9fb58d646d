package pgtypes

import (
	"encoding/binary"
	"reflect"
	"strings"
	"time"
)

// One-dimensional arrays of the element types the gateway handles. An array type is announced
// and declared by its own OID (pg_type's _int4, _text, ...); Elem and ArrayOf go between an
// array type and its element type.
var (
	BoolArray        = Type{OID: 1000, Name: "_bool", Size: -1}
	Int2Array        = Type{OID: 1005, Name: "_int2", Size: -1}
	Int4Array        = Type{OID: 1007, Name: "_int4", Size: -1}
	TextArray        = Type{OID: 1009, Name: "_text", Size: -1}
	VarcharArray     = Type{OID: 1015, Name: "_varchar", Size: -1}
	Int8Array        = Type{OID: 1016, Name: "_int8", Size: -1}
	Float4Array      = Type{OID: 1021, Name: "_float4", Size: -1}
	Float8Array      = Type{OID: 1022, Name: "_float8", Size: -1}
	TimestampArray   = Type{OID: 1115, Name: "_timestamp", Size: -1}
	DateArray        = Type{OID: 1182, Name: "_date", Size: -1}
	TimestamptzArray = Type{OID: 1185, Name: "_timestamptz", Size: -1}
	NumericArray     = Type{OID: 1231, Name: "_numeric", Size: -1}
)

// arrays pairs each array type with its element type.
var arrays = []struct{ array, elem Type }{
	{BoolArray, Bool}, {Int2Array, Int2}, {Int4Array, Int4}, {TextArray, Text},
	{VarcharArray, Varchar}, {Int8Array, Int8}, {Float4Array, Float4}, {Float8Array, Float8},
	{TimestampArray, Timestamp}, {DateArray, Date}, {TimestamptzArray, Timestamptz},
	{NumericArray, Numeric},
}

// Elem returns the element type of an array type; ok is false for a type that is not one.
func Elem(t Type) (Type, bool) {
	for _, a := range arrays {
		if a.array.OID == t.OID {
			return a.elem, true
		}
	}
	return Type{}, false
}

// ArrayOf returns the array type whose elements are t; ok is false where the gateway has none.
func ArrayOf(t Type) (Type, bool) {
	for _, a := range arrays {
		if a.elem.OID == t.OID {
			return a.array, true
		}
	}
	return Type{}, false
}

// IsArray reports whether t is one of the array types. It is on every value's encoding path,
// so it is a switch rather than a lookup.
func IsArray(t Type) bool {
	switch t.OID {
	case BoolArray.OID, Int2Array.OID, Int4Array.OID, TextArray.OID, VarcharArray.OID, Int8Array.OID,
		Float4Array.OID, Float8Array.OID, TimestampArray.OID, DateArray.OID, TimestamptzArray.OID,
		NumericArray.OID:
		return true
	}
	return false
}

// elements reads an engine's array value: a slice of any element kind ([]any from DuckDB and
// pgx, or a typed slice). ok is false for anything else.
func elements(v any) ([]any, bool) {
	if vs, ok := v.([]any); ok {
		return vs, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// appendArrayText writes an array in PostgreSQL's text form: {a,b,NULL}, each element as its
// type prints it, double-quoted where PostgreSQL quotes it. Timestamptz elements print in loc.
func appendArrayText(buf []byte, v any, t Type, loc *time.Location) ([]byte, error) {
	elem, _ := Elem(t)
	vs, ok := elements(v)
	if !ok {
		return nil, mismatch(v, t)
	}
	buf = append(buf, '{')
	var scratch []byte
	for i, e := range vs {
		if i > 0 {
			buf = append(buf, ',')
		}
		if e == nil {
			buf = append(buf, "NULL"...)
			continue
		}
		if _, nested := elements(e); nested && elem.OID != Bytea.OID {
			// A list of lists is a multi-dimensional array, which no result is announced as.
			return nil, mismatch(v, t)
		}
		var err error
		scratch, err = AppendTextIn(scratch[:0], e, elem, loc)
		if err != nil {
			return nil, err
		}
		buf = appendArrayElem(buf, scratch)
	}
	return append(buf, '}'), nil
}

// appendArrayElem writes one element's text, quoted when it is empty, is the word NULL, or
// holds a character the array syntax gives a meaning (braces, comma, quote, backslash, space).
func appendArrayElem(buf, s []byte) []byte {
	quote := len(s) == 0 || strings.EqualFold(string(s), "NULL")
	for _, c := range s {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n', '\r', '\v', '\f':
			quote = true
		}
	}
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for _, c := range s {
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}

// appendArrayBinary writes an array in PostgreSQL's binary form: dimensions (0 for an empty
// array, else 1), a has-NULL flag, the element OID, the length and lower bound 1, then each
// element as a length-prefixed binary value (-1 for NULL).
func appendArrayBinary(buf []byte, v any, t Type) ([]byte, error) {
	elem, _ := Elem(t)
	vs, ok := elements(v)
	if !ok {
		return nil, mismatch(v, t)
	}
	hasNull := uint32(0)
	for _, e := range vs {
		if e == nil {
			hasNull = 1
		}
	}
	ndim := uint32(1)
	if len(vs) == 0 {
		ndim = 0
	}
	buf = binary.BigEndian.AppendUint32(buf, ndim)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elem.OID)
	if ndim == 1 {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(vs)))
		buf = binary.BigEndian.AppendUint32(buf, 1)
	}
	for _, e := range vs {
		if e == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF)
			continue
		}
		if _, nested := elements(e); nested {
			return nil, mismatch(v, t)
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		buf, err = AppendBinary(buf, e, elem)
		if err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}
