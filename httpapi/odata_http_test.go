package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
)

// odataRows reads an OData collection page: its rows, @odata.count (-1 when absent) and
// @odata.nextLink as a path on the test server ("" when absent).
func (g *gateway) odataRows(path, key string) (rows []map[string]any, count int64, next string) {
	g.t.Helper()
	resp := g.get(path, key)
	if resp.status != http.StatusOK {
		g.t.Fatalf("GET %s: %d %s", path, resp.status, resp.body)
	}
	if resp.header.Get("OData-Version") != "4.0" || !strings.HasPrefix(resp.header.Get("Content-Type"), "application/json;odata.metadata=minimal") {
		g.t.Errorf("GET %s: headers %v", path, resp.header)
	}
	m := resp.json(g.t)
	for _, v := range m["value"].([]any) {
		rows = append(rows, v.(map[string]any))
	}
	count = -1
	if c, ok := m["@odata.count"]; ok {
		count = integer(g.t, c)
	}
	if l, ok := m["@odata.nextLink"].(string); ok {
		if !strings.HasPrefix(l, g.url+"/") {
			g.t.Fatalf("nextLink %q is not on this server (%s)", l, g.url)
		}
		next = strings.TrimPrefix(l, g.url)
	}
	return rows, count, next
}

// checkODataError checks OData's error shape and returns the message.
func (r response) checkODataError(t *testing.T, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if r.header.Get("OData-Version") != "4.0" {
		t.Errorf("OData error without OData-Version: %v", r.header)
	}
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf("not an OData error: %s", r.body)
	}
	if e["code"] != code {
		t.Errorf("code %v, want %q: %s", e["code"], code, r.body)
	}
	inner, _ := e["innererror"].(map[string]any)
	if id := r.header.Get("X-Request-ID"); id == "" || inner["request_id"] != id {
		t.Errorf("innererror %v, X-Request-ID %q", inner, id)
	}
	msg, _ := e["message"].(string)
	if msg == "" {
		t.Errorf("OData error without a message: %s", r.body)
	}
	return msg
}

// The service document and $metadata list exactly the entity sets the key may see.
func TestODataServiceAndMetadata(t *testing.T) {
	g := newGateway(t, nil)
	for _, base := range []string{"/odata", "/odata/", "/v1/odata"} {
		resp := g.get(base, keyT1)
		m := resp.json(t)
		wantCtx := g.url + strings.TrimSuffix(base, "/") + "/$metadata"
		if resp.status != http.StatusOK || m["@odata.context"] != wantCtx {
			t.Errorf("GET %s: %d context %v, want %s", base, resp.status, m["@odata.context"], wantCtx)
		}
		var sets []string
		for _, v := range m["value"].([]any) {
			e := v.(map[string]any)
			sets = append(sets, fmt.Sprint(e["name"], ":", e["url"], ":", e["kind"]))
		}
		if !slices.Equal(sets, []string{"orders:orders:EntitySet", "products:products:EntitySet"}) {
			t.Errorf("GET %s: entity sets %v", base, sets)
		}
	}
	m := g.get("/odata", keyScoped).json(t)
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["name"] != "products" {
		t.Errorf("scoped key sees %v", v)
	}

	resp := g.get("/odata/$metadata", keyT1)
	if resp.status != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), "application/xml") || resp.header.Get("OData-Version") != "4.0" {
		t.Fatalf("$metadata: %d %v", resp.status, resp.header)
	}
	x := string(resp.body)
	for _, want := range []string{`<EntityType Name="orders">`, `<EntityType Name="products">`, `<PropertyRef Name="_key"`,
		`<Property Name="city" Type="Edm.String"`, `<Property Name="order_date" Type="Edm.Date"`, `<Property Name="total_revenue" Type="Edm.Double"`,
		`<EntitySet Name="orders" EntityType=`} {
		if !strings.Contains(x, want) {
			t.Errorf("$metadata lacks %s:\n%s", want, x)
		}
	}
	if x := string(g.get("/odata/$metadata", keyScoped).body); strings.Contains(x, `Name="orders"`) {
		t.Errorf("$metadata shows a scoped-away dataset:\n%s", x)
	}
}

