package pgwire

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Array parameters decode to the typed lists the engines bind, from the text and binary forms
// pgx writes; a NULL element is refused with 0A000.
func TestDecodeArrayParam(t *testing.T) {
	m := pgtype.NewMap()
	cases := []struct {
		t    pgtypes.Type
		text string
		want string
	}{
		{pgtypes.TextArray, `{Indore,"a \"b\", c"}`, `[]string{"Indore", "a \"b\", c"}`},
		{pgtypes.Int4Array, "{1,-2}", "[]int64{1, -2}"},
		{pgtypes.Int8Array, "{9007199254740993}", "[]int64{9007199254740993}"},
		{pgtypes.Float8Array, "{1.5,1e10}", "[]float64{1.5, 1e+10}"},
		{pgtypes.DateArray, "{2024-02-29}", "2024-02-29 00:00:00 +0000 UTC"},
		{pgtypes.TimestampArray, `{"2025-12-02 10:11:12.5"}`, "2025-12-02 10:11:12.5 +0000 UTC"},
		{pgtypes.TimestamptzArray, `{"2025-12-02 10:11:12+05:30"}`, "2025-12-02 04:41:12 +0000 UTC"},
		{pgtypes.BoolArray, "{t,f}", "[]bool{true, false}"},
		{pgtypes.TextArray, "{}", "[]string{}"},
	}
	for _, c := range cases {
		elem, _ := pgtypes.Elem(c.t)
		for _, format := range []int16{0, 1} {
			src := []byte(c.text)
			if format == 1 {
				var vals []any
				if err := m.Scan(c.t.OID, 0, src, &vals); err != nil {
					t.Fatal(err)
				}
				var err error
				if src, err = m.Encode(c.t.OID, 1, vals, nil); err != nil {
					t.Fatal(err)
				}
			}
			v, err := decodeArrayParam(m, c.t, elem, format, src)
			if err != nil {
				t.Errorf("%s %s (format %d): %v", c.t.Name, c.text, format, err)
				continue
			}
			got := fmt.Sprintf("%#v", v)
			if times, ok := v.([]time.Time); ok && len(times) == 1 {
				got = times[0].String()
			}
			if got != c.want {
				t.Errorf("%s %s (format %d): got %s, want %s", c.t.Name, c.text, format, got, c.want)
			}
		}
	}
	_, err := decodeArrayParam(m, pgtypes.TextArray, pgtypes.Text, 0, []byte("{a,NULL}"))
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.FeatureNotSupported {
		t.Errorf("NULL element: %v, want 0A000", err)
	}
}

// pgjdbc's setTimestamp writes an offset a timestamp without time zone ignores.
func TestStripOffset(t *testing.T) {
	for in, want := range map[string]string{
		"2025-12-02 10:11:12+00":       "2025-12-02 10:11:12",
		"2025-12-02 10:11:12.5-07:00":  "2025-12-02 10:11:12.5",
		"2025-12-02 10:11:12+05:30:00": "2025-12-02 10:11:12",
		"2025-12-02T10:11:12Z":         "2025-12-02T10:11:12",
		"2025-12-02 10:11:12":          "2025-12-02 10:11:12",
		"2025-12-02":                   "2025-12-02",
		"2025-12-02 10:11:12 PST":      "2025-12-02 10:11:12 PST",
	} {
		if got := string(stripOffset([]byte(in))); got != want {
			t.Errorf("stripOffset(%q) = %q, want %q", in, got, want)
		}
	}
}
