package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/ratelimit"
)

// The demo's fan-out: customers joined to their orders repeats a customer once per order, so
// counting customers must de-duplicate them per customer_id.
const explainFanOut = "SELECT c.region, c.customers_count FROM customers c JOIN orders o ON o.customer_id = c.customer_id GROUP BY 1"

// explainRows runs EXPLAIN-shaped sql and returns its lines, the result's field and its tag.
func explainRows(t *testing.T, conn *pgx.Conn, sql string, args ...any) ([]string, pgconn.FieldDescription, string) {
	t.Helper()
	ctx := testkit.ContextWithin(t, 10*time.Second)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	fields := rows.FieldDescriptions()
	if len(fields) != 1 {
		t.Fatalf("%s: %d result columns, want 1", sql, len(fields))
	}
	return lines, fields[0], rows.CommandTag().String()
}

// lineWith returns the line starting with prefix.
func lineWith(t *testing.T, lines []string, prefix string) string {
	t.Helper()
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line %q in:\n%s", prefix, strings.Join(lines, "\n"))
	return ""
}

// customersWithOrders is the fan-out query's truth from demo.sql's rows: per region, the
// customers the tenant sees that have at least one order it sees, each customer once.
func customersWithOrders(t *testing.T, tenant string) []string {
	orders, customers := demoRows(t)
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, o := range orders {
		c := customers[o.customer]
		if tenant != "" && (o.tenant != tenant || c.tenant != tenant) {
			continue
		}
		if !seen[o.customer] {
			seen[o.customer] = true
			counts[c.region]++
		}
	}
	var out []string
	for region, n := range counts {
		out = append(out, fmt.Sprintf("%s|%d", region, n))
	}
	return sorted(out)
}

