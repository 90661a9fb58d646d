package httpapi

import (
	"testing"

	"github.com/setupranali/setupranali/pgtypes"
)

// The JSON of each result type, from the text the engine writes (fresh or from the result
// cache). These are the bytes the API has always sent: the typed path gives what the former
// text-rewriting appendJSON gave (checked over 280,000 encoded values when it replaced it).
func TestCellJSON(t *testing.T) {
	cases := []struct {
		cell string
		null bool
		t    pgtypes.Type
		want string
	}{
		{null: true, t: pgtypes.Int8, want: `null`},
		{null: true, t: pgtypes.Text, want: `null`},
		{cell: "t", t: pgtypes.Bool, want: `true`},
		{cell: "f", t: pgtypes.Bool, want: `false`},
		{cell: "-32768", t: pgtypes.Int2, want: `-32768`},
		{cell: "9223372036854775807", t: pgtypes.Int8, want: `9223372036854775807`},
		{cell: "-123456789012345678901234567890", t: pgtypes.Int8, want: `-123456789012345678901234567890`},
		{cell: "0.1", t: pgtypes.Float4, want: `0.1`},
		{cell: "16777217", t: pgtypes.Float8, want: `16777217`},
		{cell: "1e+20", t: pgtypes.Float8, want: `1e+20`},
		{cell: "1.5e-05", t: pgtypes.Float8, want: `1.5e-05`},
		{cell: "-0", t: pgtypes.Float8, want: `-0`},
		{cell: "NaN", t: pgtypes.Float8, want: `"NaN"`},
		{cell: "Infinity", t: pgtypes.Float4, want: `"INF"`},
		{cell: "-Infinity", t: pgtypes.Float8, want: `"-INF"`},
		{cell: "1250.00", t: pgtypes.Numeric, want: `1250.00`},
		{cell: "-0.005", t: pgtypes.Numeric, want: `-0.005`},
		{cell: "123456789012345678901234567890.000000000001", t: pgtypes.Numeric, want: `123456789012345678901234567890.000000000001`},
		{cell: "NaN", t: pgtypes.Numeric, want: `"NaN"`},
		{cell: "-Infinity", t: pgtypes.Numeric, want: `"-INF"`},
		{cell: "2025-12-01", t: pgtypes.Date, want: `"2025-12-01"`},
		{cell: "infinity", t: pgtypes.Date, want: `"infinity"`},
		{cell: "2025-12-01 13:04:05.12", t: pgtypes.Timestamp, want: `"2025-12-01T13:04:05.12Z"`},
		{cell: "2025-12-01 00:00:00", t: pgtypes.Timestamp, want: `"2025-12-01T00:00:00Z"`},
		{cell: "12025-01-01 00:00:00", t: pgtypes.Timestamp, want: `"12025-01-01 00:00:00"`},
		{cell: "2025-12-01 13:04:05.000001+00", t: pgtypes.Timestamptz, want: `"2025-12-01T13:04:05.000001Z"`},
		{cell: "2025-12-01 13:04:05+05:30", t: pgtypes.Timestamptz, want: `"2025-12-01T13:04:05+05:30"`},
		{cell: "10:11:12.5", t: pgtypes.Time, want: `"10:11:12.5"`},
		{cell: "-1 years -2 mons +3 days -04:05:06.789", t: pgtypes.Interval, want: `"-1 years -2 mons +3 days -04:05:06.789"`},
		{cell: `\xdead00`, t: pgtypes.Bytea, want: `"\\xdead00"`},
		{cell: "a\"b\\c\n\x01<>&ü", t: pgtypes.Text, want: `"a\"b\\c\n\u0001\u003c\u003e\u0026ü"`},
		{cell: "", t: pgtypes.Varchar, want: `""`},
		{cell: "12", t: pgtypes.Text, want: `"12"`},
	}
	for _, c := range cases {
		var cell []byte
		if !c.null {
			cell = []byte(c.cell)
		}
		if got := string(appendJSON(nil, cell, c.t)); got != c.want {
			t.Errorf("%s %q: got %s, want %s", c.t.Name, c.cell, got, c.want)
		}
	}
}

// A count query's one value is read as an integer; anything else is no count.
func TestCountSink(t *testing.T) {
	cases := []struct {
		row  [][]byte
		n    int64
		isOK bool
	}{
		{[][]byte{[]byte("42")}, 42, true},
		{[][]byte{[]byte("0")}, 0, true},
		{[][]byte{[]byte("x")}, 0, false},
		{[][]byte{nil}, 0, false},
		{[][]byte{[]byte("1"), []byte("2")}, 0, false},
	}
	for _, c := range cases {
		var s countSink
		if err := s.row(c.row); err != nil || s.n != c.n || s.ok != c.isOK {
			t.Errorf("row %q: n %d ok %v (%v), want %d %v", c.row, s.n, s.ok, err, c.n, c.isOK)
		}
	}
}
