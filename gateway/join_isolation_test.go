package gateway

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/internal/joindiff"
	"github.com/setupranali/setupranali/internal/testkit"
)

// joinIsolationQueries are join shapes that try to reach another tenant's rows through the
// join differential test's schema (internal/joindiff): every tenant's keys collide ("c01",
// "o001" exist once per tenant), products and product_tags have no RLS, and the declared joins
// are orders→customers→regions, customers↔customer_profiles and order_items→orders/products.
var joinIsolationQueries = []string{
	// Declared joins over colliding keys: a lost tenant filter on either side matches the
	// other tenants' "c01".
	"SELECT c.segment, o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1 ORDER BY 1",
	"SELECT o.order_id, c.segment FROM orders o JOIN customers c ON o.customer_id = c.customer_id ORDER BY 1",
	"SELECT r.region_name, o.order_count, o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id JOIN regions r ON c.region_id = r.region_id GROUP BY 1 ORDER BY 1",
	"SELECT p.tier, c.customer_count FROM customers c JOIN customer_profiles p ON c.customer_id = p.customer_id GROUP BY 1 ORDER BY 1",
	"SELECT c.customer_id, c.segment FROM customers c JOIN customer_profiles p USING (customer_id) ORDER BY 1",
	// A side without RLS: the RLS side must stay filtered, the open side stays whole.
	"SELECT p.category, i.units, i.item_revenue FROM order_items i JOIN products p ON i.product_id = p.product_id GROUP BY 1 ORDER BY 1",
	"SELECT p.brand, i.item_count FROM products p LEFT JOIN order_items i ON i.product_id = p.product_id GROUP BY 1 ORDER BY 1",
	"SELECT i.order_id, i.line_no, p.category FROM order_items i RIGHT JOIN products p ON i.product_id = p.product_id ORDER BY 1, 2, 3",
	"SELECT t.tag, p.product_count FROM product_tags t JOIN products p ON t.product_id = p.product_id GROUP BY 1 ORDER BY 1",
	"SELECT p.category, o.revenue FROM order_items i JOIN orders o ON i.order_id = o.order_id JOIN products p ON i.product_id = p.product_id GROUP BY 1 ORDER BY 1",
	// Joining on tenant_id itself, and conditions that would match across tenants.
	"SELECT o.order_id, c.customer_id FROM orders o JOIN customers c ON o.tenant_id = c.tenant_id ORDER BY 1, 2",
	"SELECT count(*) FROM orders o JOIN customers c ON o.tenant_id <> c.tenant_id",
	"SELECT o.order_id, c.customer_id FROM orders o JOIN customers c USING (tenant_id, customer_id) ORDER BY 1",
	"SELECT o.order_id, c.customer_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id OR o.tenant_id <> c.tenant_id ORDER BY 1, 2",
	"SELECT o.order_id, c.customer_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id OR true ORDER BY 1, 2",
	"SELECT o.order_id, c.tenant_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id OR c.tenant_id = 'tenantC' ORDER BY 1, 2",
	// Outer joins whose condition is on the other side: the preserved side's rows come back
	// with NULLs, never with another tenant's match.
	"SELECT o.order_id, c.segment FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id AND c.tenant_id = 'tenantB' ORDER BY 1",
	"SELECT c.customer_id, o.order_id FROM orders o RIGHT JOIN customers c ON o.customer_id = c.customer_id AND o.tenant_id <> c.tenant_id ORDER BY 1, 2",
	"SELECT o.order_id, c.customer_id FROM orders o FULL JOIN customers c ON o.customer_id = c.customer_id AND o.status = 'shipped' ORDER BY 1, 2",
	"SELECT o.order_id, c.segment FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id WHERE c.tenant_id IS NULL ORDER BY 1",
	// NATURAL joins share tenant_id and the colliding key columns (USING over the common
	// columns a client sees, never the derived tables' own).
	"SELECT customer_id, tenant_id FROM customers NATURAL JOIN customer_profiles ORDER BY 1",
	"SELECT o.order_id FROM orders o NATURAL JOIN customers c ORDER BY 1",
	"SELECT count(*) FROM order_items NATURAL JOIN products",
	"SELECT c.segment, o.revenue FROM orders o NATURAL JOIN customers c GROUP BY 1 ORDER BY 1",
	"SELECT region_id, tenant_id, c.customer_count FROM customers c NATURAL LEFT JOIN regions r GROUP BY 1, 2 ORDER BY 1, 2",
	"SELECT p.category, i.units FROM order_items i NATURAL RIGHT JOIN products p GROUP BY 1 ORDER BY 1",
	"SELECT o.tenant_id, c.tenant_id, count(*) FROM orders o NATURAL FULL JOIN customers c GROUP BY 1, 2 ORDER BY 1, 2",
	"SELECT customer_id, o.order_id FROM customers c NATURAL JOIN customer_profiles p NATURAL JOIN (SELECT order_id, customer_id FROM orders) o ORDER BY 1, 2",
	// Comma joins: the condition in WHERE, or none.
	"SELECT c.segment, o.revenue FROM orders o, customers c WHERE o.customer_id = c.customer_id GROUP BY 1 ORDER BY 1",
	"SELECT o.order_id, c.customer_id FROM orders o, customers c WHERE o.tenant_id = c.tenant_id ORDER BY 1, 2",
	"SELECT o.order_id, c.segment FROM orders o, customers c WHERE o.customer_id = c.customer_id OR c.tenant_id <> o.tenant_id ORDER BY 1, 2",
	"SELECT p.category, i.units FROM order_items i, products p WHERE i.product_id = p.product_id GROUP BY 1 ORDER BY 1",
	"SELECT count(*) FROM orders o, customers c",
	"SELECT r.region_name, c.customer_count FROM regions r, customers c, orders o WHERE c.region_id = r.region_id AND o.customer_id = c.customer_id GROUP BY 1 ORDER BY 1",
	"SELECT t.tag, count(*) FROM product_tags t, products p, order_items i WHERE t.product_id = p.product_id AND i.product_id = p.product_id GROUP BY 1 ORDER BY 1",
	// A dataset wrapped in sub-selects twice, joined across a one-to-many step.
	"SELECT w.segment, w.customer_count FROM (SELECT * FROM (SELECT customer_id, segment, customer_count FROM customers) a) w JOIN orders o ON o.customer_id = w.customer_id GROUP BY 1 ORDER BY 1",
	// Self-joins: the same dataset twice, each reference filtered.
	"SELECT a.order_id, b.order_id FROM orders a JOIN orders b ON a.customer_id = b.customer_id AND a.order_id < b.order_id ORDER BY 1, 2",
	"SELECT a.customer_id, b.customer_id FROM customers a JOIN customers b ON a.region_id = b.region_id AND a.tenant_id <> b.tenant_id ORDER BY 1, 2",
	"SELECT o.order_id, s.segment FROM orders o JOIN customers b ON o.customer_id = b.customer_id JOIN customers s ON o.ship_customer_id = s.customer_id ORDER BY 1",
	// Joins inside CTEs and sub-selects.
	"WITH j AS (SELECT o.order_id, c.segment FROM orders o JOIN customers c ON o.customer_id = c.customer_id) SELECT segment, count(*) FROM j GROUP BY 1 ORDER BY 1",
	"WITH c AS (SELECT * FROM customers) SELECT o.order_id, c.tenant_id FROM orders o JOIN c ON o.customer_id = c.customer_id ORDER BY 1",
	"SELECT q.d0, q.c0 FROM (SELECT c.segment AS d0, o.revenue AS c0 FROM orders o JOIN customers c ON o.customer_id = c.customer_id) AS q ORDER BY 1, 2",
	"SELECT d0, sum(c0) FROM (SELECT c.segment AS d0, o.revenue AS c0 FROM orders o JOIN customers c ON o.customer_id = c.customer_id) AS q GROUP BY 1 ORDER BY 1",
	"SELECT o.order_id FROM orders o WHERE o.customer_id IN (SELECT c.customer_id FROM customers c JOIN regions r ON c.region_id = r.region_id) ORDER BY 1",
	"SELECT o.order_id FROM orders o WHERE EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id AND c.tenant_id <> o.tenant_id) ORDER BY 1",
	"SELECT c.customer_id, (SELECT count(*) FROM orders o WHERE o.customer_id = c.customer_id) FROM customers c ORDER BY 1",
	"SELECT o.order_id, x.n FROM orders o JOIN (SELECT customer_id, count(*) AS n FROM customers GROUP BY 1) x ON x.customer_id = o.customer_id ORDER BY 1",
	"SELECT o.order_id, x.segment FROM orders o CROSS JOIN LATERAL (SELECT c.segment FROM customers c WHERE c.customer_id = o.customer_id) x ORDER BY 1",
	// Set operations over joins.
	"SELECT c.customer_id FROM orders o JOIN customers c ON o.customer_id = c.customer_id UNION SELECT customer_id FROM customer_profiles ORDER BY 1",
}

