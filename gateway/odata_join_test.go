package gateway

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

// odataDemoOrder is one demo order with its id, read from demo.sql like demoRows does.
type odataDemoOrder struct {
	id, tenant, customer string
	revenue              float64
}

// odataDemoRows reads the orders of an init SQL text in demo.sql's row format, and the
// customers' tenants and regions.
func odataDemoRows(t *testing.T, sql string) ([]odataDemoOrder, map[string][]demoCustomer) {
	t.Helper()
	var orders []odataDemoOrder
	for _, m := range demoOrderRow.FindAllStringSubmatch(sql, -1) {
		rev, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, odataDemoOrder{id: m[1], tenant: m[2], customer: m[4], revenue: rev})
	}
	// Ids may repeat across tenants (the collision test's rows), so each id holds a list.
	customers := map[string][]demoCustomer{}
	for _, m := range demoCustomerRow.FindAllStringSubmatch(sql, -1) {
		customers[m[1]] = append(customers[m[1]], demoCustomer{tenant: m[2], region: m[3]})
	}
	if len(orders) == 0 || len(customers) == 0 {
		t.Fatalf("read %d orders and %d customers; the row patterns no longer match", len(orders), len(customers))
	}
	return orders, customers
}

// relatedRegion is the region of o's customer as tenant sees it ("" for the admin, who sees
// every row): the customer row of o's id in the tenant's rows, or none (null).
func relatedRegion(o odataDemoOrder, customers map[string][]demoCustomer, tenant string) (string, bool) {
	var found []demoCustomer
	for _, c := range customers[o.customer] {
		if tenant == "" || c.tenant == tenant {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0].region, true
}

// odataObjects fetches a collection and returns its entities, following nextLinks.
func odataObjects(t *testing.T, c *httpClient, key, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for next := path; next != ""; {
		r := c.do("GET", next, key, nil)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", next, r.status, r.body)
		}
		m := r.json(t)
		for _, v := range m["value"].([]any) {
			out = append(out, v.(map[string]any))
		}
		next, _ = m["@odata.nextLink"].(string)
	}
	return out
}

