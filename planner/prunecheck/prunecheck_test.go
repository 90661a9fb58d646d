package prunecheck_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/goldencases"
	"github.com/setupranali/setupranali/internal/querygen"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/planner"
)

// principals are the callers the golden case files name.
var principals = goldencases.Principals

// extraShapes are statements over the golden catalog where the binder's name resolution and an
// engine's could part: correlation, shadowing, joins, the columns a pruned table keeps.
var extraShapes = []string{
	"SELECT city FROM cities WHERE population > (SELECT count(*) FROM orders WHERE order_date > DATE '2024-01-01' AND population > 3)",
	"SELECT c.city FROM cities c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.city = c.city AND o.order_date >= DATE '2025-02-01')",
	"SELECT c.city FROM cities c WHERE EXISTS (SELECT 1 FROM orders WHERE city = c.city)",
	"SELECT city FROM cities WHERE city IN (SELECT city FROM orders WHERE order_date IS NOT NULL)",
	"SELECT city FROM cities WHERE NOT EXISTS (SELECT 1 FROM orders WHERE order_date IS NULL AND population > 0)",
	"SELECT o.city, (SELECT max(population) FROM cities c WHERE c.city = o.city) FROM orders o GROUP BY o.city",
	"SELECT count(*), (SELECT count(*) FROM cities) FROM orders",
	"SELECT count(*) FROM orders o JOIN cities c ON c.city = o.city",
	"SELECT o.city, c.population, o.total_revenue FROM orders o LEFT JOIN cities c ON c.city = o.city GROUP BY 1, 2",
	"SELECT a.city, b.order_date FROM orders a JOIN orders b ON a.city = b.city AND a.order_date < b.order_date",
	"SELECT city FROM orders city",
	"SELECT o.city FROM orders o JOIN cities c USING (city)",
	"SELECT a, b FROM orders o(a, b)",
	"SELECT 1 FROM orders",
	"SELECT count(*) FROM Shipments",
	"SELECT DISTINCT order_date FROM orders ORDER BY 1",
	"SELECT city_upper, count(*) FROM orders GROUP BY 1",
	"SELECT big_revenue, orders_count FROM orders",
	"SELECT city, aov FROM (SELECT city, aov FROM orders) s",
	"SELECT c.*, o.city FROM orders o JOIN cities c ON c.city = o.city",
	"SELECT c.city, sum(1) FILTER (WHERE population > 0) OVER () FROM cities c JOIN orders o ON o.city = c.city",
	"WITH x AS (SELECT city, total_revenue, orders_count FROM orders) SELECT city, total_revenue FROM x",
	"WITH orders AS (SELECT city FROM orders) SELECT count(*) FROM orders",
	"SELECT city FROM orders UNION SELECT city FROM cities EXCEPT SELECT Region FROM Shipments",
	"SELECT city, count(*) OVER (PARTITION BY order_date) FROM orders",
	"SELECT * FROM (SELECT city, total_revenue FROM orders GROUP BY city) s WHERE total_revenue > 100",
	// DuckDB lets a FROM sub-select see its siblings (implicit LATERAL); PostgreSQL and the
	// binder look past them to the enclosing block.
	"SELECT count(*) FROM orders p WHERE EXISTS (SELECT 1 FROM orders o, (SELECT 1 AS x FROM cities WHERE order_date IS NULL) s)",
	"SELECT p.city FROM orders p WHERE EXISTS (SELECT 1 FROM orders o, (SELECT city AS x FROM cities WHERE order_date = DATE '2025-02-03') s) GROUP BY 1",
}

