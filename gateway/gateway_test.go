package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// startTestGateway runs the real gateway (catalog, planner, executor, DuckDB, pg wire) on a free
// loopback port with the demo catalog and data.
func startTestGateway(t *testing.T, mutate ...func(*Config)) *Gateway {
	t.Helper()
	cfg, err := Default(), error(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PGAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Catalog = "../catalog.yaml"
	// Tests run many queries with one key; the rate-limit tests turn limits on themselves.
	cfg.RateLimitEnabled = false
	for _, m := range mutate {
		m(&cfg)
	}
	gw, err := Start(context.Background(), cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return gw
}

// configFromEnv is Default with the settings env names set, as the program reads them from the
// environment; an error names the variable.
func configFromEnv(env map[string]string) (Config, error) {
	c := Default()
	for _, s := range c.Settings() {
		if v := env[s.Env]; v != "" {
			if err := s.Set(v); err != nil {
				return c, fmt.Errorf("%s: %w", s.Env, err)
			}
		}
	}
	return c, nil
}

func connString(gw *Gateway, key string) string {
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	return fmt.Sprintf("host=%s port=%s user=demo dbname=setupranali password=%s sslmode=disable default_query_exec_mode=simple_protocol", host, port, key)
}

func connect(t *testing.T, gw *Gateway, key string, notices ...*[]string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(connString(gw, key))
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) > 0 {
		sink := notices[0]
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { *sink = append(*sink, n.Message) }
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func tryRows(conn *pgx.Conn, sql string, args ...any) ([]string, error) {
	return testkit.QueryText(conn, 10*time.Second, sql, args...)
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestRevenueByCityPerTenant(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	cases := map[string][]string{
		"tenantA-key":      {"Bhopal|500", "Indore|1000"},
		"tenantB-key":      {"Delhi|1200", "Indore|250"},
		"readonly-key-456": {"Chennai|600", "Mumbai|800"},
		"dev-key-123":      {"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|1250", "Mumbai|800"},
	}
	for key, want := range cases {
		conn := connect(t, gw, key)
		got := testkit.RowsText(t, conn, "SELECT city, total_revenue FROM orders ORDER BY city")
		if !equal(got, want) {
			t.Errorf("%s: got %v, want %v", key, got, want)
		}
	}
}

// The architecture note's four spellings of "revenue by city" mean the same.
func TestFourSpellingsOfRevenueByCity(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantB-key")
	want := []string{"Delhi|1200", "Indore|250"}
	for _, q := range []string{
		`SELECT city, total_revenue FROM orders`,
		`SELECT city, SUM(total_revenue) FROM orders GROUP BY city`,
		`SELECT city, MEASURE(total_revenue) FROM orders GROUP BY 1`,
		`select "rows"."city", sum("rows"."total_revenue") as "a0"
		   from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows"
		   group by "city"`,
	} {
		if got := sorted(testkit.RowsText(t, conn, q)); !equal(got, want) {
			t.Errorf("%s:\n got %v, want %v", q, got, want)
		}
	}
}

func TestQueryShapes(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	admin := connect(t, gw, "dev-key-123")
	tenantA := connect(t, gw, "tenantA-key")
	cases := []struct {
		conn *pgx.Conn
		sql  string
		want []string
	}{
		{admin, "SELECT city, total_revenue FROM orders GROUP BY city HAVING total_revenue > 700 ORDER BY city",
			[]string{"Delhi|1200", "Indore|1250", "Mumbai|800"}},
		{admin, "SELECT city FROM orders GROUP BY city HAVING SUM(total_revenue) < 700 ORDER BY city",
			[]string{"Bhopal", "Chennai"}},
		{admin, "SELECT city, total_revenue FROM orders ORDER BY total_revenue DESC",
			[]string{"Indore|1250", "Delhi|1200", "Mumbai|800", "Chennai|600", "Bhopal|500"}},
		{admin, "SELECT city, total_revenue FROM orders ORDER BY 2 DESC LIMIT 2 OFFSET 1",
			[]string{"Delhi|1200", "Mumbai|800"}},
		{admin, "SELECT total_revenue, orders_count FROM orders", []string{"4350|6"}},
		{tenantA, "SELECT total_revenue, orders_count FROM orders", []string{"1500|2"}},
		{admin, "SELECT date_trunc('day', order_date) AS day, total_revenue FROM orders GROUP BY 1 ORDER BY 1",
			[]string{"2025-12-01 00:00:00|1500", "2025-12-02 00:00:00|1050", "2025-12-03 00:00:00|1800"}},
		{admin, "SELECT order_date, orders_count FROM orders ORDER BY order_date",
			[]string{"2025-12-01 00:00:00|2", "2025-12-02 00:00:00|2", "2025-12-03 00:00:00|2"}},
		{admin, "SELECT city AS c, total_revenue AS rev FROM orders WHERE city IN ('Indore', 'Delhi') ORDER BY rev",
			[]string{"Delhi|1200", "Indore|1250"}},
		{admin, "SELECT city, SUM(orders_count) FROM orders WHERE order_date >= DATE '2025-12-02' GROUP BY city ORDER BY city",
			[]string{"Chennai|1", "Delhi|1", "Indore|1", "Mumbai|1"}},
		{admin, "SELECT MIN(city), MAX(city) FROM orders", []string{"Bhopal|Mumbai"}},
		{admin, "WITH o AS (SELECT city, total_revenue FROM orders) SELECT count(*) FROM (SELECT city FROM o GROUP BY city) x",
			[]string{"5"}},
		{admin, "SELECT * FROM (SELECT city, total_revenue FROM orders GROUP BY city) source WHERE total_revenue > 1000 ORDER BY city",
			[]string{"Delhi|1200", "Indore|1250"}},
		{admin, "SELECT city, rank() OVER (ORDER BY total_revenue DESC) FROM orders GROUP BY city ORDER BY 2",
			[]string{"Indore|1", "Delhi|2", "Mumbai|3", "Chennai|4", "Bhopal|5"}},
		{admin, "SELECT orders_count / 4 AS quarter FROM orders", []string{"1"}},
		{admin, "SELECT 1", []string{"1"}},
		{admin, "SELECT 1::int8, 'x'::text, DATE '2025-12-01', NULL", []string{"1|x|2025-12-01 00:00:00|NULL"}},
	}
	for _, c := range cases {
		if got := testkit.RowsText(t, c.conn, c.sql); !equal(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.sql, got, c.want)
		}
	}
}

// Result columns carry the catalog's types as real PostgreSQL OIDs.
func TestResultColumnTypes(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "dev-key-123")
	rows, err := conn.Query(context.Background(), "SELECT city, order_date, total_revenue, orders_count, true AS flag, 1.50 AS n FROM orders GROUP BY 1, 2")
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	var got []string
	for _, fd := range rows.FieldDescriptions() {
		got = append(got, fmt.Sprintf("%s:%d", fd.Name, fd.DataTypeOID))
	}
	want := []string{"city:25", "order_date:1082", "total_revenue:701", "orders_count:20", "flag:16", "n:1700"}
	if !equal(got, want) {
		t.Errorf("columns %v, want %v", got, want)
	}
}

func TestRowCapSendsNotice(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) { c.MaxRows = 3 })
	var notices []string
	conn := connect(t, gw, "dev-key-123", &notices)
	got := testkit.RowsText(t, conn, "SELECT city FROM orders GROUP BY city ORDER BY city")
	if !equal(got, []string{"Bhopal", "Chennai", "Delhi"}) {
		t.Errorf("rows %v, want the first 3", got)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "3 rows") {
		t.Errorf("notices %q, want one saying the result was cut at 3 rows", notices)
	}
	notices = nil
	testkit.RowsText(t, conn, "SELECT city FROM orders GROUP BY city ORDER BY city LIMIT 3")
	if len(notices) != 0 {
		t.Errorf("a result that fits the cap got notices %q", notices)
	}
}