func compact(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// odataJoinCase is one caller of the OData join checks.
type odataJoinCase struct {
	key, tenant string // tenant "" is the admin
}

// checkODataJoins asks the gateway, as each caller, for orders with their customers through
// $expand, groupby on a path and $filter on a path, and compares with the rows.
func checkODataJoins(t *testing.T, c *httpClient, sql string, callers []odataJoinCase) {
	orders, customers := odataDemoRows(t, sql)
	for _, cl := range callers {
		expanded := map[string]string{}
		byRegion := map[string]float64{}
		north := 0.0
		for _, o := range orders {
			if cl.tenant != "" && o.tenant != cl.tenant {
				continue
			}
			region, ok := relatedRegion(o, customers, cl.tenant)
			expanded[o.id] = "null"
			group := "null"
			if ok {
				expanded[o.id] = region
				group = region
			}
			byRegion[group] += o.revenue
			if region == "North" {
				north += o.revenue
			}
		}

		got := map[string]string{}
		for _, e := range odataObjects(t, c, cl.key, "/odata/orders?$select=order_id,customers&$expand="+url.QueryEscape("customers($select=region)")) {
			related := "null"
			if m, ok := e["customers"].(map[string]any); ok {
				related = fmt.Sprint(m["region"])
			}
			got[fmt.Sprint(e["order_id"])] = related
		}
		if compact(t, got) != compact(t, expanded) {
			t.Errorf("%s: $expand=customers($select=region)\n got %v\nwant %v", cl.key, got, expanded)
		}

		sums := map[string]float64{}
		for _, e := range odataObjects(t, c, cl.key, "/odata/orders?$apply="+url.QueryEscape("groupby((customers/region),aggregate(total_revenue with sum as rev))")) {
			nested, ok := e["customers"].(map[string]any)
			if !ok {
				t.Fatalf("%s: groupby row %v has no nested customers", cl.key, e)
			}
			region := "null"
			if r, ok := nested["region"].(string); ok {
				region = r
			}
			rev, _ := e["rev"].(float64)
			sums[region] += rev
		}
		if compact(t, sums) != compact(t, byRegion) {
			t.Errorf("%s: revenue by customers/region %v, want %v", cl.key, sums, byRegion)
		}

		visible, northOrders := 0, 0
		for _, o := range orders {
			if cl.tenant == "" || o.tenant == cl.tenant {
				visible++
				if r, ok := relatedRegion(o, customers, cl.tenant); ok && r == "North" {
					northOrders++
				}
			}
		}
		for path, want := range map[string]int{
			"/odata/orders/$count?$expand=customers":                                         visible,
			"/odata/orders/$count?$filter=" + url.QueryEscape("customers/region eq 'North'"): northOrders,
		} {
			if r := c.do("GET", path, cl.key, nil); r.status != 200 || string(r.body) != strconv.Itoa(want) {
				t.Errorf("%s: %s: %d %s, want %d", cl.key, path, r.status, r.body, want)
			}
		}

		filtered := odataObjects(t, c, cl.key, "/odata/orders?$apply="+url.QueryEscape("filter(customers/region eq 'North')/aggregate(total_revenue with sum as rev)"))
		if len(filtered) != 1 || fmt.Sprint(filtered[0]["rev"]) != fmt.Sprint(north) && !(north == 0 && filtered[0]["rev"] == nil) {
			t.Errorf("%s: North revenue %v, want %v", cl.key, filtered, north)
		}
	}
}

// OData over the demo as shipped: orders navigate to customers many-to-one, as tenants and as
// the admin; expected values come from demo.sql's rows.
func TestODataJoinDemo(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	checkODataJoins(t, c, demoSQL, []odataJoinCase{{"tenantA-key", "tenantA"}, {"tenantB-key", "tenantB"}, {"dev-key-123", ""}})

	// By hand on demo.sql: tenantA's o1 and o2 belong to c1 (Central).
	rows := odataObjects(t, c, "tenantA-key", "/odata/orders?$select=order_id,total_revenue&$expand=customers&$orderby=order_id")
	if len(rows) != 2 || compact(t, rows[0]["customers"]) != `{"_key":"[\"c1\",\"Malwa Traders\",\"Central\",\"retail\"]","customer_id":"c1","name":"Malwa Traders","region":"Central","segment":"retail"}` {
		t.Errorf("tenantA's orders with their customers: %v", rows)
	}

	x := string(c.do("GET", "/odata/$metadata", "tenantA-key", nil).body)
	for _, want := range []string{`<NavigationProperty Name="customers" Type="SetuPranali.customers" Nullable="true">`,
		`<NavigationPropertyBinding Path="customers" Target="customers">`} {
		if !strings.Contains(x, want) {
			t.Errorf("$metadata lacks %s", want)
		}
	}

	for _, tc := range []struct {
		path    string
		status  int
		mention string
	}{
		{"/odata/customers?$expand=orders", 501, "one-to-many"},
		{"/odata/orders?$expand=" + url.QueryEscape("customers($filter=region eq 'North')"), 501, "$filter"},
		{"/odata/orders?$expand=" + url.QueryEscape("customers($expand=orders)"), 501, "$expand"},
		{"/odata/orders?$expand=customers&$levels=2", 501, "$levels"},
		{"/odata/orders?$filter=" + url.QueryEscape("customers/any(c: c/region eq 'x')"), 501, "any"},
		{"/odata/orders?$select=customers/customers_count", 501, "customers_count"},
		{"/odata/orders?$filter=" + url.QueryEscape("buyers/region eq 'x'"), 400, "buyers"},
		{"/odata/orders?$expand=city", 400, "city"},
	} {
		r := c.do("GET", tc.path, "tenantA-key", nil)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.mention) {
			t.Errorf("%s: %d %s, want %d naming %s", tc.path, r.status, r.body, tc.status, tc.mention)
		}
	}
}

// odataCollisionSQL holds customer ids that collide across tenants (each tenant has its own
// c1), and an order of tenantA naming c2, which only tenantB has; in demo.sql's tables and row
// format.
const odataCollisionSQL = `CREATE TABLE customers (customer_id VARCHAR, tenant_id VARCHAR, name VARCHAR, region VARCHAR, segment VARCHAR);
INSERT INTO customers VALUES
  ('c1', 'tenantA', 'A One',   'North', 'retail'),
  ('c1', 'tenantB', 'B One',   'South', 'retail'),
  ('c2', 'tenantB', 'B Two',   'East',  'wholesale');
CREATE TABLE orders (order_id VARCHAR, tenant_id VARCHAR, order_date DATE, city VARCHAR, revenue DOUBLE, quantity BIGINT, customer_id VARCHAR);
INSERT INTO orders VALUES
  ('o1', 'tenantA', DATE '2025-12-01', 'Indore',  100.0, 1, 'c1'),
  ('o2', 'tenantA', DATE '2025-12-01', 'Bhopal',   20.0, 1, 'c2'),
  ('o3', 'tenantB', DATE '2025-12-02', 'Indore',    3.0, 1, 'c1'),
  ('o4', 'tenantB', DATE '2025-12-02', 'Delhi',  4000.0, 1, 'c2');
`