// $select, $filter, $orderby and $count answer what the fixture gives; each entity carries its
// key, the JSON array of its dimension values.
func TestODataEntitySet(t *testing.T) {
	g := newGateway(t, nil)
	keep := func(o order) bool { return o.tenant == "t1" && o.city != "Pune" && o.city != "" }
	want := groupOrders(g.orders, keep, byCity)
	var cities []string
	for c := range want {
		cities = append(cities, c)
	}
	sort.Slice(cities, func(i, j int) bool { return want[cities[i]].revenue > want[cities[j]].revenue })

	q := url.Values{"$select": {"city,total_revenue,orders_count"}, "$filter": {"city ne 'Pune' and city ne null"},
		"$orderby": {"total_revenue desc"}, "$count": {"true"}}
	rows, count, next := g.odataRows("/odata/orders?"+q.Encode(), keyT1)
	if count != int64(len(want)) || next != "" {
		t.Errorf("count %d next %q, want %d and none", count, next, len(want))
	}
	var got []string
	for _, r := range rows {
		c := str(r["city"])
		got = append(got, c)
		if num(t, r["total_revenue"]) != want[c].revenue || integer(t, r["orders_count"]) != want[c].count {
			t.Errorf("%s: %v, want %+v", c, r, want[c])
		}
		if r["_key"] != `["`+strings.ReplaceAll(c, `"`, `\"`)+`"]` {
			t.Errorf("%s: key %v", c, r["_key"])
		}
		if len(r) != 4 {
			t.Errorf("entity has %d properties, want _key and the three selected: %v", len(r), r)
		}
	}
	if !slices.Equal(got, cities) {
		t.Errorf("order %v, want %v", got, cities)
	}

	// Without $select an entity has every dimension and metric; /$count counts the entities.
	day := fixtureStart.AddDate(0, 0, 9)
	keepDay := func(o order) bool {
		return o.tenant == "t2" && !o.date.Before(day) && o.date.Before(day.AddDate(0, 0, 7))
	}
	wantDay := groupOrders(g.orders, keepDay, func(o order) string { return cityKey(o.city) + "|" + o.date.Format(time.DateOnly) })
	filter := url.Values{"$filter": {"order_date ge 2025-01-10 and order_date lt 2025-01-17"}}
	rows, _, _ = g.odataRows("/odata/orders?"+filter.Encode(), keyT2)
	if len(rows) != len(wantDay) {
		t.Errorf("%d entities, want %d", len(rows), len(wantDay))
	}
	for _, r := range rows {
		k := str(r["city"]) + "|" + str(r["order_date"])
		w, ok := wantDay[k]
		if !ok || num(t, r["total_revenue"]) != w.revenue || integer(t, r["orders_count"]) != w.count || integer(t, r["total_quantity"]) != w.quantity {
			t.Errorf("entity %s: %v, want %+v", k, r, w)
		}
	}
	resp := g.get("/odata/orders/$count?"+filter.Encode(), keyT2)
	if resp.status != http.StatusOK || string(resp.body) != strconv.Itoa(len(wantDay)) || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
		t.Errorf("$count: %d %q, want %d", resp.status, resp.body, len(wantDay))
	}

	// $apply groups and aggregates as asked.
	apply := url.Values{"$apply": {"filter(city eq 'Indore')/groupby((city),aggregate(total_revenue with sum as rev))"}}
	rows, _, _ = g.odataRows("/odata/orders?"+apply.Encode(), keyT1)
	indore := groupOrders(g.orders, func(o order) bool { return o.tenant == "t1" && o.city == "Indore" }, byCity)["Indore"]
	if len(rows) != 1 || rows[0]["city"] != "Indore" || num(t, rows[0]["rev"]) != indore.revenue {
		t.Errorf("$apply: %v, want Indore %v", rows, indore.revenue)
	}
}

