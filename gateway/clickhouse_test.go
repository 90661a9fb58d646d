package gateway

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/state"
)

// chOrder is one row of the test's orders table on ClickHouse.
type chOrder struct {
	id, tenant, date, city string
	revenue                float64
	quantity               int64
}

// chOrders are the test's rows: tenants A and B only ("default", readonly-key-456's tenant,
// has none). Row i goes to shard i%2, so every tenant has rows on both shards and a total
// that misses a shard is wrong.
var chOrders = []chOrder{
	{"o1", "tenantA", "2025-11-03", "Indore", 1000, 2},
	{"o2", "tenantA", "2025-11-20", "Bhopal", 500, 1},
	{"o3", "tenantB", "2025-12-02", "Indore", 250, 1},
	{"o4", "tenantA", "2025-12-05", "Indore", 1500, 3},
	{"o5", "tenantB", "2025-12-09", "Delhi", 1200, 4},
	{"o6", "tenantA", "2025-12-30", "Bhopal", 125.5, 5},
	{"o7", "tenantB", "2025-11-11", "Delhi", 80, 2},
	{"o8", "tenantB", "2025-12-31", "Indore", 1000, 1},
}

// chCatalog is the demo catalog with datasets on the ClickHouse source "chsrc": the orders
// of the test (Distributed over both shards) and an endless table for cancel tests.
func chCatalog(t *testing.T, db string) string {
	demo, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return testkit.TempFile(t, "catalog.yaml", string(demo)+`  - id: ch_orders
    source: { engine: clickhouse, type: table, reference: `+db+`.orders, sourceId: chsrc }
    fields:
      - { name: order_id, type: string }
      - { name: tenant_id, type: string }
      - { name: order_date, type: date }
      - { name: city, type: string }
      - { name: revenue, type: double }
      - { name: quantity, type: int64 }
    dimensions:
      - { name: city, field: city }
      - { name: order_date, field: order_date }
    metrics:
      - { name: total_revenue, expression: { type: aggregation, agg: sum, field: revenue }, returnType: double }
      - { name: orders_count, expression: { type: aggregation, agg: count, field: order_id }, returnType: int64 }
      - { name: total_quantity, expression: { type: aggregation, agg: sum, field: quantity }, returnType: int64 }
      - { name: cities, expression: { type: aggregation, agg: count_distinct, field: city }, returnType: int64 }
      - { name: large_revenue, expression: { type: aggregation, agg: sum, field: revenue, filter: "revenue >= 1000" }, returnType: double }
      - { name: aov, expression: { type: derived, sql: "total_revenue / orders_count" }, returnType: double }
    rls: { enabled: true, column: tenant_id, mode: equals }
  - id: ch_nums
    source: { engine: clickhouse, type: table, reference: `+db+`.nums, sourceId: chsrc }
    fields:
      - { name: number, type: int64 }
      - { name: tenant_id, type: string }
    dimensions:
      - { name: number, field: number }
    metrics:
      - { name: n, expression: { type: aggregation, agg: count, field: number }, returnType: int64 }
    rls: { enabled: true, column: tenant_id, mode: equals }
`)
}

// chSetup creates the tables on both shards, loads the rows, registers the source in a
// state DB and starts a gateway with the catalog; timeout is QUERY_TIMEOUT_SECONDS.
func chSetup(t *testing.T, timeout time.Duration) (*Gateway, *testkit.ClickHouse, string) {
	return chSetupWith(t, timeout, state.Credentials{})
}

// chSetupWith is chSetup with the source's credentials, stored encrypted (Fernet).
func chSetupWith(t *testing.T, timeout time.Duration, creds state.Credentials) (*Gateway, *testkit.ClickHouse, string) {
	c := testkit.ClickHouseCluster(t)
	db := c.Database(t)
	for _, a := range c.Addrs {
		c.Exec(t, a, "CREATE TABLE "+db+".orders_local (order_id String, tenant_id String, order_date Date, city String, revenue Float64, quantity Int64) ENGINE = MergeTree ORDER BY order_id")
		c.Exec(t, a, "CREATE TABLE "+db+".orders AS "+db+".orders_local ENGINE = Distributed("+c.Cluster+", "+db+", orders_local)")
		// A table that never ends: numbers on every shard, every row in tenant A.
		c.Exec(t, a, "CREATE VIEW "+db+".nums_local AS SELECT number, 'tenantA' AS tenant_id FROM system.numbers")
		c.Exec(t, a, "CREATE TABLE "+db+".nums (number UInt64, tenant_id String) ENGINE = Distributed("+c.Cluster+", "+db+", nums_local)")
	}
	for shard, a := range c.Addrs {
		var sel []string
		for i, o := range chOrders {
			if i%len(c.Addrs) == shard {
				sel = append(sel, fmt.Sprintf("SELECT '%s', '%s', toDate('%s'), '%s', toFloat64(%v), toInt64(%d)", o.id, o.tenant, o.date, o.city, o.revenue, o.quantity))
			}
		}
		c.Exec(t, a, "INSERT INTO "+db+".orders_local "+strings.Join(sel, " UNION ALL "))
	}
	key, err := state.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	stateDB := t.TempDir() + "/state.db"
	sdb, err := state.Open(context.Background(), stateDB, nil)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := state.ParseKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	var hosts, ports []string
	for _, a := range c.Addrs {
		h, p, _ := strings.Cut(a, ":")
		hosts, ports = append(hosts, h), append(ports, p)
	}
	src := state.Source{Name: "chsrc", Type: state.TypeClickHouse, Settings: state.Settings{
		Host: strings.Join(hosts, ","), Port: strings.Join(ports, ","), Database: db, User: "default"}}
	if creds.Empty() {
		keys = nil
	}
	if _, err := sdb.AddSource(context.Background(), src, creds, keys); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	gw := startTestGateway(t, func(cfg *Config) {
		cfg.Catalog = chCatalog(t, db)
		cfg.StateDB = stateDB
		cfg.SecretKey = Secret(key)
		cfg.QueryTimeout = timeout
	})
	return gw, c, db
}

