package httpapi

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
)

// The /v1/query join tests run the real Server, planner and DuckDB over a small star schema
// (customers <- orders <- order_items -> products, and two datasets no path reaches well). The
// keys of customers, orders and order_items are the same in both tenants, so a join that crossed
// tenants would show; products has no row-level security. Expected answers come from joinTruth,
// a naive evaluation in Go of the declared joins over the test's own rows.

const joinCatalog = `datasets:
  - id: customers
    source: {engine: duckdb, type: table, reference: j_customers}
    primaryKey: customer_id
    fields:
      - {name: customer_id, type: string}
      - {name: tenant_id, type: string}
      - {name: region, type: string}
      - {name: segment, type: string}
    dimensions: [{name: customer_id}, {name: region}, {name: segment}, {name: segment_named_at_such_length_that_it_overflows_identifiers, field: segment}]
    metrics: [{name: customers_count, expression: {agg: count, field: customer_id}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
  - id: orders
    source: {engine: duckdb, type: table, reference: j_orders}
    primaryKey: order_id
    fields:
      - {name: order_id, type: string}
      - {name: tenant_id, type: string}
      - {name: customer_id, type: string}
      - {name: status, type: string}
      - {name: amount, type: double}
    dimensions: [{name: order_id}, {name: customer_id}, {name: status}]
    metrics:
      - {name: revenue, expression: {agg: sum, field: amount}}
      - {name: orders_count, expression: {agg: count, field: order_id}}
      - {name: avg_amount, expression: {agg: avg, field: amount}}
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: customers, relationship: many_to_one, on: {customer_id: customer_id}}
  - id: order_items
    source: {engine: duckdb, type: table, reference: j_items}
    primaryKey: [order_id, line_no]
    fields:
      - {name: order_id, type: string}
      - {name: line_no, type: int64}
      - {name: tenant_id, type: string}
      - {name: sku, type: string}
      - {name: qty, type: int64}
    dimensions: [{name: order_id}, {name: line_no}, {name: sku}]
    metrics: [{name: units, expression: {agg: sum, field: qty}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: orders, relationship: many_to_one, on: {order_id: order_id}}
      - {dataset: products, relationship: many_to_one, on: {sku: sku}}
  - id: products
    source: {engine: duckdb, type: table, reference: j_products}
    primaryKey: sku
    fields:
      - {name: sku, type: string}
      - {name: category, type: string}
    dimensions: [{name: sku}, {name: category}]
    metrics: [{name: products_count, expression: {agg: count, field: sku}}]
  - id: notes
    source: {engine: duckdb, type: table, reference: j_notes}
    fields:
      - {name: note_id, type: string}
      - {name: tenant_id, type: string}
      - {name: topic, type: string}
      - {name: customer_id, type: string}
    dimensions: [{name: topic}, {name: customer_id}]
    metrics: [{name: notes_count, expression: {agg: count, field: note_id}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: customers, relationship: many_to_one, on: {customer_id: customer_id}}
  - id: shipments
    source: {engine: duckdb, type: table, reference: j_shipments}
    primaryKey: shipment_id
    fields:
      - {name: shipment_id, type: string}
      - {name: tenant_id, type: string}
      - {name: order_id, type: string}
      - {name: weight, type: double}
    dimensions: [{name: shipment_id}]
    metrics: [{name: total_weight, expression: {agg: sum, field: weight}}]
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    joins:
      - {dataset: orders, relationship: many_to_one, on: {order_id: order_id}}
`

// jrow is one row of a test table, by field.
type jrow map[string]any

// joinData are the star's rows, by dataset id.
type joinData map[string][]jrow

