package pgtypes

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/setupranali/setupranali/sqlerr"
)

// decodeCorpus is a value of every kind the engine hands back under every type it is announced
// with, edge values included.
func decodeCorpus() []struct {
	v any
	t Type
} {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	big30, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	return []struct {
		v any
		t Type
	}{
		{true, Bool}, {false, Bool},
		{int64(0), Int2}, {int64(-32768), Int2}, {int64(70000), Int4}, {int64(math.MinInt64), Int8},
		{int64(math.MaxInt64), Int8}, {big30, Int8}, {true, Int4}, {float64(12), Int8},
		{Decimal{Unscaled: big.NewInt(12399), Scale: 2}, Int8},
		{0.0, Float8}, {math.Copysign(0, -1), Float8}, {1.5, Float4}, {0.1, Float4}, {0.1, Float8},
		{1e15, Float8}, {1e-5, Float8}, {123456.7, Float4}, {math.MaxFloat64, Float8},
		{math.SmallestNonzeroFloat64, Float8}, {math.Inf(1), Float8}, {math.Inf(-1), Float4},
		{math.NaN(), Float8}, {int64(3), Float4}, {Decimal{Unscaled: big.NewInt(125), Scale: 2}, Float8},
		{Decimal{Unscaled: big.NewInt(125000), Scale: 2}, Numeric},
		{Decimal{Unscaled: big.NewInt(-5), Scale: 3}, Numeric},
		{Decimal{Unscaled: big.NewInt(0), Scale: 4}, Numeric},
		{Decimal{Unscaled: big30, Scale: 12}, Numeric},
		{int64(-1234567), Numeric}, {big30, Numeric}, {0.1, Numeric}, {1e21, Numeric}, {-2.5e-7, Numeric},
		{math.NaN(), Numeric}, {math.Inf(1), Numeric}, {math.Inf(-1), Numeric}, {math.Copysign(0, -1), Numeric},
		{"3.14159", Numeric},
		{time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Date},
		{time.Date(1999, 12, 31, 23, 0, 0, 0, kolkata), Date},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Date},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Date},
		{time.Date(2025, 12, 1, 10, 0, 0, 123456000, time.UTC), Timestamp},
		{time.Date(2025, 12, 2, 1, 30, 0, 0, kolkata), Timestamp},
		{time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Timestamp},
		{time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), Timestamptz},
		{time.Date(2025, 12, 2, 1, 30, 0, 1000, kolkata), Timestamptz},
		{time.Date(0, 1, 1, 10, 11, 12, 500000000, time.UTC), Time},
		{time.Date(1, 1, 1, 23, 59, 59, 999999000, time.UTC), Time},
		{IntervalValue{}, Interval},
		{IntervalValue{Months: 14, Days: 3, Micros: 4*3600e6 + 5*60e6 + 6e6}, Interval},
		{IntervalValue{Months: -14, Days: 3, Micros: -(4*3600e6 + 5*60e6 + 6.5e6)}, Interval},
		{IntervalValue{Months: -1, Days: -2, Micros: -1}, Interval},
		{IntervalValue{Days: 1}, Interval},
		{IntervalValue{Micros: 1000 * 3600e6}, Interval},
		{IntervalValue{Months: math.MaxInt32, Days: math.MinInt32, Micros: math.MaxInt64}, Interval},
		{[]byte{0xde, 0xad, 0x00}, Bytea}, {[]byte{}, Bytea},
		{"x", Text}, {"ünïcode \"quoted\"\n", Varchar}, {"", Text}, {int64(5), Text},
	}
}

// Every value the text encoder writes reads back, and encodes again to the same text.
func TestDecodeTextRoundTrips(t *testing.T) {
	for _, c := range decodeCorpus() {
		roundTrip(t, c.v, c.t)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		f := math.Float64frombits(rng.Uint64())
		roundTrip(t, f, Float8)
		roundTrip(t, f, Float4)
		roundTrip(t, Decimal{Unscaled: big.NewInt(rng.Int64() - rng.Int64()), Scale: rng.IntN(30)}, Numeric)
		roundTrip(t, time.Unix(rng.Int64N(500e9)-100e9, rng.Int64N(1e9)).UTC(), Timestamp)
		roundTrip(t, time.Unix(rng.Int64N(500e9)-100e9, rng.Int64N(1e9)), Timestamptz)
		roundTrip(t, time.Unix(rng.Int64N(500e9)-100e9, 0).UTC(), Date)
		roundTrip(t, IntervalValue{Months: rng.Int32() - rng.Int32()/2, Days: rng.Int32N(1000) - 500, Micros: rng.Int64() - rng.Int64()}, Interval)
	}
}

