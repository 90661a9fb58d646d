package gateway

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lib/pq"

	"github.com/setupranali/setupranali/internal/testkit"
)

// The array and time-zone tests run the same statements through a gateway on the embedded
// DuckDB and through one on a PostgreSQL source, and compare what a client receives — the
// bytes of each value, in text and in binary — with what the machine's PostgreSQL sends for
// the same statement over the same rows (filtered to tenantA by hand). PostgreSQL is the
// ground truth; nothing expected is computed by the gateway.

// itemsRows are the physical rows, written so DuckDB and PostgreSQL both read them. The
// instants sit on both sides of DST changes in New York and Berlin and of midnight in Kolkata.
const itemsRows = `CREATE TABLE %[1]sitems (tenant_id TEXT, name TEXT, n4 INTEGER, n8 BIGINT, x DOUBLE PRECISION,
  d DATE, ts TIMESTAMP, happened TIMESTAMPTZ, amount DOUBLE PRECISION);
INSERT INTO %[1]sitems VALUES
  ('tenantA', 'Indore', 1, 10, 1.5, DATE '2025-12-01', TIMESTAMP '2025-12-01 10:00:00', TIMESTAMPTZ '2025-03-09 06:59:59+00', 100),
  ('tenantA', 'Bhopal', 2, 20, 2.5, DATE '2025-12-02', TIMESTAMP '2025-12-02 10:11:12', TIMESTAMPTZ '2025-03-09 07:00:00+00', 200),
  ('tenantA', 'Pune',   3, 30, 0.1, DATE '2025-12-03', TIMESTAMP '2025-12-02 23:59:59.5', TIMESTAMPTZ '2025-03-30 00:59:59+00', 400),
  ('tenantA', 'a "b", c', 4, 40, -7.25, DATE '2024-02-29', TIMESTAMP '2024-02-29 00:00:00', TIMESTAMPTZ '2025-03-30 01:00:00.25+00', 800),
  ('tenantA', 'Indore', 2, 50, 2.5, DATE '2025-11-02', TIMESTAMP '2025-11-02 01:30:00', TIMESTAMPTZ '2025-11-02 05:59:59+00', 1600),
  ('tenantA', 'Bhopal', 5, 60, 3.75, DATE '2025-10-26', TIMESTAMP '2025-10-26 02:30:00', TIMESTAMPTZ '2025-11-02 06:00:00+00', 3200),
  ('tenantA', 'Pune',   6, 70, 1e10, DATE '2025-12-31', TIMESTAMP '2025-12-31 23:00:00', TIMESTAMPTZ '2025-12-31 18:30:00+00', 6400),
  ('tenantB', 'Indore', 1, 10, 1.5, DATE '2025-12-01', TIMESTAMP '2025-12-01 10:00:00', TIMESTAMPTZ '2025-03-09 06:59:59+00', 99999);
`

const itemsDataset = `datasets:
  - id: items
    source: { %s }
    fields:
      - { name: tenant_id, type: string }
      - { name: name, type: string }
      - { name: n4, type: int32 }
      - { name: n8, type: int64 }
      - { name: x, type: double }
      - { name: d, type: date }
      - { name: ts, type: timestamp }
      - { name: happened, type: timestamptz }
      - { name: amount, type: double }
    dimensions:
      - { name: name, field: name }
      - { name: n4, field: n4 }
      - { name: n8, field: n8 }
      - { name: x, field: x }
      - { name: d, field: d }
      - { name: ts, field: ts }
      - { name: happened, field: happened }
    metrics:
      - { name: total, expression: { type: aggregation, agg: sum, field: amount } }
    rls: { enabled: true, column: tenant_id, mode: equals }
`

// itemsWorld is the rows in PostgreSQL (the truth) and the two gateways over them.
type itemsWorld struct {
	pg       *pgx.Conn
	pgDB     *sql.DB // the same PostgreSQL through lib/pq
	schema   string
	gateways map[string]*Gateway
}

func startItemsWorld(t *testing.T) *itemsWorld {
	t.Helper()
	schema := testkit.PostgresSchema(t)
	admin, dsn := testkit.PostgresConn(t), testkit.PostgresDSN(t)
	if _, err := admin.Exec(testkit.Context(t), fmt.Sprintf(itemsRows, schema+".")); err != nil {
		t.Fatal(err)
	}
	initSQL := testkit.TempFile(t, "init.sql", fmt.Sprintf(itemsRows, ""))
	duckCat := testkit.TempFile(t, "duck.yaml", fmt.Sprintf(itemsDataset, "reference: items"))
	pgCat := testkit.TempFile(t, "pg.yaml", fmt.Sprintf(itemsDataset, "engine: postgres, type: table, reference: "+schema+".items"))
	pgDB, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pgDB.Close() })
	return &itemsWorld{pg: admin, pgDB: pgDB, schema: schema, gateways: map[string]*Gateway{
		"duckdb":   startTestGateway(t, func(c *Config) { c.Catalog, c.DuckDBInit = duckCat, initSQL }),
		"postgres": startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = pgCat, Secret(dsn) }),
	}}
}

