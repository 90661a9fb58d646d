package postgres_test

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// The same semantic queries, planned by the same planner for each engine's dialect and run
// through engine.Executor on DuckDB and on PostgreSQL loaded with the same data, must return
// the same rows (as the client would see them: PostgreSQL text under the announced types).

var (
	adminPrincipal   = auth.Principal{KeyID: "k-admin", Tenants: []string{"default"}, Role: auth.RoleAdmin}
	tenantAPrincipal = auth.Principal{KeyID: "k-a", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}
)

// eventsSQL and eventsCatalog are the time-zone fixture of gateway/timezone_test.go:
// one event at 2025-12-01 20:00 UTC, 2025-12-02 01:30 in Kolkata (the dataset's zone).
const eventsSQL = `CREATE TABLE events (tenant_id VARCHAR, happened TIMESTAMPTZ, local_at TIMESTAMP, n INTEGER);
INSERT INTO events VALUES ('tenantA', TIMESTAMPTZ '2025-12-01 20:00:00+00', TIMESTAMP '2025-12-02 01:30:00', 1);`

const eventsCatalog = `datasets:
  - id: events
    defaultTimezone: Asia/Kolkata
    source: {engine: duckdb, reference: events}
    fields:
      - {name: tenant_id, type: string}
      - {name: happened, type: timestamptz}
      - {name: local_at, type: timestamp}
      - {name: n, type: int32}
    dimensions: [{name: happened}, {name: local_at}]
    metrics: [{name: events, expression: {agg: sum, field: n}}, {name: event_count, expression: {agg: count}},
      {name: per_event, expression: {type: derived, sql: "events / event_count"}, returnType: double},
      {name: halves, expression: {type: derived, sql: "events / (event_count * 2)"}, returnType: double}]
    rls: {enabled: true, column: tenant_id}
`

// engines holds one planner and executor per engine over the same catalog and data.
type engines struct {
	names     []string
	planners  map[string]*planner.Planner
	executors map[string]*engine.Executor
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// sharedDir is ../shared beside the repository.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../../../shared/bi-queries")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fixture-data.sql")); err != nil {
		t.Fatalf("the shared BI corpus is missing: %v", err)
	}
	return dir
}

var duckOnlyTypes = regexp.MustCompile(`\bDOUBLE\b(\s+PRECISION)?`)

// setupEngines loads the data into a fresh DuckDB and a fresh PostgreSQL schema and makes a
// planner per engine over catalogYAML (written for duckdb; the postgres copy names its engine).
func setupEngines(t *testing.T, dataSQL []string, catalogYAML string) *engines {
	t.Helper()
	ctx := context.Background()
	admin := testkit.PostgresConn(t)
	schema := testkit.PostgresSchema(t)
	if _, err := admin.Exec(ctx, "SET search_path TO "+schema); err != nil {
		t.Fatal(err)
	}
	for _, sql := range dataSQL {
		// DuckDB's DOUBLE is PostgreSQL's DOUBLE PRECISION; nothing else differs in these files.
		pgSQL := duckOnlyTypes.ReplaceAllString(sql, "DOUBLE PRECISION")
		if _, err := admin.Exec(ctx, pgSQL); err != nil {
			t.Fatalf("load into PostgreSQL: %v", err)
		}
	}
	duck, err := duckdb.Open(ctx, duckdb.Config{InitSQL: dataSQL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	pg := openBackend(t, postgres.Config{StatementTimeout: 60_000_000_000})

	pgYAML := strings.ReplaceAll(catalogYAML, "engine: duckdb", "engine: postgres")
	if pgYAML == catalogYAML {
		t.Fatal("the catalog names no duckdb engine to switch")
	}
	e := &engines{names: []string{"duckdb", "postgres"}, planners: map[string]*planner.Planner{}, executors: map[string]*engine.Executor{}}
	for name, text := range map[string]string{"duckdb": catalogYAML, "postgres": pgYAML} {
		cat, err := catalog.Load([]byte(text), name+"-catalog.yaml")
		if err != nil {
			t.Fatal(err)
		}
		e.planners[name] = planner.New(cat, planner.Config{MaxRows: 1000, DefaultEngine: name, DefaultSchemas: map[string]string{"duckdb": "main", "postgres": schema}})
	}
	e.executors["duckdb"] = engine.New(engine.Config{Backends: map[string]engine.Backend{"duckdb": duck}, Default: "duckdb"})
	e.executors["postgres"] = engine.New(engine.Config{Backends: map[string]engine.Backend{"postgres": pg}, Default: "postgres"})
	return e
}

type collect struct{ rows [][]string }

func (c *collect) WriteRow(values [][]byte) error {
	row := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			row[i] = "NULL"
		} else {
			row[i] = string(v)
		}
	}
	c.rows = append(c.rows, row)
	return nil
}

