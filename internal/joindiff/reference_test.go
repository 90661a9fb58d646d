package joindiff

import (
	"slices"
	"strings"
	"testing"
)

// tiny is the schema's shape with a handful of rows, small enough to compute by hand.
//
//	tenantA orders: o1 10 (c1, shipped), o2 5 (NULL customer, open), o3 7 (c9: no such customer, open)
//	tenantA items:  o1 line 1 p1 (tools), o1 line 2 p2 (toys), o2 line 1 p1
//	tenantA customers: c1 retail, c2 pro
//	tenantB: o1 100 (c1) with one item p2, customer c1 edu: the same keys as tenantA's
//	products (shared): p1 tools 4.0, p2 toys 6.0
func tiny() *Schema {
	s := newSchema()
	rows := map[string][]Row{
		"orders": {
			{"tenant_id": "tenantA", "order_id": "o1", "customer_id": "c1", "status": "shipped", "amount": 10.0},
			{"tenant_id": "tenantA", "order_id": "o2", "status": "open", "amount": 5.0},
			{"tenant_id": "tenantA", "order_id": "o3", "customer_id": "c9", "status": "open", "amount": 7.0},
			{"tenant_id": "tenantB", "order_id": "o1", "customer_id": "c1", "status": "open", "amount": 100.0},
		},
		"order_items": {
			{"tenant_id": "tenantA", "order_id": "o1", "line_no": int64(1), "product_id": int64(1), "quantity": int64(2), "line_amount": 3.0},
			{"tenant_id": "tenantA", "order_id": "o1", "line_no": int64(2), "product_id": int64(2), "quantity": int64(1), "line_amount": 6.0},
			{"tenant_id": "tenantA", "order_id": "o2", "line_no": int64(1), "product_id": int64(1), "quantity": int64(5), "line_amount": 4.0},
			{"tenant_id": "tenantB", "order_id": "o1", "line_no": int64(1), "product_id": int64(2), "quantity": int64(9), "line_amount": 90.0},
		},
		"customers": {
			{"tenant_id": "tenantA", "customer_id": "c1", "segment": "retail"},
			{"tenant_id": "tenantA", "customer_id": "c2", "segment": "pro"},
			{"tenant_id": "tenantB", "customer_id": "c1", "segment": "edu"},
		},
		"products": {
			{"product_id": int64(1), "category": "tools", "price": 4.0},
			{"product_id": int64(2), "category": "toys", "price": 6.0},
		},
	}
	for id, r := range rows {
		s.Dataset(id).Rows = r
	}
	return s
}

func step(alias, dataset, typ, leftAlias, leftCol, col string) Step {
	return Step{Alias: alias, Dataset: dataset, Type: typ, On: []On{{ColRef{leftAlias, leftCol}, col}}}
}

var (
	ordersItems = []Step{{Alias: "o", Dataset: "orders"}, step("i", "order_items", "inner", "o", "order_id", "order_id")}
	itemsAll    = []Step{{Alias: "i", Dataset: "order_items"}, step("o", "orders", "inner", "i", "order_id", "order_id"), step("p", "products", "inner", "i", "product_id", "product_id")}
)

