package planner_test

import (
	"context"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

func TestGuards(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{Guards: planner.Guards{MaxDimensions: 2, MaxMetrics: 2, MaxFilterDepth: 2}})
	tenant := principals["tenantA"]
	cases := []struct {
		sql     string
		limited bool
	}{
		{"SELECT city, order_date, total_revenue, orders_count FROM orders", false},
		{"SELECT city, order_date, city_upper, total_revenue FROM orders", true},
		{"SELECT city FROM orders WHERE order_date > DATE '2025-01-01' AND city_upper = 'X' GROUP BY city", true},
		{"SELECT total_revenue, orders_count, avg_revenue FROM orders", true},
		{"SELECT total_revenue, SUM(total_revenue), MEASURE(orders_count) FROM orders", false},
		{"SELECT city FROM orders WHERE city = 'a' AND (city = 'b' OR city = 'c') GROUP BY city", false},
		{"SELECT city FROM orders WHERE city = 'a' AND (city = 'b' OR NOT (city = 'c')) GROUP BY city", true},
		{"SELECT city FROM orders GROUP BY city HAVING total_revenue > 1 AND (orders_count > 1 OR NOT (total_revenue < 5))", true},
	}
	for _, c := range cases {
		_, err := planOne(p, tenant, c.sql)
		got := sqlerr.Code(err) == sqlerr.ProgramLimitExceeded
		if err != nil && !got {
			t.Errorf("%s: unexpected %v", c.sql, err)
			continue
		}
		if got != c.limited {
			t.Errorf("%s: limited = %v (%v), want %v", c.sql, got, err, c.limited)
		}
		if got && !strings.Contains(err.Error(), "limit is 2") {
			t.Errorf("%s: message %q does not name the limit", c.sql, err)
		}
	}
}

func TestPlanCache(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 10})
	sql := "SELECT city, total_revenue FROM orders"
	a1, err := planOne(p, principals["tenantA"], sql)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := planOne(p, principals["tenantA"], sql)
	if a1 != a2 {
		t.Error("a repeated statement was planned again")
	}
	b, _ := planOne(p, principals["tenantB"], sql)
	if b == a1 || !strings.Contains(b.SQL, "'tenantB'") || strings.Contains(b.SQL, "'tenantA'") {
		t.Errorf("tenantB got tenantA's plan: %s", b.SQL)
	}
	admin, _ := planOne(p, principals["admin"], sql)
	if admin == a1 || strings.Contains(admin.SQL, "tenant_id") {
		t.Errorf("admin plan: %s", admin.SQL)
	}
}

func TestPlanCacheKeysOnCatalogVersion(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{})
	sql := "SELECT city FROM orders GROUP BY city"
	before, err := planOne(p, principals["tenantA"], sql)
	if err != nil {
		t.Fatal(err)
	}
	changed := mustLoadCatalog(t, `datasets:
  - id: orders
    source: {reference: other_orders}
    fields: [{name: city, type: string}, {name: tenant_id, type: string}]
    dimensions: [{name: city}]
    rls: {enabled: true, column: tenant_id}
`)
	p.SetCatalog(changed)
	after, err := planOne(p, principals["tenantA"], sql)
	if err != nil {
		t.Fatal(err)
	}
	if after == before || !strings.Contains(after.SQL, "other_orders") {
		t.Errorf("a changed catalog served the old plan: %s", after.SQL)
	}
}

func BenchmarkPlanRepeated(b *testing.B) {
	p := planner.New(loadTestCatalog(b), planner.Config{MaxRows: 1000})
	sql := `select "rows"."city", sum("rows"."total_revenue") as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city"`
	for b.Loop() {
		if _, err := planOne(p, principals["tenantA"], sql); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanNew(b *testing.B) {
	p := planner.New(loadTestCatalog(b), planner.Config{MaxRows: 1000, PlanCacheSize: -1})
	sql := `select "rows"."city", sum("rows"."total_revenue") as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city"`
	for b.Loop() {
		if _, err := planOne(p, principals["tenantA"], sql); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPlanCacheKeysOnTimeZone(t *testing.T) {
	cat := mustLoadCatalog(t, `datasets:
  - id: events
    defaultTimezone: Asia/Kolkata
    source: {reference: events}
    fields: [{name: at, type: timestamptz}, {name: tenant_id, type: string}]
    dimensions: [{name: at}]
    rls: {enabled: true, column: tenant_id}
`)
	p := planner.New(cat, planner.Config{})
	stmts, err := p.Parse("SELECT date_trunc('day', at) FROM events GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	plan := func(zone string) string {
		s := planner.Session{Principal: principals["tenantA"], TimeZone: zone}
		pl, err := p.Plan(context.Background(), s, stmts[0])
		if err != nil {
			t.Fatal(err)
		}
		return pl.SQL
	}
	dataset, utc, again := plan(""), plan("UTC"), plan("")
	if !strings.Contains(dataset, "'Asia/Kolkata'") || !strings.Contains(utc, "'UTC'") || dataset != again {
		t.Errorf("plans per zone:\n dataset zone: %s\n UTC: %s", dataset, utc)
	}
}
