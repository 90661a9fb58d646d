package planner_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
)

// starRows are the rows of the star schema of testdata/join/star.yaml. The expected numbers of
// TestJoinGroundTruth are computed by hand from these rows (see each case), not by the planner.
var starRows = []string{
	"CREATE TABLE customers (customer_id VARCHAR, tenant_id VARCHAR, region VARCHAR)",
	`INSERT INTO customers VALUES ('c1', 'tenantA', 'North'), ('c2', 'tenantA', 'South'), ('c3', 'tenantA', 'North'),
		('c1', 'tenantB', 'West')`,
	"CREATE TABLE orders (order_id VARCHAR, tenant_id VARCHAR, customer_id VARCHAR, status VARCHAR, amount DOUBLE)",
	`INSERT INTO orders VALUES ('o1', 'tenantA', 'c1', 'paid', 100), ('o2', 'tenantA', 'c1', 'open', 50),
		('o3', 'tenantA', 'c2', 'paid', 200), ('o4', 'tenantA', 'c3', 'paid', 25), ('o5', 'tenantA', 'c9', 'open', 7),
		('o1', 'tenantB', 'c1', 'paid', 100)`,
	"CREATE TABLE order_items (item_id VARCHAR, tenant_id VARCHAR, order_id VARCHAR, product_id VARCHAR, qty BIGINT)",
	`INSERT INTO order_items VALUES ('i1', 'tenantA', 'o1', 'p1', 1), ('i2', 'tenantA', 'o1', 'p2', 2),
		('i3', 'tenantA', 'o1', 'p1', 3), ('i4', 'tenantA', 'o3', 'p2', 1), ('i5', 'tenantA', 'o4', 'p3', 4),
		('i6', 'tenantA', 'o9', 'p1', 5), ('i1', 'tenantB', 'o1', 'p1', 10)`,
	"CREATE TABLE products (product_id VARCHAR, category VARCHAR)",
	"INSERT INTO products VALUES ('p1', 'Books'), ('p2', 'Games'), ('p3', 'Books'), ('p4', 'Toys')",
	"CREATE TABLE payments (tenant_id VARCHAR, customer_id VARCHAR, paid DOUBLE)",
	`INSERT INTO payments VALUES ('tenantA', 'c1', 10), ('tenantA', 'c1', 20), ('tenantA', 'c2', 5), ('tenantA', 'c9', 1),
		('tenantB', 'c1', 40), ('tenantB', 'c1', 2)`,
}

// TestJoinGroundTruth runs planned joins on DuckDB and on PostgreSQL and compares each answer
// with the number worked out by hand from starRows. Each case also states what the fanned-out
// join would have answered, so a plan that repeats rows cannot pass.
func TestJoinGroundTruth(t *testing.T) {
	t.Run("duckdb", func(t *testing.T) {
		db, err := sql.Open("duckdb", "")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, stmt := range starRows {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		cat, err := catalog.LoadFile("testdata/join/star.yaml")
		if err != nil {
			t.Fatal(err)
		}
		checkGroundTruth(t, planner.New(cat, planner.Config{MaxRows: 1000}), func(q string) (string, error) { return queryRows(db, q) })
	})
	t.Run("postgres", func(t *testing.T) {
		schema := testkit.PostgresSchema(t)
		conn := testkit.PostgresConn(t)
		ctx := testkit.Context(t)
		if _, err := conn.Exec(ctx, "SET search_path TO "+schema); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range starRows {
			if _, err := conn.Exec(ctx, strings.ReplaceAll(stmt, "DOUBLE", "DOUBLE PRECISION")); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		data, err := os.ReadFile("testdata/join/star.yaml")
		if err != nil {
			t.Fatal(err)
		}
		cat, err := catalog.Load([]byte(strings.ReplaceAll(string(data), "engine: duckdb", "engine: postgres")), "star.yaml")
		if err != nil {
			t.Fatal(err)
		}
		p := planner.New(cat, planner.Config{MaxRows: 1000, DefaultEngine: "postgres", DefaultSchemas: map[string]string{"postgres": schema}})
		checkGroundTruth(t, p, pgRunner(ctx, conn))
	})
}

// pgRunner runs engine SQL on PostgreSQL and renders its rows as the ground-truth checks
// compare them, one line a row.
func pgRunner(ctx context.Context, conn *pgx.Conn) func(string) (string, error) {
	return func(q string) (string, error) {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				return "", err
			}
			out = append(out, renderRow(vals))
		}
		return strings.Join(out, "\n"), rows.Err()
	}
}