// outcome is what one engine made of a statement: rows, or a SQLSTATE.
type outcome struct {
	code    string
	message string
	plan    *planner.Plan
	rows    [][]string
}

func (e *engines) run(t *testing.T, name string, sess planner.Session, sql string) outcome {
	t.Helper()
	ctx := context.Background()
	p := e.planners[name]
	stmts, err := p.Parse(sql)
	if err != nil {
		return outcome{code: sqlerr.Code(err), message: err.Error()}
	}
	var out outcome
	for _, st := range stmts {
		plan, err := p.Plan(ctx, sess, st)
		if err != nil {
			return outcome{code: sqlerr.Code(err), message: err.Error()}
		}
		var c collect
		if _, err := e.executors[name].Execute(ctx, admission.Caller{}, plan, nil, &c); err != nil {
			return outcome{code: sqlerr.Code(err), message: err.Error(), plan: plan}
		}
		out = outcome{plan: plan, rows: c.rows}
	}
	return out
}

// sameRows compares results as multisets (a statement without ORDER BY may list them in any
// order); floats compare to 1e-9 relative, as engines may sum in different orders.
func sameRows(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(rows [][]string) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = strings.Join(r, "\x00")
		}
		slices.Sort(out)
		return out
	}
	ka, kb := key(a), key(b)
	for i := range ka {
		if ka[i] == kb[i] {
			continue
		}
		ra, rb := strings.Split(ka[i], "\x00"), strings.Split(kb[i], "\x00")
		if len(ra) != len(rb) {
			return false
		}
		for j := range ra {
			if ra[j] != rb[j] && !closeFloats(ra[j], rb[j]) {
				return false
			}
		}
	}
	return true
}

func closeFloats(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}

// compareCase runs sql on both engines and reports a difference. wantOK says the statement
// must succeed (so a comparison of two errors cannot pass for agreement).
func (e *engines) compareCase(t *testing.T, sess planner.Session, sql string, wantOK bool) (ok bool) {
	t.Helper()
	duck := e.run(t, "duckdb", sess, sql)
	pg := e.run(t, "postgres", sess, sql)
	if wantOK && (duck.code != "" || pg.code != "") {
		t.Errorf("%s\n  duckdb: %s %s\n  postgres: %s %s", sql, duck.code, duck.message, pg.code, pg.message)
		return false
	}
	for _, o := range []outcome{duck, pg} {
		if sqlerr.Class(o.code) == "XX" {
			t.Errorf("%s: internal error %s", sql, o.message)
		}
	}
	if duck.code != "" || pg.code != "" {
		if duck.code != pg.code {
			t.Errorf("%s\n  duckdb: %s %s\n  postgres: %s %s", sql, duck.code, duck.message, pg.code, pg.message)
		}
		return false
	}
	if !sameRows(duck.rows, pg.rows) {
		t.Errorf("%s\n  duckdb:   %v\n  postgres: %v\n  postgres SQL: %s", sql, duck.rows, pg.rows, pg.plan.SQL)
		return false
	}
	return true
}