// goldenData is the golden catalog's tables: a few rows per tenant, some NULLs.
func goldenData(double string) []string {
	rng := mrand.New(mrand.NewPCG(7, 11))
	cities := []string{"Indore", "Delhi", "Pune", "Goa"}
	var rows []string
	for i := range 60 {
		tenant := []string{"tenantA", "tenantB", "default"}[i%3]
		city := "'" + cities[rng.IntN(len(cities))] + "'"
		if rng.IntN(10) == 0 {
			city = "NULL"
		}
		date := fmt.Sprintf("DATE '2025-%02d-%02d'", 1+rng.IntN(6), 1+rng.IntN(28))
		if rng.IntN(12) == 0 {
			date = "NULL"
		}
		rows = append(rows, fmt.Sprintf("('o%d', '%s', %s, %s, %d.25, %d)", i, tenant, date, city, rng.IntN(2000), rng.IntN(9)))
	}
	var ship []string
	for i := range 20 {
		tenant := []string{"tenantA", "tenantB", "default"}[i%3]
		ship = append(ship, fmt.Sprintf("('%s', '%s', %d.5)", []string{"North", "South"}[i%2], tenant, rng.IntN(100)))
	}
	return []string{
		"CREATE TABLE orders (order_id VARCHAR, tenant_id VARCHAR, order_date DATE, city VARCHAR, revenue " + double + ", quantity BIGINT)",
		"INSERT INTO orders VALUES " + strings.Join(rows, ", "),
		"CREATE TABLE cities (city VARCHAR, population BIGINT)",
		"INSERT INTO cities VALUES ('Indore', 3), ('Delhi', 30), ('Pune', 7), ('Agra', NULL)",
		"CREATE TABLE shipments (region VARCHAR, tenant_id VARCHAR, weight " + double + ")",
		"INSERT INTO shipments VALUES " + strings.Join(ship, ", "),
	}
}

// salesData is the differential catalog's table, and values for the query generator.
func salesData(double string) ([]string, map[string][]any) {
	rng := mrand.New(mrand.NewPCG(20251128, 3))
	values := map[string][]any{}
	var rows []string
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 240 {
		tenant := []string{"tenantA", "tenantB", "default"}[i%3]
		region := []string{"North", "South", "East", "West"}[rng.IntN(4)]
		product := []string{"Widget", "Gadget", "Gizmo"}[rng.IntN(3)]
		customer := fmt.Sprintf("cust%02d", rng.IntN(12))
		day := base.AddDate(0, 0, rng.IntN(500))
		at := day.Add(time.Duration(rng.IntN(86400)) * time.Second)
		units := 1 + rng.IntN(20)
		ret := []string{"TRUE", "FALSE", "NULL"}[rng.IntN(3)]
		amount := float64(1+rng.IntN(4000)) / 4
		regionSQL := "'" + region + "'"
		if rng.IntN(10) == 0 {
			regionSQL = "NULL"
		}
		rows = append(rows, fmt.Sprintf("('s%d', '%s', %s, '%s', '%s', DATE '%s', TIMESTAMP '%s', %d, %s, %s, NULL)",
			i, tenant, regionSQL, product, customer, day.Format("2006-01-02"), at.Format("2006-01-02 15:04:05"), units, ret,
			strconv.FormatFloat(amount, 'f', -1, 64)))
		for col, v := range map[string]any{"tenant": tenant, "region": region, "product": product, "sale_date": day, "sold_at": at, "units": int64(units)} {
			if !slices.Contains(values[col], v) {
				values[col] = append(values[col], v)
			}
		}
	}
	values["returned"] = []any{true, false}
	values["size"] = []any{"large", "small"}
	for _, m := range []string{"total_amount", "returned_amount", "avg_amount", "min_amount", "amount_stddev", "avg_price"} {
		values[m] = []any{10.0, 250.5, 1000.0}
	}
	for _, m := range []string{"sale_count", "row_count", "unique_customers", "total_units", "max_units"} {
		values[m] = []any{0, 1, 3, 10, 40}
	}
	return []string{
		`CREATE TABLE sales (sale_id VARCHAR, tenant_id VARCHAR, region VARCHAR, product VARCHAR, customer VARCHAR,
		  sale_date DATE, sold_at TIMESTAMP, units BIGINT, is_returned BOOLEAN, amount ` + double + `, discount ` + double + `)`,
		"INSERT INTO sales VALUES " + strings.Join(rows, ", "),
	}, values
}

// engine runs engine SQL and returns its rows as text, or an error.
type engine interface {
	query(sql string) ([]string, error)
}

type duck struct{ db *sql.DB }

func openDuck(t *testing.T, setup []string) *duck {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, s := range append([]string{"SET threads = 1", "CREATE SCHEMA logistics"}, setup...) {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return &duck{db: db}
}

func (d *duck) query(q string) ([]string, error) {
	rows, err := d.db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, rowText(vals))
	}
	return out, rows.Err()
}

type pg struct{ conn *pgx.Conn }

func (p *pg) query(q string) ([]string, error) {
	rows, err := p.conn.Query(context.Background(), q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		raw := rows.RawValues()
		vals := make([]any, len(raw))
		for i, v := range raw {
			if v != nil {
				vals[i] = string(v)
			}
		}
		out = append(out, rowText(vals))
	}
	return out, rows.Err()
}