// checkGroundTruth plans each case with p and compares what run answers with the hand-computed
// rows.
func checkGroundTruth(t *testing.T, p *planner.Planner, run func(sql string) (string, error)) {
	cases := []struct {
		name, principal, sql string
		// want are the result rows, columns joined by "|"; fanned what a plain join gives.
		want, fanned string
	}{
		{
			// Orders with an item: o1 (c1 North, 100; three items), o3 (c2 South, 200), o4 (c3 North, 25).
			name: "revenue by region through the items join", principal: "tenantA",
			sql:  "SELECT c.region, o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id JOIN order_items i ON i.order_id = o.order_id GROUP BY c.region ORDER BY 1",
			want: "North|125\nSouth|200", fanned: "North|325\nSouth|200",
		},
		{
			// Books: o1 (i1, i3), o4 (i5); Games: o1 (i2), o3 (i4).
			name: "orders per category", principal: "tenantA",
			sql:  "SELECT p.category, o.order_count FROM orders o JOIN order_items i ON i.order_id = o.order_id JOIN products p ON p.product_id = i.product_id GROUP BY 1 ORDER BY 1",
			want: "Books|2\nGames|2", fanned: "Books|3\nGames|2",
		},
		{
			// paid orders with an item: 100, 200, 25; open orders have none.
			name: "average over distinct orders", principal: "tenantA",
			sql:  "SELECT o.status, o.avg_amount FROM orders o JOIN order_items i ON i.order_id = o.order_id GROUP BY 1 ORDER BY 1",
			want: "paid|108.33333333333333", fanned: "paid|105",
		},
		{
			// c1 has o1 and o2, c2 has o3, c3 has o4: three customers.
			name: "one-to-many LEFT JOIN total", principal: "tenantA",
			sql:  "SELECT c.customer_count FROM customers c LEFT JOIN orders o ON o.customer_id = c.customer_id",
			want: "3", fanned: "4",
		},
		{
			// Many-to-one needs no rewrite: North o1 100 + o2 50 + o4 25; South o3 200.
			name: "many-to-one lookup", principal: "tenantA",
			sql:  "SELECT c.region, o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1 ORDER BY 1",
			want: "North|175\nSouth|200", fanned: "North|175\nSouth|200",
		},
		{
			// The demo's self-join: paid 100 + 200 + 25, open 50 + 7.
			name: "self-join on a dimension", principal: "tenantA",
			sql:  "SELECT a.status, a.revenue FROM orders a JOIN (SELECT status FROM orders) b ON a.status = b.status GROUP BY a.status ORDER BY 1",
			want: "open|57\npaid|325", fanned: "open|114\npaid|975",
		},
		{
			// North: o1 100 + o4 25 over 2 orders; South: o3 200 over 1.
			name: "derived metric through the items join", principal: "tenantA",
			sql:  "SELECT c.region, o.aov FROM orders o JOIN customers c ON o.customer_id = c.customer_id JOIN order_items i ON i.order_id = o.order_id GROUP BY 1 ORDER BY 1",
			want: "North|62.5\nSouth|200", fanned: "North|81.25\nSouth|200",
		},
		{
			// Both tenants have an order o1 of 100 with items: 100 (A) + 200 + 25 + 100 (B); o1 meets four
			// items (three of A, one of B), so a plain join counts each o1 four times. The
			// key collides across tenants, so a row's identity includes its tenant.
			name: "order ids colliding across tenants", principal: "multi",
			sql:  "SELECT o.revenue FROM orders o JOIN order_items i ON i.order_id = o.order_id",
			want: "425", fanned: "1025",
		},
		{
			// Books items of tenant A: i1 1, i3 3, i5 4; Games: i2 2, i4 1. Items are the many
			// side: their join to products repeats nothing.
			name: "items by category", principal: "tenantA",
			sql:  "SELECT p.category, i.quantity FROM order_items i JOIN products p ON p.product_id = i.product_id GROUP BY 1 ORDER BY 1",
			want: "Books|13\nGames|3", fanned: "Books|13\nGames|3",
		},
		{
			// Products with an item of tenant A: p1, p2, p3 (p4 has none); grouped by region.
			// North: o1 (p1, p2), o4 (p3) -> 3; South: o3 (p2) -> 1.
			name: "one-to-many from products through the snowflake", principal: "tenantA",
			sql:  "SELECT c.region, p.product_count FROM products p JOIN order_items i ON i.product_id = p.product_id JOIN orders o ON o.order_id = i.order_id JOIN customers c ON c.customer_id = o.customer_id GROUP BY 1 ORDER BY 1",
			want: "North|3\nSouth|1", fanned: "North|4\nSouth|1",
		},
		{
			// Revenue of orders with an item: North o1 100 + o4 25, South o3 200; quantity of
			// their items: North 1 + 2 + 3 (o1) + 4 (o4), South 1 (o3).
			name: "metrics of orders and items by region", principal: "tenantA",
			sql:  "SELECT c.region, o.revenue, i.quantity FROM orders o JOIN customers c ON o.customer_id = c.customer_id JOIN order_items i ON i.order_id = o.order_id GROUP BY 1 ORDER BY 1",
			want: "North|125|10\nSouth|200|1", fanned: "North|325|10\nSouth|200|1",
		},
		{
			// Totals: revenue of o1, o3, o4; quantity of i1..i5 (i6's order does not exist).
			name: "totals of orders and items", principal: "tenantA",
			sql:  "SELECT o.revenue, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.order_id",
			want: "325|11", fanned: "525|11",
		},
		{
			// Revenue per item: North 125 over 10 items, South 200 over 1. A plain join counts o1
			// once per item: 325 over 10.
			name: "revenue per item across datasets", principal: "tenantA",
			sql:  "SELECT c.region, o.revenue / i.quantity FROM orders o JOIN customers c ON o.customer_id = c.customer_id JOIN order_items i ON i.order_id = o.order_id GROUP BY 1 ORDER BY 1",
			want: "North|12.5\nSouth|200", fanned: "North|32.5\nSouth|200",
		},
		{
			// A principal of both tenants: customer c1 exists in each, so each of its orders
			// meets two customers. Regions: o1 100 + o2 50 (c1, tenant A) meet North and West;
			// tenant B's o1 100 (c1) meets North and West too. North: A's o1, o2, o4 (c3) and
			// B's o1 = 275; South: o3 200; West: A's o1, o2 and B's o1 = 250. Total 725 is the
			// per-region sum, each order once per region.
			name: "customer ids colliding across tenants", principal: "multi",
			sql:  "SELECT c.region, o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1 ORDER BY 1",
			want: "North|275\nSouth|200\nWest|250", fanned: "North|275\nSouth|200\nWest|250",
		},
		{
			// The same principal's total: the five orders that meet a customer, each once
			// (100 + 50 + 200 + 25 + B's 100); a plain join counts c1's three orders twice.
			name: "total through colliding customer ids", principal: "multi",
			sql:  "SELECT o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id",
			want: "475", fanned: "725",
		},
		{
			// Power BI's DirectQuery shape, each table wrapped in a sub-select: customers with an
			// order are c1, c2, c3; a plain join counts c1 once per order (o1, o2).
			name: "wrapped tables across a one-to-many step", principal: "tenantA",
			sql:  `select sum("ITBL"."customer_count") as "a0" from (select "customer_id", "customer_count" from "public"."customers") as "ITBL" inner join (select "customer_id", "status" from "public"."orders") as "OTBL" on ("ITBL"."customer_id" = "OTBL"."customer_id")`,
			want: "3", fanned: "4",
		},
		{
			// Comma joins with the equalities in WHERE mean the same as JOIN ... ON: orders with
			// an item, o1 (c1 North, 100; three items), o3 (c2 South, 200), o4 (c3 North, 25).
			name: "comma joins across the one-to-many step", principal: "tenantA",
			sql:  "SELECT c.region, o.revenue FROM orders o, customers c, order_items i WHERE o.customer_id = c.customer_id AND i.order_id = o.order_id GROUP BY c.region ORDER BY 1",
			want: "North|125\nSouth|200", fanned: "North|325\nSouth|200",
		},
		{
			// Customers with an order: c1 (o1, o2) and c3 (o4) North, c2 (o3) South; a plain
			// join counts c1 once per order.
			name: "comma join from the one side", principal: "tenantA",
			sql:  "SELECT c.region, c.customer_count FROM customers c, orders o WHERE o.customer_id = c.customer_id GROUP BY 1 ORDER BY 1",
			want: "North|2\nSouth|1", fanned: "North|3\nSouth|1",
		},
		{
			// order_items and orders have only order_id in common: the same answer as the
			// items join above.
			name: "NATURAL join across the one-to-many step", principal: "tenantA",
			sql:  "SELECT c.region, o.revenue FROM order_items i NATURAL JOIN orders o JOIN customers c ON c.customer_id = o.customer_id GROUP BY 1 ORDER BY 1",
			want: "North|125\nSouth|200", fanned: "North|325\nSouth|200",
		},
		{
			// orders and customers have only customer_id in common: a many-to-one lookup,
			// North o1 100 + o2 50 + o4 25, South o3 200; o5 (c9) matches no customer.
			name: "NATURAL many-to-one lookup", principal: "tenantA",
			sql:  "SELECT region, o.revenue FROM orders o NATURAL JOIN customers c GROUP BY 1 ORDER BY 1",
			want: "North|175\nSouth|200", fanned: "North|175\nSouth|200",
		},
		{
			// Customers wrapped twice, joined to their orders: c1, c2, c3 have orders (c1 two).
			name: "a twice-wrapped dataset across a one-to-many step", principal: "tenantA",
			sql:  "SELECT sum(w.customer_count) FROM (SELECT customer_id, customer_count FROM (SELECT customer_id, customer_count, region FROM customers) w1) w JOIN orders o ON o.customer_id = w.customer_id",
			want: "3", fanned: "4",
		},
		{
			// The same customers as a CTE of a CTE: c1, c2, c3 have orders (c1 two).
			name: "a CTE of a CTE of a dataset across a one-to-many step", principal: "tenantA",
			sql:  "WITH w1 AS (SELECT customer_id, customer_count, region FROM customers), w AS (SELECT customer_id, customer_count FROM w1) SELECT sum(w.customer_count) FROM w JOIN orders o ON o.customer_id = w.customer_id",
			want: "3", fanned: "4",
		},
		{
			// payments has no primaryKey. Tenant A: c1 10 + 20 (North), c2 5 (South), c9 1
			// matches nothing; tenant B: c1 40 + 2 (West). Joined on the customer and the
			// tenant, each payment meets one customer. (On customer_id alone, A's c1 payments
			// would also meet B's c1: the golden cases show that join refused.)
			name: "several tenants joined on the key and the tenant column", principal: "multi",
			sql:  "SELECT c.region, p.total_paid FROM payments p JOIN customers c ON p.customer_id = c.customer_id AND p.tenant_id = c.tenant_id GROUP BY 1 ORDER BY 1",
			want: "North|30\nSouth|5\nWest|42", fanned: "North|30\nSouth|5\nWest|42",
		},
		{
			// The same, NATURAL: payments and customers have customer_id and tenant_id in common.
			name: "several tenants with a NATURAL join on the key and the tenant column", principal: "multi",
			sql:  "SELECT region, p.total_paid FROM payments p NATURAL JOIN customers c GROUP BY 1 ORDER BY 1",
			want: "North|30\nSouth|5\nWest|42", fanned: "North|30\nSouth|5\nWest|42",
		},
		{
			// The same, as a comma join.
			name: "several tenants with a comma join on the key and the tenant column", principal: "multi",
			sql:  "SELECT c.region, p.total_paid FROM payments p, customers c WHERE c.customer_id = p.customer_id AND c.tenant_id = p.tenant_id GROUP BY 1 ORDER BY 1",
			want: "North|30\nSouth|5\nWest|42", fanned: "North|30\nSouth|5\nWest|42",
		},
		{
			// The merged column of a right join is the right side's: o5's customer c9 exists in
			// no customer row, and still groups under its own id.
			name: "unqualified merged column of a RIGHT JOIN USING", principal: "tenantA",
			sql:  "SELECT customer_id, count(*) FROM customers c RIGHT JOIN orders o USING (customer_id) GROUP BY 1 ORDER BY 1",
			want: "c1|2\nc2|1\nc3|1\nc9|1", fanned: "c1|2\nc2|1\nc3|1\nc9|1",
		},
		{
			// orders NATURAL customers joins on customer_id (orders shows no tenant_id): o1, o2
			// (c1), o3 (c2), o4 (c3); o5's c9 has no customer. That merged column meets the
			// payers c1, c2, c9 in a right join: c1 twice, c2 once, and c9 alone.
			name: "a chain of NATURAL joins on the merged column", principal: "tenantA",
			sql:  "SELECT customer_id, count(*) FROM orders o NATURAL JOIN customers c NATURAL RIGHT JOIN (SELECT customer_id FROM payments GROUP BY customer_id) p GROUP BY 1 ORDER BY 1",
			want: "c1|2\nc2|1\nc9|1", fanned: "c1|2\nc2|1\nc9|1",
		},
		{
			// * over a full join USING shows the merged customer_id once: tenant A's customers
			// c1, c2, c3 and the payers c1, c2, c9; c9 has no customer row, so no region.
			name: "SELECT * over a FULL JOIN USING", principal: "tenantA",
			sql:  "SELECT * FROM (SELECT customer_id, region FROM customers) c FULL JOIN (SELECT customer_id FROM payments GROUP BY customer_id) p USING (customer_id) ORDER BY 1",
			want: "c1|North\nc2|South\nc3|North\nc9|<nil>", fanned: "c1|North\nc2|South\nc3|North\nc9|<nil>",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := planOne(p, principals[c.principal], c.sql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := run(plan.SQL)
			if err != nil {
				t.Fatalf("%v\n%s", err, plan.SQL)
			}
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s\n(a fanned-out join gives\n%s)\nengine SQL: %s", got, c.want, c.fanned, plan.SQL)
			}
			if c.want == c.fanned {
				return
			}
			// The case can tell: the same SQL with the join pass's de-duplication undone
			// (DISTINCT dropped, or the semi-join made a join again) gives the fanned number.
			plain := strings.Replace(plan.SQL, "SELECT DISTINCT ", "SELECT ", 1)
			if plain == plan.SQL {
				plain = unSemiJoin(plan.SQL)
			}
			if plain == plan.SQL {
				t.Fatalf("the plan does not de-duplicate: %s", plan.SQL)
			}
			fanned, err := run(plain)
			if err != nil {
				t.Fatal(err)
			}
			if fanned != c.fanned {
				t.Errorf("without DISTINCT the plan gives\n%s\nthe case says a fanned-out join gives\n%s", fanned, c.fanned)
			}
		})
	}
}

