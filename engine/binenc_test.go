package engine

import (
	"bytes"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Every binary value must decode, with pgx's own codecs, to what the text form of the same value
// decodes to: a column reads the same whichever format a client asks for.
func TestAppendBinaryMatchesText(t *testing.T) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	big20, _ := new(big.Int).SetString("12345678901234567890", 10)
	cases := []struct {
		v any
		t planner.Type
	}{
		{true, planner.TypeBool},
		{false, planner.TypeBool},
		{int64(-7), planner.TypeInt2},
		{int64(70000), planner.TypeInt4},
		{int64(math.MinInt64), planner.TypeInt8},
		{big.NewInt(42), planner.TypeInt8},
		{true, planner.TypeInt4},
		{float64(12), planner.TypeInt8},
		{Decimal{Unscaled: big.NewInt(12399), Scale: 2}, planner.TypeInt8},
		{"12", planner.TypeInt4},
		{1.5, planner.TypeFloat4},
		{int64(3), planner.TypeFloat4},
		{2.5, planner.TypeFloat8},
		{math.Inf(-1), planner.TypeFloat8},
		{Decimal{Unscaled: big.NewInt(125), Scale: 2}, planner.TypeFloat8},
		{Decimal{Unscaled: big.NewInt(125), Scale: 2}, planner.TypeNumeric},
		{Decimal{Unscaled: big.NewInt(125000), Scale: 2}, planner.TypeNumeric},
		{Decimal{Unscaled: big.NewInt(-5), Scale: 3}, planner.TypeNumeric},
		{Decimal{Unscaled: big.NewInt(0), Scale: 4}, planner.TypeNumeric},
		{Decimal{Unscaled: big20, Scale: 6}, planner.TypeNumeric},
		{int64(-1234567), planner.TypeNumeric},
		{big20, planner.TypeNumeric},
		{0.1, planner.TypeNumeric},
		{1e21, planner.TypeNumeric},
		{"3.14159", planner.TypeNumeric},
		{time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), planner.TypeDate},
		{time.Date(1999, 12, 31, 23, 0, 0, 0, kolkata), planner.TypeDate},
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), planner.TypeDate},
		{"2025-12-01", planner.TypeDate},
		{time.Date(2025, 12, 1, 10, 0, 0, 123456000, time.UTC), planner.TypeTimestamp},
		{time.Date(2025, 12, 2, 1, 30, 0, 0, kolkata), planner.TypeTimestamp},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), planner.TypeTimestamp},
		{time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), planner.TypeTimestamptz},
		{time.Date(2025, 12, 2, 1, 30, 0, 1000, kolkata), planner.TypeTimestamptz},
		{time.Date(1, 1, 1, 10, 11, 12, 500000000, time.UTC), planner.TypeTime},
		{Interval{Months: 14, Days: 3, Micros: 4*3600e6 + 5*60e6 + 6e6}, planner.TypeInterval},
		{Interval{Months: -1, Days: -2, Micros: -1}, planner.TypeInterval},
		{"1 day 02:00:00", planner.TypeInterval},
		{"x", planner.TypeText},
		{"ünïcode", planner.TypeVarchar},
		{int64(5), planner.TypeText},
		{[]byte{0xde, 0xad, 0x00}, planner.TypeBytea},
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
		t    planner.Type
		want []byte
	}{
		{true, planner.TypeBool, []byte{1}},
		{int64(-2), planner.TypeInt2, []byte{0xff, 0xfe}},
		{int64(1), planner.TypeInt4, []byte{0, 0, 0, 1}},
		{int64(3), planner.TypeInt8, []byte{0, 0, 0, 0, 0, 0, 0, 3}},
		{1.5, planner.TypeFloat4, []byte{0x3f, 0xc0, 0, 0}},
		{2.5, planner.TypeFloat8, []byte{0x40, 0x04, 0, 0, 0, 0, 0, 0}},
		// 1.25: 2 digits (1, 2500), weight 0, positive, dscale 2.
		{Decimal{Unscaled: big.NewInt(125), Scale: 2}, planner.TypeNumeric, []byte{0, 2, 0, 0, 0, 0, 0, 2, 0, 1, 0x09, 0xc4}},
		// 2000-01-02 is day 1.
		{time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC), planner.TypeDate, []byte{0, 0, 0, 1}},
		// One second after the PostgreSQL epoch.
		{time.Date(2000, 1, 1, 0, 0, 1, 0, time.UTC), planner.TypeTimestamptz, []byte{0, 0, 0, 0, 0, 0x0f, 0x42, 0x40}},
		{Interval{Months: 1, Days: 2, Micros: 3}, planner.TypeInterval, []byte{0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1}},
		{"ab", planner.TypeText, []byte("ab")},
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
		t    planner.Type
		code string
	}{
		{int64(40000), planner.TypeInt2, "22003"},
		{int64(math.MaxInt32 + 1), planner.TypeInt4, "22003"},
		{new(big.Int).Lsh(big.NewInt(1), 70), planner.TypeInt8, "22003"},
		{"abc", planner.TypeInt4, sqlerr.InternalError},
		{"not a date", planner.TypeDate, sqlerr.InternalError},
		{1.5, planner.TypeBool, sqlerr.InternalError},
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
		t planner.Type
	}{
		{int64(123456), planner.TypeInt8},
		{2.5, planner.TypeFloat8},
		{Decimal{Unscaled: big.NewInt(125000), Scale: 2}, planner.TypeNumeric},
		{time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), planner.TypeTimestamptz},
		{"Indore", planner.TypeText},
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
		t      planner.Type
		pgtype any
	}{
		{true, planner.TypeBool, true},
		{int64(-300), planner.TypeInt2, int16(-300)},
		{int64(1 << 20), planner.TypeInt4, int32(1 << 20)},
		{int64(-1 << 40), planner.TypeInt8, int64(-1 << 40)},
		{0.1, planner.TypeFloat4, float32(0.1)},
		{math.Pi, planner.TypeFloat8, math.Pi},
		{Decimal{Unscaled: big.NewInt(-12345600), Scale: 4}, planner.TypeNumeric, num},
		{at, planner.TypeDate, pgtype.Date{Time: at, Valid: true}},
		{at, planner.TypeTimestamp, pgtype.Timestamp{Time: at, Valid: true}},
		{at, planner.TypeTimestamptz, at},
		{Interval{Months: 2, Days: -3, Micros: 4}, planner.TypeInterval, pgtype.Interval{Months: 2, Days: -3, Microseconds: 4, Valid: true}},
		{"naïve", planner.TypeText, "naïve"},
		{[]byte{1, 2}, planner.TypeBytea, []byte{1, 2}},
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
