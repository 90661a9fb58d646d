package planner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// TestExplainGolden checks EXPLAIN's lines (testdata/explain/cases_explain.yaml) over the star
// schema of the join tests: among them a joined query whose fan-out is kept by de-duplication,
// with the rewritten engine SQL; -update rewrites the file.
func TestExplainGolden(t *testing.T) {
	runGoldenFiles(t, planner.New(mustLoadCatalogFile(t, "testdata/join/star.yaml"), planner.Config{MaxRows: 1000}),
		[]string{"testdata/explain/cases_explain.yaml"})
}

// TestExplainGoldenDemoCatalog checks EXPLAIN over the planner's test catalog (admin bypass, an
// equals-mode filter, a catalog query, refusals) in testdata/explain/cases_catalog.yaml.
func TestExplainGoldenDemoCatalog(t *testing.T) {
	runGoldenFiles(t, planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000}),
		[]string{"testdata/explain/cases_catalog.yaml"})
}

// explainText plans EXPLAIN sql for principal and returns its lines.
func explainText(t *testing.T, p *planner.Planner, principal auth.Principal, sql string) (*planner.Plan, string) {
	t.Helper()
	plan, err := planOne(p, principal, "EXPLAIN "+sql)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", sql, err)
	}
	var lines []string
	for _, r := range plan.Rows {
		lines = append(lines, *r[0])
	}
	return plan, strings.Join(lines, "\n")
}

// The lines show the caller's own tenant and never another's, whatever the statement names;
// the engine SQL shown is the one the query runs with.
func TestExplainShowsOnlyTheCallersTenant(t *testing.T) {
	p := planner.New(mustLoadCatalogFile(t, "testdata/join/star.yaml"), planner.Config{MaxRows: 1000})
	const q = "SELECT c.region, o.revenue FROM orders o JOIN customers c ON o.customer_id = c.customer_id JOIN order_items i ON i.order_id = o.order_id GROUP BY c.region"
	for _, who := range []string{"tenantA", "tenantB"} {
		plan, text := explainText(t, p, principals[who], q)
		other := map[string]string{"tenantA": "tenantB", "tenantB": "tenantA"}[who]
		if !strings.Contains(text, "'"+who+"'") || strings.Contains(text, other) {
			t.Errorf("%s: EXPLAIN must name %s and never %s:\n%s", who, who, other, text)
		}
		query, err := planOne(p, principals[who], q)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "\nEngine SQL: "+query.SQL) {
			t.Errorf("%s: EXPLAIN does not show the query's engine SQL %q:\n%s", who, query.SQL, text)
		}
		if plan.Tag != "EXPLAIN" || len(plan.Columns) != 1 || plan.Columns[0].Name != "QUERY PLAN" || plan.Columns[0].Type.OID != 25 {
			t.Errorf("%s: plan tag %q columns %v, want EXPLAIN and one text column QUERY PLAN", who, plan.Tag, plan.Columns)
		}
	}
}

// EXPLAIN ANALYZE plans its query for the front door to run, and answers the plan's lines
// followed by what the run found.
func TestExplainAnalyzePlan(t *testing.T) {
	p := planner.New(mustLoadCatalogFile(t, "testdata/join/star.yaml"), planner.Config{MaxRows: 1000})
	plan, err := planOne(p, principals["tenantA"], "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, FORMAT TEXT) SELECT status, revenue FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Kind != planner.KindExplainAnalyze || plan.Inner == nil || plan.Inner.Kind != planner.KindQuery {
		t.Fatalf("kind %v inner %v, want an EXPLAIN ANALYZE plan over a query", plan.Kind, plan.Inner)
	}
	query, err := planOne(p, principals["tenantA"], "SELECT status, revenue FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Inner.SQL != query.SQL || plan.Inner.CacheScope != query.CacheScope || plan.Inner.CatalogVersion != query.CatalogVersion {
		t.Errorf("inner plan differs from the query's own:\n%+v\n%+v", plan.Inner, query)
	}
	done := plan.Analyzed(planner.Analysis{Rows: 3, Cache: "miss", Elapsed: 1500000})
	if done.Kind != planner.KindLocal || len(done.Rows) != len(plan.Rows)+3 {
		t.Fatalf("analyzed: kind %v, %d rows after %d", done.Kind, len(done.Rows), len(plan.Rows))
	}
	var tail []string
	for _, r := range done.Rows[len(plan.Rows):] {
		tail = append(tail, *r[0])
	}
	want := "Actual rows: 3\nActual result cache: miss\nExecution Time: 1.500 ms"
	if got := strings.Join(tail, "\n"); got != want {
		t.Errorf("analyze lines:\n%s\nwant\n%s", got, want)
	}
}

