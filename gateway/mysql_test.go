package gateway

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/state"
)

// mysqlOrder is one row of the demo's orders as the MariaDB tests load it; the expected
// numbers are computed from these rows in Go, apart from the gateway.
type mysqlOrder struct {
	id, tenant, date, city string
	revenue                float64
	quantity               int64
	customer               string
}

var mysqlOrders = []mysqlOrder{
	{"o1", "tenantA", "2025-12-01", "Indore", 1000, 2, "c1"},
	{"o2", "tenantA", "2025-12-01", "Bhopal", 500, 1, "c1"},
	{"o3", "tenantB", "2025-12-02", "Indore", 250, 1, "c3"},
	{"o4", "tenantB", "2025-11-03", "Delhi", 1200, 3, "c3"},
	{"o5", "default", "2025-12-02", "Mumbai", 800, 2, "c5"},
	{"o6", "default", "2025-12-03", "Chennai", 600, 1, "c6"},
	{"o7", "tenantA", "2025-11-15", "Indore", 125.5, 4, "c2"},
	// Tenant values MariaDB's default collation takes for tenantA's (case, trailing space):
	// tenantA must not see these rows.
	{"o8", "TENANTA", "2025-12-01", "Indore", 7000, 70, "c1"},
	{"o9", "tenantA ", "2025-12-01", "Bhopal", 9000, 90, "c1"},
}

// mysqlGateway loads the demo orders and customers into a fresh MariaDB database, registers it
// as a mysql source in a fresh state DB (as 'setupranali sources add --type mysql' does), and
// starts a gateway whose datasets live there.
func mysqlGateway(t *testing.T) *Gateway {
	t.Helper()
	gw, _ := mysqlGatewayWith(t, "", "")
	return gw
}

// mysqlDemoOrders are the embedded demo's six orders (gateway/demo.sql), for the comparison
// with the embedded engine.
var mysqlDemoOrders = []mysqlOrder{
	{"o1", "tenantA", "2025-12-01", "Indore", 1000, 2, "c1"},
	{"o2", "tenantA", "2025-12-01", "Bhopal", 500, 1, "c1"},
	{"o3", "tenantB", "2025-12-02", "Indore", 250, 1, "c3"},
	{"o4", "tenantB", "2025-12-03", "Delhi", 1200, 3, "c3"},
	{"o5", "default", "2025-12-02", "Mumbai", 800, 2, "c5"},
	{"o6", "default", "2025-12-03", "Chennai", 600, 1, "c6"},
}

// mysqlGatewayWith is mysqlGateway with a further statement run on the database and further
// datasets appended to the catalog; it returns the test's own pool on the database too.
func mysqlGatewayWith(t *testing.T, extraSQL, extraDatasets string, mutate ...func(*Config)) (*Gateway, *sql.DB) {
	t.Helper()
	return mysqlGatewayRows(t, mysqlOrders, extraSQL, extraDatasets, mutate...)
}

