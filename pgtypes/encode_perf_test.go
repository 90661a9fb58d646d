package pgtypes

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// The encoders' hand-written fast paths must write what the general formatters write.

func TestFastDateTimeTextMatchesLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+1800), time.FixedZone("y", -7*3600)}
	for i := 0; i < 20000; i++ {
		sec := rng.Int64N(400*365*86400) - 200*365*86400 // around 1770..2170
		ns := rng.Int64N(1e9)
		if i%3 == 0 {
			ns = ns / 1000 * 1000
		}
		if i%5 == 0 {
			ns = 0
		}
		tm := time.Unix(sec, ns).In(zones[i%len(zones)])
		if got, want := string(appendDate(nil, tm)), tm.Format("2006-01-02"); got != want {
			t.Fatalf("date %v: %q, want %q", tm, got, want)
		}
		if got, want := string(appendDateTime(nil, tm)), tm.Format("2006-01-02 15:04:05.999999"); got != want {
			t.Fatalf("timestamp %v: %q, want %q", tm, got, want)
		}
	}
	for _, tm := range []time.Time{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(-44, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(appendDateTime(nil, tm)), tm.Format("2006-01-02 15:04:05.999999"); got != want {
			t.Errorf("timestamp %v: %q, want %q", tm, got, want)
		}
	}
}

// formatFloatRef is AppendFloat as it was written first: through FormatFloat's string.
func formatFloatRef(f float64, bits int) string {
	maxExp := 15
	if bits == 32 {
		maxExp = 6
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp := 0
	if i := strings.LastIndexByte(e, 'e'); i >= 0 {
		exp, _ = strconv.Atoi(e[i+1:])
	}
	if exp < -4 || exp >= maxExp {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

func TestAppendFloatMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	vals := []float64{1, -1, 0.5, 1e15, 1e14, 999999999999999, 1e-4, 1e-5, 123456.789, 1e300, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64}
	for i := 0; i < 20000; i++ {
		vals = append(vals, math.Float64frombits(rng.Uint64()), rng.NormFloat64()*math.Pow(10, float64(rng.IntN(40)-20)))
	}
	for _, f := range vals {
		if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
			continue
		}
		for _, bits := range []int{32, 64} {
			g := f
			if bits == 32 {
				g = float64(float32(f))
				if math.IsInf(g, 0) || g == 0 {
					continue
				}
			}
			if got, want := string(AppendFloat([]byte("x"), g, bits)), "x"+formatFloatRef(g, bits); got != want {
				t.Fatalf("%v (%d bits): %q, want %q", g, bits, got, want)
			}
		}
	}
}

func TestFastBinaryDateTimeMatchesPgtype(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	kolkata := time.FixedZone("IST", 5*3600+1800)
	for i := 0; i < 5000; i++ {
		tm := time.Unix(rng.Int64N(600*365*86400)-300*365*86400, rng.Int64N(1e9))
		if i%2 == 0 {
			tm = tm.In(kolkata)
		}
		for _, c := range []struct {
			typ   Type
			codec pgtype.Codec
			val   any
		}{
			{Date, pgtype.DateCodec{}, pgtype.Date{Time: tm, Valid: true}},
			{Timestamp, &pgtype.TimestampCodec{}, pgtype.Timestamp{Time: tm, Valid: true}},
			{Timestamptz, &pgtype.TimestamptzCodec{}, pgtype.Timestamptz{Time: tm, Valid: true}},
		} {
			want, err := encodeWith(c.codec, c.typ, c.val, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AppendBinary(nil, tm, c.typ)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("%s %v: % x, want % x", c.typ.Name, tm, got, want)
			}
		}
	}
}

// benchRow is a typical wide result row: id, three strings, a date, a double.
var benchRow = []any{int64(123456789), "R3", "P042", "C1", time.Date(2023, 4, 5, 0, 0, 0, 0, time.UTC), 1234.56}
var benchTypes = []Type{Int8, Text, Text, Text, Date, Float8}

func BenchmarkAppendTextRow(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i, v := range benchRow {
			buf, _ = AppendText(buf, v, benchTypes[i])
		}
	}
}

func BenchmarkAppendBinaryRow(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for i, v := range benchRow {
			buf, _ = AppendBinary(buf, v, benchTypes[i])
		}
	}
}
