package planner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"go.yaml.in/yaml/v3"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/internal/testkit/scopecheck"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// fuzzPrincipal is the caller of every fuzzed statement: one tenant, no admin bypass.
var fuzzPrincipal = auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}

// fuzzInputTimeout bounds parsing and planning one input; a slower input is a failure.
const fuzzInputTimeout = 10 * time.Second

// fuzzShapes are hand-written seeds: shapes BI tools send and shapes that try to get around the
// tenant filter, for the fuzzer to mutate.
var fuzzShapes = []string{
	"SELECT city, total_revenue FROM orders",
	"SELECT city, SUM(total_revenue) FROM orders GROUP BY city ORDER BY 2 DESC LIMIT 10",
	"SELECT city, MEASURE(total_revenue) FROM orders GROUP BY 1",
	`select "rows"."city", sum("rows"."total_revenue") as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city"`,
	"SELECT Region, totalWeight, shipments FROM Shipments",
	"SELECT c.city, c.population FROM cities c JOIN orders o ON o.city = c.city",
	"SELECT o.city, s.Region FROM orders o, Shipments s",
	"WITH x AS (SELECT city FROM orders), y AS (SELECT city FROM x) SELECT * FROM y",
	"WITH orders AS (SELECT city FROM orders) SELECT * FROM orders",
	"WITH a AS (SELECT city FROM b), b AS (SELECT city FROM orders) SELECT * FROM a",
	"SELECT * FROM (WITH t AS (SELECT city FROM orders) SELECT * FROM t) u, t",
	"SELECT city FROM orders WHERE city IN (SELECT city FROM cities WHERE population > 10)",
	"SELECT city FROM orders o WHERE EXISTS (SELECT 1 FROM orders p WHERE p.city = o.city)",
	"SELECT (SELECT max(city) FROM orders), (SELECT count(*) FROM Shipments)",
	"SELECT city FROM orders UNION ALL SELECT Region FROM Shipments INTERSECT SELECT city FROM cities",
	"SELECT city, rank() OVER (PARTITION BY order_date ORDER BY total_revenue DESC) FROM orders GROUP BY city, order_date",
	"SELECT city, count(*) OVER (ORDER BY city ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM orders",
	"SELECT city, count(*) OVER w FROM orders WINDOW w AS (ORDER BY city RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
	"SELECT date_trunc('month', order_date) AS m, total_revenue FROM orders GROUP BY 1 HAVING total_revenue > 100",
	"SELECT extract(year FROM order_date), to_char(order_date, 'YYYY-MM') FROM orders",
	"SELECT city FROM orders WHERE city LIKE 'I%' ESCAPE '!' OR city ILIKE '%o%'",
	"SELECT CASE WHEN city = 'x' THEN 1 ELSE 0 END, COALESCE(city, 'y'), NULLIF(city, ''), GREATEST(1, 2) FROM orders",
	"SELECT city::text, CAST(total_revenue AS numeric(12, 2)) FROM orders GROUP BY city",
	"SELECT DISTINCT ON (city) city, order_date FROM orders ORDER BY city, order_date DESC",
	"SELECT city FROM orders ORDER BY city NULLS FIRST LIMIT 5 OFFSET 1",
	"SELECT city FROM orders FETCH FIRST 3 ROWS ONLY",
	"SELECT count(*) FILTER (WHERE city <> 'x'), string_agg(city, ',' ORDER BY city) FROM orders",
	"SELECT a.city FROM orders a LEFT JOIN orders b USING (city) RIGHT JOIN cities c ON c.city = a.city",
	"SELECT x.tenant_id FROM orders AS x(tenant_id)",
	"SELECT city AS tenant_id FROM orders GROUP BY tenant_id",
	"SELECT * FROM orders, main.orders",
	"SELECT * FROM logistics.shipments",
	"SELECT * FROM setupranali.public.orders",
	"SELECT city FROM orders WHERE tenant_id = 'tenantB'",
	"SELECT * FROM read_csv('/etc/passwd')",
	"SELECT getenv('HOME'), pg_sleep(1)",
	"SELECT 1; SELECT city FROM orders; SELECT * FROM main.orders",
	"TABLE orders",
	"SELECT * FROM ONLY orders",
	"SELECT city FROM orders WHERE city = $1 LIMIT $2",
	"SELECT 1 + (2 * (3 - (4 / (5 % 6))))",
	// Joins (issue 17): keyed datasets, a side without RLS, self-joins, joins in CTEs and
	// sub-selects, and conditions that try to match another tenant's rows.
	"SELECT c.population, o.total_revenue FROM orders o JOIN cities c ON o.city = c.city GROUP BY 1",
	"SELECT c.city, o.orders_count FROM cities c LEFT JOIN orders o ON o.city = c.city AND o.tenant_id <> 'tenantA' GROUP BY 1",
	"SELECT a.order_id, b.order_id FROM orders a JOIN orders b ON a.order_id = b.order_id OR a.tenant_id <> b.tenant_id",
	"SELECT a.city FROM orders a FULL JOIN orders b ON a.city = b.city AND b.tenant_id = 'tenantB' WHERE b.tenant_id IS NULL",
	"SELECT a.city FROM orders a JOIN orders b USING (tenant_id, order_id)",
	"SELECT city FROM orders NATURAL JOIN cities",
	"SELECT o.city, s.totalWeight FROM orders o JOIN Shipments s ON s.Region = o.city OR true GROUP BY 1",
	"WITH j AS (SELECT o.order_id, c.population FROM orders o JOIN cities c USING (city)) SELECT population, count(*) FROM j GROUP BY 1",
	"SELECT d0, sum(c0) FROM (SELECT c.city AS d0, o.total_revenue AS c0 FROM orders o JOIN cities c ON o.city = c.city) AS q GROUP BY 1",
	"SELECT o.order_id FROM orders o WHERE EXISTS (SELECT 1 FROM orders p JOIN cities c ON c.city = p.city WHERE p.order_id = o.order_id AND p.tenant_id <> o.tenant_id)",
	"SELECT o.city, (SELECT count(*) FROM orders p JOIN cities c USING (city) WHERE p.order_id = o.order_id) FROM orders o",
	"SELECT city FROM orders WHERE order_date BETWEEN DATE '2025-01-01' AND now() - INTERVAL '1 day'",
}