// demoCases are the end-to-end statements of package gateway (semantics_test.go,
// isolation_test.go), over the demo catalog and data.
var demoCases = []struct {
	tenant bool
	sql    string
}{
	// semantics_test.go: TestCatalogSemantics
	{false, "SELECT avg_order_value FROM orders"},
	{false, "SELECT city, avg_order_value FROM orders ORDER BY city"},
	{true, "SELECT avg_order_value FROM orders"},
	{false, `select "rows"."city", sum("rows"."avg_order_value") as "a0" from (select "_"."city", "_"."avg_order_value" from "public"."orders" "_") "rows" group by "city" order by 1`},
	{false, "SELECT MEASURE(avg_order_value) FROM (SELECT * FROM (SELECT city, avg_order_value FROM orders) a) b"},
	{false, "SELECT avg_order_value FROM orders WHERE city = 'Nowhere'"},
	{false, "SELECT large_order_revenue, total_revenue FROM orders"},
	{false, "SELECT city, large_order_revenue FROM orders ORDER BY city"},
	{true, "SELECT large_order_revenue FROM orders"},
	{false, "SELECT order_size, total_revenue, orders_count, avg_order_value FROM orders ORDER BY 1"},
	{true, "SELECT city FROM orders WHERE order_size = 'regular'"},
	{false, "SELECT MEASURE(cities) FROM (SELECT order_date, cities FROM orders) t"},
	{false, "SELECT order_date, cities FROM orders ORDER BY 1"},
	{false, "SELECT total_quantity FROM orders"},
	// TestBIQueryShapes
	{false, "SELECT city, total_revenue FROM orders WHERE order_date BETWEEN DATE '2025-12-02' AND DATE '2025-12-03' ORDER BY city"},
	{false, "SELECT city FROM orders WHERE city ILIKE 'in%' OR city LIKE '%bai' GROUP BY city ORDER BY city"},
	{false, "SELECT NULLIF(city, 'Indore') AS c, orders_count FROM orders GROUP BY 1 ORDER BY 1 NULLS FIRST"},
	{false, "SELECT upper(city), total_revenue FROM orders GROUP BY upper(city) ORDER BY 2 DESC LIMIT 2"},
	{false, "SELECT CASE WHEN total_revenue >= 1000 THEN 'big' ELSE 'small' END AS size, city FROM orders GROUP BY city ORDER BY city"},
	{false, "SELECT city, SUM(total_revenue) OVER (ORDER BY city ROWS UNBOUNDED PRECEDING) AS running FROM orders GROUP BY city ORDER BY city"},
	{false, "SELECT order_date, city FROM orders WHERE city IS NOT NULL AND city IN ('Delhi', 'Chennai') GROUP BY 1, 2 ORDER BY 2 DESC"},
	{false, "SELECT COALESCE(large_order_revenue, 0) AS big, city FROM orders GROUP BY city ORDER BY 2"},
	{false, "SELECT city FROM orders WHERE order_date = DATE '2025-12-01' UNION SELECT city FROM orders WHERE city = 'Delhi' ORDER BY 1"},
	{false, "SELECT DISTINCT order_date FROM orders ORDER BY 1 DESC FETCH FIRST 1 ROWS ONLY"},
	{false, "SELECT length(city) AS l, count(*) FROM orders GROUP BY 1 ORDER BY 1"},
	{false, "SELECT to_char(order_date, 'YYYY-MM') AS month, total_revenue FROM orders GROUP BY 1"},
	{false, "SELECT CAST(total_revenue AS int) FROM orders"},
	{false, `select "rows"."city", sum(cast("rows"."total_revenue" as float8)) as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city" order by 1 limit 2`},
	{false, "SELECT count(*) FROM orders WHERE date(order_date) = '2025-12-01'"},
	{false, "SELECT city FROM orders WHERE city LIKE '%bai' ESCAPE '!' OR city NOT ILIKE '%!_%' ESCAPE '!' AND city ILIKE 'b%' GROUP BY city ORDER BY 1"},
	// TestParenthesesSurviveDeparse
	{false, "SELECT total_revenue FROM orders WHERE (city = 'Indore' OR city = 'Delhi') IN (false)"},
	{false, "SELECT total_revenue FROM orders WHERE (city = 'Indore' OR city = 'Delhi') IS TRUE"},
	{false, "SELECT total_revenue FROM orders WHERE (city = 'Indore' OR order_date IS NULL) = false"},
	{false, "SELECT total_revenue FROM orders WHERE NOT (city IN ('Indore'))"},
	// TestLiteralsMeanWhatPostgreSQLMeans
	{true, `SELECT '\xdead'::bytea, 1.25::numeric, 7::numeric, 0.100::numeric`},
	// isolation_test.go: the statements a tenant may run (each must return only its rows)
	{true, "SELECT city, total_revenue FROM orders WHERE city = 'Delhi' OR 1 = 1"},
	{true, "SELECT * FROM (SELECT * FROM orders) t"},
	{true, "SELECT city FROM orders UNION SELECT city FROM orders"},
	{true, "SELECT city, total_revenue FROM orders UNION ALL SELECT city, total_revenue FROM orders"},
	{true, "WITH x AS (SELECT * FROM orders) SELECT * FROM x"},
	{true, "WITH orders AS (SELECT * FROM orders) SELECT city, total_revenue FROM orders"},
	{true, "SELECT city FROM orders WHERE city IN (SELECT city FROM orders)"},
	{true, "SELECT (SELECT total_revenue FROM orders), (SELECT orders_count FROM orders)"},
	{true, "SELECT a.city, b.city FROM orders a, orders b"},
	{true, "SELECT city FROM orders -- WHERE tenant_id = 'tenantA'\n"},
	{true, `SELECT "city", "total_revenue" FROM "public"."orders"`},
	{true, "SELECT city, total_revenue FROM orders WHERE city = 'Indore'"},
	// More shapes where the dialects differ: integer division, derived ratios of counts, time
	// formatting and parsing, numeric literals.
	{false, "SELECT city, total_quantity / orders_count AS q FROM orders GROUP BY city ORDER BY 1"},
	{false, "SELECT 7 / 2, -7 / 2, 7 % 3"},
	{false, "SELECT to_char(order_date, 'DD Mon YYYY') AS d FROM orders GROUP BY 1 ORDER BY 1"},
	{false, "SELECT to_date('2025-12-01', 'YYYY-MM-DD') AS d"},
	{false, "SELECT date_trunc('month', order_date) AS m, total_revenue FROM orders GROUP BY 1"},
	{false, "SELECT extract(year FROM order_date) AS y, orders_count FROM orders GROUP BY 1"},
	{false, "SELECT round(total_revenue / 3, 2) AS r FROM orders"},
}

