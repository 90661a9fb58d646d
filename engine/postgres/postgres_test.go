package postgres_test

import (
	"context"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

func TestValuesComeBackAsEngineTypes(t *testing.T) {
	b := openBackend(t, postgres.Config{})
	rows, err := queryAll(context.Background(), b, `SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 2.5::float8,
		0.100::numeric, 123456789012345678901234567890::numeric, 'NaN'::numeric, true, 'x'::text, 'y'::varchar(3),
		'\xdead'::bytea, DATE '2025-12-01', TIMESTAMP '2025-12-01 10:11:12.5', TIMESTAMPTZ '2025-12-01 10:00:00+05:30',
		TIME '01:02:03.25', INTERVAL '1 year 2 mons 3 days 04:05:06', '00000000-0000-0000-0000-00000000002a'::uuid,
		'{"a": 1}'::jsonb, NULL::int4, 'infinity'::date, 1e3::numeric`)
	if err != nil {
		t.Fatal(err)
	}
	got := rows[0]
	want := []any{int64(1), int64(2), int64(3), float64(1.5), float64(2.5)}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("column %d = %#v, want %#v", i+1, got[i], w)
		}
	}
	text := func(i int, typ pgtypes.Type) string {
		out, err := pgtypes.AppendText(nil, got[i], typ)
		if err != nil {
			t.Fatalf("column %d: %v", i+1, err)
		}
		return string(out)
	}
	if d, ok := got[5].(pgtypes.Decimal); !ok || text(5, pgtypes.Numeric) != "0.100" {
		t.Errorf("0.100::numeric = %#v (%v), want an pgtypes.Decimal printing 0.100", got[5], ok)
	} else if d.Scale != 3 {
		t.Errorf("0.100::numeric has scale %d, want 3", d.Scale)
	}
	if s := text(6, pgtypes.Numeric); s != "123456789012345678901234567890" {
		t.Errorf("big numeric = %s", s)
	}
	if f, ok := got[7].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("NaN numeric = %#v", got[7])
	}
	if got[8] != true || got[9] != "x" || got[10] != "y" {
		t.Errorf("bool/text/varchar = %#v %#v %#v", got[8], got[9], got[10])
	}
	if b, ok := got[11].([]byte); !ok || string(b) != "\xde\xad" {
		t.Errorf("bytea = %#v", got[11])
	}
	if d, ok := got[12].(time.Time); !ok || !d.Equal(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date = %#v", got[12])
	}
	if ts, ok := got[13].(time.Time); !ok || text(13, pgtypes.Timestamp) != "2025-12-01 10:11:12.5" || ts.Location() != time.UTC {
		t.Errorf("timestamp = %#v", got[13])
	}
	if ts, ok := got[14].(time.Time); !ok || !ts.Equal(time.Date(2025, 12, 1, 4, 30, 0, 0, time.UTC)) {
		t.Errorf("timestamptz = %#v", got[14])
	}
	if s := text(15, pgtypes.Time); s != "01:02:03.25" {
		t.Errorf("time = %s", s)
	}
	if iv, ok := got[16].(pgtypes.IntervalValue); !ok || iv != (pgtypes.IntervalValue{Months: 14, Days: 3, Micros: (4*3600 + 5*60 + 6) * 1e6}) {
		t.Errorf("interval = %#v", got[16])
	}
	if got[17] != "00000000-0000-0000-0000-00000000002a" {
		t.Errorf("uuid = %#v", got[17])
	}
	if got[18] != `{"a": 1}` {
		t.Errorf("jsonb = %#v", got[18])
	}
	if got[19] != nil {
		t.Errorf("NULL = %#v", got[19])
	}
	if got[20] != "infinity" {
		t.Errorf("infinite date = %#v", got[20])
	}
	if d, ok := got[21].(pgtypes.Decimal); !ok || d.Unscaled.Cmp(big.NewInt(1000)) != 0 || d.Scale != 0 {
		t.Errorf("1e3::numeric = %#v", got[21])
	}
}

// Parameters arrive as the Go values pgwire decodes (text for numeric, time.Time for dates);
// the server infers their types from the statement, in both query modes.
func TestParametersTakeTheServersTypes(t *testing.T) {
	for _, pooled := range []bool{false, true} {
		b := openBackend(t, postgres.Config{TransactionPooling: pooled})
		rows, err := queryAll(context.Background(), b,
			"SELECT $1::date + 1, $2::numeric * 2, $3::int8 + 1, $4 = 'a', $5::interval, $6::float8 / 2, $7::timestamptz",
			time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), "1.25", int64(41), "a", "1 months 2 days 3 microseconds", float64(3),
			time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("pooling=%v: %v", pooled, err)
		}
		r := rows[0]
		num, _ := pgtypes.AppendText(nil, r[1], pgtypes.Numeric)
		if d, _ := r[0].(time.Time); !d.Equal(time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC)) || string(num) != "2.50" || r[2] != int64(42) || r[3] != true ||
			r[4] != (pgtypes.IntervalValue{Months: 1, Days: 2, Micros: 3}) || r[5] != 1.5 {
			t.Errorf("pooling=%v: got %#v (numeric %s)", pooled, r, num)
		}
		if ts, _ := r[6].(time.Time); !ts.Equal(time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("pooling=%v: timestamptz parameter came back as %v", pooled, r[6])
		}
	}
}

