package semantic

import (
	"errors"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// starPaths is a resolver over a small star: order_items -> orders -> customers,
// order_items -> products, and employees joined to themselves twice (manager, mentor), as a
// front door's catalog lookup would answer. "broken.x" fails; "odd.name" is a column of the
// query's dataset whose name holds a dot.
func starPaths(anchor string) Resolver {
	toOrders := Step{Dataset: "orders", On: []Pair{{From: "order_id", To: "order_id"}}}
	toCustomers := Step{Dataset: "customers", On: []Pair{{From: "customer_id", To: "customer_id"}, {From: "tenant_key", To: "tenant_key"}}}
	toProducts := Step{Dataset: "products", On: []Pair{{From: "sku", To: "sku"}}}
	paths := map[string]map[string][]Step{
		"orders":      {"orders": nil, "customers": {toCustomers}},
		"order_items": {"order_items": nil, "orders": {toOrders}, "customers": {toOrders, toCustomers}, "products": {toProducts}},
		"customers":   {"customers": nil, "orders": {{Dataset: "orders", On: []Pair{{From: "customer_id", To: "customer_id"}}}}},
	}
	return func(name string) (Ref, bool, error) {
		if name == "odd.name" {
			return Ref{}, false, nil
		}
		ds, col, _ := strings.Cut(name, ".")
		if ds == "broken" {
			return Ref{}, false, errBroken
		}
		if anchor == "employees" {
			switch ds {
			case "manager":
				return Ref{Path: []Step{{Dataset: "employees", On: []Pair{{From: "manager_id", To: "id"}}}}, Column: col}, true, nil
			case "mentor":
				return Ref{Path: []Step{{Dataset: "employees", On: []Pair{{From: "mentor_id", To: "id"}}}}, Column: col}, true, nil
			}
		}
		p, ok := paths[anchor][ds]
		if !ok {
			return Ref{}, false, errors.New("no path to " + ds)
		}
		return Ref{Path: p, Column: col}, true, nil
	}
}

var errBroken = errors.New("broken")

func TestBuildJoinsMakesTheTreeOfTheJoinedSQL(t *testing.T) {
	limit := int64(3)
	cases := []buildCase{
		{name: "a many-to-one dimension, filtered and ordered",
			q: &Query{Dataset: "orders",
				Items:   []Item{{Col: "customers.region"}, {Col: "total_revenue"}, {Col: "city"}},
				Where:   And(Cmp{Op: "=", L: Col{Name: "customers.segment"}, R: Lit{Value: String("retail")}}, Cmp{Op: ">", L: Col{Name: "order_date"}, R: Lit{Value: String("2025-01-01")}}),
				OrderBy: []Order{{Col: "customers.region"}, {Col: "customers.name", Desc: true}}, Limit: &limit},
			sql: `SELECT "customers"."region" AS "customers.region", "orders"."total_revenue", "orders"."city" FROM "orders" ` +
				`LEFT JOIN "customers" ON "orders"."customer_id" = "customers"."customer_id" AND "orders"."tenant_key" = "customers"."tenant_key" ` +
				`WHERE "customers"."segment" = $1 AND "orders"."order_date" > $2 ` +
				`ORDER BY "customers.region" ASC NULLS FIRST, "customers"."name" DESC NULLS LAST LIMIT $3`,
			args: []string{"retail", "2025-01-01", "3"}},
		{name: "two steps share their first; a second branch",
			q: &Query{Dataset: "order_items",
				Items:   []Item{{Col: "products.category", Alias: "cat"}, {Col: "customers.region"}, {Col: "orders.orders_count", Agg: "measure"}, {Col: "item_revenue"}},
				GroupBy: []string{"cat", "customers.region"},
				Having:  Cmp{Op: ">", L: Col{Name: "cat"}, R: Lit{Value: String("a")}}},
			sql: `SELECT "products"."category" AS "cat", "customers"."region" AS "customers.region", MEASURE("orders"."orders_count") AS "orders.orders_count", "order_items"."item_revenue" ` +
				`FROM "order_items" LEFT JOIN "products" ON "order_items"."sku" = "products"."sku" ` +
				`LEFT JOIN "orders" ON "order_items"."order_id" = "orders"."order_id" ` +
				`LEFT JOIN "customers" ON "orders"."customer_id" = "customers"."customer_id" AND "orders"."tenant_key" = "customers"."tenant_key" ` +
				`GROUP BY "products"."category", "customers"."region" HAVING "cat" > $1`,
			args: []string{"a"}},
		{name: "metrics of two datasets",
			q: &Query{Dataset: "customers", Items: []Item{{Col: "region"}, {Col: "customers_count"}, {Col: "orders.total_revenue", Alias: "rev"}},
				Having: Cmp{Op: ">", L: Col{Name: "orders.total_revenue"}, R: Lit{Value: Int(10)}}},
			sql: `SELECT "customers"."region", "customers"."customers_count", "orders"."total_revenue" AS "rev" FROM "customers" ` +
				`LEFT JOIN "orders" ON "customers"."customer_id" = "orders"."customer_id" HAVING "orders"."total_revenue" > $1`,
			args: []string{"10"}},
		{name: "WHERE names columns, never output names",
			q: &Query{Dataset: "orders", Items: []Item{{Col: "customers.region", Alias: "status"}, {Col: "status", Alias: "s"}},
				Where: Cmp{Op: "=", L: Col{Name: "status"}, R: Lit{Value: String("open")}}, OrderBy: []Order{{Col: "status"}}},
			sql: `SELECT "customers"."region" AS "status", "orders"."status" AS "s" FROM "orders" ` +
				`LEFT JOIN "customers" ON "orders"."customer_id" = "customers"."customer_id" AND "orders"."tenant_key" = "customers"."tenant_key" ` +
				`WHERE "orders"."status" = $1 ORDER BY "status" ASC NULLS FIRST`,
			args: []string{"open"}},
		{name: "one dataset reached twice",
			q: &Query{Dataset: "employees", Items: []Item{{Col: "name"}, {Col: "manager.name"}, {Col: "mentor.name"}, {Col: "headcount"}}},
			sql: `SELECT "employees"."name", "employees_2"."name" AS "manager.name", "employees_3"."name" AS "mentor.name", "employees"."headcount" FROM "employees" ` +
				`LEFT JOIN "employees" AS "employees_2" ON "employees"."manager_id" = "employees_2"."id" ` +
				`LEFT JOIN "employees" AS "employees_3" ON "employees"."mentor_id" = "employees_3"."id"`},
		{name: "the query's own dataset named with its columns",
			q:   &Query{Dataset: "orders", Items: []Item{{Col: "orders.city"}, {Col: "odd.name"}}},
			sql: `SELECT "orders"."city" AS "orders.city", "orders"."odd.name" FROM "orders"`},
		{name: "no dotted name builds as before",
			q:   &Query{Dataset: "orders", Items: []Item{{Col: "city"}, {Col: "odd.name"}}, OrderBy: []Order{{Col: "city"}}},
			sql: `SELECT "city", "odd.name" FROM "orders" ORDER BY "city" ASC NULLS FIRST`},
		{name: "counted", count: true,
			q: &Query{Dataset: "orders", Items: []Item{{Col: "customers.region"}, {Col: "total_revenue", Agg: "measure"}}, GroupBy: []string{"customers.region"},
				OrderBy: []Order{{Col: "customers.region"}}, Limit: &limit},
			sql: `SELECT COUNT(*) AS "count" FROM (SELECT "customers"."region" AS "customers.region", MEASURE("orders"."total_revenue") AS "total_revenue" FROM "orders" ` +
				`LEFT JOIN "customers" ON "orders"."customer_id" = "customers"."customer_id" AND "orders"."tenant_key" = "customers"."tenant_key" GROUP BY "customers"."region") AS "result"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Joins = starPaths(tc.q.Dataset)
			build := Build
			if tc.count {
				build = BuildCount
			}
			node, args, err := build(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := pg_query.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pg_query.Deparse(&pg_query.ParseResult{Version: parsed.Version, Stmts: []*pg_query.RawStmt{{Stmt: node}}})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := pg_query.Deparse(parsed)
			if got != want {
				t.Errorf("deparsed\n got %s\nwant %s", got, want)
			}
			if g, w := withoutLocations(node), withoutLocations(parsed.Stmts[0].Stmt); !proto.Equal(g, w) {
				t.Errorf("tree\n got %v\nwant %v", g, w)
			}
			var texts []string
			for _, a := range args {
				texts = append(texts, a.Text)
			}
			if strings.Join(texts, "|") != strings.Join(tc.args, "|") {
				t.Errorf("args %q, want %q", texts, tc.args)
			}
		})
	}
}

// The resolver's error is Build's, as it stands, wherever the name is: the front door renders it.
func TestBuildJoinsPassesTheResolversError(t *testing.T) {
	for _, q := range []*Query{
		{Dataset: "orders", Items: []Item{{Col: "broken.x"}}},
		{Dataset: "orders", Items: []Item{{Col: "city"}}, Where: Cmp{Op: "=", L: Col{Name: "broken.x"}, R: Lit{Value: Int(1)}}},
		{Dataset: "orders", Items: []Item{{Col: "city"}}, OrderBy: []Order{{Col: "broken.x"}}},
		{Dataset: "orders", Items: []Item{{Col: "city"}}, GroupBy: []string{"city", "broken.x"}},
	} {
		q.Joins = starPaths("orders")
		if _, _, err := Build(q); !errors.Is(err, errBroken) {
			t.Errorf("%+v: %v", q, err)
		}
		if len(q.OrderBy) > 0 {
			continue // counting drops ORDER BY, and with it the name
		}
		if _, _, err := BuildCount(q); !errors.Is(err, errBroken) {
			t.Errorf("count %+v: %v", q, err)
		}
	}
}

// A step without pairs would be a cross join: refused. A zero byte in a name the resolver gave
// is refused as in any other name.
func TestBuildJoinsRefusesStepsTextCouldNotHold(t *testing.T) {
	for _, step := range []Step{
		{Dataset: "customers"},
		{Dataset: "cust\x00omers", On: []Pair{{From: "a", To: "b"}}},
		{Dataset: "customers", On: []Pair{{From: "a\x00", To: "b"}}},
	} {
		q := &Query{Dataset: "orders", Items: []Item{{Col: "customers.region"}}, Joins: func(string) (Ref, bool, error) {
			return Ref{Path: []Step{step}, Column: "region"}, true, nil
		}}
		if n, _, err := Build(q); err == nil {
			t.Errorf("%+v built as %v", step, n)
		}
	}
}