// Server-driven paging: following @odata.nextLink reads every entity once, in pages of the
// server's size; $top and $skip cut the same ordered result.
func TestODataPaging(t *testing.T) {
	g := newGateway(t, func(c *Config) { c.ODataPageSize = 7 })
	key := func(o order) string { return cityKey(o.city) + "|" + o.date.Format(time.DateOnly) }
	want := groupOrders(g.orders, ofTenant("t1"), key)
	type entity struct {
		key string
		rev float64
	}
	read := func(path string) (all []entity, pages int) {
		for next := path; next != ""; pages++ {
			if pages > len(want) {
				t.Fatalf("more pages than entities: the nextLinks do not end")
			}
			var rows []map[string]any
			rows, _, next = g.odataRows(next, keyT1)
			if len(rows) > 7 {
				t.Errorf("page of %d rows, page size 7", len(rows))
			}
			if strings.Contains(next, "$skiptoken") {
				t.Errorf("a nextLink with a $skiptoken and no admission: %s", next)
			}
			for _, r := range rows {
				all = append(all, entity{str(r["city"]) + "|" + str(r["order_date"]), num(t, r["total_revenue"])})
			}
		}
		return all, pages
	}
	all, pages := read("/odata/orders?$select=city,order_date,total_revenue")
	if len(all) != len(want) || pages != (len(want)+6)/7 {
		t.Errorf("%d entities in %d pages, want %d in %d", len(all), pages, len(want), (len(want)+6)/7)
	}
	seen := map[string]bool{}
	for _, e := range all {
		if seen[e.key] {
			t.Errorf("entity %s read twice", e.key)
		}
		seen[e.key] = true
		if w, ok := want[e.key]; !ok || w.revenue != e.rev {
			t.Errorf("entity %s: revenue %v, want %+v", e.key, e.rev, w)
		}
	}
	window, _ := read("/odata/orders?$select=city,order_date,total_revenue&$skip=3&$top=10")
	if len(window) != 10 || !slices.Equal(window, all[3:13]) {
		t.Errorf("$skip=3&$top=10: %v\nwant %v", window, all[3:13])
	}
}

// OData refusals come in OData's error shape, with the request id inside.
func TestODataRefusals(t *testing.T) {
	g := newGateway(t, nil)
	for _, tc := range []struct {
		path, key string
		status    int
		code      string
	}{
		{"/odata/invoices", keyT1, 404, "dataset_not_found"},
		{"/odata/orders", keyScoped, 404, "dataset_not_found"},
		{"/odata/orders('x')", keyT1, 501, "not_supported"},
		{"/odata/orders/city", keyT1, 501, "not_supported"},
		{"/odata/orders?$expand=x", keyT1, 400, "invalid_request"},
		{"/odata/products?$expand=orders", keyT1, 400, "invalid_request"},
		{"/odata/orders?$levels=2", keyT1, 501, "not_supported"},
		// Go's query parser would drop these pairs whole: they are read (and refused for what
		// they say) or refused, never answered without them.
		{"/odata/orders?$select=city&$expand=customers($select=region;$top=1)", keyT1, 400, "invalid_request"},
		{"/odata/orders?$filter=city%zzeq", keyT1, 400, "invalid_request"},
		{"/odata/orders/$count?$filter=a;b", keyT1, 400, "invalid_request"},
		{"/odata/orders?$format=xml", keyT1, 501, "not_supported"},
		{"/odata/orders?$bogus=1", keyT1, 400, "invalid_request"},
		{"/odata/orders?$top=-1", keyT1, 400, "invalid_request"},
		{"/odata/orders?$count=maybe", keyT1, 400, "invalid_request"},
		{"/odata/orders?$select=_key", keyT1, 400, "invalid_request"},
		{"/odata/orders?$select=country", keyT1, 400, "invalid_request"},
		{"/odata/orders?$orderby=country", keyT1, 400, "invalid_request"},
		{"/odata/orders?$filter=" + url.QueryEscape("city eq"), keyT1, 400, "invalid_request"},
		{"/odata/orders?$filter=" + url.QueryEscape("order_date ge 2025-01-01 and order_date le 2025-03-15"), keyT1, 400, "incremental_window_exceeded"},
		{"/odata/orders/$count?$filter=" + url.QueryEscape("nope eq 1"), keyT1, 400, "invalid_request"},
		{"/odata/orders", "", 401, "authentication_required"},
		{"/odata/orders", "wrong", 403, "invalid_api_key"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			g.get(tc.path, tc.key).checkODataError(t, tc.status, tc.code)
		})
	}
}