// runOnDemoCopy runs engine SQL on a DuckDB of its own loaded with demo.sql: what the SQL EXPLAIN
// shows computes, apart from the gateway.
func runOnDemoCopy(t *testing.T, sql string) []string {
	t.Helper()
	ctx := testkit.ContextWithin(t, 20*time.Second)
	db, err := duckdb.Open(ctx, duckdb.Config{InitSQL: []string{demoSQL}, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, sql, nil)
	if err != nil {
		t.Fatalf("the engine SQL EXPLAIN showed does not run: %v\n%s", err, sql)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v|%v", vals[0], vals[1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sorted(out)
}

// EXPLAIN of a joined query shows how the grain was kept and the engine SQL as sent; that SQL,
// run apart on the demo's rows, gives the numbers computed by hand from them. As tenantA the
// lines name tenantA and no other tenant; as the admin they say the filter was bypassed.
func TestExplainJoinShowsTheRewrittenSQL(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, c := range []struct{ key, tenant, filter string }{
		{"tenantA-key", "tenantA", "Tenant filter: customers: tenant_id = 'tenantA'"},
		{"dev-key-123", "", "Tenant filter: customers: none (admin bypass, allowed by the dataset)"},
	} {
		conn := connect(t, gw, c.key)
		lines, field, tag := explainRows(t, conn, "EXPLAIN "+explainFanOut)
		if string(field.Name) != "QUERY PLAN" || field.DataTypeOID != 25 || tag != "EXPLAIN" {
			t.Errorf("%s: column %q oid %d tag %q, want QUERY PLAN text and tag EXPLAIN", c.key, field.Name, field.DataTypeOID, tag)
		}
		text := strings.Join(lines, "\n")
		for _, want := range []string{
			"Statement: SELECT", "Datasets: customers, orders",
			"Metric: customers.customers_count = count(customer_id)",
			"Join grain: relations that only filter the rows of c read as EXISTS",
			c.filter, "Row cap: 100000 rows (QUERY_MAX_ROWS)", "Engine: duckdb",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: no %q in:\n%s", c.key, want, text)
			}
		}
		if c.tenant != "" {
			for _, other := range []string{"tenantB", "'default'", "readonly"} {
				if strings.Contains(text, other) {
					t.Errorf("%s: EXPLAIN names %q, another tenant's:\n%s", c.key, other, text)
				}
			}
		}
		want := customersWithOrders(t, c.tenant)
		engineSQL := strings.TrimPrefix(lineWith(t, lines, "Engine SQL: "), "Engine SQL: ")
		if got := runOnDemoCopy(t, engineSQL); !equal(got, want) {
			t.Errorf("%s: the engine SQL shown gives %v, the demo rows %v\n%s", c.key, got, want, engineSQL)
		}
		if got := sorted(testkit.RowsText(t, conn, explainFanOut)); !equal(got, want) {
			t.Errorf("%s: the query answers %v, the demo rows %v", c.key, got, want)
		}
	}
	if want := []string{"Central|1"}; !equal(customersWithOrders(t, "tenantA"), want) {
		t.Fatalf("demo rows changed: tenantA's customers with orders are %v, checked by hand %v", customersWithOrders(t, "tenantA"), want)
	}
}

// Over the extended protocol (pgx's three modes) EXPLAIN is described as one text column, its
// statement's parameter is the statement's parameter, and EXPLAIN ANALYZE runs it with the value
// bound.
func TestExplainExtendedProtocol(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, mode := range extendedModes {
		conn := connectMode(t, gw, "tenantA-key", mode)
		lines, field, tag := explainRows(t, conn, "EXPLAIN SELECT city, total_revenue FROM orders WHERE city = $1", "Indore")
		if string(field.Name) != "QUERY PLAN" || field.DataTypeOID != 25 || tag != "EXPLAIN" {
			t.Errorf("%s: column %q oid %d tag %q", mode, field.Name, field.DataTypeOID, tag)
		}
		if l := lineWith(t, lines, "Engine SQL: "); !strings.Contains(l, "city = $1") || !strings.Contains(l, "'tenantA'") {
			t.Errorf("%s: %s", mode, l)
		}
		lines, _, tag = explainRows(t, conn, "EXPLAIN ANALYZE SELECT city, total_revenue FROM orders WHERE city = $1", "Indore")
		if l := lineWith(t, lines, "Actual rows: "); l != "Actual rows: 1" || tag != "EXPLAIN" {
			t.Errorf("%s: %q tag %q, want Actual rows: 1 (tenantA has one Indore row)", mode, l, tag)
		}
		lineWith(t, lines, "Execution Time: ")
	}
}

// EXPLAIN ANALYZE runs its query like the query: the rows it counts are the query's, the
// result cache takes part (a second run is a hit), and the row cap cuts it the same way.
func TestExplainAnalyze(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) { c.MaxRows = 4 })
	conn := connect(t, gw, "dev-key-123")
	const q = "SELECT city, total_revenue FROM orders"
	lines, _, _ := explainRows(t, conn, "EXPLAIN ANALYZE "+q)
	// By hand from demo.sql: the admin's orders are in Indore, Bhopal, Delhi, Mumbai and
	// Chennai: five cities, one past the cap of 4.
	for _, want := range []string{"Actual rows: 4 (cut by the row cap)", "Actual result cache: miss", "Row cap: 4 rows (QUERY_MAX_ROWS); a longer result is cut, with a notice"} {
		lineWith(t, lines, want)
	}
	lines, _, _ = explainRows(t, conn, "EXPLAIN (ANALYZE) "+q)
	lineWith(t, lines, "Actual result cache: hit")

	other := connect(t, gw, "tenantA-key")
	lines, _, _ = explainRows(t, other, "EXPLAIN ANALYZE SELECT city FROM orders WHERE city = 'Indore'")
	// tenantA's own result, never the admin's cached one: one Indore order of tenantA's.
	for _, want := range []string{"Actual rows: 1", "Actual result cache: miss"} {
		lineWith(t, lines, want)
	}
	for _, l := range lines {
		if strings.Contains(l, "tenantB") || strings.Contains(l, "'default'") {
			t.Errorf("tenantA's EXPLAIN ANALYZE names another tenant: %s", l)
		}
	}
}

// EXPLAIN ANALYZE goes through the same admission as a query: it is charged to the key's pg
// wire rate budget and refused with 53400 past it, counted in setu_queries_total like a query.
// Plain EXPLAIN runs nothing and is never charged.
func TestExplainAnalyzeIsAdmittedLikeAQuery(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) {
		c.CacheEnabled = false
		c.RateLimitEnabled = true
		c.RateLimitPG = ratelimit.Rate{N: 2, Per: time.Hour}
	})
	h := newHTTPClient(t, gw)
	conn := connect(t, gw, "tenantA-key")
	before := queryCounts(t, h)
	const q = "EXPLAIN ANALYZE SELECT total_revenue FROM orders"
	for i := 0; i < 2; i++ {
		lines, _, _ := explainRows(t, conn, q)
		lineWith(t, lines, "Actual rows: 1")
	}
	_, err := tryRows(conn, q)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53400" {
		t.Fatalf("third EXPLAIN ANALYZE past a budget of 2: %v, want 53400", err)
	}
	if _, err := tryRows(conn, "SELECT total_revenue FROM orders"); !errors.As(err, &pe) || pe.Code != "53400" {
		t.Fatalf("the query after two EXPLAIN ANALYZE: %v, want 53400 (the same budget)", err)
	}
	lines, _, _ := explainRows(t, conn, "EXPLAIN SELECT total_revenue FROM orders")
	lineWith(t, lines, "Engine SQL: ")
	after := queryCounts(t, h)
	if got := after["pg/00"] - before["pg/00"]; got != 2 {
		t.Errorf("setu_queries_total pg/00 went up by %d, want 2 (the two EXPLAIN ANALYZE runs)", got)
	}
	if got := after["pg/53"] - before["pg/53"]; got != 2 {
		t.Errorf("setu_queries_total pg/53 went up by %d, want 2", got)
	}
}