// TestJoinIsolation is the tenant-isolation differential test over joins: each of
// joinIsolationQueries, asked by a tenant of a gateway over every tenant's rows, answers what
// the same tenant gets from a gateway over a database that physically holds only that tenant's
// rows (the open datasets whole), where no tenant filter can matter. Both sides may refuse
// alike, with 0A000/42P10 only (a join whose totals cannot be guaranteed); the admin's answer
// over every tenant's rows shows the data can tell a leak apart.
func TestJoinIsolation(t *testing.T) {
	t.Parallel()
	s := joindiff.Generate(joinDataSeed)
	dir := t.TempDir()
	data, cat := filepath.Join(dir, "data.sql"), filepath.Join(dir, "catalog.yaml")
	full := s.SQL(joindiff.DuckDB)
	writeDiffFile(t, data, full)
	writeDiffFile(t, cat, s.YAML(joindiff.DuckDB, ""))
	serve := func(dataFile string) *Gateway {
		return startTestGateway(t, func(c *Config) { c.Catalog, c.DuckDBInit = cat, dataFile })
	}
	joinIsolation(t, serve(data), func(tenant string) *Gateway {
		path := filepath.Join(dir, "data_"+tenant+".sql")
		writeDiffFile(t, path, full+joinIsolationOnly(s, tenant))
		return serve(path)
	})
}