// truthSQL is sql over PostgreSQL's own table, tenantA's rows only: "FROM items" becomes a
// derived table of them, and the metric its aggregate.
func (w *itemsWorld) truthSQL(sql string) string {
	sql = strings.Replace(sql, "FROM items", fmt.Sprintf("FROM (SELECT * FROM %s.items WHERE tenant_id = 'tenantA') items", w.schema), 1)
	return strings.ReplaceAll(sql, "total", "sum(amount)")
}

// gatewayConn connects to gw as tenantA in extended-protocol mode, with TimeZone zone at
// startup when zone is not empty.
func gatewayConn(t *testing.T, gw *Gateway, zone string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(strings.Replace(connString(gw, "tenantA-key"), " default_query_exec_mode=simple_protocol", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	if zone != "" {
		cfg.RuntimeParams["TimeZone"] = zone
	}
	conn, err := pgx.ConnectConfig(testkit.ContextWithin(t, 10*time.Second), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// rawRows runs sql with text-format parameters of the given OIDs (0: let the server infer)
// and returns every value's bytes in the result format asked (0 text, 1 binary), with each
// column's type OID.
func rawRows(conn *pgx.Conn, sql string, oids []uint32, params []string, format int16) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	vals := make([][]byte, len(params))
	for i, p := range params {
		vals[i] = []byte(p)
	}
	res := conn.PgConn().ExecParams(ctx, sql, vals, oids, nil, []int16{format}).Read()
	if res.Err != nil {
		return "", res.Err
	}
	var b strings.Builder
	for _, f := range res.FieldDescriptions {
		fmt.Fprintf(&b, "%d ", f.DataTypeOID)
	}
	for _, row := range res.Rows {
		b.WriteString("\n")
		for _, v := range row {
			if v == nil {
				b.WriteString("NULL|")
				continue
			}
			if format == 1 {
				fmt.Fprintf(&b, "%x|", v)
			} else {
				b.Write(v)
				b.WriteString("|")
			}
		}
	}
	return b.String(), nil
}

// compareRaw checks that gw answers sql with the bytes PostgreSQL sends, in both formats.
func (w *itemsWorld) compareRaw(t *testing.T, name string, gw, pg *pgx.Conn, sql string, oids []uint32, params ...string) {
	t.Helper()
	for _, format := range []int16{0, 1} {
		want, err := rawRows(pg, w.truthSQL(sql), oids, params, format)
		if err != nil {
			t.Fatalf("PostgreSQL: %s: %v", w.truthSQL(sql), err)
		}
		got, err := rawRows(gw, sql, oids, params, format)
		if err != nil {
			t.Errorf("%s: %s (format %d): %v", name, sql, format, err)
			continue
		}
		if got != want {
			t.Errorf("%s: %s (format %d):\ngot  %s\nwant %s", name, sql, format, got, want)
		}
	}
}

// Arrays written in the statement: literals, casts and ARRAY[...], with = ANY and <> ALL,
// over every kind of dimension; and array_agg's results.
func TestArrayLiteralsMatchPostgres(t *testing.T) {
	t.Parallel()
	w := startItemsWorld(t)
	statements := []string{
		"SELECT name, total FROM items WHERE name = ANY('{Indore,Bhopal}') GROUP BY 1 ORDER BY 1",
		"SELECT name, total FROM items WHERE name <> ALL('{Indore}') GROUP BY 1 ORDER BY 1",
		`SELECT name, total FROM items WHERE name = ANY('{"a \"b\", c", NULL}') GROUP BY 1 ORDER BY 1`,
		"SELECT name, total FROM items WHERE name <> ALL('{Pune,NULL}') GROUP BY 1 ORDER BY 1",
		"SELECT name, total FROM items WHERE name = ANY(ARRAY['Indore', 'Pune']) GROUP BY 1 ORDER BY 1",
		"SELECT n4, total FROM items WHERE n4 = ANY('{1,3,5}') GROUP BY 1 ORDER BY 1",
		"SELECT n8, total FROM items WHERE n8 <> ALL(ARRAY[20, 30]) GROUP BY 1 ORDER BY 1",
		"SELECT x, total FROM items WHERE x = ANY('{1.5,2.5,1e10}'::float8[]) GROUP BY 1 ORDER BY 1",
		"SELECT d, total FROM items WHERE d = ANY('{2025-12-01,2024-02-29}') GROUP BY 1 ORDER BY 1",
		"SELECT ts, total FROM items WHERE ts = ANY('{\"2025-12-02 10:11:12\",\"2024-02-29 00:00:00\"}') GROUP BY 1 ORDER BY 1",
		"SELECT n4, total FROM items WHERE n4 > ALL('{1,2}') AND n4 < ANY(ARRAY[5, 6]) GROUP BY 1 ORDER BY 1",
		"SELECT name, total FROM items WHERE name = ANY('{}') GROUP BY 1 ORDER BY 1",
		"SELECT name, total FROM items WHERE name <> ALL('{}') GROUP BY 1 ORDER BY 1",
		"SELECT name, total FROM items WHERE NOT (n4 = ANY('{1,NULL}')) GROUP BY 1 ORDER BY 1",
		"SELECT array_agg(name ORDER BY name, n4) FROM items",
		"SELECT array_agg(n4 ORDER BY n4), array_agg(n8 ORDER BY n8), array_agg(x ORDER BY x) FROM items",
		"SELECT array_agg(d ORDER BY d), array_agg(ts ORDER BY ts), array_agg(happened ORDER BY happened) FROM items",
		"SELECT name, array_agg(n4 ORDER BY n4) FROM items GROUP BY 1 ORDER BY 1",
		"SELECT array_agg(CASE WHEN n4 > 3 THEN name END ORDER BY n4) FROM items",
		"SELECT name, regexp_match(name, '([a-z]+)(o)'), regexp_match(name, '^.') FROM items GROUP BY 1 ORDER BY 1",
	}
	for engine, gw := range w.gateways {
		conn := gatewayConn(t, gw, "")
		for _, sql := range statements {
			w.compareRaw(t, engine, conn, w.pg, sql, nil)
		}
	}
}

// Arrays bound as parameters, in text and in the binary format drivers send (pgx), and through
// lib/pq's pq.Array (text, parameter types left to the server).
func TestArrayParametersMatchPostgres(t *testing.T) {
	t.Parallel()
	w := startItemsWorld(t)
	day := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		sql string
		arg any
	}{
		{"SELECT name, total FROM items WHERE name = ANY($1) GROUP BY 1 ORDER BY 1", []string{"Indore", "a \"b\", c"}},
		{"SELECT name, total FROM items WHERE name <> ALL($1) GROUP BY 1 ORDER BY 1", []string{"Indore"}},
		{"SELECT n4, total FROM items WHERE n4 = ANY($1) GROUP BY 1 ORDER BY 1", []int32{2, 6}},
		{"SELECT n8, total FROM items WHERE n8 = ANY($1) GROUP BY 1 ORDER BY 1", []int64{10, 70}},
		{"SELECT x, total FROM items WHERE x <> ALL($1) GROUP BY 1 ORDER BY 1", []float64{2.5, 1e10}},
		{"SELECT d, total FROM items WHERE d = ANY($1) GROUP BY 1 ORDER BY 1", []time.Time{day("2025-12-01 00:00:00"), day("2024-02-29 00:00:00")}},
		{"SELECT ts, total FROM items WHERE ts = ANY($1) GROUP BY 1 ORDER BY 1", []time.Time{day("2025-12-02 10:11:12"), day("2024-02-29 00:00:00")}},
		{"SELECT name, total FROM items WHERE name = ANY($1) GROUP BY 1 ORDER BY 1", []string{}},
	}
	for engine, gw := range w.gateways {
		conn := gatewayConn(t, gw, "")
		for _, c := range cases {
			want := itemRows(t, w.pg, w.truthSQL(c.sql), c.arg)
			got, err := itemRowsErr(conn, c.sql, c.arg)
			if err != nil || !equal(got, want) {
				t.Errorf("%s pgx: %s %v: got %v (%v), want %v", engine, c.sql, c.arg, got, err, want)
			}
		}
		// Text parameters of a declared array type, as psycopg and pgjdbc's setArray send them.
		w.compareRaw(t, engine+" text[]", conn, w.pg, "SELECT name, total FROM items WHERE name = ANY($1) GROUP BY 1 ORDER BY 1", []uint32{1009}, `{Pune,"a \"b\", c"}`)
		w.compareRaw(t, engine+" int4[]", conn, w.pg, "SELECT n4, total FROM items WHERE n4 <> ALL($1) GROUP BY 1 ORDER BY 1", []uint32{1007}, "{1,2}")
		w.compareRaw(t, engine+" date[]", conn, w.pg, "SELECT d, total FROM items WHERE d = ANY($1) GROUP BY 1 ORDER BY 1", []uint32{1182}, "{2025-12-03}")
		w.compareRaw(t, engine+" untyped", conn, w.pg, "SELECT ts, total FROM items WHERE ts = ANY($1) GROUP BY 1 ORDER BY 1", []uint32{0}, `{"2025-12-01 10:00:00"}`)

		db := libpqDB(t, gw)
		pqCases := []struct {
			sql string
			arg any
		}{
			{"SELECT name, total FROM items WHERE name = ANY($1) GROUP BY 1 ORDER BY 1", pq.Array([]string{"Bhopal", "Pune"})},
			{"SELECT n4, total FROM items WHERE n4 = ANY($1) GROUP BY 1 ORDER BY 1", pq.Array([]int32{1, 2})},
			{"SELECT n8, total FROM items WHERE n8 <> ALL($1) GROUP BY 1 ORDER BY 1", pq.Array([]int64{10})},
			{"SELECT x, total FROM items WHERE x = ANY($1) GROUP BY 1 ORDER BY 1", pq.Array([]float64{0.1, 3.75})},
			{"SELECT d, total FROM items WHERE d = ANY($1) GROUP BY 1 ORDER BY 1", pq.Array([]string{"2025-12-02", "2025-10-26"})},
			{"SELECT ts, total FROM items WHERE ts <> ALL($1) GROUP BY 1 ORDER BY 1", pq.Array([]string{"2025-12-02 23:59:59.5"})},
		}
		for _, c := range pqCases {
			want, err := sqlRows(w.pgDB, w.truthSQL(c.sql), c.arg)
			if err != nil {
				t.Fatalf("PostgreSQL: %s: %v", c.sql, err)
			}
			got, err := sqlRows(db, c.sql, c.arg)
			if err != nil || !equal(got, want) {
				t.Errorf("%s lib/pq: %s: got %v (%v), want %v", engine, c.sql, got, err, want)
			}
		}
	}
}

// A NULL inside a bound array is refused with a SQLSTATE, never read as a shorter list.
func TestArrayParameterWithNullRefused(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := gatewayConn(t, gw, "")
	_, err := rawRows(conn, "SELECT city, total_revenue FROM orders WHERE city = ANY($1) GROUP BY 1", []uint32{1009}, []string{"{Indore,NULL}"}, 0)
	if code := sqlState(err); code != "0A000" {
		t.Fatalf("got %v, want 0A000", err)
	}
}

// pgcli's catalog queries bind their relkinds as an array: the tables a tenant sees are
// listed, the same as with the kinds written out.
func TestCatalogArrayParameter(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	db := libpqDB(t, gw)
	const q = "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind %s ORDER BY 1"
	want, err := sqlRows(db, fmt.Sprintf(q, "IN ('r', 'p', 'f')"))
	if err != nil || len(want) == 0 {
		t.Fatalf("tables: %v %v", want, err)
	}
	got, err := sqlRows(db, fmt.Sprintf(q, "= ANY($1)"), pq.Array([]string{"r", "p", "f"}))
	if err != nil || !equal(got, want) {
		t.Fatalf("relkind = ANY($1): got %v (%v), want %v", got, err, want)
	}
	conn := gatewayConn(t, gw, "")
	got, err = itemRowsErr(conn, fmt.Sprintf(q, "= ANY($1)"), []string{"r", "p", "f"})
	if err != nil || !equal(got, want) {
		t.Fatalf("pgx relkind = ANY($1): got %v (%v), want %v", got, err, want)
	}
}

func libpqDB(t *testing.T, gw *Gateway) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", strings.Replace(connString(gw, "tenantA-key"), " default_query_exec_mode=simple_protocol", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// itemRows runs sql on conn, each row as its values' text joined by "|".
func itemRows(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	out, err := itemRowsErr(conn, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func itemRowsErr(conn *pgx.Conn, sql string, args ...any) ([]string, error) {
	return testkit.QueryText(conn, 10*time.Second, sql, args...)
}

// sqlRows runs sql through database/sql, with the same row text as queryRows.
func sqlRows(db *sql.DB, q string, args ...any) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				parts[i] = "NULL"
			case []byte:
				parts[i] = string(x)
			case time.Time:
				parts[i] = x.Format("2006-01-02 15:04:05")
			default:
				parts[i] = fmt.Sprint(x)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, rows.Err()
}