// EXPLAIN of a catalog query says the catalog emulation answers it; refusals keep their
// SQLSTATE and the connection stays usable.
func TestExplainCatalogAndRefusals(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	lines, _, _ := explainRows(t, conn, "EXPLAIN SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'r'")
	lineWith(t, lines, "Statement: SELECT on the system catalog")
	lines, _, _ = explainRows(t, conn, "EXPLAIN ANALYZE SELECT relname FROM pg_catalog.pg_class WHERE relname = 'orders'")
	lineWith(t, lines, "Actual rows: 1")
	for sql, code := range map[string]string{
		"EXPLAIN (FORMAT JSON) SELECT city FROM orders": "0A000",
		"EXPLAIN SELECT city FROM main.orders":          "42P01",
		"EXPLAIN ANALYZE DELETE FROM orders":            "25006",
		"EXPLAIN SELECT nosuch FROM orders":             "42703",
		"EXPLAIN SHOW TimeZone":                         "42601",
	} {
		_, err := tryRows(conn, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != code {
			t.Errorf("%s: %v, want %s", sql, err, code)
		}
	}
	// A parameter with no value in the simple protocol: PostgreSQL's answer for the query itself.
	_, err := conn.PgConn().Exec(testkit.ContextWithin(t, 10*time.Second), "EXPLAIN ANALYZE SELECT total_revenue FROM orders WHERE city = $1").ReadAll()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42P02" {
		t.Errorf("EXPLAIN ANALYZE with $1 and no value: %v, want 42P02", err)
	}
	if got := testkit.RowsText(t, conn, "SELECT total_revenue FROM orders"); !equal(got, []string{"1500"}) {
		t.Fatalf("after the refusals the connection answered %v", got)
	}
}

// psql prints EXPLAIN's lines under its QUERY PLAN header.
func TestExplainPsql(t *testing.T) {
	t.Parallel()
	psql := requireClient(t, "psql", "--version")
	gw := startTestGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, psql, "host="+host+" port="+port+" user=demo dbname=setupranali sslmode=prefer",
		"-X", "-v", "ON_ERROR_STOP=1", "-c", "EXPLAIN SELECT c.region, o.total_revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD=tenantA-key", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"QUERY PLAN", "Datasets: orders, customers", "Join grain: no join repeats", "Tenant filter: orders: tenant_id = 'tenantA'", "Engine SQL: SELECT"} {
		if !strings.Contains(text, want) {
			t.Errorf("psql output lacks %q:\n%s", want, text)
		}
	}
}

// On the PostgreSQL source EXPLAIN names the engine and never the source's connection string,
// and the engine SQL it shows, run on PostgreSQL itself, gives the numbers computed by hand from
// the demo rows (pgGateway loads the same rows as demo.sql); EXPLAIN ANALYZE counts the rows
// the query returns there.
func TestExplainOnPostgres(t *testing.T) {
	t.Parallel()
	gw, admin, _ := pgGateway(t)
	conn := connect(t, gw, "tenantA-key")
	lines, _, _ := explainRows(t, conn, "EXPLAIN "+explainFanOut)
	text := strings.Join(lines, "\n")
	lineWith(t, lines, "Engine: postgres")
	lineWith(t, lines, "Join grain: relations that only filter the rows of c read as EXISTS")
	testkit.NoSecrets(t, "EXPLAIN", text, testkit.PostgresDSN(t), "127.0.0.1", "application_name")
	for _, other := range []string{"tenantB", "'default'"} {
		if strings.Contains(text, other) {
			t.Errorf("tenantA's EXPLAIN names %q:\n%s", other, text)
		}
	}
	engineSQL := strings.TrimPrefix(lineWith(t, lines, "Engine SQL: "), "Engine SQL: ")
	got, err := testkit.QueryText(admin, 10*time.Second, engineSQL)
	if err != nil {
		t.Fatalf("the engine SQL EXPLAIN showed does not run on PostgreSQL: %v\n%s", err, engineSQL)
	}
	if want := customersWithOrders(t, "tenantA"); !equal(sorted(got), want) {
		t.Errorf("the engine SQL shown gives %v on PostgreSQL, the demo rows %v", got, want)
	}
	lines, _, _ = explainRows(t, conn, "EXPLAIN ANALYZE SELECT city, total_revenue FROM orders")
	// By hand: tenantA's orders are in Indore and Bhopal.
	lineWith(t, lines, "Actual rows: 2")
}
