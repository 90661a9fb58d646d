package gateway

import (
	"context"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

// Numbers checked by hand on the demo's six orders (see gateway/demo.sql):
// o1 tenantA 2025-12-01 Indore 1000 q2, o2 tenantA 2025-12-01 Bhopal 500 q1,
// o3 tenantB 2025-12-02 Indore 250 q1, o4 tenantB 2025-12-03 Delhi 1200 q3,
// o5 default 2025-12-02 Mumbai 800 q2, o6 default 2025-12-03 Chennai 600 q1.
func TestCatalogSemantics(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	admin := connect(t, gw, "dev-key-123")
	tenantA := connect(t, gw, "tenantA-key")
	cases := []struct {
		name string
		key  string
		sql  string
		want []string
	}{
		{"derived metric total", "admin", "SELECT avg_order_value FROM orders", []string{"725"}},
		{"derived metric by city", "admin", "SELECT city, avg_order_value FROM orders ORDER BY city",
			[]string{"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|625", "Mumbai|800"}},
		{"derived metric for a tenant", "tenantA", "SELECT avg_order_value FROM orders", []string{"750"}},
		{"derived metric wrapped by power bi", "admin",
			`select "rows"."city", sum("rows"."avg_order_value") as "a0" from (select "_"."city", "_"."avg_order_value" from "public"."orders" "_") "rows" group by "city" order by 1`,
			[]string{"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|625", "Mumbai|800"}},
		{"derived metric through two sub-selects", "admin",
			"SELECT MEASURE(avg_order_value) FROM (SELECT * FROM (SELECT city, avg_order_value FROM orders) a) b", []string{"725"}},
		{"derived metric over no rows is NULL", "admin", "SELECT avg_order_value FROM orders WHERE city = 'Nowhere'", []string{"NULL"}},
		{"filtered metric", "admin", "SELECT large_order_revenue, total_revenue FROM orders", []string{"2200|4350"}},
		{"filtered metric by city", "admin", "SELECT city, large_order_revenue FROM orders ORDER BY city",
			[]string{"Bhopal|NULL", "Chennai|NULL", "Delhi|1200", "Indore|1000", "Mumbai|NULL"}},
		{"filtered metric for a tenant", "tenantA", "SELECT large_order_revenue FROM orders", []string{"1000"}},
		{"sql dimension", "admin", "SELECT order_size, total_revenue, orders_count, avg_order_value FROM orders ORDER BY 1",
			[]string{"large|2200|2|1100", "regular|2150|4|537.5"}},
		{"sql dimension in where", "tenantA", "SELECT city FROM orders WHERE order_size = 'regular'", []string{"Bhopal"}},
		{"count distinct stays distinct when wrapped", "admin",
			"SELECT MEASURE(cities) FROM (SELECT order_date, cities FROM orders) t", []string{"5"}},
		{"count distinct by date", "admin", "SELECT order_date, cities FROM orders ORDER BY 1",
			[]string{"2025-12-01 00:00:00|2", "2025-12-02 00:00:00|2", "2025-12-03 00:00:00|2"}},
		{"sum of int64 metric", "admin", "SELECT total_quantity FROM orders", []string{"10"}},
	}
	for _, c := range cases {
		conn := admin
		if c.key == "tenantA" {
			conn = tenantA
		}
		if got := testkit.RowsText(t, conn, c.sql); !equal(got, c.want) {
			t.Errorf("%s: %s\n got %v\nwant %v", c.name, c.sql, got, c.want)
		}
	}
}

// The SQL shapes BI tools generate, with numbers checked by hand on the demo data.
func TestBIQueryShapes(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	admin := connect(t, gw, "dev-key-123")
	cases := []struct {
		sql  string
		want []string
	}{
		{"SELECT city, total_revenue FROM orders WHERE order_date BETWEEN DATE '2025-12-02' AND DATE '2025-12-03' ORDER BY city",
			[]string{"Chennai|600", "Delhi|1200", "Indore|250", "Mumbai|800"}},
		{"SELECT city FROM orders WHERE city ILIKE 'in%' OR city LIKE '%bai' GROUP BY city ORDER BY city", []string{"Indore", "Mumbai"}},
		{"SELECT NULLIF(city, 'Indore') AS c, orders_count FROM orders GROUP BY 1 ORDER BY 1 NULLS FIRST",
			[]string{"NULL|2", "Bhopal|1", "Chennai|1", "Delhi|1", "Mumbai|1"}},
		{"SELECT upper(city), total_revenue FROM orders GROUP BY upper(city) ORDER BY 2 DESC LIMIT 2", []string{"INDORE|1250", "DELHI|1200"}},
		{"SELECT CASE WHEN total_revenue >= 1000 THEN 'big' ELSE 'small' END AS size, city FROM orders GROUP BY city ORDER BY city",
			[]string{"small|Bhopal", "small|Chennai", "big|Delhi", "big|Indore", "small|Mumbai"}},
		{"SELECT city, SUM(total_revenue) OVER (ORDER BY city ROWS UNBOUNDED PRECEDING) AS running FROM orders GROUP BY city ORDER BY city",
			[]string{"Bhopal|500", "Chennai|1100", "Delhi|2300", "Indore|3550", "Mumbai|4350"}},
		{"SELECT order_date, city FROM orders WHERE city IS NOT NULL AND city IN ('Delhi', 'Chennai') GROUP BY 1, 2 ORDER BY 2 DESC",
			[]string{"2025-12-03 00:00:00|Delhi", "2025-12-03 00:00:00|Chennai"}},
		{"SELECT COALESCE(large_order_revenue, 0) AS big, city FROM orders GROUP BY city ORDER BY 2", []string{"0|Bhopal", "0|Chennai", "1200|Delhi", "1000|Indore", "0|Mumbai"}},
		{"SELECT city FROM orders WHERE order_date = DATE '2025-12-01' UNION SELECT city FROM orders WHERE city = 'Delhi' ORDER BY 1",
			[]string{"Bhopal", "Delhi", "Indore"}},
		{"SELECT DISTINCT order_date FROM orders ORDER BY 1 DESC FETCH FIRST 1 ROWS ONLY", []string{"2025-12-03 00:00:00"}},
		{"SELECT length(city) AS l, count(*) FROM orders GROUP BY 1 ORDER BY 1", []string{"5|1", "6|4", "7|1"}},
		{"SELECT to_char(order_date, 'YYYY-MM') AS month, total_revenue FROM orders GROUP BY 1", []string{"2025-12|4350"}},
		{"SELECT CAST(total_revenue AS int) FROM orders", []string{"4350"}},
		{`select "rows"."city", sum(cast("rows"."total_revenue" as float8)) as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city" order by 1 limit 2`,
			[]string{"Bhopal|500", "Chennai|600"}},
		{"SELECT count(*) FROM orders WHERE date(order_date) = '2025-12-01'", []string{"2"}},
		{"SELECT city FROM orders WHERE city LIKE '%bai' ESCAPE '!' OR city NOT ILIKE '%!_%' ESCAPE '!' AND city ILIKE 'b%' GROUP BY city ORDER BY 1",
			[]string{"Bhopal", "Mumbai"}},
	}
	for _, c := range cases {
		if got := testkit.RowsText(t, admin, c.sql); !equal(got, c.want) {
			t.Errorf("%s\n got %v\nwant %v", c.sql, got, c.want)
		}
	}
}

// The deparser drops parentheses around a boolean left of IN; the planner must keep the meaning.
func TestParenthesesSurviveDeparse(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	admin := connect(t, gw, "dev-key-123")
	for sql, want := range map[string]string{
		"SELECT total_revenue FROM orders WHERE (city = 'Indore' OR city = 'Delhi') IN (false)":  "1900",
		"SELECT total_revenue FROM orders WHERE (city = 'Indore' OR city = 'Delhi') IS TRUE":     "2450",
		"SELECT total_revenue FROM orders WHERE (city = 'Indore' OR order_date IS NULL) = false": "3100",
		"SELECT total_revenue FROM orders WHERE NOT (city IN ('Indore'))":                        "3100",
	} {
		if got := testkit.RowsText(t, admin, sql); !equal(got, []string{want}) {
			t.Errorf("%s: got %v, want %s", sql, got, want)
		}
	}
}

// Literals DuckDB reads differently from PostgreSQL come out as PostgreSQL's.
func TestLiteralsMeanWhatPostgreSQLMeans(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	res, err := conn.PgConn().Exec(context.Background(), `SELECT '\xdead'::bytea, 1.25::numeric, 7::numeric, 0.100::numeric`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range res[0].Rows[0] {
		got = append(got, string(v))
	}
	if want := []string{`\xdead`, "1.25", "7", "0.100"}; !equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
