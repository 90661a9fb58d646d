package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/joindiff"
	"github.com/setupranali/setupranali/internal/testkit"
)

// restRows posts a /v1/query body and returns its rows as cells joined by " | " (numbers
// normalised as joindiff does, NULL as joindiff.Null), sorted, after checking the columns.
func restRows(t *testing.T, c *httpClient, key, body string, columns ...string) []string {
	t.Helper()
	r := c.do("POST", "/v1/query", key, body)
	if r.status != 200 {
		t.Fatalf("%s /v1/query %s: %d %s", key, body, r.status, r.body)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var m struct {
		Columns []struct{ Name string }
		Rows    []map[string]any
	}
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	var names []string
	for _, col := range m.Columns {
		names = append(names, col.Name)
	}
	if !slices.Equal(names, columns) {
		t.Fatalf("%s: columns %v, want %v", body, names, columns)
	}
	out := []string{}
	for _, row := range m.Rows {
		cells := make([]string, len(columns))
		for i, name := range columns {
			v := row[name]
			cells[i] = joindiff.Normalize(fmt.Sprint(v), v == nil)
		}
		out = append(out, strings.Join(cells, " | "))
	}
	slices.Sort(out)
	return out
}

// restError posts a body that must be refused with status and SQLSTATE, the message naming
// each of mentions.
func restError(t *testing.T, c *httpClient, key, body string, status int, state string, mentions ...string) {
	t.Helper()
	r := c.do("POST", "/v1/query", key, body)
	m := r.json(t)
	if r.status != status || m["sqlstate"] != state {
		t.Errorf("%s: %d %s, want %d with SQLSTATE %s", body, r.status, r.body, status, state)
		return
	}
	msg, _ := m["message"].(string)
	for _, want := range mentions {
		if !strings.Contains(msg, want) {
			t.Errorf("%s: message %q does not name %s", body, msg, want)
		}
	}
}

// demoCell renders a number of the by-hand truth as joindiff normalises an answer's.
func demoCell(v float64) string { return joindiff.Normalize(fmt.Sprint(v), false) }

// The README's /v1/query joins on the demo as it ships (orders -> customers many-to-one), as a
// tenant and as the admin. Expected numbers come from demo.sql's rows (demoRows), each order once
// under the region of its customer as the key sees customers (a hidden customer's region is
// NULL: the join is LEFT, so no order of the dataset asked is dropped), and were checked by hand:
// tenantA has o1 1000 and o2 500 of c1 (Central) and c2 without orders; the admin adds tenantB's
// o3 250 and o4 1200 of c3 (North, with c4 idle), default's o5 800 of c5 (West), o6 600 of c6
// (South).
func TestRESTJoinDemo(t *testing.T) {
	t.Parallel()
	orders, customers := demoRows(t)
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	sees := func(tenant, rowTenant string) bool { return tenant == "" || tenant == rowTenant }
	for _, who := range []struct {
		key, tenant string
		byHand      []string // revenue by region
	}{
		{"tenantA-key", "tenantA", []string{"Central | 1500"}},
		{"tenantB-key", "tenantB", []string{"North | 1450"}},
		{"dev-key-123", "", []string{"Central | 1500", "North | 1450", "South | 600", "West | 800"}},
	} {
		// Revenue by the customer's region, and the totals of both datasets.
		byRegion := map[string]float64{}
		perRegion := map[string]*[3]float64{} // customers, their orders, the orders' revenue
		var total float64
		buyers := map[string]bool{}
		for _, cu := range customers {
			if sees(who.tenant, cu.tenant) {
				if perRegion[cu.region] == nil {
					perRegion[cu.region] = &[3]float64{}
				}
				perRegion[cu.region][0]++
			}
		}
		for _, o := range orders {
			if !sees(who.tenant, o.tenant) {
				continue
			}
			total += o.revenue
			region := joindiff.Null
			if cu := customers[o.customer]; sees(who.tenant, cu.tenant) {
				region = cu.region
				perRegion[cu.region][1]++
				perRegion[cu.region][2] += o.revenue
				buyers[o.customer] = true
			}
			byRegion[region] += o.revenue
		}
		var want, wantCustomers []string
		for region, sum := range byRegion {
			want = append(want, region+" | "+demoCell(sum))
		}
		for region, p := range perRegion {
			rev := joindiff.Null
			if p[1] > 0 {
				rev = demoCell(p[2])
			}
			wantCustomers = append(wantCustomers, region+" | "+demoCell(p[0])+" | "+rev)
		}
		slices.Sort(want)
		slices.Sort(wantCustomers)
		if !slices.Equal(want, who.byHand) {
			t.Fatalf("%s: computed from demo.sql %v, checked by hand %v: the demo rows changed", who.key, want, who.byHand)
		}

		got := restRows(t, c, who.key, `{"dataset":"orders","dimensions":["customers.region"],"metrics":["total_revenue"]}`, "customers.region", "total_revenue")
		if !slices.Equal(got, want) {
			t.Errorf("%s: revenue by customers.region\n got %v\nwant %v", who.key, got, want)
		}
		got = restRows(t, c, who.key, `{"dataset":"customers","dimensions":["region"],"metrics":["customers_count","orders.total_revenue"]}`,
			"region", "customers_count", "orders.total_revenue")
		if !slices.Equal(got, wantCustomers) {
			t.Errorf("%s: customers and their orders' revenue by region\n got %v\nwant %v", who.key, got, wantCustomers)
		}
		got = restRows(t, c, who.key, `{"dataset":"orders","metrics":["total_revenue",{"name":"customers.customers_count","alias":"buyers"}]}`, "total_revenue", "buyers")
		if w := []string{demoCell(total) + " | " + demoCell(float64(len(buyers)))}; !slices.Equal(got, w) {
			t.Errorf("%s: totals\n got %v\nwant %v", who.key, got, w)
		}
	}

	c2 := newHTTPClient(t, gw)
	// A filter on a joined dimension keeps the orders whose customer holds it: tenantA's
	// retail customer c1 placed both its orders.
	if got := restRows(t, c2, "tenantA-key", `{"dataset":"orders","dimensions":["city"],"metrics":["total_revenue"],"filters":[{"field":"customers.segment","op":"eq","value":"retail"}],"orderBy":["city"]}`,
		"city", "total_revenue"); !slices.Equal(got, []string{"Bhopal | 500", "Indore | 1000"}) {
		t.Errorf("orders of retail customers: %v", got)
	}
	restError(t, c2, "tenantA-key", `{"dataset":"orders","dimensions":["suppliers.region"],"metrics":["total_revenue"]}`, 400, "42703", `"suppliers.region"`)
	restError(t, c2, "tenantA-key", `{"dataset":"orders","dimensions":["customers.country"],"metrics":["total_revenue"]}`, 400, "42703", `"customers"`, `"country"`)
	restError(t, c2, "tenantA-key", `{"dataset":"customers","dimensions":["orders.city"],"metrics":["customers_count"]}`, 400, "42P10", `"orders.city"`, "one-to-many")
}

// restStar is one /v1/query request over the join differential test's star schema and the
// same question as a joindiff.Query, whose Truth (a naive evaluation in Go, apart from the
// gateway) is the expected answer.
type restStar struct {
	name, body string
	columns    []string
	q          joindiff.Query
}

// left is a LEFT JOIN step of the reference: alias reads dataset where from.col = alias.col.
func left(alias, dataset, from, col string) joindiff.Step {
	return joindiff.Step{Alias: alias, Dataset: dataset, Type: "left", On: []joindiff.On{{Left: joindiff.ColRef{Alias: from, Column: col}, Column: col}}}
}

func anchor(dataset string) joindiff.Step { return joindiff.Step{Alias: dataset, Dataset: dataset} }

func col(alias, column string) joindiff.ColRef { return joindiff.ColRef{Alias: alias, Column: column} }

func metric(alias, name string) joindiff.MetricRef {
	return joindiff.MetricRef{Alias: alias, Metric: name, Form: "bare"}
}

var restStarCases = []restStar{
	{name: "dimensions two steps away and on a second branch; metrics of the dataset one step up",
		body:    `{"dataset":"order_items","dimensions":["products.category","customers.segment"],"metrics":["units","orders.revenue","orders.order_count","orders.avg_amount","customers.customer_count"]}`,
		columns: []string{"products.category", "customers.segment", "units", "orders.revenue", "orders.order_count", "orders.avg_amount", "customers.customer_count"},
		q: joindiff.Query{
			Steps: []joindiff.Step{anchor("order_items"), left("products", "products", "order_items", "product_id"),
				left("orders", "orders", "order_items", "order_id"), left("customers", "customers", "orders", "customer_id")},
			Dims: []joindiff.ColRef{col("products", "category"), col("customers", "segment")},
			Metrics: []joindiff.MetricRef{metric("order_items", "units"), metric("orders", "revenue"), metric("orders", "order_count"),
				metric("orders", "avg_amount"), metric("customers", "customer_count")},
		}},
	{name: "metrics of datasets one-to-many and one-to-one away, by a snowflake dimension",
		body:    `{"dataset":"customers","dimensions":["regions.region_name"],"metrics":["customer_count","orders.revenue","order_items.item_revenue","customer_profiles.total_credit"]}`,
		columns: []string{"regions.region_name", "customer_count", "orders.revenue", "order_items.item_revenue", "customer_profiles.total_credit"},
		q: joindiff.Query{
			Steps: []joindiff.Step{anchor("customers"), left("regions", "regions", "customers", "region_id"),
				left("orders", "orders", "customers", "customer_id"), left("order_items", "order_items", "orders", "order_id"),
				left("customer_profiles", "customer_profiles", "customers", "customer_id")},
			Dims: []joindiff.ColRef{col("regions", "region_name")},
			Metrics: []joindiff.MetricRef{metric("customers", "customer_count"), metric("orders", "revenue"), metric("order_items", "item_revenue"),
				metric("customer_profiles", "total_credit")},
		}},
	{name: "filters on joined dimensions; derived and count-distinct metrics",
		body: `{"dataset":"orders","dimensions":["status"],"metrics":["revenue","revenue_per_order","buyers","customers.segments"],
			"filters":[{"field":"customers.segment","op":"in","values":["retail","pro"]},{"field":"regions.country","op":"ne","value":"FR"}]}`,
		columns: []string{"status", "revenue", "revenue_per_order", "buyers", "customers.segments"},
		q: joindiff.Query{
			Steps: []joindiff.Step{anchor("orders"), left("customers", "customers", "orders", "customer_id"), left("regions", "regions", "customers", "region_id")},
			Dims:  []joindiff.ColRef{col("orders", "status")},
			Metrics: []joindiff.MetricRef{metric("orders", "revenue"), metric("orders", "revenue_per_order"), metric("orders", "buyers"),
				metric("customers", "segments")},
			Filters: []joindiff.Filter{{Ref: col("customers", "segment"), Op: "in", Values: []any{"retail", "pro"}},
				{Ref: col("regions", "country"), Op: "<>", Values: []any{"FR"}}},
		}},
	{name: "a shared dataset (no RLS) and the tenant's rows reached one-to-many from it",
		body:    `{"dataset":"products","dimensions":["category"],"metrics":["product_count","order_items.units","order_items.item_count"]}`,
		columns: []string{"category", "product_count", "order_items.units", "order_items.item_count"},
		q: joindiff.Query{
			Steps:   []joindiff.Step{anchor("products"), left("order_items", "order_items", "products", "product_id")},
			Dims:    []joindiff.ColRef{col("products", "category")},
			Metrics: []joindiff.MetricRef{metric("products", "product_count"), metric("order_items", "units"), metric("order_items", "item_count")},
		}},
	{name: "a bridge to a shared dataset, by its dimension",
		body:    `{"dataset":"product_tags","dimensions":["tag","products.brand"],"metrics":["tag_links","products.avg_price"]}`,
		columns: []string{"tag", "products.brand", "tag_links", "products.avg_price"},
		q: joindiff.Query{
			Steps:   []joindiff.Step{anchor("product_tags"), left("products", "products", "product_tags", "product_id")},
			Dims:    []joindiff.ColRef{col("product_tags", "tag"), col("products", "brand")},
			Metrics: []joindiff.MetricRef{metric("product_tags", "tag_links"), metric("products", "avg_price")},
		}},
}

// The star schema of the join differential test (internal/joindiff: customer, order and line
// keys collide across tenants, NULL keys and keys matching nothing, shared products) through
// /v1/query, as each tenant and as the admin: every answer equals joindiff's Truth, each metric
// over the distinct rows of its own dataset the LEFT JOINs along the declared paths keep. For
// each tenant, some answer differs from the truth over every tenant's rows, so a join that
// brought another tenant's rows would show.
func TestRESTJoinStar(t *testing.T) {
	t.Parallel()
	s := joindiff.Generate(joinDataSeed)
	dir := t.TempDir()
	data, cat := filepath.Join(dir, "data.sql"), filepath.Join(dir, "catalog.yaml")
	writeDiffFile(t, data, s.SQL(joindiff.DuckDB))
	writeDiffFile(t, cat, s.YAML(joindiff.DuckDB, ""))
	restJoinStar(t, s, startTestGateway(t, func(c *Config) { c.Catalog, c.DuckDBInit = cat, data }))
}

// TestRESTJoinStarPostgres is TestRESTJoinStar with the datasets on the PostgreSQL source, in
// a fresh schema.
func TestRESTJoinStarPostgres(t *testing.T) {
	t.Parallel()
	dsn := testkit.PostgresDSN(t)
	schema := testkit.PostgresSchema(t)
	admin := testkit.PostgresConn(t)
	s := joindiff.Generate(joinDataSeed)
	ctx := testkit.ContextWithin(t, time.Minute)
	if _, err := admin.Exec(ctx, "SET search_path TO "+schema+";\n"+s.SQL(joindiff.Postgres)+"RESET search_path"); err != nil {
		t.Fatalf("loading the join schema into PostgreSQL: %v", err)
	}
	cat := filepath.Join(t.TempDir(), "catalog.yaml")
	writeDiffFile(t, cat, s.YAML(joindiff.Postgres, schema))
	restJoinStar(t, s, startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(dsn) }))
}