// rejected are tenant statements the planner refuses: both engines give the same SQLSTATE.
var rejected = []string{
	"SELECT city, total_revenue FROM orders WHERE city = 'Delhi' OR tenant_id = 'tenantB'",
	"SELECT city FROM orders /* */ UNION ALL SELECT city FROM main.orders",
	"SELECT tenant_id FROM orders",
	"SELECT revenue FROM orders",
	"SELECT * FROM main.orders",
	"SELECT * FROM read_csv('/etc/passwd')",
	"SELECT read_text('/etc/passwd')",
	"SELECT 1; DELETE FROM orders",
}

func TestSameRowsOnBothEngines(t *testing.T) {
	testkit.PostgresDSN(t)
	demo := readFile(t, "../../gateway/demo.sql")
	e := setupEngines(t, []string{demo}, readFile(t, "../../catalog.yaml"))
	for _, c := range demoCases {
		sess := planner.Session{Principal: adminPrincipal, Database: "setupranali"}
		if c.tenant {
			sess.Principal = tenantAPrincipal
		}
		e.compareCase(t, sess, c.sql, true)
		// Every statement once more as the other principal: admin bypass and tenant filter.
		if c.tenant {
			sess.Principal = adminPrincipal
		} else {
			sess.Principal = tenantAPrincipal
		}
		e.compareCase(t, sess, c.sql, true)
	}
	for _, sql := range rejected {
		e.compareCase(t, planner.Session{Principal: tenantAPrincipal, Database: "setupranali"}, sql, false)
	}
}

// The time-zone cases of gateway/timezone_test.go: grains of instants in the session's
// zone or the dataset's, wall-clock timestamps shown in the session's zone.
func TestTimeGrainsAgreeOnBothEngines(t *testing.T) {
	testkit.PostgresDSN(t)
	e := setupEngines(t, []string{eventsSQL}, eventsCatalog)
	for _, zone := range []string{"", "UTC", "America/New_York"} {
		sess := planner.Session{Principal: tenantAPrincipal, Database: "setupranali", TimeZone: zone}
		for _, sql := range []string{
			"SELECT CAST(extract(day FROM happened) AS int) FROM events GROUP BY 1",
			"SELECT CAST(happened AS date) FROM events GROUP BY 1",
			"SELECT local_at, events FROM events",
			"SELECT date_trunc('day', local_at), events FROM events GROUP BY 1",
			"SELECT date_trunc('day', happened) FROM events GROUP BY 1",
			"SELECT date_trunc('hour', happened), date_trunc('month', happened), events FROM events GROUP BY 1, 2",
			"SELECT date_part('hour', happened) AS h FROM events GROUP BY 1",
			"SELECT happened, per_event FROM events",
			// Integers divided in a derived metric: a true division on both engines (0.5).
			"SELECT halves, MEASURE(halves) FROM events",
			"SELECT per_event FROM events WHERE local_at < TIMESTAMP '2000-01-01 00:00:00'",
		} {
			if !e.compareCase(t, sess, sql, true) {
				t.Logf("(session TimeZone %q)", zone)
			}
		}
	}
}