// Customer ids collide across tenants (each tenant has its own c1) and one tenant's order
// names a customer only another tenant has: a tenant's orders navigate to its own customers
// only, and to none (null) where its tenant has no such customer.
func TestODataJoinCollidingKeys(t *testing.T) {
	t.Parallel()
	data := odataCollisionSQL
	file := filepath.Join(t.TempDir(), "data.sql")
	writeDiffFile(t, file, data)
	gw := startTestGateway(t, func(c *Config) { c.DuckDBInit = file })
	c := newHTTPClient(t, gw)
	// By hand: tenantA o1 -> North, o2 -> null (c2 is tenantB's); tenantB o3 -> South, o4 -> East.
	orders, customers := odataDemoRows(t, data)
	want := map[string][]string{"tenantA": {"o1:North", "o2:null"}, "tenantB": {"o3:South", "o4:East"}}
	for tenant, byHand := range want {
		var computed []string
		for _, o := range orders {
			if o.tenant == tenant {
				region, ok := relatedRegion(o, customers, tenant)
				if !ok {
					region = "null"
				}
				computed = append(computed, o.id+":"+region)
			}
		}
		if !slices.Equal(computed, byHand) {
			t.Fatalf("%s: computed %v, by hand %v", tenant, computed, byHand)
		}
	}
	checkODataJoins(t, c, data, []odataJoinCase{{"tenantA-key", "tenantA"}, {"tenantB-key", "tenantB"}})
	// No other tenant's customer under any order, by name either.
	for _, key := range []string{"tenantA-key", "tenantB-key"} {
		body := string(c.do("GET", "/odata/orders?$expand=customers", key, nil).body)
		other := map[string]string{"tenantA-key": "B One", "tenantB-key": "A One"}[key]
		if strings.Contains(body, other) {
			t.Errorf("%s sees %s: %s", key, other, body)
		}
	}
}

// TestODataJoinCollidingKeys with the datasets on the PostgreSQL source, in a fresh schema.
func TestODataJoinCollidingKeysPostgres(t *testing.T) {
	t.Parallel()
	schema := testkit.PostgresSchema(t)
	admin, dsn := testkit.PostgresConn(t), testkit.PostgresDSN(t)
	ddl := strings.ReplaceAll(odataCollisionSQL, "DOUBLE", "DOUBLE PRECISION")
	if _, err := admin.Exec(testkit.Context(t), "SET search_path TO "+schema+";\n"+ddl+"\nRESET search_path"); err != nil {
		t.Fatal(err)
	}
	cat := testkit.TempFile(t, "catalog.yaml", fmt.Sprintf(`datasets:
  - id: orders
    source: {engine: postgres, type: table, reference: %[1]s.orders}
    primaryKey: order_id
    fields:
      - {name: order_id, type: string}
      - {name: tenant_id, type: string}
      - {name: city, type: string}
      - {name: revenue, type: double}
      - {name: customer_id, type: string}
    dimensions: [{name: order_id}, {name: city}, {name: customer_id}]
    metrics: [{name: total_revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: customers, relationship: many_to_one, on: {customer_id: customer_id}}
  - id: customers
    source: {engine: postgres, type: table, reference: %[1]s.customers}
    primaryKey: customer_id
    fields:
      - {name: customer_id, type: string}
      - {name: tenant_id, type: string}
      - {name: region, type: string}
    dimensions: [{name: customer_id}, {name: region}]
    metrics: [{name: customers_count, expression: {agg: count, field: customer_id}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
`, schema))
	gw := startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(dsn) })
	checkODataJoins(t, newHTTPClient(t, gw), odataCollisionSQL, []odataJoinCase{{"tenantA-key", "tenantA"}, {"tenantB-key", "tenantB"}})
}