func restJoinStar(t *testing.T, s *joindiff.Schema, gw *Gateway) {
	c := newHTTPClient(t, gw)
	who := append(slices.Clone(differentialTenants), struct{ name, key string }{joindiff.AllTenants, "dev-key-123"})
	for _, w := range who {
		telling := 0
		for _, tc := range restStarCases {
			want := s.Truth(&tc.q, w.name)
			slices.Sort(want)
			got := restRows(t, c, w.key, tc.body, tc.columns...)
			if !joindiff.Same(got, want) {
				t.Errorf("%s as %q:\n got %d rows\n  %s\nwant %d rows\n  %s", tc.name, w.name, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
			}
			if !joindiff.Same(s.Truth(&tc.q, joindiff.AllTenants), want) {
				telling++
			}
		}
		if w.name != joindiff.AllTenants && telling == 0 {
			t.Errorf("no answer of %q differs from the one over every tenant's rows: the data cannot tell a leak", w.name)
		}
	}
	// A dimension of a dataset reached only one-to-many would group a row under several
	// values; no path at all names the datasets.
	restError(t, c, "tenantA-key", `{"dataset":"customers","dimensions":["order_items.line_no"],"metrics":["customer_count"]}`, 400, "42P10", `"order_items.line_no"`, "one-to-many")
	restError(t, c, "tenantA-key", `{"dataset":"regions","metrics":["region_count","products.product_count"]}`, 400, "42P10", `"regions"`, `"products"`)
}