// chTruth is the per-city revenue, count and quantity of one tenant, from the rows above.
func chTruth(tenant string) []string {
	type agg struct {
		rev      float64
		n, units int64
	}
	by := map[string]*agg{}
	for _, o := range chOrders {
		if o.tenant != tenant {
			continue
		}
		if by[o.city] == nil {
			by[o.city] = &agg{}
		}
		by[o.city].rev += o.revenue
		by[o.city].n++
		by[o.city].units += o.quantity
	}
	var out []string
	for city, a := range by {
		out = append(out, fmt.Sprintf("%s|%v|%d|%d", city, a.rev, a.n, a.units))
	}
	sort.Strings(out)
	return out
}

// chTotals is a tenant's whole-dataset metrics from the rows: cities, large revenue, revenue
// and the average order value, as text the way PostgreSQL prints them (NULL for no rows).
func chTotals(tenant string) string {
	cities := map[string]bool{}
	var rev, large float64
	var n int
	for _, o := range chOrders {
		if o.tenant != tenant {
			continue
		}
		cities[o.city] = true
		rev += o.revenue
		n++
		if o.revenue >= 1000 {
			large += o.revenue
		}
	}
	if n == 0 {
		return "0|NULL|NULL|NULL"
	}
	// The revenues are chosen so these sums and the quotient are exact in binary: no order of
	// summation over the shards changes them.
	aov := rev / float64(n)
	return fmt.Sprintf("%d|%v|%v|%v", len(cities), large, rev, aov)
}

// TestClickHouseDemoOrders: the orders dataset on a two-shard ClickHouse cluster answers each
// tenant with the numbers of its own rows, through the same SQL clients use on DuckDB.
func TestClickHouseDemoOrders(t *testing.T) {
	gw, _, _ := chSetup(t, 0)
	for _, key := range []string{"tenantA-key", "tenantB-key", "readonly-key-456"} {
		tenant := map[string]string{"tenantA-key": "tenantA", "tenantB-key": "tenantB", "readonly-key-456": "default"}[key]
		conn := connect(t, gw, key)
		got := testkit.RowsText(t, conn, "SELECT city, total_revenue, orders_count, total_quantity FROM ch_orders ORDER BY city")
		if want := chTruth(tenant); !equal(got, want) {
			t.Errorf("%s by city: got %v, want %v", tenant, got, want)
		}
		got = testkit.RowsText(t, conn, "SELECT cities, large_revenue, total_revenue, aov FROM ch_orders")
		if want := chTotals(tenant); len(got) != 1 || got[0] != want {
			t.Errorf("%s totals: got %v, want %s", tenant, got, want)
		}
	}
	conn := connect(t, gw, "tenantB-key")
	// B: November 80 (o7); December 250 + 1200 + 1000 (o3, o5, o8).
	got := testkit.RowsText(t, conn, "SELECT date_trunc('month', order_date) AS m, total_revenue, orders_count FROM ch_orders GROUP BY 1 ORDER BY 1 DESC")
	if want := []string{"2025-12-01 00:00:00|2450|3", "2025-11-01 00:00:00|80|1"}; !equal(got, want) {
		t.Errorf("B by month: got %v, want %v", got, want)
	}
	// Tenant A's rows: o1 2025-11-03 Indore 1000, o2 2025-11-20 Bhopal 500, o4 2025-12-05
	// Indore 1500, o6 2025-12-30 Bhopal 125.5.
	a := connect(t, gw, "tenantA-key")
	for _, c := range []struct {
		sql  string
		want []string
	}{
		// An output alias that is also a column name: ORDER BY means the output, the
		// aggregate reads the column.
		{"SELECT upper(city) AS city, total_revenue FROM ch_orders GROUP BY 1 ORDER BY city DESC", []string{"INDORE|2500", "BHOPAL|625.5"}},
		{"SELECT city, total_revenue FROM ch_orders WHERE order_date >= '2025-12-01' GROUP BY city ORDER BY 2 DESC LIMIT 1", []string{"Indore|1500"}},
		// Weeks start on Monday: 2025-11-03 and 2025-12-01 are Mondays.
		{"SELECT date_trunc('week', order_date) AS w, orders_count FROM ch_orders GROUP BY 1 ORDER BY 1", []string{
			"2025-11-03 00:00:00|1", "2025-11-17 00:00:00|1", "2025-12-01 00:00:00|1", "2025-12-29 00:00:00|1"}},
		// Integer division truncates, as in PostgreSQL; ILIKE ignores case.
		{"SELECT city, total_quantity / 4 FROM ch_orders WHERE city ILIKE 'bho%' GROUP BY city", []string{"Bhopal|1"}},
	} {
		if got := testkit.RowsText(t, a, c.sql); !equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.sql, got, c.want)
		}
	}
	// What the dialect cannot say the ClickHouse way is refused naming the engine.
	_, err := tryRows(conn, "SELECT a.city FROM ch_orders a JOIN ch_orders b ON a.city = b.city")
	if pe, ok := err.(*pgconn.PgError); !ok || pe.Code != "0A000" || !strings.Contains(pe.Message, "ClickHouse") {
		t.Errorf("a join on ClickHouse: got %v, want 0A000 naming ClickHouse", err)
	}
}