// joinFixture makes the rows: two tenants with the same customer, order and line keys, orders
// whose customer is NULL or matches no customer, lines whose sku is NULL or no product's, a
// customer without orders. Amounts are quarters, so sums are exact in any order.
func joinFixture() joinData {
	r := rand.New(rand.NewPCG(17, 3))
	d := joinData{}
	d["j_products"] = []jrow{{"sku": "p1", "category": "tea"}, {"sku": "p2", "category": "tea"}, {"sku": "p3", "category": "coffee"}}
	regions, segments, statuses := []string{"North", "South", "East"}, []string{"retail", "wholesale"}, []string{"open", "shipped", "returned"}
	for _, tenant := range []string{"t1", "t2"} {
		for i := 1; i <= 5; i++ {
			d["j_customers"] = append(d["j_customers"], jrow{"customer_id": fmt.Sprintf("c%d", i), "tenant_id": tenant,
				"region": regions[r.IntN(len(regions))], "segment": segments[r.IntN(len(segments))]})
		}
		for i := 1; i <= 30; i++ {
			o := jrow{"order_id": fmt.Sprintf("o%d", i), "tenant_id": tenant, "customer_id": fmt.Sprintf("c%d", 1+r.IntN(4)),
				"status": statuses[r.IntN(len(statuses))], "amount": float64(r.IntN(4000)) / 4}
			switch i % 10 {
			case 3:
				o["customer_id"] = nil
			case 7:
				o["customer_id"] = "c9" // no such customer
			}
			d["j_orders"] = append(d["j_orders"], o)
			for line := 1; line <= r.IntN(4); line++ {
				it := jrow{"order_id": o["order_id"], "line_no": int64(line), "tenant_id": tenant, "sku": fmt.Sprintf("p%d", 1+r.IntN(4)), "qty": int64(1 + r.IntN(5))}
				if (i+line)%11 == 0 {
					it["sku"] = nil
				}
				d["j_items"] = append(d["j_items"], it)
			}
			if i%4 == 0 {
				d["j_shipments"] = append(d["j_shipments"], jrow{"shipment_id": fmt.Sprintf("s%d", i), "tenant_id": tenant, "order_id": o["order_id"], "weight": 1.5})
			}
		}
		for i := 1; i <= 6; i++ {
			d["j_notes"] = append(d["j_notes"], jrow{"note_id": fmt.Sprintf("n%d", i), "tenant_id": tenant, "topic": "x", "customer_id": fmt.Sprintf("c%d", 1+i%3)})
		}
	}
	return d
}

// joinTables are the tables' columns in order, with their SQL types.
var joinTables = []struct{ name, cols string }{
	{"j_customers", "customer_id VARCHAR, tenant_id VARCHAR, region VARCHAR, segment VARCHAR"},
	{"j_orders", "order_id VARCHAR, tenant_id VARCHAR, customer_id VARCHAR, status VARCHAR, amount DOUBLE"},
	{"j_items", "order_id VARCHAR, line_no BIGINT, tenant_id VARCHAR, sku VARCHAR, qty BIGINT"},
	{"j_products", "sku VARCHAR, category VARCHAR"},
	{"j_notes", "note_id VARCHAR, tenant_id VARCHAR, topic VARCHAR, customer_id VARCHAR"},
	{"j_shipments", "shipment_id VARCHAR, tenant_id VARCHAR, order_id VARCHAR, weight DOUBLE"},
}

func (d joinData) initSQL() []string {
	var out []string
	for _, tb := range joinTables {
		var names []string
		for _, c := range strings.Split(tb.cols, ", ") {
			names = append(names, strings.Fields(c)[0])
		}
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE %s (%s);\nINSERT INTO %s VALUES ", tb.name, tb.cols, tb.name)
		for i, row := range d[tb.name] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for k, n := range names {
				if k > 0 {
					b.WriteString(", ")
				}
				switch v := row[n].(type) {
				case nil:
					b.WriteString("NULL")
				case string:
					b.WriteString("'" + v + "'")
				default:
					fmt.Fprint(&b, v)
				}
			}
			b.WriteString(")")
		}
		out = append(out, b.String()+";")
	}
	return out
}

// Keys of the join tests: a tenant each, the admin, and a key scoped to orders alone.
const keyOrdersOnly = "secret-orders-only"

