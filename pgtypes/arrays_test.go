package pgtypes

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Arrays print as PostgreSQL prints them (the strings are psql's output of the same arrays on
// PostgreSQL 15), and their binary form decodes with pgx's codec to the same elements as the
// text form.
func TestArrayText(t *testing.T) {
	day := time.Date(2025, 3, 9, 7, 0, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		v    any
		t    Type
		loc  *time.Location
		want string
	}{
		{[]any{"Indore", "a \"b\", c", "", "NULL", nil, `back\slash`, "x y"}, TextArray, nil, `{Indore,"a \"b\", c","","NULL",NULL,"back\\slash","x y"}`},
		{[]any{int64(1), nil, int64(-3)}, Int4Array, nil, "{1,NULL,-3}"},
		{[]any{1.5, 1e10, 0.1}, Float8Array, nil, "{1.5,10000000000,0.1}"},
		{[]any{true, false}, BoolArray, nil, "{t,f}"},
		{[]any{day}, DateArray, nil, "{2025-03-09}"},
		{[]any{day}, TimestampArray, nil, `{"2025-03-09 07:00:00"}`},
		{[]any{day, day.Add(-time.Second)}, TimestamptzArray, ny, `{"2025-03-09 03:00:00-04","2025-03-09 01:59:59-05"}`},
		{[]any{}, TextArray, nil, "{}"},
		{[]string{"a", "b"}, TextArray, nil, "{a,b}"},
	}
	for _, c := range cases {
		got, err := AppendTextIn(nil, c.v, c.t, c.loc)
		if err != nil || string(got) != c.want {
			t.Errorf("%v as %s: got %s (%v), want %s", c.v, c.t.Name, got, err, c.want)
		}
		bin, err := AppendBinary(nil, c.v, c.t)
		if err != nil {
			t.Errorf("%v as %s binary: %v", c.v, c.t.Name, err)
			continue
		}
		m := pgtype.NewMap()
		var fromText, fromBinary []any
		if err := m.Scan(c.t.OID, pgtype.TextFormatCode, got, &fromText); err != nil {
			t.Errorf("pgx reads %s: %v", got, err)
			continue
		}
		if err := m.Scan(c.t.OID, pgtype.BinaryFormatCode, bin, &fromBinary); err != nil {
			t.Errorf("pgx reads the binary of %s: %v", got, err)
			continue
		}
		if a, b := fmtElems(fromText), fmtElems(fromBinary); a != b {
			t.Errorf("%s: binary decodes to %s, text to %s", got, b, a)
		}
	}
}

func fmtElems(vs []any) string {
	out := ""
	for _, v := range vs {
		if tm, ok := v.(time.Time); ok {
			v = tm.UTC().Format(time.RFC3339Nano)
		}
		out += "|" + sprint(v)
	}
	return out
}

func sprint(v any) string {
	b, _ := AppendText(nil, v, Text)
	return string(b)
}

// A list of lists is no one-dimensional array: refused, never printed wrong.
func TestNestedListRefused(t *testing.T) {
	if _, err := AppendText(nil, []any{[]any{int64(1)}}, Int4Array); err == nil {
		t.Error("nested list printed as int4[]")
	}
	if _, err := AppendBinary(nil, []any{[]any{int64(1)}}, Int4Array); err == nil {
		t.Error("nested list encoded as int4[]")
	}
}

// A list the engine returns for a column announced as text prints as the array it is.
func TestListAsText(t *testing.T) {
	got, err := AppendText(nil, []any{"pg_catalog", "public", true, int64(2), nil}, Text)
	if err != nil || string(got) != "{pg_catalog,public,t,2,NULL}" {
		t.Errorf("got %s (%v)", got, err)
	}
}

func TestArrayTypes(t *testing.T) {
	for _, a := range arrays {
		if e, ok := Elem(a.array); !ok || e != a.elem {
			t.Errorf("Elem(%s) = %v", a.array.Name, e)
		}
		if at, ok := ArrayOf(a.elem); !ok || at != a.array {
			t.Errorf("ArrayOf(%s) = %v", a.elem.Name, at)
		}
		if !IsArray(a.array) || IsArray(a.elem) {
			t.Errorf("IsArray wrong for %s", a.array.Name)
		}
	}
	if SQLName(Int4Array) != "integer[]" {
		t.Errorf("SQLName(int4[]) = %s", SQLName(Int4Array))
	}
}