// chRunning counts the queries of db on every server, with their shard parts.
func chRunning(t *testing.T, c *testkit.ClickHouse, db string) int {
	n := 0
	for _, a := range c.Addrs {
		rows, err := c.Conn(t, a).Query(context.Background(), "SELECT count() FROM system.processes WHERE (query LIKE '%"+db+"%' OR is_initial_query = 0) AND query NOT LIKE '%system.processes%'")
		if err != nil {
			t.Fatal(err)
		}
		var k uint64
		for rows.Next() {
			_ = rows.Scan(&k)
		}
		rows.Close()
		n += int(k)
	}
	return n
}

// TestClickHouseCancel: a client's cancel (pgx sends a CancelRequest) stops the query on both
// shards within 2 seconds.
func TestClickHouseCancel(t *testing.T) {
	gw, c, db := chSetup(t, 0)
	conn := connect(t, gw, "tenantA-key")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT n FROM ch_nums")
		done <- err
	}()
	testkit.Eventually(t, "the query runs on both shards", func() bool { return chRunning(t, c, db) >= 2 })
	cancel()
	testkit.EventuallyWithin(t, 2*time.Second, "system.processes empty after a cancel", func() bool { return chRunning(t, c, db) == 0 })
	if err := <-done; err == nil {
		t.Fatal("the cancelled query succeeded")
	}
}

// TestClickHouseTimeout: past QUERY_TIMEOUT_SECONDS the client hears 57014 and the query is
// gone from both shards within 2 seconds.
func TestClickHouseTimeout(t *testing.T) {
	gw, c, db := chSetup(t, time.Second)
	conn := connect(t, gw, "tenantA-key")
	_, err := tryRows(conn, "SELECT n FROM ch_nums")
	if pe, ok := err.(*pgconn.PgError); !ok || pe.Code != "57014" {
		t.Fatalf("got %v, want 57014", err)
	}
	testkit.EventuallyWithin(t, 2*time.Second, "system.processes empty after a timeout", func() bool { return chRunning(t, c, db) == 0 })
}

// TestClickHouseCredentials: the password is stored encrypted, decrypted at start-up and sent
// to the server; one the server refuses is 57P03 naming the source, and neither the password
// nor the server's text reaches the client. (The test servers' default user has no password,
// so any password is a wrong one.)
func TestClickHouseCredentials(t *testing.T) {
	const secret = "not-the-password-4f1c"
	gw, _, _ := chSetupWith(t, 0, state.Credentials{Password: secret})
	conn := connect(t, gw, "tenantA-key")
	_, err := tryRows(conn, "SELECT city, total_revenue FROM ch_orders")
	pe, ok := err.(*pgconn.PgError)
	if !ok || pe.Code != "57P03" || !strings.Contains(pe.Message, `"chsrc"`) {
		t.Fatalf("got %v, want 57P03 naming the source", err)
	}
	for _, leak := range []string{secret, "DB::Exception", "password for user", "127.0.0.1"} {
		if strings.Contains(pe.Message+pe.Detail+pe.Hint, leak) {
			t.Errorf("the error shows %q: %+v", leak, pe)
		}
	}
}