// navCatalog joins orders to customers many-to-one on customer_id alone, and both filter by
// tenant: customer ids collide across tenants (c1 is t1's North customer and t2's South one).
const navCatalog = `datasets:
  - id: orders
    source: {engine: duckdb, type: table, reference: orders}
    primaryKey: order_id
    fields:
      - {name: order_id, type: string}
      - {name: tenant_id, type: string}
      - {name: customer_id, type: string}
      - {name: city, type: string}
      - {name: revenue, type: double}
    dimensions: [{name: order_id}, {name: customer_id}, {name: city}]
    metrics: [{name: total_revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: customers, relationship: many_to_one, on: {customer_id: customer_id}}
  - id: customers
    source: {engine: duckdb, type: table, reference: customers}
    primaryKey: customer_id
    fields:
      - {name: customer_id, type: string}
      - {name: tenant_id, type: string}
      - {name: region, type: string}
      - {name: segment, type: string}
    dimensions: [{name: customer_id}, {name: region}, {name: segment}]
    metrics: [{name: customers_count, expression: {agg: count, field: customer_id}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
`

type navOrder struct{ id, tenant, customer, city string }     // customer "" is NULL
type navCustomer struct{ id, tenant, region, segment string } // region "" is NULL

// The rows: t1's o3 names c2, which only t2 has; o4 names no customer; o5 names one nobody has;
// o8's customer has a NULL region. Revenues are o's number in whole units, 10^n apart, so each
// sum shows which orders it counted.
var (
	navOrders = []navOrder{{"o1", "t1", "c1", "Indore"}, {"o2", "t1", "c1", "Pune"}, {"o3", "t1", "c2", "Indore"},
		{"o4", "t1", "", "Pune"}, {"o5", "t1", "c9", "Indore"}, {"o6", "t2", "c1", "Delhi"}, {"o7", "t2", "c2", "Delhi"},
		{"o8", "t1", "c4", "Pune"}}
	navCustomers = []navCustomer{{"c1", "t1", "North", "retail"}, {"c1", "t2", "South", "wholesale"},
		{"c2", "t2", "East", "retail"}, {"c4", "t1", "", "vip"}}
)

func navRevenue(o navOrder) float64 {
	n, _ := strconv.Atoi(o.id[1:])
	v := 1.0
	for range n - 1 {
		v *= 10
	}
	return v
}

// navCustomerOf is the customer tenant sees for o, if any: the tenant's own row of that id.
func navCustomerOf(o navOrder, tenant string) (navCustomer, bool) {
	for _, c := range navCustomers {
		if c.id == o.customer && c.tenant == tenant {
			return c, true
		}
	}
	return navCustomer{}, false
}

func navSQL() []string {
	var b strings.Builder
	b.WriteString("CREATE TABLE orders (order_id VARCHAR, tenant_id VARCHAR, customer_id VARCHAR, city VARCHAR, revenue DOUBLE);\nINSERT INTO orders VALUES ")
	for i, o := range navOrders {
		if i > 0 {
			b.WriteString(", ")
		}
		cust := "NULL"
		if o.customer != "" {
			cust = "'" + o.customer + "'"
		}
		fmt.Fprintf(&b, "('%s', '%s', %s, '%s', %v)", o.id, o.tenant, cust, o.city, navRevenue(o))
	}
	b.WriteString(";\nCREATE TABLE customers (customer_id VARCHAR, tenant_id VARCHAR, region VARCHAR, segment VARCHAR);\nINSERT INTO customers VALUES ")
	for i, c := range navCustomers {
		if i > 0 {
			b.WriteString(", ")
		}
		region := "NULL"
		if c.region != "" {
			region = "'" + c.region + "'"
		}
		fmt.Fprintf(&b, "('%s', '%s', %s, '%s')", c.id, c.tenant, region, c.segment)
	}
	return []string{b.String() + ";"}
}

// keyNavOrdersOnly is a t1 key whose scope holds orders alone: customers is no entity set of its.
const keyNavOrdersOnly = "secret-orders-only"