func roundTrip(t *testing.T, v any, typ Type) {
	t.Helper()
	text, err := AppendText(nil, v, typ)
	if err != nil {
		t.Fatalf("%T %v as %s: %v", v, v, typ.Name, err)
	}
	if year, ok := v.(time.Time); ok && (year.Year() < 1 || year.Year() > 9999) && typ.OID != Time.OID {
		return // printed by time's formatter, not a PostgreSQL text form
	}
	got, err := DecodeText(text, typ)
	if err != nil {
		t.Errorf("%T %v as %s: text %q does not decode: %v", v, v, typ.Name, text, err)
		return
	}
	if want := decodedKind(typ, got); reflect.TypeOf(got) != want {
		t.Errorf("%q as %s decoded as %T, want %v", text, typ.Name, got, want)
	}
	again, err := AppendText(nil, got, typ)
	if err != nil || string(again) != string(text) {
		t.Errorf("%T %v as %s: %q decodes to %#v, which encodes as %q (%v)", v, v, typ.Name, text, got, again, err)
	}
}

// decodedKind is the Go type DecodeText documents for typ (got decides between the two a type
// may have).
func decodedKind(typ Type, got any) reflect.Type {
	switch typ.OID {
	case Bool.OID:
		return reflect.TypeFor[bool]()
	case Int2.OID, Int4.OID, Int8.OID:
		if _, ok := got.(*big.Int); ok {
			return reflect.TypeFor[*big.Int]()
		}
		return reflect.TypeFor[int64]()
	case Float4.OID, Float8.OID:
		return reflect.TypeFor[float64]()
	case Numeric.OID:
		if f, ok := got.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return reflect.TypeFor[float64]()
		}
		return reflect.TypeFor[Decimal]()
	case Date.OID, Timestamp.OID, Timestamptz.OID, Time.OID:
		return reflect.TypeFor[time.Time]()
	case Interval.OID:
		return reflect.TypeFor[IntervalValue]()
	case Bytea.OID:
		return reflect.TypeFor[[]byte]()
	}
	return reflect.TypeFor[string]()
}

