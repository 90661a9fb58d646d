// Package pgtypes is the gateway's knowledge of PostgreSQL's data types: the types results are
// announced with (OID, name, typlen), their names and categories, and their text and binary
// encodings.
//
// AppendText and AppendBinary write a Go value (one of the kinds in values.go, the set the
// engine's backends hand back) in PostgreSQL's text or binary format under an announced type,
// converting a value of another kind where PostgreSQL would (an integer announced as numeric, a
// DATE for a timestamp) and refusing what does not fit with a SQLSTATE. The text forms are
// PostgreSQL's own with its default settings (DateStyle ISO, IntervalStyle postgres,
// extra_float_digits 1, TimeZone UTC); tests compare them with a real PostgreSQL.
//
// One-dimensional arrays of those types (arrays.go) are announced by their own OIDs and written
// in PostgreSQL's array text and binary forms from an engine's list; Elem and ArrayOf go between
// an array type and its elements. AppendTextIn prints a timestamptz (alone or in an array) in
// the session's TimeZone, as PostgreSQL does; AppendText prints it in UTC.
//
// DecodeText reads back the text AppendText writes into a typed Go value, for consumers that
// are handed encoded rows (the HTTP API makes JSON from the same rows the pg wire protocol and
// the result cache carry). DecodeBool, DecodeInt, DecodeFloat and DecodeTime are its decoders
// for the common kinds with concrete result types, which cost no allocation.
//
// The package is a leaf: it imports nothing of this module but sqlerr, so the planner, the
// engine and the front doors can all depend on it.
package pgtypes