// fuzzSeeds are every sql: value of the planner's golden cases and the hostile-SQL corpus, then
// the hand-written shapes.
func fuzzSeeds(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../testdata/planner/cases_*.yaml")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no golden case files: %v", err)
	}
	files = append(files, "../testdata/hostile/corpus.yaml")
	var seeds []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var entries []struct {
			SQL string `yaml:"sql"`
		}
		if err := yaml.Unmarshal(data, &entries); err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
		for _, e := range entries {
			if e.SQL != "" {
				seeds = append(seeds, e.SQL)
			}
		}
	}
	return append(seeds, fuzzShapes...)
}

// FuzzPlanIsTenantFiltered plans arbitrary SQL as a tenant and checks the isolation invariant
// on the engine SQL of every plan: each physical table is read only through a block that holds
// exactly that dataset's tenant predicate, no other relation is reachable, and only allowlisted
// functions are called. A rejected statement must carry a client SQLSTATE; nothing panics or
// takes unbounded time.
func FuzzPlanIsTenantFiltered(f *testing.F) {
	for _, sql := range fuzzSeeds(f) {
		f.Add(sql)
	}
	cat, err := catalog.LoadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		f.Fatal(err)
	}
	p := planner.New(cat, planner.Config{MaxRows: 1000})
	o := newIsolationOracle(f, cat, fuzzPrincipal)
	f.Fuzz(func(t *testing.T, sql string) {
		plans, errs := planWithin(t, p, sql)
		for _, err := range errs {
			var se *sqlerr.Error
			if !errors.As(err, &se) {
				t.Fatalf("%q: error without a SQLSTATE: %v", sql, err)
			}
			if c := sqlerr.Class(se.Code); c == "XX" || c == "53" || c == "58" {
				t.Fatalf("%q: server-fault SQLSTATE %s for a client's statement: %v", sql, se.Code, err)
			}
		}
		for _, plan := range plans {
			if plan.SQL == "" {
				continue
			}
			if problems := o.check(plan.SQL); len(problems) > 0 {
				t.Fatalf("%q planned to engine SQL that breaks tenant isolation:\n%s\nproblems:\n  %s", sql, plan.SQL, strings.Join(problems, "\n  "))
			}
		}
	})
}

// planWithin parses sql and plans each statement as fuzzPrincipal, failing the test on a panic
// or when it takes longer than fuzzInputTimeout.
func planWithin(t *testing.T, p *planner.Planner, sql string) (plans []*planner.Plan, errs []error) {
	t.Helper()
	testkit.Within(t, fuzzInputTimeout, fmt.Sprintf("planning %q", sql), func() {
		stmts, err := p.Parse(sql)
		if err != nil {
			errs = append(errs, err)
			return
		}
		sess := planner.Session{Principal: fuzzPrincipal, Database: "setupranali"}
		for _, st := range stmts {
			plan, err := p.Plan(context.Background(), sess, st)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			plans = append(plans, plan)
		}
	})
	return plans, errs
}

// isolationOracle knows, from the catalog alone, which physical tables exist and the exact row
// filter each must be read under for the principal. It looks at engine SQL only through
// scopecheck (pg_query), never through the planner's own types or helpers.
type isolationOracle struct {
	// filters maps a physical table ("schema.table") to the WHERE clauses a block reading it may
	// have: one per dataset over that table; nil means an unfiltered dataset (rls disabled).
	filters map[string][]*pg_query.Node
}

// engineSpellings are functions the planner's dialect pass writes for the engine in place of
// an allowlisted PostgreSQL spelling (to_char → strftime, LIKE ... ESCAPE → like_escape, ...).
var engineSpellings = map[string]bool{
	"strftime": true, "strptime": true, "like_escape": true, "ilike_escape": true,
	"regexp_matches": true, "regexp_full_match": true, "regexp_extract_all": true,
	"list_transform": true, "array_to_string": true, "quarter": true, "dayofweek": true, "week": true, "year": true, "make_timestamp": true, "datepart": true, "to_months": true, "to_days": true, "printf": true, "epoch": true, "epoch_us": true,
}