// Each client mistake gets its own SQLSTATE, never XX, and the connection stays usable.
func TestErrorsKeepConnectionUsable(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	cases := []struct {
		sql, code string
		position  int32
	}{
		{"SELECT city FROM orders WHER city = 'x'", "42601", 30},
		{"SELECT city FROM nosuch", "42P01", 18},
		{"SELECT cty FROM orders", "42703", 8},
		{"SELECT STDDEV(total_revenue) FROM orders", "42803", 8},
		{"SELECT r.city FROM (SELECT city, total_revenue FROM orders WHERE total_revenue > 1) r", "42803", 66},
		{"DELETE FROM orders", "25006", 0},
		{"INSERT INTO orders VALUES ('x')", "25006", 0},
		{"CREATE TABLE t (a int)", "25006", 0},
		{"EXPLAIN (FORMAT JSON) SELECT 1", "0A000", 0},
		{"SHOW nosuch_parameter", "42704", 0},
		{"SELECT * FROM pg_catalog.pg_statistic", "0A000", 15},
	}
	for _, c := range cases {
		_, err := tryRows(conn, c.sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a PostgreSQL error", c.sql, err)
			continue
		}
		if pe.Code != c.code {
			t.Errorf("%s: SQLSTATE %s (%s), want %s", c.sql, pe.Code, pe.Message, c.code)
		}
		if c.position != 0 && pe.Position != c.position {
			t.Errorf("%s: position %d, want %d", c.sql, pe.Position, c.position)
		}
		if got := testkit.RowsText(t, conn, "SELECT total_revenue FROM orders"); !equal(got, []string{"1500"}) {
			t.Fatalf("after %s the connection answered %v", c.sql, got)
		}
	}
}

func TestWrongKeyIsRefused(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	ctx := testkit.ContextWithin(t, 10*time.Second)
	_, err := pgx.Connect(ctx, connString(gw, "not-a-key"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Fatalf("got %v, want 28P01", err)
	}
	if strings.Contains(err.Error(), "not-a-key") {
		t.Errorf("the error repeats the presented key: %v", err)
	}
}

func TestMaxConnections(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) { c.MaxConnections = 2 })
	connect(t, gw, "tenantA-key")
	connect(t, gw, "tenantB-key")
	ctx := testkit.ContextWithin(t, 10*time.Second)
	_, err := pgx.Connect(ctx, connString(gw, "tenantA-key"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53300" {
		t.Fatalf("third connection: got %v, want 53300", err)
	}
}