// TestJoinIsolationPostgres is TestJoinIsolation with the datasets on the PostgreSQL source:
// every tenant's rows in one fresh schema, each tenant's alone in another. Each answered query
// that names no metric is also checked against PostgreSQL itself running it over the tenant's
// rows alone: a truth no part of the gateway computes.
func TestJoinIsolationPostgres(t *testing.T) {
	t.Parallel()
	dsn := testkit.PostgresDSN(t)
	admin := testkit.PostgresConn(t)
	s := joindiff.Generate(joinDataSeed)
	dir := t.TempDir()
	raws := map[string]*pgx.Conn{}
	serve := func(name, extra string) *Gateway {
		schema := testkit.PostgresSchema(t)
		ctx := testkit.ContextWithin(t, time.Minute)
		if _, err := admin.Exec(ctx, "SET search_path TO "+schema+";\n"+s.SQL(joindiff.Postgres)+extra+"\nRESET search_path"); err != nil {
			t.Fatalf("loading the join schema into PostgreSQL: %v", err)
		}
		// The truth apart from the gateway: the same SQL straight on PostgreSQL over the
		// tenant's rows alone, where the query names no metric.
		raw := testkit.PostgresConn(t)
		if _, err := raw.Exec(ctx, "SET search_path TO "+schema+"; SET default_transaction_read_only = on"); err != nil {
			t.Fatal(err)
		}
		raws[name] = raw
		cat := filepath.Join(dir, name+".yaml")
		writeDiffFile(t, cat, s.YAML(joindiff.Postgres, schema))
		return startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(dsn) })
	}
	gw := serve("all", "")
	joinIsolation(t, gw, func(tenant string) *Gateway {
		return serve(tenant, joinIsolationOnly(s, tenant))
	})
	var metrics []string
	for _, d := range s.Datasets {
		for _, m := range d.Metrics {
			metrics = append(metrics, "."+m.Name+" ")
		}
	}
	var compared int
	for _, tn := range differentialTenants {
		own := connect(t, gw, tn.key)
	queries:
		for _, sql := range joinIsolationQueries {
			for _, m := range metrics {
				if strings.Contains(sql, m) || strings.Contains(sql, m[:len(m)-1]+",") {
					continue queries // metrics mean nothing to PostgreSQL itself
				}
			}
			got := joinIsolationRun(t, own, sql)
			if got.err != nil {
				continue // refused, and checked above
			}
			want := joinIsolationRun(t, raws[tn.name], sql)
			got.cols, want.cols = nil, nil // the gateway's own column types
			if diff := compareDiffResults(got, want, strings.Contains(sql, "ORDER BY")); diff != "" {
				t.Errorf("as %s, %s\nagainst PostgreSQL over the tenant's rows alone:\n%s", tn.name, sql, diff)
			}
			compared++
		}
	}
	t.Logf("%d answers also equal PostgreSQL's own over the tenant's rows", compared)
	if compared == 0 {
		t.Error("no answer compared with PostgreSQL's own")
	}
}