func TestDecodeTextValues(t *testing.T) {
	cases := []struct {
		text string
		t    Type
		want any
	}{
		{"t", Bool, true},
		{"f", Bool, false},
		{"-42", Int4, int64(-42)},
		{"1.5", Float8, 1.5},
		{"1250.00", Numeric, Decimal{Unscaled: big.NewInt(125000), Scale: 2}},
		{"-0.005", Numeric, Decimal{Unscaled: big.NewInt(-5), Scale: 3}},
		{".5", Numeric, Decimal{Unscaled: big.NewInt(5), Scale: 1}},
		{"1.5e3", Numeric, Decimal{Unscaled: big.NewInt(1500), Scale: 0}},
		{"15e-1", Numeric, Decimal{Unscaled: big.NewInt(15), Scale: 1}},
		{"2025-12-01", Date, time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"2025-12-01 13:04:05.12", Timestamp, time.Date(2025, 12, 1, 13, 4, 5, 120000000, time.UTC)},
		{"10:11:12.5", Time, time.Date(0, 1, 1, 10, 11, 12, 500000000, time.UTC)},
		{"1 year 2 mons 3 days 04:05:06", Interval, IntervalValue{Months: 14, Days: 3, Micros: 4*3600e6 + 5*60e6 + 6e6}},
		{"-00:01:30", Interval, IntervalValue{Micros: -90e6}},
		{"1 day", Interval, IntervalValue{Days: 1}},
		{`\xdead`, Bytea, []byte{0xde, 0xad}},
		{"anything", Varchar, "anything"},
	}
	for _, c := range cases {
		got, err := DecodeText([]byte(c.text), c.t)
		if err != nil {
			t.Errorf("%q as %s: %v", c.text, c.t.Name, err)
			continue
		}
		if d, ok := c.want.(Decimal); ok {
			g, ok := got.(Decimal)
			if !ok || g.Scale != d.Scale || g.Unscaled.Cmp(d.Unscaled) != 0 {
				t.Errorf("%q as %s = %#v, want %v scale %d", c.text, c.t.Name, got, d.Unscaled, d.Scale)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q as %s = %#v, want %#v", c.text, c.t.Name, got, c.want)
		}
	}
	// An offset is kept: the instant is what counts.
	got, err := DecodeText([]byte("2025-12-02 01:30:00+05:30"), Timestamptz)
	if tm, ok := got.(time.Time); err != nil || !ok || !tm.Equal(time.Date(2025, 12, 1, 20, 0, 0, 0, time.UTC)) {
		t.Errorf("timestamptz with minutes offset = %v, %v", got, err)
	}
}

func TestDecodeTextRefuses(t *testing.T) {
	cases := []struct {
		text string
		t    Type
	}{
		{"yes", Bool}, {"", Bool},
		{"1.5", Int8}, {"", Int4}, {"12a", Int8},
		{"one", Float8}, {"", Float4},
		{"1.2.3", Numeric}, {"", Numeric}, {"-", Numeric}, {".", Numeric}, {"1e", Numeric}, {"+Inf", Numeric},
		{"1e999999999", Numeric}, {"1_000", Numeric},
		{"2025-13-01", Date}, {"2025-12-01 10:00:00", Date}, {"infinity", Date},
		{"2025-12-01T10:00:00", Timestamp}, {"2025-12-01 10:00:00", Timestamptz},
		{"25:00:00", Time},
		{"1 fortnight", Interval}, {"1", Interval}, {"00:60:00", Interval}, {"01:00:00 1 day", Interval},
		{"00:00:00.1234567", Interval}, {"99999999999 days", Interval},
		{"dead", Bytea}, {`\xzz`, Bytea},
	}
	for _, c := range cases {
		got, err := DecodeText([]byte(c.text), c.t)
		if sqlerr.Code(err) != sqlerr.InvalidTextRepresentation {
			t.Errorf("%q as %s = %#v, %v; want 22P02", c.text, c.t.Name, got, err)
		}
	}
}

// PostgreSQL's own text output decodes, and encodes back to what PostgreSQL printed.
func TestDecodeTextReadsPostgres(t *testing.T) {
	conn := postgres(t)
	if _, err := conn.Exec(context.Background(), "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sql string
		t   Type
	}{
		{"SELECT true", Bool},
		{"SELECT (-32768)::int2", Int2},
		{"SELECT 9223372036854775807::int8", Int8},
		{"SELECT 0.1::float4", Float4},
		{"SELECT 1e300::float8", Float8},
		{"SELECT 'NaN'::float8", Float8},
		{"SELECT '-Infinity'::float8", Float8},
		{"SELECT 1250.00::numeric", Numeric},
		{"SELECT (-0.0050)::numeric", Numeric},
		{"SELECT 123456789012345678901234567890.123::numeric", Numeric},
		{"SELECT 'NaN'::numeric", Numeric},
		{"SELECT 'Infinity'::numeric", Numeric},
		{"SELECT DATE '2025-12-01'", Date},
		{"SELECT TIMESTAMP '2025-12-01 13:04:05.123456'", Timestamp},
		{"SELECT TIMESTAMPTZ '2025-12-01 13:04:05.5+00'", Timestamptz},
		{"SELECT TIME '23:59:59.000001'", Time},
		{"SELECT INTERVAL '-1 year -2 mons +3 days -04:05:06.789'", Interval},
		{"SELECT INTERVAL '0'", Interval},
		{"SELECT INTERVAL '100 hours'", Interval},
		{`SELECT '\x00ff'::bytea`, Bytea},
	}
	for _, c := range cases {
		text := pgText(t, conn, c.sql)
		got, err := DecodeText([]byte(text), c.t)
		if err != nil {
			t.Errorf("%s: %q does not decode: %v", c.sql, text, err)
			continue
		}
		again, err := AppendText(nil, got, c.t)
		if err != nil || string(again) != text {
			t.Errorf("%s: PostgreSQL prints %q, decoded %#v encodes as %q (%v)", c.sql, text, got, again, err)
		}
	}
	// A session in another zone prints an offset with minutes; the instant survives.
	if _, err := conn.Exec(context.Background(), "SET TimeZone = 'Asia/Kolkata'"); err != nil {
		t.Fatal(err)
	}
	text := pgText(t, conn, "SELECT TIMESTAMPTZ '2025-12-01 20:00:00+00'")
	got, err := DecodeText([]byte(text), Timestamptz)
	if tm, ok := got.(time.Time); err != nil || !ok || !tm.Equal(time.Date(2025, 12, 1, 20, 0, 0, 0, time.UTC)) {
		t.Errorf("%q decodes to %v, %v", text, got, err)
	}
}

// BenchmarkDecodeTextRow reads back benchRow's text cells, as the HTTP API does per row.
func BenchmarkDecodeTextRow(b *testing.B) {
	cells := make([][]byte, len(benchRow))
	for i, v := range benchRow {
		cells[i], _ = AppendText(nil, v, benchTypes[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, c := range cells {
			if _, err := DecodeText(c, benchTypes[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// The fast path for dates and timestamps accepts nothing time.Parse refuses and reads what it
// accepts as time.Parse does.
func TestParseDateTimeMatchesTimeParse(t *testing.T) {
	inputs := []string{
		"2024-02-29", "2023-02-29", "2025-04-31", "2025-12-31", "0001-01-01", "0000-01-01", "9999-12-31",
		"2025-13-01", "2025-00-10", "2025-1-01", "2025-01-01x", "20a5-01-01", "2025/01/01", "",
		"2025-12-01 00:00:00", "2025-12-01 23:59:59.999999", "2025-12-01 24:00:00", "2025-12-01 10:60:00",
		"2025-12-01 10:00:60", "2025-12-01 10:00:00.", "2025-12-01 10:00:00.1234567", "2025-12-01 10:00:00.05",
		"2025-12-01T10:00:00", "2025-12-01 10:00:00+00", "2023-02-29 10:00:00", "2025-12-01 1:00:00",
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		// Years 1-9999: AppendText's own dates and timestamps, which the fast path must take.
		tm := time.Unix(rng.Int64N(315e9)-62e9, rng.Int64N(1e9)/1000*1000).UTC()
		if _, ok := parseDateTime(appendDate(nil, tm), false); !ok {
			t.Errorf("fast path refuses %q", appendDate(nil, tm))
		}
		if _, ok := parseDateTime(appendDateTime(nil, tm), true); !ok {
			t.Errorf("fast path refuses %q", appendDateTime(nil, tm))
		}
		inputs = append(inputs, string(appendDate(nil, tm)), string(appendDateTime(nil, tm)))
		b := appendDateTime(nil, tm)
		b[rng.IntN(len(b))] = "0123456789-: .x"[rng.IntN(15)]
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		for _, clock := range []bool{false, true} {
			layout := layoutDate
			if clock {
				layout = layoutTimestamp
			}
			fast, ok := parseDateTime([]byte(in), clock)
			slow, err := time.Parse(layout, in)
			if ok && (err != nil || !fast.Equal(slow) || fast.Location() != slow.Location()) {
				t.Errorf("%q (clock %v): fast path reads %v, time.Parse %v, %v", in, clock, fast, slow, err)
			}
		}
	}
}

// The concrete decoders give what DecodeText gives, and refuse what it refuses.
func TestConcreteDecodersMatchDecodeText(t *testing.T) {
	cells := map[Type][]string{
		Bool:        {"t", "f", "true", "false", "yes", ""},
		Int2:        {"0", "-32768", "12a", "9223372036854775808"},
		Int8:        {"9223372036854775807", "-9223372036854775808", "1.0"},
		Float4:      {"0.1", "1e+38", "Infinity", "-Infinity", "NaN", "x"},
		Float8:      {"1e+300", "-0", "1.5e-05", ""},
		Date:        {"2025-12-01", "2024-02-29", "2023-02-29", "0000-01-01", "infinity"},
		Timestamp:   {"2025-12-01 10:00:00.5", "2025-12-01 24:00:00", "2025-12-01"},
		Timestamptz: {"2025-12-01 10:00:00+00", "2025-12-01 10:00:00+05:30", "2025-12-01 10:00:00"},
		Time:        {"10:11:12.5", "25:00:00"},
	}
	for typ, list := range cells {
		for _, cell := range list {
			want, err := DecodeText([]byte(cell), typ)
			var got any
			var ok bool
			switch typ {
			case Bool:
				got, ok = DecodeBool([]byte(cell))
			case Int2, Int8:
				got, ok = DecodeInt([]byte(cell))
				if _, isBig := want.(*big.Int); isBig {
					if ok {
						t.Errorf("DecodeInt(%q) read a value beyond int64", cell)
					}
					continue
				}
			case Float4, Float8:
				got, ok = DecodeFloat([]byte(cell), typ)
			default:
				got, ok = DecodeTime([]byte(cell), typ)
			}
			if ok != (err == nil) {
				t.Errorf("%s %q: concrete decoder ok %v, DecodeText error %v", typ.Name, cell, ok, err)
				continue
			}
			if !ok {
				continue
			}
			if f, isF := got.(float64); isF && math.IsNaN(f) {
				if w, _ := want.(float64); !math.IsNaN(w) {
					t.Errorf("%s %q: NaN against %v", typ.Name, cell, want)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %q: concrete decoder %#v, DecodeText %#v", typ.Name, cell, got, want)
			}
		}
	}
	if _, ok := DecodeTime([]byte("2025-12-01"), Text); ok {
		t.Error("DecodeTime read a date as text")
	}
}