// deniedFunctions are functions that must never reach the engine whatever the allowlist says:
// file, network and extension access, settings, sleeps, the engine's internals.
var deniedFunctions = map[string]bool{
	"glob": true, "getenv": true, "current_setting": true, "set_config": true, "sniff_csv": true,
	"parquet_scan": true, "parquet_metadata": true, "parquet_schema": true, "query": true,
	"query_table": true, "sqlite_scan": true, "postgres_scan": true, "mysql_scan": true,
	"iceberg_scan": true, "delta_scan": true, "st_read": true, "load_extension": true,
	"version": true, "current_database": true, "txid_current": true, "generate_series": true,
	"range": true, "unnest": true, "sleep": true,
}

var deniedPrefixes = []string{"read_", "duckdb_", "pragma_", "pg_", "lo_", "dblink", "http", "json_execute"}

func functionAllowed(schema, name string) bool {
	if schema != "" && schema != "pg_catalog" {
		return false
	}
	if deniedFunctions[name] {
		return false
	}
	for _, p := range deniedPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return planner.AllowlistedFunction(name) || engineSpellings[name]
}

func newIsolationOracle(tb testing.TB, cat *catalog.Catalog, p auth.Principal) *isolationOracle {
	tb.Helper()
	defaultSchema := map[string]string{"duckdb": "main", "postgres": "public"}
	o := &isolationOracle{filters: map[string][]*pg_query.Node{}}
	for _, ds := range cat.Datasets {
		ref := ds.Source.Reference
		if !strings.Contains(ref, ".") {
			ref = defaultSchema[ds.Source.Engine] + "." + ref
		}
		o.filters[ref] = append(o.filters[ref], expectedFilter(tb, ds.RLS, p))
	}
	return o
}

// expectedFilter is the WHERE clause a dataset's physical table must be read under, written
// as SQL text from the catalog's rls rule and parsed, so the oracle shares no code with the
// planner's tenant pass.
func expectedFilter(tb testing.TB, rls catalog.RLS, p auth.Principal) *pg_query.Node {
	tb.Helper()
	if !rls.Enabled || p.IsAdmin() && rls.AllowAdminBypass {
		return nil
	}
	quoted := make([]string, len(p.Tenants))
	for i, t := range p.Tenants {
		quoted[i] = "'" + strings.ReplaceAll(t, "'", "''") + "'"
	}
	col := `"` + strings.ReplaceAll(rls.Column, `"`, `""`) + `"`
	cond := "false"
	switch {
	case rls.Mode == "in_list" && len(quoted) > 0:
		cond = col + " IN (" + strings.Join(quoted, ", ") + ")"
	case rls.Mode != "in_list" && len(quoted) == 1:
		cond = col + " = " + quoted[0]
	}
	return scopecheck.Where(tb, cond)
}

// check returns every way engine SQL breaks the isolation invariant. The planner may write
// WITH RECURSIVE lists PostgreSQL accepts, so a recursive CTE sees the whole list.
func (o *isolationOracle) check(engineSQL string) []string {
	return scopecheck.Check(engineSQL, scopecheck.Rules{
		Block:            o.block,
		Table:            o.table,
		Func:             o.funcCall,
		RecursiveSeesAll: true,
	})
}

// block approves rel when the block reading it has exactly its dataset's tenant filter.
func (o *isolationOracle) block(r *scopecheck.Report, s *pg_query.SelectStmt, rel *pg_query.RangeVar) bool {
	table := rel.Schemaname + "." + rel.Relname
	wants, ok := o.filters[table]
	if !ok {
		return false // reported by table as a table of no dataset
	}
	for _, want := range wants {
		if scopecheck.SameWhere(want, s.WhereClause) {
			return true
		}
	}
	r.Failf("physical table %s is read under WHERE %s, not its tenant filter", table, scopecheck.ShortText(s.WhereClause))
	return false
}

func (o *isolationOracle) table(r *scopecheck.Report, rel *pg_query.RangeVar, approved bool) {
	table := rel.Schemaname + "." + rel.Relname
	if _, ok := o.filters[table]; !ok {
		r.Failf("relation %s is the physical table of no dataset", table)
	} else if !approved {
		r.Failf("physical table %s is not the only FROM item of a tenant-filtered block", table)
	}
}

func (o *isolationOracle) funcCall(r *scopecheck.Report, fc *pg_query.FuncCall) {
	parts := scopecheck.FuncName(fc)
	if len(parts) == 0 || len(parts) > 2 {
		r.Failf("function call named %q", parts)
		return
	}
	name := strings.ToLower(parts[len(parts)-1])
	schema := ""
	if len(parts) == 2 {
		schema = parts[0]
	}
	if !functionAllowed(schema, name) {
		r.Failf("function %s is not allowlisted", strings.Join(parts, "."))
	}
}