var joinPrincipals = staticAuth{
	keyT1:         {KeyID: "k-t1", Tenants: []string{"t1"}, Role: auth.RoleViewer},
	keyT2:         {KeyID: "k-t2", Tenants: []string{"t2"}, Role: auth.RoleViewer},
	keyAdmin:      {KeyID: "k-admin", Role: auth.RoleAdmin},
	keyOrdersOnly: {KeyID: "k-orders", Tenants: []string{"t1"}, Role: auth.RoleViewer, Scopes: []string{"orders"}},
}

// newJoinGateway serves the star over a real DuckDB.
func newJoinGateway(t *testing.T, d joinData) *gateway {
	t.Helper()
	ctx := testkit.Context(t)
	cat, err := catalog.Load([]byte(joinCatalog), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: d.initSQL(), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	pl := planner.New(cat, planner.Config{})
	t.Cleanup(func() { pl.Close() })
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	srv := New(Config{
		Authenticator: joinPrincipals,
		Planner:       pl,
		Catalog:       pl.Catalog,
		Log:           log,
		Version:       "test-1",
		Executor:      engine.New(engine.Config{Backends: map[string]engine.Backend{"duckdb": be}, Default: "duckdb", Log: log}),
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &gateway{t: t, srv: srv, url: ts.URL, logs: logs, cat: cat}
}

// jstep is one join of the reference: relation alias reaches table from relation parent where
// each pair's fields are equal (NULL equals nothing).
type jstep struct {
	alias, parent, table string
	on                   [][2]string
}

// jcol is a dimension or metric of the reference: field of relation rel; agg is "" for a
// dimension, else sum, count or avg over the relation's distinct rows.
type jcol struct{ rel, field, agg string }

// jquery is a reference query: anchor's rows LEFT JOINed along steps, kept by where, grouped by
// the dimensions; each metric over the distinct rows of its relation in the group.
type jquery struct {
	anchor string
	steps  []jstep
	cols   []jcol
	where  func(map[string]jrow) bool
}

// joinTruth evaluates q over the rows the tenant sees ("" for the admin: every tenant's): the
// result rows rendered as text, sorted.
func joinTruth(d joinData, tenant string, q jquery) []string {
	visible := func(table string) []jrow {
		var out []jrow
		for _, row := range d[table] {
			if tv, ok := row["tenant_id"]; !ok || tenant == "" || tv == tenant {
				out = append(out, row)
			}
		}
		return out
	}
	var joined []map[string]jrow
	for _, row := range visible(q.anchor) {
		joined = append(joined, map[string]jrow{"": row})
	}
	for _, s := range q.steps {
		var next []map[string]jrow
		for _, j := range joined {
			matched := false
			for _, row := range visible(s.table) {
				if j[s.parent] != nil && pairsEqual(j[s.parent], row, s.on) {
					next = append(next, with(j, s.alias, row))
					matched = true
				}
			}
			if !matched {
				next = append(next, with(j, s.alias, nil))
			}
		}
		joined = next
	}
	type group struct {
		dims []any
		rows []map[*jrow]bool // per metric column: the distinct rows seen
		vals [][]any
	}
	groups := map[string]*group{}
	for _, j := range joined {
		if q.where != nil && !q.where(j) {
			continue
		}
		var dims []any
		for _, c := range q.cols {
			if c.agg == "" {
				dims = append(dims, field(j[c.rel], c.field))
			}
		}
		key := fmt.Sprint(dims...)
		g := groups[key]
		if g == nil {
			g = &group{dims: dims, rows: make([]map[*jrow]bool, len(q.cols)), vals: make([][]any, len(q.cols))}
			groups[key] = g
		}
		for i, c := range q.cols {
			row := j[c.rel]
			if c.agg == "" || row == nil {
				continue
			}
			id := identity(d, row)
			if g.rows[i] == nil {
				g.rows[i] = map[*jrow]bool{}
			}
			if !g.rows[i][id] {
				g.rows[i][id] = true
				g.vals[i] = append(g.vals[i], row[c.field])
			}
		}
	}
	var out []string
	for _, g := range groups {
		var cells []string
		di := 0
		for i, c := range q.cols {
			if c.agg == "" {
				cells = append(cells, cell(g.dims[di]))
				di++
				continue
			}
			cells = append(cells, cell(aggregate(c.agg, g.vals[i])))
		}
		out = append(out, strings.Join(cells, " | "))
	}
	slices.Sort(out)
	return out
}

func pairsEqual(a, b jrow, on [][2]string) bool {
	for _, p := range on {
		if a[p[0]] == nil || a[p[0]] != b[p[1]] {
			return false
		}
	}
	return true
}

func with(j map[string]jrow, alias string, row jrow) map[string]jrow {
	out := make(map[string]jrow, len(j)+1)
	for k, v := range j {
		out[k] = v
	}
	out[alias] = row
	return out
}

func field(row jrow, f string) any {
	if row == nil {
		return nil
	}
	return row[f]
}

// identity is the row's own slot in the fixture: two rows of equal values are still two rows.
func identity(d joinData, row jrow) *jrow {
	for _, rows := range d {
		for i := range rows {
			if reflect.ValueOf(rows[i]).UnsafePointer() == reflect.ValueOf(row).UnsafePointer() {
				return &rows[i]
			}
		}
	}
	panic("row not in the fixture")
}

// aggregate is SQL's aggregate of the values: NULLs ignored, sum and avg of none NULL.
func aggregate(agg string, vals []any) any {
	var n int64
	var sum float64
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			continue
		case float64:
			sum += v
		case int64:
			sum += float64(v)
		}
		n++
	}
	switch agg {
	case "count":
		return n
	case "sum":
		if n == 0 {
			return nil
		}
		return sum
	case "avg":
		if n == 0 {
			return nil
		}
		return sum / float64(n)
	}
	panic(agg)
}

// cell renders a value of the reference or of a JSON answer alike.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case string:
		return v
	case int64:
		return fmt.Sprintf("%.4f", float64(v))
	case float64:
		return fmt.Sprintf("%.4f", v)
	}
	var f float64
	if _, err := fmt.Sscan(fmt.Sprint(v), &f); err == nil {
		return fmt.Sprintf("%.4f", f)
	}
	return fmt.Sprint(v)
}