// rowText renders a row; floats are rounded so that a different summation order cannot
// count as a different result.
func rowText(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case nil:
			parts[i] = "NULL"
		case float64:
			parts[i] = roundFloat(x)
		case string:
			if f, err := strconv.ParseFloat(x, 64); err == nil && strings.ContainsAny(x, ".eE") {
				parts[i] = roundFloat(f)
			} else {
				parts[i] = x
			}
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return strings.Join(parts, "|")
}

func roundFloat(f float64) string {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Sprint(f)
	}
	return strconv.FormatFloat(f, 'g', 9, 64)
}

// pgSchema is a connection to the test PostgreSQL whose search_path is a fresh schema, dropped
// with its tables when the test ends. testkit skips the test when SETU_TEST_POSTGRES_DSN is
// unset and fails it when the variable names a server that cannot be reached.
func pgSchema(t *testing.T) (*pgx.Conn, string) {
	t.Helper()
	schema := testkit.PostgresSchema(t)
	conn := testkit.PostgresConn(t)
	if _, err := conn.Exec(testkit.Context(t), "SET search_path TO "+schema); err != nil {
		t.Fatal(err)
	}
	return conn, schema
}

// check is one statement for one principal.
type check struct {
	principal string
	sql       string
}

// target is an engine and the planners (pruning and full projection) that write its SQL.
type target struct {
	name         string
	eng          engine
	pruned, full *planner.Planner
}