// newNavGateway is a Server over navCatalog and its rows in a real DuckDB.
func newNavGateway(t *testing.T) *gateway {
	t.Helper()
	ctx := testkit.Context(t)
	cat, err := catalog.Load([]byte(navCatalog), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: navSQL(), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	pl := planner.New(cat, planner.Config{})
	t.Cleanup(func() { pl.Close() })
	logs := &lockedBuffer{}
	principals := staticAuth{keyNavOrdersOnly: {KeyID: "k-orders", Tenants: []string{"t1"}, Role: auth.RoleViewer, Scopes: []string{"orders"}}}
	for k, p := range httpPrincipals {
		principals[k] = p
	}
	srv := New(Config{
		Authenticator: principals,
		Planner:       pl,
		Catalog:       pl.Catalog,
		Log:           slog.New(slog.NewJSONHandler(logs, nil)),
		Version:       "test-1",
		Executor:      engine.New(engine.Config{Backends: map[string]engine.Backend{"duckdb": be}, Default: "duckdb"}),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &gateway{t: t, srv: srv, url: ts.URL, logs: logs, cat: cat}
}

// jsonText is v as compact JSON, keys sorted, for comparing nested entities.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestODataNavigationMetadata(t *testing.T) {
	g := newNavGateway(t)
	x := string(g.get("/odata/$metadata", keyT1).body)
	for _, want := range []string{`<NavigationProperty Name="customers" Type="SetuPranali.customers" Nullable="true">`,
		`<NavigationPropertyBinding Path="customers" Target="customers">`} {
		if !strings.Contains(x, want) {
			t.Errorf("$metadata lacks %s:\n%s", want, x)
		}
	}
}

// $expand nests each order's customer as its tenant sees it: null when the order names no
// customer, one nobody has, or one only another tenant has; an object (NULL region) when the
// customer's region is NULL.
func TestODataExpandManyToOne(t *testing.T) {
	g := newNavGateway(t)
	for _, tc := range []struct{ key, tenant string }{{keyT1, "t1"}, {keyT2, "t2"}} {
		want := map[string]string{}
		for _, o := range navOrders {
			if o.tenant != tc.tenant {
				continue
			}
			c, ok := navCustomerOf(o, tc.tenant)
			related := "null"
			if ok {
				region := "null"
				if c.region != "" {
					region = strconv.Quote(c.region)
				}
				related = fmt.Sprintf(`{"_key":%s,"region":%s}`, strconv.Quote(fmt.Sprintf(`[%s,%q]`, region, c.id)), region)
			}
			want[o.id] = related
		}
		rows, _, _ := g.odataRows("/odata/orders?$select=order_id,customers&$expand="+url.QueryEscape("customers($select=region)"), tc.key)
		got := map[string]string{}
		for _, r := range rows {
			got[str(r["order_id"])] = jsonText(t, r["customers"])
			if len(r) != 3 {
				t.Errorf("%s: %v has properties beyond _key, order_id and customers", tc.tenant, r)
			}
		}
		if jsonText(t, got) != jsonText(t, want) {
			t.Errorf("%s: expanded customers\n got %v\nwant %v", tc.tenant, got, want)
		}
	}
	// The whole related entity: its dimensions, no metric.
	rows, _, _ := g.odataRows("/odata/orders?$filter=order_id%20eq%20'o1'&$expand=customers", keyT1)
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	if got, want := jsonText(t, rows[0]["customers"]), `{"_key":"[\"c1\",\"North\",\"retail\"]","customer_id":"c1","region":"North","segment":"retail"}`; got != want {
		t.Errorf("o1's customer %s, want %s", got, want)
	}
	if num(t, rows[0]["total_revenue"]) != 1 {
		t.Errorf("o1 %v", rows[0])
	}
}

// Paths in $filter, $select, $orderby and groupby join the customers the tenant sees, each
// order counted once; groupby's path comes back nested, as the aggregation extension writes it.
func TestODataNavigationPaths(t *testing.T) {
	g := newNavGateway(t)
	for _, tc := range []struct{ key, tenant string }{{keyT1, "t1"}, {keyT2, "t2"}} {
		byRegion := map[string]float64{}
		north := map[string]float64{}
		for _, o := range navOrders {
			if o.tenant != tc.tenant {
				continue
			}
			c, _ := navCustomerOf(o, tc.tenant)
			region := "null"
			if c.region != "" {
				region = strconv.Quote(c.region)
			}
			byRegion[region] += navRevenue(o)
			if c.region == "North" {
				north[o.city] += navRevenue(o)
			}
		}
		rows, _, _ := g.odataRows("/odata/orders?$apply="+url.QueryEscape("groupby((customers/region),aggregate(total_revenue with sum as rev))"), tc.key)
		got := map[string]float64{}
		for _, r := range rows {
			nested, ok := r["customers"].(map[string]any)
			if !ok || len(nested) != 2 {
				t.Fatalf("%s: groupby row %v: customers not nested as {_key, region}", tc.tenant, r)
			}
			got[jsonText(t, nested["region"])] = num(t, r["rev"])
		}
		if jsonText(t, got) != jsonText(t, byRegion) {
			t.Errorf("%s: revenue by customers/region %v, want %v", tc.tenant, got, byRegion)
		}

		q := url.Values{"$select": {"city,customers/region,total_revenue"}, "$filter": {"customers/region eq 'North'"}, "$orderby": {"customers/region,city desc"}}
		rows, _, _ = g.odataRows("/odata/orders?"+q.Encode(), tc.key)
		got = map[string]float64{}
		var order []string
		for _, r := range rows {
			if jsonText(t, r["customers"]) != `{"_key":"[\"North\"]","region":"North"}` {
				t.Errorf("%s: row %v", tc.tenant, r)
			}
			got[str(r["city"])] = num(t, r["total_revenue"])
			order = append(order, str(r["city"]))
		}
		if jsonText(t, got) != jsonText(t, north) || !slices.IsSortedFunc(order, func(a, b string) int { return strings.Compare(b, a) }) {
			t.Errorf("%s: North revenue by city %v (order %v), want %v", tc.tenant, got, order, north)
		}
	}
}

// A key that may not see customers has no navigation to it: not in $metadata, and a path or
// $expand naming it is unknown (400), as any name it cannot see.
func TestODataNavigationOutOfScope(t *testing.T) {
	g := newNavGateway(t)
	x := string(g.get("/odata/$metadata", keyNavOrdersOnly).body)
	if !strings.Contains(x, `<EntityType Name="orders">`) || strings.Contains(x, "customers") {
		t.Errorf("$metadata for a key scoped to orders:\n%s", x)
	}
	for _, path := range []string{"/odata/orders?$expand=customers", "/odata/orders?$filter=" + url.QueryEscape("customers/region eq 'North'"),
		"/odata/orders?$select=customers/region", "/odata/orders?$apply=" + url.QueryEscape("groupby((customers/region))")} {
		if msg := g.get(path, keyNavOrdersOnly).checkODataError(t, http.StatusBadRequest, "invalid_request"); !strings.Contains(msg, "customers") {
			t.Errorf("%s: %q", path, msg)
		}
	}
	// Its orders themselves still answer.
	if rows, _, _ := g.odataRows("/odata/orders?$select=order_id", keyNavOrdersOnly); len(rows) != 6 {
		t.Errorf("t1's orders: %v", rows)
	}
}

func TestODataNavigationRefusals(t *testing.T) {
	g := newNavGateway(t)
	for _, tc := range []struct {
		path    string
		status  int
		mention string
	}{
		{"/odata/customers?$expand=orders", http.StatusNotImplemented, "one-to-many"},
		{"/odata/customers?$filter=" + url.QueryEscape("orders/city eq 'x'"), http.StatusNotImplemented, "one-to-many"},
		{"/odata/orders?$expand=" + url.QueryEscape("customers($filter=region eq 'x')"), http.StatusNotImplemented, "$filter"},
		{"/odata/orders?$expand=" + url.QueryEscape("customers($expand=x)"), http.StatusNotImplemented, "$expand"},
		{"/odata/orders?$expand=nope", http.StatusBadRequest, "nope"},
		// ';' between options inside $expand, unencoded as clients send it, is read.
		{"/odata/orders?$expand=customers($select=region;$top=1)", http.StatusNotImplemented, "$top"},
		{"/odata/orders?$select=customers/customers_count", http.StatusNotImplemented, "customers_count"},
	} {
		code := "not_supported"
		if tc.status == http.StatusBadRequest {
			code = "invalid_request"
		}
		if msg := g.get(tc.path, keyT1).checkODataError(t, tc.status, code); !strings.Contains(msg, tc.mention) {
			t.Errorf("%s: %q does not mention %q", tc.path, msg, tc.mention)
		}
	}
}