// answer is a /v1/query answer rendered as joinTruth renders the reference, with the columns it
// must have, in order.
func answer(t *testing.T, r response, columns ...string) []string {
	t.Helper()
	var out []string
	for _, row := range r.rows(t, columns...) {
		var cells []string
		for _, c := range columns {
			cells = append(cells, cell(row[c]))
		}
		out = append(out, strings.Join(cells, " | "))
	}
	slices.Sort(out)
	return out
}

// The reference's steps of the star.
var (
	toCustomers = jstep{alias: "customers", parent: "", table: "j_customers", on: [][2]string{{"customer_id", "customer_id"}}}
	itemsToOrd  = jstep{alias: "orders", parent: "", table: "j_orders", on: [][2]string{{"order_id", "order_id"}}}
	ordToCust   = jstep{alias: "customers", parent: "orders", table: "j_customers", on: [][2]string{{"customer_id", "customer_id"}}}
	itemsToProd = jstep{alias: "products", parent: "", table: "j_products", on: [][2]string{{"sku", "sku"}}}
	custToOrd   = jstep{alias: "orders", parent: "", table: "j_orders", on: [][2]string{{"customer_id", "customer_id"}}}
	ordToItems  = jstep{alias: "items", parent: "orders", table: "j_items", on: [][2]string{{"order_id", "order_id"}}}
)