// joinIsolationOnly is the SQL that leaves only tenant's rows in every dataset with RLS.
func joinIsolationOnly(s *joindiff.Schema, tenant string) string {
	var del strings.Builder
	for _, d := range s.Datasets {
		if d.RLS {
			del.WriteString("\nDELETE FROM " + d.ID + " WHERE " + joindiff.TenantColumn + " <> '" + tenant + "';")
		}
	}
	return del.String() + "\n"
}

// joinIsolation asks joinIsolationQueries as each tenant of gw (every tenant's rows) and of
// the gateway serveAlone(tenant) starts over that tenant's rows only, and compares.
func joinIsolation(t *testing.T, gw *Gateway, serveAlone func(tenant string) *Gateway) {
	all := connect(t, gw, "dev-key-123")
	var answered, refused, discriminating int
	for _, tn := range differentialTenants {
		// The same tenant asks both sides: the planner trusts a key to be unique within a tenant
		// only, so an admin (several tenants' rows) is refused joins a tenant is answered, and
		// would not be the same question. Over the tenant's rows alone its filter is a no-op.
		own, alone := connect(t, gw, tn.key), connect(t, serveAlone(tn.name), tn.key)
		for _, sql := range joinIsolationQueries {
			got, want, everyone := joinIsolationRun(t, own, sql), joinIsolationRun(t, alone, sql), joinIsolationRun(t, all, sql)
			ordered := strings.Contains(sql, "ORDER BY")
			if diff := compareDiffResults(got, want, ordered); diff != "" {
				t.Errorf("as %s, %s\n%s", tn.name, sql, diff)
				continue
			}
			if got.err != nil {
				// A refusal must be the planner's join refusal; any other error is a query
				// this list got wrong, which checks nothing.
				if got.code != "0A000" && got.code != "42P10" {
					t.Errorf("as %s, %s\nfailed with %s, want an answer or a 0A000/42P10 refusal: %v", tn.name, sql, got.code, got.err)
				}
				if tn.name == differentialTenants[0].name {
					t.Logf("refused: %s\n    %v", sql, got.err)
				}
				refused++
				continue
			}
			answered++
			if compareDiffResults(got, everyone, ordered) != "" {
				discriminating++
			}
		}
	}
	t.Logf("%d answers equal to the tenant's rows alone, %d refused alike, %d of the answers differ from the admin's over every tenant",
		answered, refused, discriminating)
	// The comparison must be able to see a leak: most answers over one tenant's rows differ
	// from the same query over everyone's.
	if answered == 0 || discriminating*2 < answered {
		t.Errorf("only %d of %d answers differ from the admin's over every tenant: the data cannot show a leak", discriminating, answered)
	}
}

// joinIsolationRun runs sql on conn; a broken connection fails the test.
func joinIsolationRun(t *testing.T, conn *pgx.Conn, sql string) diffResult {
	t.Helper()
	r, err := runDiffQuery(conn, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return r
}