func TestExplainRefusals(t *testing.T) {
	p := planner.New(mustLoadCatalogFile(t, "testdata/join/star.yaml"), planner.Config{MaxRows: 1000})
	for sql, code := range map[string]string{
		"EXPLAIN (FORMAT JSON) SELECT revenue FROM orders":   sqlerr.FeatureNotSupported,
		"EXPLAIN (FORMAT YAML) SELECT revenue FROM orders":   sqlerr.FeatureNotSupported,
		"EXPLAIN (ANALYZE maybe) SELECT revenue FROM orders": sqlerr.InvalidParameterValue,
		"EXPLAIN (NOSUCH) SELECT revenue FROM orders":        sqlerr.SyntaxError,
		"EXPLAIN EXECUTE q":               sqlerr.FeatureNotSupported,
		"EXPLAIN DELETE FROM orders":      sqlerr.ReadOnlySQLTransaction,
		"EXPLAIN SELECT nope FROM orders": sqlerr.UndefinedColumn,
	} {
		_, err := planOne(p, principals["tenantA"], sql)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != code {
			t.Errorf("%s: got %v, want %s", sql, err, code)
		}
	}
}

// A parameter inside EXPLAIN's statement is the statement's parameter: Parse describes it.
func TestExplainParameters(t *testing.T) {
	p := planner.New(mustLoadCatalogFile(t, "testdata/join/star.yaml"), planner.Config{MaxRows: 1000})
	stmts, err := p.Parse("EXPLAIN SELECT revenue FROM orders WHERE status = $1")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Plan(context.Background(), planner.Session{Principal: principals["tenantA"]}, stmts[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Params) != 1 || plan.Params[0].Name != "text" {
		t.Fatalf("params %v, want one text parameter", plan.Params)
	}
}

// The cache and engine lines follow the catalog: a ttlSeconds override (the shortest of the
// datasets read), ttlSeconds 0, and a dataset on a named source, shown by id. Metric lines give
// each aggregation's semantic definition.
func TestExplainCacheEngineAndMetricLines(t *testing.T) {
	cat := mustLoadCatalog(t, "datasets:\n"+
		testkit.OrdersDataset("short", "postgres", "orders", "warehouse")+"    cache: { ttlSeconds: 30 }\n"+
		testkit.OrdersDataset("never", "duckdb", "orders", "")+"    cache: { ttlSeconds: 0 }\n"+
		`  - id: visits
    source: { engine: duckdb, type: table, reference: visits }
    fields:
      - { name: visitor, type: string }
      - { name: status, type: string }
      - { name: secs, type: double }
    dimensions:
      - { name: status, field: status }
    metrics:
      - { name: visitors, expression: { type: aggregation, agg: count_distinct, field: visitor } }
      - { name: paid_secs, expression: { type: aggregation, agg: sum, field: secs, filter: "status = 'paid'" } }
      - { name: spread, expression: { type: aggregation, agg: stddev, field: secs } }
      - { name: rows, expression: { type: aggregation, agg: count } }
`)
	p := planner.New(cat, planner.Config{})
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{"SELECT total_revenue FROM short", []string{
			"Result cache: cacheable for 30s (the catalog's ttlSeconds), per key scope and catalog version",
			`Engine: postgres (source "warehouse")`, "Row cap: none (QUERY_MAX_ROWS is 0)",
			"Tenant filter: short: tenant_id = 'tenantA'"}},
		{"SELECT orders_count FROM never", []string{
			"Result cache: never (the catalog sets ttlSeconds: 0 for a dataset read)", "Engine: duckdb",
			"Metric: never.orders_count = count(order_id)"}},
		{"SELECT visitors, paid_secs, spread, rows FROM visits", []string{
			"Metric: visits.visitors = count(DISTINCT visitor)",
			"Metric: visits.paid_secs = sum(secs) FILTER (WHERE status = 'paid')",
			"Metric: visits.spread = stddev_samp(secs)",
			"Metric: visits.rows = count(*)",
			"Tenant filter: visits: none (the dataset has no row-level security)",
			"Result cache: cacheable for CACHE_TTL_SECONDS when CACHE_ENABLED, per key scope and catalog version"}},
	} {
		_, text := explainText(t, p, principals["tenantA"], c.sql)
		for _, w := range c.want {
			if !strings.Contains(text, "\n"+w+"\n") {
				t.Errorf("%s: no line %q in:\n%s", c.sql, w, text)
			}
		}
	}
}
