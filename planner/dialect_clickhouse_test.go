package planner_test

import (
	"os"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// clickhousePlanner plans over the golden catalog with every dataset on ClickHouse.
func clickhousePlanner(t *testing.T) *planner.Planner {
	t.Helper()
	data, err := os.ReadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load([]byte(strings.ReplaceAll(string(data), "engine: duckdb", "engine: clickhouse")), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return planner.New(cat, planner.Config{MaxRows: 1000, DefaultEngine: "clickhouse"})
}

// TestClickHouseDialect: the engine SQL of each case is what ClickHouse 18.16 reads with
// PostgreSQL's meaning (see dialect_clickhouse.go for each respelling).
func TestClickHouseDialect(t *testing.T) {
	p := clickhousePlanner(t)
	for _, c := range []struct{ sql, want string }{
		{"SELECT city, total_revenue FROM orders", "CASE WHEN count(total_revenue) > 0 THEN sum(total_revenue) END AS setu_c2 FROM"},
		{"SELECT city, orders_count, unique_cities FROM orders GROUP BY 1 ORDER BY 2 DESC", "GROUP BY city ORDER BY count(orders_count) DESC NULLS FIRST"},
		{"SELECT big_revenue, aov FROM orders", "/ (NULLIF(count(orders.orders_count), 0)) AS setu_c2"},
		{"SELECT date_trunc('month', order_date) AS m, total_revenue FROM orders GROUP BY 1 ORDER BY 1", `GROUP BY "toStartOfMonth"(order_date) ORDER BY "toStartOfMonth"(order_date) NULLS LAST`},
		{"SELECT 7 / 2, CAST(total_quantity AS float8) FROM orders", `SELECT "intDiv"(7, 2) AS setu_c1, "toFloat64"(CASE WHEN`},
		{"SELECT city FROM orders WHERE city ILIKE 'b%' GROUP BY city", `WHERE "lowerUTF8"(city) LIKE "lowerUTF8"('b%')`},
		{"SELECT EXTRACT(YEAR FROM order_date) AS y, count(*) FROM orders GROUP BY 1", `GROUP BY "toYear"(order_date)`},
	} {
		plan, err := planOne(p, principals["tenantA"], c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if !strings.Contains(plan.SQL, c.want) || strings.Contains(plan.SQL, "::") {
			t.Errorf("%s\n  -> %s\nwant it to hold %s, and no :: cast", c.sql, plan.SQL, c.want)
		}
	}
	for _, sql := range []string{
		"SELECT a.city FROM orders a JOIN orders b ON a.city = b.city",
		"WITH x AS (SELECT city FROM orders) SELECT city FROM x",
		"SELECT city FROM orders WHERE city IN (SELECT city FROM orders)",
		"SELECT city FROM orders UNION SELECT city FROM orders",
		"SELECT true, city FROM orders",
		"SELECT E'a\\\\b', city FROM orders",
		"SELECT city, rank() OVER (ORDER BY city) FROM orders",
		"SELECT CAST(total_quantity AS numeric(10,2)) FROM orders",
	} {
		_, err := planOne(p, principals["tenantA"], sql)
		if sqlerr.Code(err) != sqlerr.FeatureNotSupported || !strings.Contains(err.Error(), "ClickHouse") {
			t.Errorf("%s: got %v, want 0A000 naming ClickHouse", sql, err)
		}
	}
}