func TestTruthByHand(t *testing.T) {
	s := tiny()
	cases := []struct {
		name   string
		q      Query
		tenant string
		want   []string
	}{
		{
			// Each order once through its items: o1 10 + o2 5 (o3 has no item). Summing per
			// joined row would give 25.
			name: "sum through one-to-many", tenant: "tenantA",
			q:    Query{Steps: ordersItems, Metrics: []MetricRef{{"o", "revenue", "bare"}}},
			want: []string{"15"},
		},
		{
			// tenantB's o1 shares the key with tenantA's: without tenant filters the same
			// query reads o1 twice (10 and 100) and items of both tenants.
			name: "colliding keys over all tenants", tenant: AllTenants,
			q:    Query{Steps: ordersItems, Metrics: []MetricRef{{"o", "revenue", "bare"}}},
			want: []string{"115"},
		},
		{
			// The items metric is at its own grain: 3+6+4.
			name: "metric of the many side", tenant: "tenantA",
			q:    Query{Steps: ordersItems, Dims: []ColRef{{"o", "status"}}, Metrics: []MetricRef{{"i", "item_revenue", "bare"}, {"i", "item_count", "bare"}}},
			want: []string{"open | 4 | 1", "shipped | 9 | 2"},
		},
		{
			// Orders per category: o1 has items in tools and toys, o2 in tools.
			name: "orders per category", tenant: "tenantA",
			q:    Query{Steps: itemsAll, Dims: []ColRef{{"p", "category"}}, Metrics: []MetricRef{{"o", "order_count", "bare"}, {"o", "revenue", "bare"}}},
			want: []string{"tools | 2 | 15", "toys | 1 | 10"},
		},
		{
			// A derived metric divides parts aggregated at the orders' grain: 15 / 2, not 25 / 3.
			name: "derived metric through one-to-many", tenant: "tenantA",
			q:    Query{Steps: ordersItems, Metrics: []MetricRef{{"o", "revenue_per_order", "measure"}}},
			want: []string{"7.5"},
		},
		{
			// And NULL where its divisor is 0: no order is shipped with a NULL status.
			name: "derived metric over no rows", tenant: "tenantA",
			q: Query{Steps: ordersItems, Metrics: []MetricRef{{"o", "revenue_per_order", "measure"}},
				Filters: []Filter{{Ref: ColRef{"o", "status"}, Op: "isnull"}}},
			want: []string{"NULL"},
		},
		{
			// avg over distinct orders (10, 5), not over joined rows (10, 10, 5).
			name: "avg through one-to-many", tenant: "tenantA",
			q:    Query{Steps: ordersItems, Metrics: []MetricRef{{"o", "avg_amount", "bare"}}},
			want: []string{"7.5"},
		},
		{
			// NULL and unmatched keys: both orders keep a NULL segment under a left join.
			name: "left join with NULL and unmatched keys", tenant: "tenantA",
			q: Query{Steps: []Step{{Alias: "o", Dataset: "orders"}, step("c", "customers", "left", "o", "customer_id", "customer_id")},
				Dims: []ColRef{{"c", "segment"}}, Metrics: []MetricRef{{"o", "revenue", "bare"}, {"c", "customer_count", "bare"}}},
			want: []string{"retail | 10 | 1", "NULL | 12 | 0"},
		},
		{
			name: "inner join drops them", tenant: "tenantA",
			q: Query{Steps: []Step{{Alias: "o", Dataset: "orders"}, step("c", "customers", "inner", "o", "customer_id", "customer_id")},
				Metrics: []MetricRef{{"o", "order_count", "bare"}}},
			want: []string{"1"},
		},
		{
			// c2 has no order: a right join keeps it with NULL order columns.
			name: "right join", tenant: "tenantA",
			q: Query{Steps: []Step{{Alias: "o", Dataset: "orders"}, step("c", "customers", "right", "o", "customer_id", "customer_id")},
				Dims: []ColRef{{"o", "status"}}, Metrics: []MetricRef{{"c", "customer_count", "bare"}, {"o", "revenue", "bare"}}},
			want: []string{"shipped | 1 | 10", "NULL | 1 | NULL"},
		},
		{
			name: "full join", tenant: "tenantA",
			q: Query{Steps: []Step{{Alias: "o", Dataset: "orders"}, step("c", "customers", "full", "o", "customer_id", "customer_id")},
				Dims: []ColRef{{"c", "segment"}}, Metrics: []MetricRef{{"o", "order_count", "bare"}, {"c", "customer_count", "bare"}}},
			want: []string{"retail | 1 | 1", "NULL | 2 | 0", "pro | 0 | 1"},
		},
		{
			// The self-join: each order once per status, however many orders share it.
			name: "self-join to an ungrouped sub-select", tenant: "tenantA",
			q: Query{Steps: []Step{{Alias: "a", Dataset: "orders"}, {Alias: "b", Dataset: "orders", Derived: &Derived{Column: "status"}, Type: "inner", On: []On{{ColRef{"a", "status"}, "status"}}}},
				Dims: []ColRef{{"a", "status"}}, Metrics: []MetricRef{{"a", "revenue", "bare"}}},
			want: []string{"shipped | 10", "open | 12"},
		},
		{
			// Tableau's set joined back: tenantA's statuses whose revenue is over 11 (shipped
			// 10, open 12), so only open, with its 2 orders.
			name: "grouped sub-select with HAVING", tenant: "tenantA",
			q: Query{Steps: []Step{{Alias: "a", Dataset: "orders"}, {Alias: "b", Dataset: "orders", Type: "inner", On: []On{{ColRef{"a", "status"}, "status"}},
				Derived: &Derived{Column: "status", Grouped: true, Having: &Having{Metric: "revenue", Value: 11}}}},
				Dims: []ColRef{{"a", "status"}}, Metrics: []MetricRef{{"a", "order_count", "bare"}}},
			want: []string{"open | 2"},
		},
		{
			name: "WHERE on the joined side, and IN a sub-select", tenant: "tenantA",
			q: Query{Steps: itemsAll, Metrics: []MetricRef{{"o", "revenue", "bare"}, {"i", "units", "bare"}},
				Filters: []Filter{
					{Ref: ColRef{"p", "category"}, Op: "=", Values: []any{"tools"}},
					{Ref: ColRef{"o", "customer_id"}, Op: "insub", Sub: &Sub{Dataset: "customers", Column: "customer_id",
						Filter: &Filter{Ref: ColRef{"", "segment"}, Op: "=", Values: []any{"retail"}}}},
				}},
			want: []string{"10 | 2"},
		},
		{
			// No tuple survives: still one row, a count of 0 and a NULL sum.
			name: "totals over nothing", tenant: "tenantA",
			q: Query{Steps: ordersItems, Metrics: []MetricRef{{"o", "order_count", "bare"}, {"o", "revenue", "bare"}},
				Filters: []Filter{{Ref: ColRef{"o", "status"}, Op: "isnull"}}},
			want: []string{"0 | NULL"},
		},
		{
			name: "count distinct and min through the join", tenant: "tenantA",
			q:    Query{Steps: itemsAll, Metrics: []MetricRef{{"o", "buyers", "bare"}, {"p", "avg_price", "bare"}, {"i", "min_line", "bare"}}},
			want: []string{"1 | 5 | 3"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := s.Truth(&c.q, c.tenant)
			if !slices.Equal(sortedCopy(got), sortedCopy(c.want)) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func sortedCopy(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		in   string
		null bool
		want string
	}{
		{"15", false, "15"}, {"15.000", false, "15"}, {"7.50", false, "7.5"}, {"0.1000000000001", false, "0.1"},
		{"1e-12", false, "0"}, {"", true, Null}, {"c01", false, "c01"}, {"2024-01-05", false, "2024-01-05"},
	} {
		if got := Normalize(c.in, c.null); got != c.want {
			t.Errorf("Normalize(%q, %v) = %q, want %q", c.in, c.null, got, c.want)
		}
	}
}

func TestRender(t *testing.T) {
	s := tiny()
	q := Query{Steps: itemsAll, Dims: []ColRef{{"p", "category"}}, Metrics: []MetricRef{{"o", "revenue", "agg"}, {"o", "buyers", "measure"}},
		Filters: []Filter{{Ref: ColRef{"o", "order_date"}, Op: ">", Values: []any{"2024-02-01"}}, {Ref: ColRef{"i", "product_id"}, Op: "in", Values: []any{int64(1), int64(2)}}}}
	for shape, want := range map[string]string{
		"plain": "SELECT p.category AS d0, SUM(o.revenue) AS m0, MEASURE(o.buyers) AS m1 FROM order_items i INNER JOIN orders o ON i.order_id = o.order_id " +
			"INNER JOIN products p ON i.product_id = p.product_id WHERE o.order_date > DATE '2024-02-01' AND i.product_id IN (1, 2) GROUP BY 1",
		"wrapped": "SELECT d0, SUM(c0) AS m0, MEASURE(c1) AS m1 FROM (SELECT p.category AS d0, o.revenue AS c0, o.buyers AS c1 FROM order_items i " +
			"INNER JOIN orders o ON i.order_id = o.order_id INNER JOIN products p ON i.product_id = p.product_id " +
			"WHERE o.order_date > DATE '2024-02-01' AND i.product_id IN (1, 2)) AS q GROUP BY 1",
	} {
		q.Shape = shape
		q.render(s)
		if q.SQL != want {
			t.Errorf("%s:\n got %s\nwant %s", shape, q.SQL, want)
		}
	}
	d := Query{Steps: []Step{{Alias: "a", Dataset: "orders"}, {Alias: "b", Dataset: "customers", Type: "left", On: []On{{ColRef{"a", "customer_id"}, "customer_id"}},
		Derived: &Derived{Column: "customer_id", Grouped: true, Filter: &Filter{Ref: ColRef{"", "segment"}, Op: "=", Values: []any{"o'pro"}}}}},
		Metrics: []MetricRef{{"a", "order_count", "bare"}}, Shape: "implicit"}
	d.render(s)
	want := "SELECT a.order_count AS m0 FROM orders a LEFT JOIN (SELECT customer_id FROM customers WHERE segment = 'o''pro' GROUP BY customer_id) b ON a.customer_id = b.customer_id"
	if d.SQL != want {
		t.Errorf("derived:\n got %s\nwant %s", d.SQL, want)
	}
}

// The generated data has what the test is for: keys colliding across tenants, NULL keys, keys
// matching nothing, a one-to-many step with several rows per key.
func TestDataTraps(t *testing.T) {
	s := Generate(1)
	tenantsOf := map[string]map[any]bool{}
	nullCustomer, strayCustomer := 0, 0
	for _, r := range s.Dataset("orders").Rows {
		id := r["order_id"]
		if tenantsOf[id.(string)] == nil {
			tenantsOf[id.(string)] = map[any]bool{}
		}
		tenantsOf[id.(string)][r["tenant_id"]] = true
		switch r["customer_id"] {
		case nil:
			nullCustomer++
		case "c99":
			strayCustomer++
		}
	}
	if len(tenantsOf["o001"]) != len(Tenants) {
		t.Errorf("order o001 belongs to %v, want every tenant", tenantsOf["o001"])
	}
	if nullCustomer == 0 || strayCustomer == 0 {
		t.Errorf("%d orders without a customer, %d with a customer that does not exist; want some of each", nullCustomer, strayCustomer)
	}
	perOrder := map[string]int{}
	for _, r := range s.Dataset("order_items").Rows {
		if r["tenant_id"] == "tenantA" {
			perOrder[r["order_id"].(string)]++
		}
	}
	many := 0
	for _, n := range perOrder {
		if n > 1 {
			many++
		}
	}
	if many < 5 {
		t.Errorf("%d of tenantA's orders have several items; the one-to-many step needs more", many)
	}
	for _, d := range s.Datasets {
		if d.RLS != (d.ID != "products" && d.ID != "product_tags") {
			t.Errorf("%s: RLS %v", d.ID, d.RLS)
		}
	}
	if !strings.Contains(s.SQL(Postgres), "DOUBLE PRECISION") || !strings.Contains(s.SQL(DuckDB), "SET threads = 1;") {
		t.Error("dialects are not told apart")
	}
}

// The generator is seeded, covers the shapes the test is for, and its queries tell a leak
// from the truth: most answer differently over every tenant's rows.
func TestGenerator(t *testing.T) {
	s := Generate(1)
	a, b := NewGenerator(s, 42), NewGenerator(s, 42)
	seen := map[string]int{}
	discriminating := 0
	const n = 500
	for i := range n {
		qa, qb := a.Next(), b.Next()
		if qa.SQL != qb.SQL {
			t.Fatalf("query %d differs between two generators of one seed:\n%s\n%s", i, qa.SQL, qb.SQL)
		}
		seen["shape "+qa.Shape]++
		for _, st := range qa.Steps {
			seen["join "+st.Type]++
			if st.Derived != nil {
				seen["derived grouped="+map[bool]string{true: "yes", false: "no"}[st.Derived.Grouped]]++
			}
		}
		for _, f := range qa.Filters {
			seen["filter "+f.Op]++
		}
		if strings.Contains(qa.SQL, `"Orders `) {
			seen["quoted alias"]++
		}
		if strings.Contains(qa.SQL, "_per_") {
			seen["derived metric"]++
		}
		if strings.Contains(qa.SQL, " HAVING MEASURE(") {
			seen["having"]++
		}
		if strings.Contains(qa.SQL, " USING (") {
			seen["using"]++
		}
		if qa.Lookup(s) {
			seen["lookup"]++
		}
		if qa.LookupAcrossTenants(s) {
			seen["lookup across tenants"]++
		}
		if strings.Contains(qa.SQL, " NATURAL ") {
			seen["natural"]++
		}
		if strings.Contains(qa.SQL, " w0_1)") || strings.Contains(qa.SQL, " w1_1)") {
			seen["wrapped twice"]++
		}
		if strings.Contains(qa.SQL, "w0_1 AS (") || strings.Contains(qa.SQL, "w1_1 AS (") {
			seen["wrapped twice in CTEs"]++
		}
		comma := false
		for _, st := range qa.Steps {
			if comma && !st.Comma {
				t.Errorf("query %d: a JOIN after a comma item: %s", i, qa.SQL)
			}
			if st.Comma {
				comma = true
				seen["comma"]++
				if st.Type != "inner" {
					t.Errorf("query %d: a comma step of type %s: %s", i, st.Type, qa.SQL)
				}
			}
		}
		if strings.Contains(qa.SQL, "ship_customer_id") {
			seen["second alias"]++
		}
		if len(qa.Steps) < 2 {
			t.Errorf("query %d joins nothing: %s", i, qa.SQL)
		}
		if !slices.Equal(sortedCopy(s.Truth(qa, "tenantA")), sortedCopy(s.Truth(qa, AllTenants))) {
			discriminating++
		}
	}
	for _, k := range []string{"shape plain", "shape implicit", "shape wrapped", "shape cte", "join inner", "join left", "join right", "join full",
		"derived grouped=yes", "derived grouped=no", "filter insub", "filter isnull", "filter in", "second alias", "using", "lookup", "quoted alias", "derived metric", "having",
		"natural", "comma", "wrapped twice", "wrapped twice in CTEs", "lookup across tenants"} {
		if seen[k] < 5 {
			t.Errorf("%s: %d of %d queries", k, seen[k], n)
		}
	}
	if discriminating < n/2 {
		t.Errorf("only %d of %d queries answer differently over every tenant's rows", discriminating, n)
	}
	t.Logf("%d of %d discriminate; %v", discriminating, n, seen)
}

func TestLookup(t *testing.T) {
	s := tiny()
	byKey := []Step{{Alias: "o", Dataset: "orders"}, step("c", "customers", "left", "o", "customer_id", "customer_id")}
	notKey := []Step{{Alias: "o", Dataset: "orders"}, step("i", "order_items", "inner", "o", "order_id", "order_id")}
	grouped := []Step{{Alias: "o", Dataset: "orders"}, {Alias: "s", Dataset: "orders", Type: "inner", On: []On{{ColRef{"o", "status"}, "status"}}, Derived: &Derived{Column: "status", Grouped: true}}}
	for _, c := range []struct {
		name  string
		steps []Step
		alias string
		want  bool
	}{
		{"many-to-one on the key", byKey, "o", true},
		{"a metric of the looked-up side", byKey, "c", false},
		{"part of a composite key", notKey, "o", false},
		{"grouped sub-select", grouped, "o", true},
	} {
		q := Query{Steps: c.steps, Metrics: []MetricRef{{c.alias, "order_count", "bare"}}}
		if got := q.Lookup(s); got != c.want {
			t.Errorf("%s: Lookup %v, want %v", c.name, got, c.want)
		}
	}
	r := Query{Steps: []Step{{Alias: "o", Dataset: "orders"}, {Alias: "c", Dataset: "customers", Type: "left", On: byKey[1].On, Using: true}},
		Metrics: []MetricRef{{"o", "revenue", "bare"}}, Shape: "plain"}
	r.render(s)
	if want := "SELECT o.revenue AS m0 FROM orders o LEFT JOIN customers c USING (customer_id)"; r.SQL != want {
		t.Errorf("USING:\n got %s\nwant %s", r.SQL, want)
	}
	tenantOn := append(slices.Clone(byKey[1].On), On{ColRef{"o", TenantColumn}, TenantColumn})
	across := Query{Steps: []Step{byKey[0], {Alias: "c", Dataset: "customers", Type: "left", On: tenantOn}}, Metrics: []MetricRef{{"o", "order_count", "bare"}}}
	if !across.LookupAcrossTenants(s) || (&Query{Steps: byKey, Metrics: across.Metrics}).LookupAcrossTenants(s) {
		t.Error("LookupAcrossTenants does not ask for the tenant column")
	}
}

// Comma, NATURAL and wrapped steps render as the old-style FROM list, NATURAL joins and plain
// sub-selects; the reference reads them as the same joins (TestTruthByHand covers those).
func TestRenderStyles(t *testing.T) {
	s := tiny()
	on := []On{{ColRef{"o", "customer_id"}, "customer_id"}}
	q := Query{Steps: []Step{{Alias: "o", Dataset: "orders", Wrap: 2}, {Alias: "c", Dataset: "customers", Type: "inner", On: on, Comma: true}},
		Metrics: []MetricRef{{"o", "revenue", "bare"}}, Filters: []Filter{{Ref: ColRef{"c", "segment"}, Op: "=", Values: []any{"pro"}}}, Shape: "plain"}
	q.render(s)
	cols := strings.Join(s.Dataset("orders").Visible(), ", ")
	want := "SELECT o.revenue AS m0 FROM (SELECT * FROM (SELECT " + cols + " FROM orders w0_0) w0_1) o, customers c WHERE o.customer_id = c.customer_id AND c.segment = 'pro'"
	if q.SQL != want {
		t.Errorf("comma and wrap:\n got %s\nwant %s", q.SQL, want)
	}
	q.Steps[0].WrapCTE, q.Shape = true, "cte"
	q.render(s)
	want = "WITH w0_0 AS (SELECT " + cols + " FROM orders), w0_1 AS (SELECT * FROM w0_0), q AS (SELECT o.revenue AS c0 FROM w0_1 o, customers c " +
		"WHERE o.customer_id = c.customer_id AND c.segment = 'pro') SELECT c0 AS m0 FROM q"
	if q.SQL != want {
		t.Errorf("CTE wrap:\n got %s\nwant %s", q.SQL, want)
	}
	n := Query{Steps: []Step{{Alias: "o", Dataset: "orders"}, {Alias: "c", Dataset: "customers", Type: "left", On: on, Natural: true}},
		Metrics: []MetricRef{{"o", "revenue", "bare"}}, Shape: "plain"}
	n.render(s)
	if want := "SELECT o.revenue AS m0 FROM orders o NATURAL LEFT JOIN customers c"; n.SQL != want {
		t.Errorf("NATURAL:\n got %s\nwant %s", n.SQL, want)
	}
}

func TestSame(t *testing.T) {
	for _, c := range []struct {
		got, want []string
		same      bool
	}{
		{[]string{"a | 1", "b | 2"}, []string{"b | 2", "a | 1"}, true},
		{[]string{"a | 2.12345679"}, []string{"a | 2.12345678"}, true},
		{[]string{"a | 2.1234578"}, []string{"a | 2.12345678"}, false},
		{[]string{"a | 1"}, []string{"a | 1", "a | 1"}, false},
		{[]string{"a | 1"}, []string{"b | 1"}, false},
		{[]string{"a | NULL"}, []string{"a | 0"}, false},
	} {
		if got := Same(c.got, c.want); got != c.same {
			t.Errorf("Same(%q, %q) = %v", c.got, c.want, got)
		}
	}
}