// mysqlGatewayRows is mysqlGatewayWith over the given orders.
func mysqlGatewayRows(t *testing.T, orders []mysqlOrder, extraSQL, extraDatasets string, mutate ...func(*Config)) (*Gateway, *sql.DB) {
	t.Helper()
	name, db := testkit.MySQLDatabase(t)
	ctx := testkit.Context(t)
	var vals []string
	for _, o := range orders {
		vals = append(vals, fmt.Sprintf("('%s','%s','%s','%s',%g,%d,'%s')", o.id, o.tenant, o.date, o.city, o.revenue, o.quantity, o.customer))
	}
	for _, q := range []string{
		`CREATE TABLE customers (customer_id VARCHAR(16) PRIMARY KEY, tenant_id VARCHAR(16) NOT NULL, name VARCHAR(64) NOT NULL,
		  region VARCHAR(16) NOT NULL, segment VARCHAR(16) NOT NULL)`,
		`INSERT INTO customers VALUES ('c1','tenantA','Malwa Traders','Central','retail'), ('c2','tenantA','Narmada Foods','Central','wholesale'),
		  ('c3','tenantB','Yamuna Stores','North','retail'), ('c4','tenantB','Capital Wholesale','North','wholesale'),
		  ('c5','default','Harbour Supplies','West','wholesale'), ('c6','default','Marina Textiles','South','retail')`,
		`CREATE TABLE orders (order_id VARCHAR(16) PRIMARY KEY, tenant_id VARCHAR(16) NOT NULL, order_date DATE NOT NULL,
		  city VARCHAR(32) NOT NULL, revenue DOUBLE NOT NULL, quantity BIGINT NOT NULL, customer_id VARCHAR(16) NOT NULL)`,
		"INSERT INTO orders VALUES " + strings.Join(vals, ", "),
		extraSQL,
	} {
		if q == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	dc, err := mysql.ParseDSN(testkit.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(dc.Addr, ":")
	stateDB := filepath.Join(t.TempDir(), "state.db")
	sdb, err := state.Open(ctx, stateDB, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := state.ParseKeyring(mysqlTestKey)
	if err != nil {
		t.Fatal(err)
	}
	src := state.Source{Name: "maria", Type: state.TypeMySQL, Settings: state.Settings{Host: host, Port: port, Database: name, User: dc.User}}
	if _, err := sdb.AddSource(ctx, src, state.Credentials{Password: dc.Passwd}, keys); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	text, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat := strings.ReplaceAll(string(text), "engine: duckdb", "engine: mysql\n      sourceId: maria") + extraDatasets
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	testkit.WriteFile(t, path, cat)
	return startTestGateway(t, append([]func(*Config){func(c *Config) {
		c.Catalog, c.StateDB, c.SecretKey = path, stateDB, Secret(mysqlTestKey)
	}}, mutate...)...), db
}

// mysqlTestKey is a Fernet key for the test's state DB (32 zero bytes, base64url).
const mysqlTestKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

// mysqlRevenueByCity is the ground truth of "revenue and orders by city" for one tenant.
func mysqlRevenueByCity(tenant string) []string {
	type agg struct {
		rev float64
		n   int
	}
	by := map[string]*agg{}
	for _, o := range mysqlOrders {
		if o.tenant != tenant {
			continue
		}
		if by[o.city] == nil {
			by[o.city] = &agg{}
		}
		by[o.city].rev += o.revenue
		by[o.city].n++
	}
	var out []string
	for city, a := range by {
		out = append(out, fmt.Sprintf("%s|%g|%d", city, a.rev, a.n))
	}
	sort.Strings(out)
	return out
}

// Per-tenant numbers through the gateway on MariaDB equal those computed from the rows.
func TestMySQLSemantics(t *testing.T) {
	gw := mysqlGateway(t)
	for _, tenant := range []string{"tenantA", "tenantB"} {
		conn := connect(t, gw, tenant+"-key")
		got := testkit.RowsText(t, conn, "SELECT city, total_revenue, orders_count FROM orders ORDER BY city")
		if want := mysqlRevenueByCity(tenant); !equal(got, want) {
			t.Errorf("%s revenue by city:\n got %v\nwant %v", tenant, got, want)
		}
		var qty int64
		months := map[string]float64{}
		for _, o := range mysqlOrders {
			if o.tenant == tenant {
				qty += o.quantity
				months[o.date[:7]+"-01"] += o.revenue
			}
		}
		got = testkit.RowsText(t, conn, "SELECT total_quantity FROM orders")
		if want := []string{fmt.Sprint(qty)}; !equal(got, want) {
			t.Errorf("%s total quantity: got %v, want %v", tenant, got, want)
		}
		var wantMonths []string
		for m, r := range months {
			wantMonths = append(wantMonths, fmt.Sprintf("%s 00:00:00|%g", m, r))
		}
		sort.Strings(wantMonths)
		got = testkit.RowsText(t, conn, "SELECT date_trunc('month', order_date) AS m, total_revenue FROM orders GROUP BY 1 ORDER BY 1")
		if !equal(got, wantMonths) {
			t.Errorf("%s revenue by month:\n got %v\nwant %v", tenant, got, wantMonths)
		}
	}
}

// Function and type results on MariaDB equal PostgreSQL's for the same rows: the same
// query runs through the gateway and on the real PostgreSQL over the tenant's rows as VALUES.
func TestMySQLMatchesPostgres(t *testing.T) {
	gw := mysqlGateway(t)
	pg := testkit.PostgresConn(t)
	conn := connect(t, gw, "tenantA-key")
	var vals []string
	for _, o := range mysqlOrders {
		if o.tenant == "tenantA" {
			vals = append(vals, fmt.Sprintf("('%s', DATE '%s', '%s', %g::float8, %d::bigint)", o.id, o.date, o.city, o.revenue, o.quantity))
		}
	}
	from := "(VALUES " + strings.Join(vals, ", ") + ") AS orders(order_id, order_date, city, revenue, quantity)"
	cases := []struct{ gateway, postgres string }{
		{"SELECT city, upper(city), lower(city), length(city), city || '-x', concat(city, NULL, '!') FROM orders GROUP BY city ORDER BY city",
			"SELECT city, upper(city), lower(city), length(city), city || '-x', concat(city, NULL, '!') FROM " + from + " GROUP BY city ORDER BY city"},
		{"SELECT 7 / 2, -7 / 2, 7 % 3, total_quantity / orders_count FROM orders",
			// The gateway types the sum of an int64 field as bigint, so the ratio is an integer one.
			"SELECT 7 / 2, -7 / 2, 7 % 3, sum(quantity)::bigint / count(order_id) FROM " + from},
		{"SELECT order_date, extract(dow FROM order_date), date_trunc('week', order_date), date_trunc('quarter', order_date), date_trunc('year', order_date) FROM orders GROUP BY order_date ORDER BY 1",
			"SELECT order_date, extract(dow FROM order_date), date_trunc('week', order_date), date_trunc('quarter', order_date), date_trunc('year', order_date) FROM " + from + " GROUP BY order_date ORDER BY 1"},
		{"SELECT city, total_revenue FROM orders ORDER BY total_revenue DESC LIMIT 2",
			"SELECT city, sum(revenue) FROM " + from + " GROUP BY city ORDER BY 2 DESC LIMIT 2"},
		// PostgreSQL puts NULLs first in descending order (the embedded DuckDB last).
		{"SELECT NULLIF(city, 'Indore') AS c, orders_count FROM orders GROUP BY 1 ORDER BY 1 DESC",
			"SELECT NULLIF(city, 'Indore') AS c, count(order_id) FROM " + from + " GROUP BY 1 ORDER BY 1 DESC"},
		{"SELECT city, round(avg_order_value, 1) FROM orders ORDER BY 1",
			"SELECT city, round((sum(revenue) / count(order_id))::numeric, 1) FROM " + from + " GROUP BY city ORDER BY 1"},
		{"SELECT city, total_revenue > 600 FROM orders GROUP BY city ORDER BY city",
			"SELECT city, sum(revenue) > 600 FROM " + from + " GROUP BY city ORDER BY city"},
		{"SELECT city FROM orders WHERE city LIKE 'In%' OR city ILIKE 'b%' GROUP BY city ORDER BY city",
			"SELECT city FROM " + from + " WHERE city LIKE 'In%' OR city ILIKE 'b%' GROUP BY city ORDER BY city"},
	}
	for _, c := range cases {
		got, err := tryRows(conn, c.gateway)
		if err != nil {
			t.Errorf("%s: %v", c.gateway, err)
			continue
		}
		want := testkit.RowsText(t, pg, c.postgres)
		if !equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v (PostgreSQL)", c.gateway, got, want)
		}
	}
}

// What the MySQL dialect cannot write is refused with 0A000 naming the engine, never sent.
func TestMySQLRefusals(t *testing.T) {
	gw := mysqlGateway(t)
	conn := connect(t, gw, "tenantA-key")
	for _, q := range []string{
		"SELECT city, rank() OVER w FROM orders GROUP BY city WINDOW w AS (ORDER BY city)",
		"SELECT greatest(1, 2) FROM orders",
	} {
		_, err := tryRows(conn, q)
		var pe *pgconn.PgError
		if !asPgError(err, &pe) || pe.Code != "0A000" || !strings.Contains(pe.Message, "mysql") {
			t.Errorf("%s: got %v, want 0A000 naming mysql", q, err)
		}
	}
	// The connection serves on.
	if got := testkit.RowsText(t, conn, "SELECT orders_count FROM orders"); !equal(got, []string{"3"}) {
		t.Fatalf("after the refusals: %v", got)
	}
}

// A client that cancels a query running on MariaDB: the statement leaves the server's
// process list within 2 s. The dataset is a view that sleeps, so the query is slow on the
// server however simple its SQL.
func TestMySQLCancel(t *testing.T) {
	gw, db := mysqlSlowGateway(t)
	conn := connect(t, gw, "tenantA-key")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT n FROM slow")
		done <- err
	}()
	testkit.Eventually(t, "the query to run on MariaDB", func() bool { return mysqlRunning(t, db) })
	cancel()
	testkit.EventuallyWithin(t, 2*time.Second, "the cancelled statement to leave the process list", func() bool {
		return !mysqlRunning(t, db)
	})
	if err := <-done; err == nil {
		t.Fatal("the cancelled query succeeded")
	}
}

// mysqlRunning reports whether the server runs a statement of the gateway's on the test's
// database (the gateway's statements read the tenant-filtered derived tables).
func mysqlRunning(t *testing.T, db *sql.DB) bool {
	t.Helper()
	var n int
	err := db.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE '%tenant_id%' AND INFO NOT LIKE '%PROCESSLIST%'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func asPgError(err error, pe **pgconn.PgError) bool { return errors.As(err, pe) }

// mysqlSlowGateway is mysqlGateway with a dataset "slow" over a view that sleeps 30 s.
func mysqlSlowGateway(t *testing.T, mutate ...func(*Config)) (*Gateway, *sql.DB) {
	t.Helper()
	return mysqlGatewayWith(t, `CREATE VIEW slow AS SELECT 'tenantA' AS tenant_id, 1 AS id FROM DUAL WHERE SLEEP(30) = 0`,
		`  - id: slow
    source: {engine: mysql, sourceId: maria, reference: slow}
    fields: [{name: id, type: int64}, {name: tenant_id, type: string}]
    dimensions: [{name: id}]
    metrics: [{name: n, expression: {agg: count}}]
    rls: {enabled: true, column: tenant_id}
`, mutate...)
}

// QUERY_TIMEOUT_SECONDS stops a statement on MariaDB: the client gets 57014 and the statement
// leaves the process list within 2 s of the timeout.
func TestMySQLQueryTimeout(t *testing.T) {
	gw, db := mysqlSlowGateway(t, func(c *Config) { c.QueryTimeout = time.Second })
	conn := connect(t, gw, "tenantA-key")
	start := time.Now()
	_, err := tryRows(conn, "SELECT n FROM slow")
	var pe *pgconn.PgError
	if !asPgError(err, &pe) || pe.Code != "57014" {
		t.Fatalf("got %v, want 57014", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("the 1 s timeout took %s", d)
	}
	testkit.EventuallyWithin(t, 2*time.Second, "the timed-out statement to leave the process list", func() bool {
		return !mysqlRunning(t, db)
	})
}

// The demo's queries answer the same on MariaDB as on the embedded DuckDB over the same rows
// (whose numbers TestCatalogSemantics and TestBIQueryShapes check by hand), or MariaDB refuses
// with 0A000 where the MySQL dialect has no spelling; no statement fails any other way.
func TestMySQLAgreesWithEmbedded(t *testing.T) {
	gw, _ := mysqlGatewayRows(t, mysqlDemoOrders, "", "")
	embedded := startTestGateway(t)
	queries := []string{
		"SELECT avg_order_value FROM orders",
		"SELECT city, avg_order_value FROM orders ORDER BY city",
		`select "rows"."city", sum("rows"."avg_order_value") as "a0" from (select "_"."city", "_"."avg_order_value" from "public"."orders" "_") "rows" group by "city" order by 1`,
		"SELECT MEASURE(avg_order_value) FROM (SELECT * FROM (SELECT city, avg_order_value FROM orders) a) b",
		"SELECT avg_order_value FROM orders WHERE city = 'Nowhere'",
		"SELECT large_order_revenue, total_revenue FROM orders",
		"SELECT city, large_order_revenue FROM orders ORDER BY city",
		"SELECT order_size, total_revenue, orders_count, avg_order_value FROM orders ORDER BY 1",
		"SELECT city FROM orders WHERE order_size = 'regular' ORDER BY 1",
		"SELECT MEASURE(cities) FROM (SELECT order_date, cities FROM orders) t",
		"SELECT order_date, cities FROM orders ORDER BY 1",
		"SELECT total_quantity FROM orders",
		"SELECT city, total_revenue FROM orders WHERE order_date BETWEEN DATE '2025-12-02' AND DATE '2025-12-03' ORDER BY city",
		"SELECT city FROM orders WHERE city ILIKE 'in%' OR city LIKE '%bai' GROUP BY city ORDER BY city",
		"SELECT NULLIF(city, 'Indore') AS c, orders_count FROM orders GROUP BY 1 ORDER BY 1 NULLS FIRST",
		"SELECT NULLIF(city, 'Indore') AS c, orders_count FROM orders GROUP BY 1 ORDER BY 1",
		"SELECT upper(city), total_revenue FROM orders GROUP BY upper(city) ORDER BY 2 DESC LIMIT 2",
		"SELECT CASE WHEN total_revenue >= 1000 THEN 'big' ELSE 'small' END AS size, city FROM orders GROUP BY city ORDER BY city",
		"SELECT order_date, city FROM orders WHERE city IS NOT NULL AND city IN ('Delhi', 'Chennai') GROUP BY 1, 2 ORDER BY 2 DESC",
		"SELECT COALESCE(large_order_revenue, 0) AS big, city FROM orders GROUP BY city ORDER BY 2",
		"SELECT city FROM orders WHERE order_date = DATE '2025-12-01' UNION SELECT city FROM orders WHERE city = 'Delhi' ORDER BY 1",
		"SELECT DISTINCT order_date FROM orders ORDER BY 1 DESC FETCH FIRST 1 ROWS ONLY",
		"SELECT length(city) AS l, count(*) FROM orders GROUP BY 1 ORDER BY 1",
		"SELECT CAST(total_revenue AS int) FROM orders",
		`select "rows"."city", sum(cast("rows"."total_revenue" as float8)) as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city" order by 1 limit 2`,
		"SELECT city, total_revenue FROM orders ORDER BY total_revenue DESC OFFSET 1",
		"SELECT c.region, o.total_revenue FROM orders o JOIN customers c ON c.customer_id = o.customer_id GROUP BY 1 ORDER BY 1",
		"SELECT city, orders_count FROM orders WHERE customer_id IN (SELECT customer_id FROM customers WHERE segment = 'retail') GROUP BY city ORDER BY 1",
		"SELECT city, total_revenue FROM orders WHERE EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = orders.customer_id AND c.region = 'Central') GROUP BY 1 ORDER BY 1",
		"WITH t AS (SELECT city, total_revenue AS r FROM orders GROUP BY city) SELECT city, r FROM t WHERE r > 300 ORDER BY r DESC",
		"SELECT date_trunc('month', order_date) AS m, extract(year FROM order_date) AS y, total_revenue FROM orders GROUP BY 1, 2 ORDER BY 1",
		"SELECT city, total_revenue / orders_count AS per, total_quantity % 2 AS odd FROM orders GROUP BY city ORDER BY 1",
		"SELECT count(DISTINCT city), min(order_date), max(order_date) FROM orders",
		"SELECT city FROM orders GROUP BY city UNION ALL SELECT NULL ORDER BY 1",
		"SELECT city || ' (' || orders_count || ')' FROM orders GROUP BY city ORDER BY 1",
		"SELECT city, SUM(total_revenue) OVER (ORDER BY city ROWS UNBOUNDED PRECEDING) AS running FROM orders GROUP BY city ORDER BY city",
		"SELECT city, order_date, rank() OVER (PARTITION BY city ORDER BY order_date DESC), lag(city) OVER (ORDER BY city, order_date) FROM orders GROUP BY city, order_date ORDER BY 1, 2",
		"SELECT city, count(*) OVER (ORDER BY city ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), row_number() OVER (ORDER BY city DESC) FROM orders ORDER BY 1",
		"SELECT city, avg(total_revenue) OVER (), max(total_revenue) OVER (ORDER BY total_revenue RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM orders GROUP BY city ORDER BY 1",
	}
	refused := []string{
		"SELECT city, first_value(city) OVER w FROM orders WINDOW w AS (ORDER BY city)",
		"SELECT to_char(order_date, 'YYYY-MM') AS month, total_revenue FROM orders GROUP BY 1",
		"SELECT city FROM orders WHERE city LIKE '%bai' ESCAPE '!' GROUP BY city",
	}
	for _, key := range []string{"dev-key-123", "tenantA-key", "tenantB-key"} {
		my, emb := connect(t, gw, key), connect(t, embedded, key)
		for _, q := range queries {
			want, err := tryRows(emb, q)
			if err != nil {
				t.Errorf("%s on the embedded engine: %v", q, err)
				continue
			}
			got, err := tryRows(my, q)
			if err != nil {
				t.Errorf("%s (%s) on MariaDB: %v", q, key, err)
				continue
			}
			if !equal(got, want) {
				t.Errorf("%s (%s):\n MariaDB  %v\n embedded %v", q, key, got, want)
			}
		}
		for _, q := range refused {
			_, err := tryRows(my, q)
			var pe *pgconn.PgError
			if !asPgError(err, &pe) || pe.Code != "0A000" {
				t.Errorf("%s on MariaDB: got %v, want 0A000", q, err)
			}
		}
	}
}

// Parameters of the extended protocol bind to the MySQL statement's "?" in order.
func TestMySQLParameters(t *testing.T) {
	gw := mysqlGateway(t)
	cfg, err := pgx.ParseConfig(strings.Replace(connString(gw, "tenantA-key"), " default_query_exec_mode=simple_protocol", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var want float64
	for _, o := range mysqlOrders {
		if o.tenant == "tenantA" && o.city == "Indore" && o.date >= "2025-12-01" {
			want += o.revenue
		}
	}
	day := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	var got float64
	if err := conn.QueryRow(ctx, "SELECT total_revenue FROM orders WHERE city = $1 AND order_date >= $2", "Indore", day).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("revenue of Indore since %s: got %g, want %g", day.Format(time.DateOnly), got, want)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT orders_count FROM orders WHERE order_id = $1::text OR city = $2", "o2", "Nowhere").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("orders with id o2: got %d, want 1", n)
	}
	// An exact number travels exactly.
	rows, err := conn.Query(ctx, "SELECT city FROM orders GROUP BY city HAVING total_revenue > $1::numeric ORDER BY city", "625.25")
	if err != nil {
		t.Fatal(err)
	}
	cities, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var wantCities []string
	for _, r := range mysqlRevenueByCity("tenantA") {
		var city string
		var rev float64
		var cnt int
		if _, err := fmt.Sscanf(strings.ReplaceAll(r, "|", " "), "%s %g %d", &city, &rev, &cnt); err != nil {
			t.Fatal(err)
		}
		if rev > 625.25 {
			wantCities = append(wantCities, city)
		}
	}
	if !equal(cities, wantCities) {
		t.Fatalf("cities above 625.25: got %v, want %v", cities, wantCities)
	}
	// A text parameter compares byte-exactly, as PostgreSQL's text does.
	if err := conn.QueryRow(ctx, "SELECT orders_count FROM orders WHERE city = $1", "INDORE").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("orders in INDORE: got %d, want 0", n)
	}
}

// The hostile-SQL corpus as tenantA with the demo on MariaDB: no statement shows another
// tenant's values (in rows or in an error), gets a server-fault SQLSTATE, hangs, or leaves the
// connection unusable. Each answers as on the embedded engine (its PostgreSQL expectation where
// the corpus has one), or is refused with 0A000 where the MySQL dialect has no spelling.
func TestMySQLHostileCorpus(t *testing.T) {
	gw, _ := mysqlGatewayRows(t, mysqlDemoOrders, "", "", func(c *Config) { c.QueryTimeout = 2 * time.Second })
	conn := connect(t, gw, "tenantA-key")
	refused := 0
	for _, e := range loadHostileCorpus(t) {
		expect := e.Expect
		if e.Postgres != "" {
			expect = e.Postgres
		}
		got := runHostile(conn, e.SQL)
		if leaked := otherTenantsValues(got.text, ""); len(leaked) > 0 {
			t.Errorf("LEAK: %q returned %q, which holds other tenants' values %q", e.SQL, got.text, leaked)
		}
		var pe *pgconn.PgError
		isPG := errors.As(got.err, &pe)
		if isPG {
			msg := strings.Join([]string{pe.Message, pe.Detail, pe.Hint, pe.Where}, "\n")
			if leaked := otherTenantsValues(msg, e.SQL); len(leaked) > 0 {
				t.Errorf("LEAK: %q failed with %s %q, which holds other tenants' values %q", e.SQL, pe.Code, msg, leaked)
			}
		}
		switch {
		case got.err != nil && !isPG:
			t.Errorf("%q: no SQLSTATE: %v", e.SQL, got.err)
		case isPG && isServerFaultClass(pe.Code):
			t.Errorf("%q: server-fault SQLSTATE %s: %s", e.SQL, pe.Code, pe.Message)
		case isPG && pe.Code == "0A000" && expect != "0A000":
			refused++
		case expect == "rows" && got.err != nil:
			t.Errorf("%q: failed with %s (%s), want tenantA's rows", e.SQL, pe.Code, pe.Message)
		case expect == "rows" && got.rows == 0:
			t.Errorf("%q: returned no rows, want tenantA's", e.SQL)
		case expect != "rows" && got.err == nil:
			t.Errorf("%q: succeeded with %d rows %q, want SQLSTATE %s", e.SQL, got.rows, got.text, expect)
		case expect != "rows" && pe.Code != expect:
			t.Errorf("%q: SQLSTATE %s (%s), want %s", e.SQL, pe.Code, pe.Message, expect)
		}
		if conn.IsClosed() {
			t.Errorf("%q closed the connection", e.SQL)
			conn = connect(t, gw, "tenantA-key")
			continue
		}
		if conn.PgConn().TxStatus() != 'I' {
			runHostile(conn, "ROLLBACK")
		}
		if check := runHostile(conn, "SELECT city, total_revenue FROM orders ORDER BY city"); check.err != nil || check.text != "Bhopal|500|Indore|1000|" {
			t.Errorf("after %q the connection answered %q, %v", e.SQL, check.text, check.err)
		}
	}
	t.Logf("%d corpus statements refused with 0A000 on MariaDB", refused)
}
