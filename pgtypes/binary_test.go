package pgtypes

import (
	"bytes"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/sqlerr"
)

// Every binary value must decode, with pgx's own codecs, to what the text form of the same value
// decodes to: a column reads the same whichever format a client asks for.
func TestAppendBinaryMatchesText(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	big20, _ := new(big.Int).SetString("12345678901234567890", 10)
	cases := []struct {
		v any
		t Type
	}{
		{true, Bool},
		{false, Bool},
		{int64(-7), Int2},
		{int64(70000), Int4},
		{int64(math.MinInt64), Int8},
		{big.NewInt(42), Int8},
		{true, Int4},
		{float64(12), Int8},
		{Decimal{Unscaled: big.NewInt(12399), Scale: 2}, Int8},
		{"12", Int4},
		{1.5, Float4},
		{int64(3), Float4},
		{2.5, Float8},
		{math.Inf(-1), Float8},
		{Decimal{Unscaled: big.NewInt(125), Scale: 2}, Float8},
		{Decimal{Unscaled: big.NewInt(125), Scale: 2}, Numeric},
		{Decimal{Unscaled: big.NewInt(125000), Scale: 2}, Numeric},
		{Decimal{Unscaled: big.NewInt(-5), Scale: 3}, Numeric},
		{Decimal{Unscaled: big.NewInt(0), Scale: 4}, Numeric},
		{Decimal{Unscaled: big20, Scale: 6}, Numeric},
		{int64(-1234567), Numeric},
		{big20, Numeric},
		{0.1, Numeric},
		{1e21, Numeric},
		{"3.14159", Numeric},
		{math.Inf(1), Numeric},
		{math.Inf(-1), Numeric},
		{math.Copysign(0, -1), Numeric},
		{1e300, Float4},
		{time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Date},
		{time.Date(1999, 12, 31, 23, 0, 0, 0, kolkata), Date},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), Date},
		{"2025-12-01", Date},
		{time.Date(2025, 12, 1, 10, 0, 0, 123456000, time.UTC), Timestamp},
		{time.Date(2025, 12, 2, 1, 30, 0, 0, kolkata), Timestamp},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), Timestamp},
		{time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), Timestamptz},
		{time.Date(2025, 12, 2, 1, 30, 0, 1000, kolkata), Timestamptz},
		{time.Date(1, 1, 1, 10, 11, 12, 500000000, time.UTC), Time},
		{IntervalValue{Months: 14, Days: 3, Micros: 4*3600e6 + 5*60e6 + 6e6}, Interval},
		{IntervalValue{Months: -1, Days: -2, Micros: -1}, Interval},
		{"1 day 02:00:00", Interval},
		{"x", Text},
		{"ünïcode", Varchar},
		{int64(5), Text},
		{[]byte{0xde, 0xad, 0x00}, Bytea},
	}
	m := pgtype.NewMap()
	for _, c := range cases {
		bin, err := AppendBinary([]byte("prefix"), c.v, c.t)
		if err != nil {
			t.Errorf("%T %v as %s: %v", c.v, c.v, c.t.Name, err)
			continue
		}
		if !bytes.HasPrefix(bin, []byte("prefix")) {
			t.Errorf("%v as %s: the buffer's start was overwritten", c.v, c.t.Name)
			continue
		}
		bin = bin[len("prefix"):]
		// A string stands for its text form (SHOW results, say); AppendText takes strings only
		// for text-like types.
		text, err := []byte(nil), error(nil)
		if s, ok := c.v.(string); ok {
			text = []byte(s)
		} else {
			text, err = AppendText(nil, c.v, c.t)
		}
		if err != nil {
			t.Fatalf("%v as %s: text: %v", c.v, c.t.Name, err)
		}
		typ, _ := m.TypeForOID(c.t.OID)
		fromBin, err := typ.Codec.DecodeValue(m, c.t.OID, pgtype.BinaryFormatCode, bin)
		if err != nil {
			t.Errorf("%v as %s: pgtype cannot decode %x: %v", c.v, c.t.Name, bin, err)
			continue
		}
		fromText, err := typ.Codec.DecodeValue(m, c.t.OID, pgtype.TextFormatCode, text)
		if err != nil {
			t.Fatalf("%v as %s: pgtype cannot decode text %q: %v", c.v, c.t.Name, text, err)
		}
		// Compare through pgtype's own text encoding, which prints each kind canonically.
		a, errA := m.Encode(c.t.OID, pgtype.TextFormatCode, fromBin, nil)
		b, errB := m.Encode(c.t.OID, pgtype.TextFormatCode, fromText, nil)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%T %v as %s: binary reads as %q, text %q as %q (%v, %v)", c.v, c.v, c.t.Name, a, text, b, errA, errB)
		}
	}
}

