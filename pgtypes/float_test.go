package pgtypes

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestFloat4TextMatchesPostgres: a float4's text is PostgreSQL's shortest form for a float4
// (six digits before it turns exponential), for whole, fractional and random values.
func TestFloat4TextMatchesPostgres(t *testing.T) {
	conn := postgres(t)
	vals := []float32{0, 1, -1, 0.1, 1.5, 500, 1e5, 1e6, 1e7, 123456, 1234567, 0.0001, 0.00001, 3.4028235e38, 1e-38, 16777216, 0.3}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		vals = append(vals, math.Float32frombits(r.Uint32()&^(0xff<<23)|uint32(r.IntN(254)+1)<<23))
		vals = append(vals, float32(r.IntN(1_000_000))/100)
	}
	for _, v := range vals {
		lit := strconv.FormatFloat(float64(v), 'g', -1, 32)
		want := pgText(t, conn, "SELECT '"+lit+"'::float4")
		if got := string(AppendFloat(nil, float64(v), 32)); got != want {
			t.Errorf("%v: got %q, PostgreSQL prints %q", v, got, want)
		}
	}
}

// TestNumericOfDoubleMatchesPostgres: a numeric the engine computed as a double holding 15
// significant digits (what PostgreSQL's float8-to-numeric keeps) is printed as PostgreSQL
// prints that numeric: positional, without a trailing fraction.
func TestNumericOfDoubleMatchesPostgres(t *testing.T) {
	conn := postgres(t)
	vals := []float64{0, 1, -1, 0.1, 0.1 + 0.2, 1.0 / 3, 500, 1e15, 1e20, 1.5e-7, 123456789.125, -2.25, 1234567890123456789}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		vals = append(vals, (r.Float64()-0.5)*math.Pow(10, float64(r.IntN(30)-10)))
	}
	for _, v := range vals {
		lit := strconv.FormatFloat(v, 'g', -1, 64)
		want := pgText(t, conn, "SELECT '"+lit+"'::float8::numeric")
		// The engine's value: the double nearest the 15 digits (printf's %.15g read back).
		v15, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendText(nil, v15, Numeric)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%v: got %q, PostgreSQL prints %q", v, got, want)
		}
	}
}