func newTarget(t *testing.T, name string, eng engine, catalogText string, cfg planner.Config) target {
	t.Helper()
	cat, err := catalog.Load([]byte(catalogText), name+"-catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	full := cfg
	full.FullProjection = true
	return target{name: name, eng: eng, pruned: planner.New(cat, cfg), full: planner.New(cat, full)}
}

// compare plans each check both ways and runs both on the engine. It returns how many
// statements ran and how many of those were pruned.
func compare(t *testing.T, tg target, checks []check) (ran, pruned int) {
	t.Helper()
	for _, c := range checks {
		sess := planner.Session{Principal: principals[c.principal], Database: "setupranali"}
		a, errA := planSQL(tg.pruned, sess, c.sql)
		b, errB := planSQL(tg.full, sess, c.sql)
		if (errA == nil) != (errB == nil) || (errA != nil && errA.Error() != errB.Error()) {
			t.Errorf("%s %s: %q plans differently: pruned %v, full %v", tg.name, c.principal, c.sql, errA, errB)
			continue
		}
		if errA != nil || a.Kind != planner.KindQuery {
			continue
		}
		rowsA, errA := tg.eng.query(a.SQL)
		rowsB, errB := tg.eng.query(b.SQL)
		switch {
		case errB != nil && errA == nil, errB == nil && errA != nil:
			t.Errorf("%s %s: %q\n pruned: %s\n  error: %v\n full: %s\n  error: %v", tg.name, c.principal, c.sql, a.SQL, errA, b.SQL, errB)
			continue
		case errA != nil:
			continue
		}
		slices.Sort(rowsA)
		slices.Sort(rowsB)
		if !slices.Equal(rowsA, rowsB) {
			t.Errorf("%s %s: %q gives other rows when pruned\n pruned: %s\n  rows: %v\n full: %s\n  rows: %v", tg.name, c.principal, c.sql, a.SQL, head(rowsA), b.SQL, head(rowsB))
			continue
		}
		ran++
		if a.SQL != b.SQL {
			pruned++
		}
	}
	return ran, pruned
}

func head(rows []string) []string { return rows[:min(len(rows), 8)] }

func planSQL(p *planner.Planner, sess planner.Session, text string) (*planner.Plan, error) {
	stmts, err := p.Parse(text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("%d statements", len(stmts))
	}
	return p.Plan(context.Background(), sess, stmts[0])
}

// goldenChecks are the golden cases without parameters, each with its principal, and the
// extra shapes for a tenant and for an admin.
func goldenChecks(t *testing.T) []check {
	t.Helper()
	var checks []check
	for _, f := range []string{"cases_semantic.yaml", "cases_tenant.yaml", "cases_prune.yaml", "cases_errors.yaml"} {
		cases, err := goldencases.Load("../../testdata/planner/" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if !strings.Contains(c.SQL, "$") {
				checks = append(checks, check{c.Principal, c.SQL})
			}
		}
	}
	for _, s := range extraShapes {
		checks = append(checks, check{"tenantA", s}, check{"admin", s})
	}
	return checks
}

func readText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestPruningKeepsGoldenResults runs the golden cases and the extra shapes over the golden
// catalog.
func TestPruningKeepsGoldenResults(t *testing.T) {
	text := readText(t, "../../testdata/planner/catalog.yaml")
	checks := goldenChecks(t)

	t.Run("duckdb", func(t *testing.T) {
		tg := newTarget(t, "duckdb", openDuck(t, goldenDuck()), text, planner.Config{MaxRows: 1000})
		ran, pruned := compare(t, tg, checks)
		t.Logf("duckdb: %d statements ran both ways, %d of them pruned", ran, pruned)
		if pruned < len(checks)/3 {
			t.Errorf("only %d of %d statements pruned on duckdb", pruned, len(checks))
		}
	})

	t.Run("postgres", func(t *testing.T) {
		conn, schema := pgSchema(t)
		ctx := testkit.Context(t)
		for _, s := range goldenData("DOUBLE PRECISION") {
			if _, err := conn.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		pgText := strings.ReplaceAll(text, "engine: duckdb", "engine: postgres")
		pgText = strings.ReplaceAll(pgText, "reference: logistics.shipments", "reference: "+schema+".shipments")
		tg := newTarget(t, "postgres", &pg{conn: conn}, pgText,
			planner.Config{MaxRows: 1000, DefaultEngine: "postgres", DefaultSchemas: map[string]string{"postgres": schema}})
		ran, pruned := compare(t, tg, checks)
		t.Logf("postgres: %d statements ran both ways, %d of them pruned", ran, pruned)
		if pruned < len(checks)/3 {
			t.Errorf("only %d of %d statements pruned on postgres", pruned, len(checks))
		}
	})
}

// goldenDuck is the golden data for DuckDB: shipments lives in the logistics schema.
func goldenDuck() []string {
	data := goldenData("DOUBLE")
	for i, s := range data {
		data[i] = strings.NewReplacer("TABLE shipments", "TABLE logistics.shipments", "INTO shipments", "INTO logistics.shipments").Replace(s)
	}
	return data
}

// TestPruningKeepsGeneratedResults runs random queries of internal/querygen over the
// differential test's catalog.
func TestPruningKeepsGeneratedResults(t *testing.T) {
	n := 600
	if testing.Short() {
		n = 150
	}
	text := readText(t, "../../testdata/differential/catalog.yaml")
	cat, err := catalog.Load([]byte(text), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, values := salesData("DOUBLE")
	g := querygen.New(cat, "sales", 20251128)
	g.SetDatabase("setupranali")
	for col, vals := range values {
		g.SetValues(col, vals...)
	}
	var checks []check
	for i := range n {
		checks = append(checks, check{[]string{"tenantA", "admin", "tenantB"}[i%3], g.Next()})
	}

	t.Run("duckdb", func(t *testing.T) {
		setup, _ := salesData("DOUBLE")
		tg := newTarget(t, "duckdb", openDuck(t, setup), text, planner.Config{MaxRows: 1000})
		ran, pruned := compare(t, tg, checks)
		t.Logf("duckdb: %d of %d generated statements ran both ways, %d of them pruned", ran, n, pruned)
		if ran < n/2 || pruned < ran/3 {
			t.Errorf("too few generated statements ran (%d) or were pruned (%d)", ran, pruned)
		}
	})

	t.Run("postgres", func(t *testing.T) {
		conn, schema := pgSchema(t)
		ctx := testkit.Context(t)
		pgSetup, _ := salesData("DOUBLE PRECISION")
		for _, s := range pgSetup {
			if _, err := conn.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		tg := newTarget(t, "postgres", &pg{conn: conn}, strings.ReplaceAll(text, "engine: duckdb", "engine: postgres"),
			planner.Config{MaxRows: 1000, DefaultEngine: "postgres", DefaultSchemas: map[string]string{"postgres": schema}})
		ran, pruned := compare(t, tg, checks)
		t.Logf("postgres: %d of %d generated statements ran both ways, %d of them pruned", ran, n, pruned)
		if ran < n/2 || pruned < ran/3 {
			t.Errorf("too few generated statements ran (%d) or were pruned (%d)", ran, pruned)
		}
	})
}