// The exact bytes of the fixed layouts and of numeric, as PostgreSQL's send functions write them.
func TestAppendBinaryLayouts(t *testing.T) {
	cases := []struct {
		v    any
		t    Type
		want []byte
	}{
		{true, Bool, []byte{1}},
		{int64(-2), Int2, []byte{0xff, 0xfe}},
		{int64(1), Int4, []byte{0, 0, 0, 1}},
		{int64(3), Int8, []byte{0, 0, 0, 0, 0, 0, 0, 3}},
		{1.5, Float4, []byte{0x3f, 0xc0, 0, 0}},
		{2.5, Float8, []byte{0x40, 0x04, 0, 0, 0, 0, 0, 0}},
		// 1.25: 2 digits (1, 2500), weight 0, positive, dscale 2.
		{Decimal{Unscaled: big.NewInt(125), Scale: 2}, Numeric, []byte{0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x09, 0xc4}},
		// 2000-01-02 is day 1.
		{time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC), Date, []byte{0, 0, 0, 1}},
		// One second after the PostgreSQL epoch.
		{time.Date(2000, 1, 1, 0, 0, 1, 0, time.UTC), Timestamptz, []byte{0, 0, 0, 0, 0, 0x0f, 0x42, 0x40}},
		{IntervalValue{Months: 1, Days: 2, Micros: 3}, Interval, []byte{0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1}},
		{"ab", Text, []byte("ab")},
	}
	for _, c := range cases {
		got, err := AppendBinary(nil, c.v, c.t)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%v as %s: got %x (%v), want %x", c.v, c.t.Name, got, err, c.want)
		}
	}
}

func TestAppendBinaryRejects(t *testing.T) {
	cases := []struct {
		v    any
		t    Type
		code string
	}{
		{int64(40000), Int2, "22003"},
		{int64(math.MaxInt32 + 1), Int4, "22003"},
		{new(big.Int).Lsh(big.NewInt(1), 70), Int8, "22003"},
		{"abc", Int4, sqlerr.InternalError},
		{"not a date", Date, sqlerr.InternalError},
		{1.5, Bool, sqlerr.InternalError},
	}
	for _, c := range cases {
		_, err := AppendBinary(nil, c.v, c.t)
		if sqlerr.Code(err) != c.code {
			t.Errorf("%v as %s: got %v, want %s", c.v, c.t.Name, err, c.code)
		}
	}
}

func BenchmarkAppendBinary(b *testing.B) {
	vals := []struct {
		v any
		t Type
	}{
		{int64(123456), Int8},
		{2.5, Float8},
		{Decimal{Unscaled: big.NewInt(125000), Scale: 2}, Numeric},
		{time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), Timestamptz},
		{"Indore", Text},
	}
	var buf []byte
	for b.Loop() {
		for _, v := range vals {
			buf, _ = AppendBinary(buf[:0], v.v, v.t)
		}
	}
}

// Byte for byte what pgx's pgtype writes for the same value.
func TestAppendBinaryMatchesPgtypeEncoding(t *testing.T) {
	at := time.Date(2025, 12, 1, 10, 0, 0, 123000, time.UTC)
	var num pgtype.Numeric
	if err := num.Scan("-1234.5600"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		v      any
		t      Type
		pgtype any
	}{
		{true, Bool, true},
		{int64(-300), Int2, int16(-300)},
		{int64(1 << 20), Int4, int32(1 << 20)},
		{int64(-1 << 40), Int8, int64(-1 << 40)},
		{0.1, Float4, float32(0.1)},
		{math.Pi, Float8, math.Pi},
		{Decimal{Unscaled: big.NewInt(-12345600), Scale: 4}, Numeric, num},
		{at, Date, pgtype.Date{Time: at, Valid: true}},
		{at, Timestamp, pgtype.Timestamp{Time: at, Valid: true}},
		{at, Timestamptz, at},
		{IntervalValue{Months: 2, Days: -3, Micros: 4}, Interval, pgtype.Interval{Months: 2, Days: -3, Microseconds: 4, Valid: true}},
		{"naïve", Text, "naïve"},
		{[]byte{1, 2}, Bytea, []byte{1, 2}},
	}
	m := pgtype.NewMap()
	for _, c := range cases {
		got, err := AppendBinary(nil, c.v, c.t)
		if err != nil {
			t.Fatalf("%v as %s: %v", c.v, c.t.Name, err)
		}
		want, err := m.Encode(c.t.OID, pgtype.BinaryFormatCode, c.pgtype, nil)
		if err != nil {
			t.Fatalf("pgtype %v as %s: %v", c.pgtype, c.t.Name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%v as %s: %x, pgtype writes %x", c.v, c.t.Name, got, want)
		}
	}
}
