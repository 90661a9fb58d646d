package pgtypes

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgres connects to the machine's PostgreSQL, the reference for text formats. CI sets
// SETU_TEST_POSTGRES_DSN, so there the comparison cannot skip.
func postgres(t *testing.T) *pgx.Conn {
	t.Helper()
	dsn := os.Getenv("SETU_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SETU_TEST_POSTGRES_DSN not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestFloatTextMatchesPostgres(t *testing.T) {
	conn := postgres(t)
	vals := []float64{0, 1, -1, 0.1, 0.5, 1.5, 100, 1000, 1250, 4350, 123456789, 1e14, 1e15, 1e16, 123456789012345678,
		0.0001, 0.00001, 1e-5, 1.25e-7, math.Pi, -math.E, 1 / 3.0, 2.0 / 3, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.Inf(1), math.Inf(-1), 99999999999999.9, 999999999999999.9}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		vals = append(vals, math.Float64frombits(r.Uint64()&^(0x7ff<<52)|uint64(r.IntN(2046)+1)<<52))
		vals = append(vals, float64(r.IntN(1_000_000))/100)
	}
	for _, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		lit := strconv.FormatFloat(v, 'g', -1, 64)
		if math.IsInf(v, 0) {
			lit = map[bool]string{true: "Infinity", false: "-Infinity"}[v > 0]
		}
		want := pgText(t, conn, "SELECT '"+lit+"'::float8")
		if got := string(AppendFloat(nil, v, 64)); got != want {
			t.Errorf("%v: got %q, PostgreSQL prints %q", v, got, want)
		}
	}
}

func TestTextEncodingMatchesPostgres(t *testing.T) {
	conn := postgres(t)
	day := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	ts := time.Date(2025, 12, 1, 13, 4, 5, 120000000, time.UTC)
	cases := []struct {
		v   any
		typ Type
		sql string
	}{
		{day, Date, "SELECT DATE '2025-12-01'"},
		{day, Timestamp, "SELECT DATE '2025-12-01'::timestamp"},
		{ts, Timestamp, "SELECT TIMESTAMP '2025-12-01 13:04:05.12'"},
		{ts, Timestamptz, "SELECT TIMESTAMPTZ '2025-12-01 13:04:05.12+00'"},
		{true, Bool, "SELECT true"},
		{int64(-42), Int8, "SELECT (-42)::int8"},
		{Decimal{Unscaled: big.NewInt(125000), Scale: 2}, Numeric, "SELECT 1250.00::numeric"},
		{Decimal{Unscaled: big.NewInt(-5), Scale: 3}, Numeric, "SELECT (-0.005)::numeric"},
		{int64(2025), Numeric, "SELECT extract(year FROM DATE '2025-12-01')"},
		{math.Inf(1), Numeric, "SELECT 'Infinity'::float8::numeric"},
		{math.Inf(-1), Numeric, "SELECT '-Infinity'::float8::numeric"},
		{math.Copysign(0, -1), Numeric, "SELECT '-0'::float8::numeric"},
		{math.Inf(1), Float4, "SELECT 'Infinity'::float4"},
		{IntervalValue{Months: 14, Days: 3, Micros: 4*3600e6 + 5*60e6 + 6e6}, Interval, "SELECT INTERVAL '1 year 2 mons 3 days 04:05:06'"},
		{IntervalValue{Days: 1}, Interval, "SELECT INTERVAL '1 day'"},
		{IntervalValue{Micros: -90e6}, Interval, "SELECT INTERVAL '-00:01:30'"},
		{IntervalValue{Months: -13, Days: -1}, Interval, "SELECT INTERVAL '-1 year -1 mon -1 day'"},
		{IntervalValue{Months: -14, Days: 3, Micros: -14706789000}, Interval, "SELECT INTERVAL '-1 year -2 mons +3 days -04:05:06.789'"},
		{IntervalValue{Days: -1, Micros: 7200e6}, Interval, "SELECT INTERVAL '-1 day +02:00:00'"},
		{IntervalValue{Months: 1, Days: -1, Micros: 1}, Interval, "SELECT INTERVAL '1 mon -1 day +00:00:00.000001'"},
		{[]byte{0xde, 0xad}, Bytea, `SELECT '\xdead'::bytea`},
		{float64(7), Int8, "SELECT 7::int8"},
	}
	for _, c := range cases {
		want := pgText(t, conn, c.sql)
		got, err := AppendText(nil, c.v, c.typ)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%#v as %s: got %q, PostgreSQL prints %q", c.v, c.typ.Name, got, want)
		}
	}
}

func TestTextEncodingRefusesWhatDoesNotFit(t *testing.T) {
	if _, err := AppendText(nil, "abc", Int8); err == nil {
		t.Error("a string was encoded as int8")
	}
	if _, err := AppendText(nil, 1.5, Int4); err == nil {
		t.Error("a fraction was encoded as an integer")
	}
	if got, _ := AppendText(nil, int64(3), Float8); string(got) != "3" {
		t.Errorf("int as float8 = %q", got)
	}
}

// pgText runs a one-value query on PostgreSQL and returns the value exactly as the server sent
// it in text format.
func pgText(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	res, err := conn.PgConn().Exec(context.Background(), sql).ReadAll()
	if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
		t.Fatalf("%s: %v", sql, err)
	}
	return string(res[0].Rows[0][0])
}