// corpusEntry is one line of the shared BI corpus.
type corpusEntry struct {
	Tool           string `json:"tool"`
	Purpose        string `json:"purpose"`
	SQL            string `json:"sql"`
	Templated      bool   `json:"templated"`
	MultiStatement bool   `json:"multi_statement"`
}

var unorderedLimit = regexp.MustCompile(`(?is)\blimit\b|\bfetch\s+first\b|\boffset\b`)

// The data queries BI tools send (the shared corpus), over its fixture model and data: every
// statement that runs on DuckDB must give the same rows on PostgreSQL.
func TestCorpusAgreesOnBothEngines(t *testing.T) {
	testkit.PostgresDSN(t)
	dir := sharedDir(t)
	e := setupEngines(t, []string{readFile(t, filepath.Join(dir, "fixture-data.sql"))}, readFile(t, filepath.Join(dir, "fixture-catalog.yaml")))
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []corpusEntry
	for _, file := range files {
		if filepath.Base(file) == "_unattributed-cube-tests.jsonl" {
			// Cube's own test statements, not what a tool sent (the gateway's replay skips
			// them too).
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		for sc.Scan() {
			var c corpusEntry
			if json.Unmarshal(sc.Bytes(), &c) != nil || c.Templated || c.MultiStatement {
				continue
			}
			if c.Purpose == "data-query" || c.Purpose == "aggregate-query" {
				entries = append(entries, c)
			}
		}
		f.Close()
	}
	same, both := 0, 0
	for _, principal := range []auth.Principal{adminPrincipal, tenantAPrincipal} {
		sess := planner.Session{Principal: principal, Database: "setupranali"}
		for _, c := range entries {
			if strings.Contains(c.SQL, "$1") {
				continue
			}
			duck := e.run(t, "duckdb", sess, c.SQL)
			pg := e.run(t, "postgres", sess, c.SQL)
			if sqlerr.Class(pg.code) == "XX" {
				t.Errorf("%s: %s: internal error on PostgreSQL: %s", c.Tool, c.SQL, pg.message)
			}
			if duck.code != "" || duck.plan == nil {
				// Planner refusals are the same on both (one planner); what DuckDB cannot run is
				// not PostgreSQL's to match.
				if duck.plan == nil && pg.code != duck.code {
					t.Errorf("%s: %s: planner said %s for duckdb, %s (%s) for postgres", c.Tool, c.SQL, duck.code, pg.code, pg.message)
				}
				continue
			}
			both++
			if pg.code != "" {
				t.Errorf("%s: %s\n  runs on DuckDB, fails on PostgreSQL: %s\n  postgres SQL: %s", c.Tool, c.SQL, pg.message, pg.plan.SQL)
				continue
			}
			if !sameRows(duck.rows, pg.rows) {
				capped := len(duck.rows) == 1000
				if (capped || unorderedLimit.MatchString(c.SQL)) && len(duck.rows) == len(pg.rows) {
					// A LIMIT (the client's or the row cap) may keep different rows of an
					// unordered or tied result.
					same++
					continue
				}
				t.Errorf("%s: %s\n  duckdb:   %.400v\n  postgres: %.400v\n  postgres SQL: %s", c.Tool, c.SQL, duck.rows, pg.rows, pg.plan.SQL)
				continue
			}
			same++
		}
	}
	t.Logf("corpus: %d statements ran on DuckDB; %d gave the same rows on PostgreSQL", both, same)
	if both == 0 {
		t.Fatal("no corpus statement ran; the comparison proves nothing")
	}
}