// Every request shape answers, for each tenant and the admin, what the declared joins give over
// the rows that principal reads: dimensions of datasets reached many-to-one, filters and HAVING
// on them, and metrics of several datasets, each counted once per row of its own dataset.
func TestQueryJoinsAnswerTheTruth(t *testing.T) {
	d := joinFixture()
	g := newJoinGateway(t, d)
	cases := []struct {
		name    string
		body    string
		columns []string
		ref     jquery
		having  func([]string) []string
	}{
		{name: "a dimension of a dataset reached many-to-one",
			body:    `{"dataset":"orders","dimensions":["customers.region"],"metrics":["revenue","orders_count","avg_amount"]}`,
			columns: []string{"customers.region", "revenue", "orders_count", "avg_amount"},
			ref: jquery{anchor: "j_orders", steps: []jstep{toCustomers},
				cols: []jcol{{"customers", "region", ""}, {"", "amount", "sum"}, {"", "order_id", "count"}, {"", "amount", "avg"}}}},
		{name: "two steps, a second branch, and a metric of the dataset one step up",
			body:    `{"dataset":"order_items","dimensions":["products.category","customers.region"],"metrics":["units","orders.revenue","orders.orders_count","orders.avg_amount"]}`,
			columns: []string{"products.category", "customers.region", "units", "orders.revenue", "orders.orders_count", "orders.avg_amount"},
			ref: jquery{anchor: "j_items", steps: []jstep{itemsToProd, itemsToOrd, ordToCust},
				cols: []jcol{{"products", "category", ""}, {"customers", "region", ""}, {"", "qty", "sum"}, {"orders", "amount", "sum"}, {"orders", "order_id", "count"}, {"orders", "amount", "avg"}}}},
		{name: "metrics of datasets reached one-to-many, anchor rows kept",
			body:    `{"dataset":"customers","dimensions":["region"],"metrics":["customers_count","orders.revenue","orders.orders_count","order_items.units"]}`,
			columns: []string{"region", "customers_count", "orders.revenue", "orders.orders_count", "order_items.units"},
			ref: jquery{anchor: "j_customers", steps: []jstep{custToOrd, ordToItems},
				cols: []jcol{{"", "region", ""}, {"", "customer_id", "count"}, {"orders", "amount", "sum"}, {"orders", "order_id", "count"}, {"items", "qty", "sum"}}}},
		{name: "a metric of the dataset reached many-to-one, filtered on it",
			body: `{"dataset":"orders","dimensions":["status"],"metrics":["revenue",{"name":"customers.customers_count","alias":"buyers"}],
				"filters":[{"field":"customers.segment","op":"eq","value":"retail"}]}`,
			columns: []string{"status", "revenue", "buyers"},
			ref: jquery{anchor: "j_orders", steps: []jstep{toCustomers},
				cols:  []jcol{{"", "status", ""}, {"", "amount", "sum"}, {"customers", "customer_id", "count"}},
				where: func(j map[string]jrow) bool { return field(j["customers"], "segment") == "retail" }}},
		{name: "or over a joined and an own dimension, and HAVING",
			body: `{"dataset":"orders","dimensions":["customers.segment"],"metrics":["customers.customers_count","revenue"],
				"filters":[{"or":[{"field":"customers.region","op":"eq","value":"North"},{"field":"status","op":"eq","value":"open"}]},{"field":"revenue","op":"gt","value":100}]}`,
			columns: []string{"customers.segment", "customers.customers_count", "revenue"},
			ref: jquery{anchor: "j_orders", steps: []jstep{toCustomers},
				cols: []jcol{{"customers", "segment", ""}, {"customers", "customer_id", "count"}, {"", "amount", "sum"}},
				where: func(j map[string]jrow) bool {
					return field(j["customers"], "region") == "North" || field(j[""], "status") == "open"
				}},
			having: func(rows []string) []string { return havingOver(rows, 2, 100) }},
		{name: "HAVING on a metric of a dataset reached one-to-many",
			body:    `{"dataset":"customers","dimensions":["region"],"metrics":["orders.revenue","customers_count"],"filters":[{"field":"orders.revenue","op":"gt","value":5000}]}`,
			columns: []string{"region", "orders.revenue", "customers_count"},
			ref: jquery{anchor: "j_customers", steps: []jstep{custToOrd},
				cols: []jcol{{"", "region", ""}, {"orders", "amount", "sum"}, {"", "customer_id", "count"}}},
			having: func(rows []string) []string { return havingOver(rows, 1, 5000) }},
		{name: "a dataset without a primary key, by a dimension reached many-to-one",
			body:    `{"dataset":"notes","dimensions":["customers.region"],"metrics":["notes_count"]}`,
			columns: []string{"customers.region", "notes_count"},
			ref: jquery{anchor: "j_notes", steps: []jstep{toCustomers},
				cols: []jcol{{"customers", "region", ""}, {"", "note_id", "count"}}}},
		{name: "a total filtered by a joined dimension",
			body:    `{"dataset":"order_items","metrics":["units"],"filters":[{"field":"products.category","op":"eq","value":"tea"}]}`,
			columns: []string{"units"},
			ref: jquery{anchor: "j_items", steps: []jstep{itemsToProd}, cols: []jcol{{"", "qty", "sum"}},
				where: func(j map[string]jrow) bool { return field(j["products"], "category") == "tea" }}},
	}
	for _, tc := range cases {
		for _, who := range []struct{ key, tenant string }{{keyT1, "t1"}, {keyT2, "t2"}, {keyAdmin, ""}} {
			if who.key == keyAdmin && tc.ref.anchor == "j_notes" {
				continue // refused: see TestQueryJoinsRefusals
			}
			t.Run(tc.name+"/"+who.key, func(t *testing.T) {
				want := joinTruth(d, who.tenant, tc.ref)
				if tc.having != nil {
					want = tc.having(want)
				}
				got := answer(t, g.query(who.key, tc.body), tc.columns...)
				if !slices.Equal(got, want) {
					t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			})
		}
	}
}

// havingOver keeps the rendered rows whose column i is over min (a HAVING on it).
func havingOver(rows []string, i int, min float64) []string {
	var out []string
	for _, r := range rows {
		var f float64
		if _, err := fmt.Sscan(strings.Split(r, " | ")[i], &f); err == nil && f > min {
			out = append(out, r)
		}
	}
	return out
}

// Dotted names order the result, and name its columns; an alias renames a joined column.
func TestQueryJoinsOrderAndName(t *testing.T) {
	d := joinFixture()
	g := newJoinGateway(t, d)
	rows := g.query(keyT1, `{"dataset":"orders","dimensions":[{"name":"customers.region","alias":"r"},"customers.segment"],"metrics":["orders_count"],
		"orderBy":[{"field":"customers.region","direction":"desc"},"customers.segment"],"limit":50}`).rows(t, "r", "customers.segment", "orders_count")
	var got []string
	for _, r := range rows {
		got = append(got, cell(r["r"])+" | "+cell(r["customers.segment"]))
	}
	want := slices.Clone(got)
	slices.SortFunc(want, func(a, b string) int {
		ar, as, _ := strings.Cut(a, " | ")
		br, bs, _ := strings.Cut(b, " | ")
		// The API puts NULL last when descending and first when ascending.
		switch {
		case ar != br && ar == "NULL":
			return 1
		case ar != br && br == "NULL":
			return -1
		case ar != br:
			return strings.Compare(br, ar)
		case as == bs:
			return 0
		case as == "NULL":
			return -1
		case bs == "NULL":
			return 1
		}
		return strings.Compare(as, bs)
	})
	if !slices.Equal(got, want) || len(got) < 3 {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
	truth := joinTruth(d, "t1", jquery{anchor: "j_orders", steps: []jstep{toCustomers},
		cols: []jcol{{"customers", "region", ""}, {"customers", "segment", ""}, {"", "order_id", "count"}}})
	if len(truth) != len(rows) {
		t.Errorf("%d rows, want %d", len(rows), len(truth))
	}
}

// Names no declared path can honour are refused, each with its status and SQLSTATE, naming it.
func TestQueryJoinsRefusals(t *testing.T) {
	g := newJoinGateway(t, joinFixture())
	for _, tc := range []struct {
		key, body   string
		status      int
		code, state string
		mentions    []string
	}{
		{keyT1, `{"dataset":"orders","dimensions":["nope.region"],"metrics":["revenue"]}`, 400, "unknown_field", "42703", []string{`"nope.region"`}},
		{keyT1, `{"dataset":"orders","dimensions":["customers.nope"],"metrics":["revenue"]}`, 400, "unknown_field", "42703", []string{`"customers"`, `"nope"`}},
		{keyT1, `{"dataset":"orders","dimensions":["customers.customers_count"]}`, 400, "unknown_field", "42703", []string{`no dimension "customers_count"`}},
		{keyT1, `{"dataset":"orders","metrics":["customers.region"]}`, 400, "unknown_field", "42703", []string{`no metric "region"`}},
		{keyT1, `{"dataset":"customers","dimensions":["orders.status"],"metrics":["customers_count"]}`, 400, "invalid_query", "42P10", []string{`"orders.status"`, "one-to-many"}},
		{keyT1, `{"dataset":"orders","dimensions":["notes.topic"],"metrics":["revenue"]}`, 400, "invalid_query", "42P10", []string{`"notes.topic"`, `"orders"`, `"notes"`}},
		{keyT1, `{"dataset":"orders","metrics":["revenue","notes.notes_count"]}`, 400, "invalid_query", "42P10", []string{`"notes.notes_count"`}},
		{keyT1, `{"dataset":"orders","metrics":["revenue"],"filters":[{"field":"notes.topic","op":"eq","value":"x"}]}`, 400, "invalid_query", "42P10", []string{`"notes.topic"`}},
		{keyT1, `{"dataset":"orders","dimensions":["status"],"metrics":["revenue"],"orderBy":["notes.topic"]}`, 400, "unknown_field", "42703", []string{`"notes.topic"`}},
		// The join's field on shipments is shown by no dimension, so no query can join on it.
		{keyT1, `{"dataset":"shipments","dimensions":["orders.status"],"metrics":["total_weight"]}`, 501, "not_supported", "0A000", []string{`"order_id"`, `"shipments"`}},
		// notes declares no primaryKey. A tenant's customers are unique on customer_id, but
		// the admin reads every tenant's, which share ids: a note would be counted once per
		// tenant's customer of its id, and the planner refuses rather than repeat it.
		{keyAdmin, `{"dataset":"notes","dimensions":["customers.region"],"metrics":["notes_count"]}`, 501, "not_supported", "0A000", []string{`"notes_count"`, `"notes"`, `"customers"`}},
		// A joined column is named by its dotted name, which must fit an identifier.
		{keyT1, `{"dataset":"orders","dimensions":["customers.segment_named_at_such_length_that_it_overflows_identifiers"]}`, 400, "invalid_query", "22023", []string{"alias"}},
		// A dataset outside the key's scope is no dataset to it.
		{keyOrdersOnly, `{"dataset":"orders","dimensions":["customers.region"],"metrics":["revenue"]}`, 400, "unknown_field", "42703", []string{`"customers.region"`}},
	} {
		msg := g.query(tc.key, tc.body).checkError(t, tc.status, tc.code, tc.state)
		for _, m := range tc.mentions {
			if !strings.Contains(msg, m) {
				t.Errorf("%s: message %q does not name %s", tc.body, msg, m)
			}
		}
	}
}

// stats.rlsApplied says whether a tenant filter applied to any dataset the query read: the
// joined ones count, so a shared dataset joined to a tenant's rows reports it.
func TestQueryJoinsReportRLSOfJoinedDatasets(t *testing.T) {
	g := newJoinGateway(t, joinFixture())
	for _, tc := range []struct {
		body string
		want bool
	}{
		{`{"dataset":"products","dimensions":["category"],"metrics":["products_count"]}`, false},
		{`{"dataset":"products","dimensions":["category"],"metrics":["products_count","order_items.units"]}`, true},
	} {
		stats := g.query(keyT1, tc.body).json(t)["stats"].(map[string]any)
		if stats["rlsApplied"] != tc.want {
			t.Errorf("%s: stats %v, want rlsApplied %v", tc.body, stats, tc.want)
		}
	}
}