// unSemiJoin undoes the join pass's semi-join in a plan whose WHERE starts with it: the
// relation it asks about joins again, as a LATERAL item at the end of FROM, so each row counts
// once per matching row. A plan of another shape comes back unchanged.
func unSemiJoin(plan string) string {
	const open = " WHERE EXISTS (SELECT 1 FROM "
	i := strings.Index(plan, open)
	if i < 0 {
		return unSemiJoinAfter(plan)
	}
	depth, end := 1, -1
	for j := i + len(open); j < len(plan) && end < 0; j++ {
		switch plan[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				end = j
			}
		}
	}
	if end < 0 {
		return plan
	}
	rest := plan[end+1:]
	lateral := ", LATERAL (SELECT 1 FROM " + plan[i+len(open):end] + ") AS __fan"
	if r, ok := strings.CutPrefix(rest, " AND "); ok {
		return plan[:i] + lateral + " WHERE " + r
	}
	return plan[:i] + lateral + rest
}

// queryRows runs SQL on DuckDB and renders its rows (renderRow).
func queryRows(db *sql.DB, q string) (string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		out = append(out, renderRow(vals))
	}
	return strings.Join(out, "\n"), rows.Err()
}

// renderRow joins a row's values with "|", whole numbers without a fraction.
func renderRow(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		if n, ok := v.(pgtype.Numeric); ok {
			// PostgreSQL sums bigints as numeric.
			if f, err := n.Float64Value(); err == nil && f.Valid {
				v = f.Float64
			}
		}
		if x, ok := v.(float64); ok && x == math.Trunc(x) {
			parts[i] = fmt.Sprintf("%d", int64(x))
		} else {
			parts[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, "|")
}

// TestJoinDemoSelfJoin is the example on the demo (catalog.yaml, gateway/demo.sql), as
// the admin key: Indore's revenue is o1 1000 + o3 250, each order counted once however many
// Indore rows the sub-select has. The truth is the demo's Indore orders summed directly.
func TestJoinDemoSelfJoin(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	demo, err := os.ReadFile("../gateway/demo.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(demo)); err != nil {
		t.Fatal(err)
	}
	var truth float64
	if err := db.QueryRow("SELECT sum(revenue) FROM orders WHERE city = 'Indore'").Scan(&truth); err != nil {
		t.Fatal(err)
	}
	if truth != 1250 {
		t.Fatalf("the demo's Indore orders sum to %v; the issue's example expects 1250", truth)
	}
	cat, err := catalog.LoadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := planner.New(cat, planner.Config{MaxRows: 1000})
	plan, err := planOne(p, principals["admin"], "SELECT a.city, a.total_revenue FROM orders a JOIN (SELECT city FROM orders) b ON a.city = b.city GROUP BY a.city")
	if err != nil {
		t.Fatal(err)
	}
	var got float64
	if err := db.QueryRow("SELECT total_revenue FROM (" + plan.SQL + ") t WHERE city = 'Indore'").Scan(&got); err != nil {
		t.Fatalf("%v\n%s", err, plan.SQL)
	}
	if got != truth {
		t.Errorf("Indore = %v, want %v\n%s", got, truth, plan.SQL)
	}
}

// unSemiJoinAfter is unSemiJoin for an EXISTS that follows other conditions of the WHERE (a
// comma join's equalities): the lateral join goes before that WHERE.
func unSemiJoinAfter(plan string) string {
	const open = " AND EXISTS (SELECT 1 FROM "
	i := strings.Index(plan, open)
	where := strings.LastIndex(plan[:max(i, 0)], " WHERE ")
	if i < 0 || where < 0 {
		return plan
	}
	depth, end := 1, -1
	for j := i + len(open); j < len(plan) && end < 0; j++ {
		switch plan[j] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				end = j
			}
		}
	}
	if end < 0 {
		return plan
	}
	lateral := ", LATERAL (SELECT 1 FROM " + plan[i+len(open):end] + ") AS __fan"
	return plan[:where] + lateral + plan[where:i] + plan[end+1:]
}