func TestErrorsKeepTheirSQLSTATE(t *testing.T) {
	b := openBackend(t, postgres.Config{})
	cases := map[string]string{
		"SELECT * FROM setu_no_such_table":     sqlerr.UndefinedTable,
		"SELECT 1/0":                           sqlerr.DivisionByZero,
		"SELEC 1":                              sqlerr.SyntaxError,
		"SELECT 'x'::int":                      sqlerr.InvalidTextRepresentation,
		"SELECT no_such_column FROM pg_class":  sqlerr.UndefinedColumn,
		"SELECT setu_no_such_function(1)":      sqlerr.UndefinedFunction,
		"SELECT 2147483647::int4 + 1":          "22003",
		"SELECT repeat('x', 1024*1024*1024+1)": sqlerr.ProgramLimitExceeded,
	}
	for q, want := range cases {
		_, err := queryAll(context.Background(), b, q)
		var se *sqlerr.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %v is not a *sqlerr.Error", q, err)
			continue
		}
		if se.Code != want || se.Severity != sqlerr.SeverityError {
			t.Errorf("%s: %s %s (%s), want ERROR %s", q, se.Severity, se.Code, se.Message, want)
		}
	}
	// The connection that saw the errors is clean for the next query.
	if rows, err := queryAll(context.Background(), b, "SELECT 1"); err != nil || rows[0][0] != int64(1) {
		t.Errorf("after errors: %v %v", rows, err)
	}
}

// Every query runs in a READ ONLY transaction: writes the planner would never emit are still
// refused by the server, whatever the statement text does.
func TestWritesAreRefused(t *testing.T) {
	admin := testkit.PostgresConn(t)
	schema := testkit.PostgresSchema(t)
	ctx := context.Background()
	if _, err := admin.Exec(ctx, "CREATE TABLE "+schema+".t (a int); CREATE SEQUENCE "+schema+".s"); err != nil {
		t.Fatal(err)
	}
	for _, pooled := range []bool{false, true} {
		b := openBackend(t, postgres.Config{TransactionPooling: pooled})
		for _, q := range []string{
			"INSERT INTO " + schema + ".t VALUES (1)",
			"CREATE TABLE " + schema + ".u (a int)",
			"WITH w AS (INSERT INTO " + schema + ".t VALUES (2) RETURNING a) SELECT a FROM w",
			"SELECT nextval('" + schema + ".s')",
			"UPDATE " + schema + ".t SET a = 3",
		} {
			_, err := queryAll(ctx, b, q)
			if code := sqlerr.Code(err); code != sqlerr.ReadOnlySQLTransaction {
				t.Errorf("pooling=%v %s: %v (SQLSTATE %s), want 25006", pooled, q, err, code)
			}
		}
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM "+schema+".t").Scan(&n); err != nil || n != 0 {
		t.Errorf("table has %d rows (%v), want 0", n, err)
	}
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", schema+".u").Scan(&exists); err != nil || exists {
		t.Errorf("table u exists: %v %v", exists, err)
	}
}

func TestPing(t *testing.T) {
	b := openBackend(t, postgres.Config{})
	d, err := b.Ping(context.Background())
	if err != nil || d <= 0 {
		t.Fatalf("Ping = %v, %v", d, err)
	}
}

// Errors and the messages built from them never show the password or the DSN.
func TestNoSecretInErrors(t *testing.T) {
	const secret = "Sup3r-s3cret_pw"
	ctx := context.Background()
	_, err := postgres.Open(ctx, postgres.Config{DSN: "postgres://setu:" + secret + "@127.0.0.1:notaport/db"})
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "notaport/db") {
		t.Errorf("bad DSN: %v", err)
	}
	_, err = postgres.Open(ctx, postgres.Config{DSN: "host=127.0.0.1 password=" + secret + " port=x"})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bad key=value DSN: %v", err)
	}

	base := testkit.PostgresDSN(t)
	cfg, err := postgres.Open(ctx, postgres.Config{DSN: base})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Close()
	for _, dsn := range []string{
		// Nobody listens on port 1.
		"postgres://setu:" + secret + "@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5",
		// The server answers with an error: the database does not exist.
		replaceDB(t, base, testkit.UniqueName("setu_nodb_"), secret),
	} {
		b, err := postgres.Open(ctx, postgres.Config{DSN: dsn, Name: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []func() error{
			func() error { _, err := b.Ping(ctx); return err },
			func() error { _, err := queryAll(ctx, b, "SELECT 1"); return err },
		} {
			err := call()
			se := sqlerr.From(err)
			// 57P03 naming the source, never class 08 (Npgsql drops its own connection on it)
			// and never the driver's text; the reason stays in the cause, for the log.
			if err == nil || se.Code != "57P03" || se.Message != "data source \"shop\" is unavailable; datasets on other sources are not affected" {
				t.Errorf("%v: want SQLSTATE 57P03 naming the source", err)
				continue
			}
			if postgres.ConnectReason(err) == "" {
				t.Errorf("%v: no reason for the log", err)
			}
			for _, s := range []string{err.Error(), se.Message, se.Detail, se.Hint, errText(se.Cause)} {
				if strings.Contains(s, secret) {
					t.Errorf("error shows the password: %q", s)
				}
			}
		}
		b.Close()
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// replaceDB points the test DSN at another database with a password set.
func replaceDB(t testing.TB, dsn, db, password string) string {
	t.Helper()
	i := strings.LastIndexByte(dsn, '/')
	q := strings.IndexByte(dsn, '?')
	if !strings.HasPrefix(dsn, "postgres") || i < 0 {
		t.Skip("the DSN-rewriting case needs a URL DSN")
	}
	rest := ""
	if q > i {
		rest = dsn[q:]
	}
	u := dsn[:i] + "/" + db + rest
	// Add the password to the user info.
	at := strings.IndexByte(u, '@')
	scheme := strings.Index(u, "://") + 3
	if at < 0 {
		return u
	}
	user := u[scheme:at]
	if c := strings.IndexByte(user, ':'); c >= 0 {
		user = user[:c]
	}
	return u[:scheme] + user + ":" + password + u[at:]
}
