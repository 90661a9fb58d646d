package pgcatalog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/internal/testkit/scopecheck"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// fuzzCatalogPrincipal is the caller of every fuzzed catalog query: a key whose scopes hide one
// dataset of the catalog (Shipments), so the scope filter is never trivially "everything".
var fuzzCatalogPrincipal = auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer,
	Scopes: []string{"orders", "cities"}}

// fuzzCatalogTimeout bounds parsing and planning one input.
const fuzzCatalogTimeout = 10 * time.Second

// fuzzCatalogShapes are hand-written seeds: the reproductions and the CTE shapes around
// them, for the fuzzer to mutate.
var fuzzCatalogShapes = []string{
	`SELECT t.schema_name, t.table_name FROM pg_catalog.pg_namespace n, (WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) z, duckdb_tables t LIMIT 3`,
	`SELECT t.sql FROM pg_catalog.pg_namespace n, (WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) z, duckdb_tables t`,
	`SELECT * FROM pg_namespace n, (WITH "/etc/passwd" AS (SELECT 1 AS x) SELECT x FROM "/etc/passwd") z, "/etc/passwd" f`,
	`SELECT c.relname FROM (WITH pg_class AS (SELECT 'shadow' AS relname) SELECT relname FROM pg_class) z, pg_class c WHERE c.relkind = 'r'`,
	`WITH pg_class AS (SELECT 'shadow' AS relname) SELECT c.relname FROM pg_catalog.pg_class c`,
	`WITH pg_class AS (SELECT 'shadow' AS relname) SELECT c.relname FROM pg_class c, pg_namespace n`,
	`WITH x AS (SELECT 1 AS a) SELECT z.a FROM pg_namespace n, (WITH "X" AS (SELECT 2 AS a) SELECT a FROM x) z`,
	`WITH a AS (WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) SELECT * FROM pg_namespace, a, duckdb_tables`,
	`WITH a AS (SELECT * FROM duckdb_tables), duckdb_tables AS (SELECT 1 AS x) SELECT * FROM pg_namespace, a`,
	`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r WHERE r.n < 3) SELECT count(*) FROM r, pg_namespace`,
	`WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM pg_namespace, a`,
	`SELECT (WITH t AS (SELECT relname FROM pg_class) SELECT max(relname) FROM t), (SELECT count(*) FROM t) FROM pg_namespace`,
	`SELECT nspname FROM pg_namespace UNION ALL (WITH v AS (SELECT 'x' AS v) SELECT v FROM v) UNION ALL SELECT v FROM v`,
	`SELECT * FROM pg_namespace, pgc.pg_class, pgis.tables, main.duckdb_tables, system.main.duckdb_tables, temp.t`,
	`SELECT * FROM pg_namespace, generate_series(1, 3) g, unnest(ARRAY[1, 2]) u, duckdb_tables()`,
	`SELECT relname FROM pg_class WHERE oid = 'orders'::regclass OR oid = 'Shipments'::regclass`,
	`SELECT table_name FROM information_schema.tables t JOIN information_schema.columns c USING (table_name)`,
	// Keys: tables naming two datasets, and the definition lookups that read hidden columns.
	`SELECT c.*, pg_get_constraintdef(c.oid, true), conrelid::regclass, confrelid::regclass FROM pg_constraint c WHERE contype IN ('p', 'f')`,
	`SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE confrelid IN (SELECT pg_partition_ancestors('orders'))`,
	`SELECT i.*, pg_get_indexdef(i.indexrelid), pg_get_indexdef(i.indexrelid, 1, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid`,
	`SELECT rc.*, k.column_name, u.table_name FROM information_schema.referential_constraints rc
		JOIN information_schema.key_column_usage k USING (constraint_name) JOIN information_schema.constraint_column_usage u USING (constraint_name)`,
	`SELECT * FROM information_schema.table_constraints t, information_schema.constraint_table_usage u WHERE t.constraint_name = u.constraint_name`,
}

// cteScopeTemplates place a CTE {A} and a reference {B} in the scopes a statement has (FROM
// and WHERE sub-selects, a CTE body, a later sibling, a set operation arm, WITH RECURSIVE);
// cteScopeNames fill them with CTE names, system table names, engine relation names, a name
// differing only in case and a file path.
var (
	cteScopeTemplates = []string{
		`WITH {A} AS (SELECT 1 AS v) SELECT * FROM pg_namespace n, {B} b`,
		`SELECT * FROM pg_namespace n, (WITH {A} AS (SELECT 1 AS v) SELECT * FROM {B}) z`,
		`SELECT * FROM pg_namespace n, (WITH {A} AS (SELECT 1 AS v) SELECT * FROM {A}) z, {B} b`,
		`WITH {A} AS (SELECT * FROM {B}) SELECT * FROM pg_namespace, {A}`,
		`WITH RECURSIVE {A} AS (SELECT 1 AS v UNION ALL SELECT v + 1 FROM {B} WHERE v < 2) SELECT * FROM pg_namespace, {A}`,
		`WITH {A} AS (SELECT 1 AS v), {B} AS (SELECT * FROM {A}) SELECT * FROM pg_namespace, {B}`,
		`SELECT nspname FROM pg_namespace WHERE EXISTS (WITH {A} AS (SELECT 1 AS v) SELECT 1 FROM {A}) AND EXISTS (SELECT 1 FROM {B})`,
		`SELECT nspname FROM pg_namespace UNION ALL (WITH {A} AS (SELECT 'x' AS v) SELECT v FROM {A}) UNION ALL SELECT 'y' FROM {B}`,
		`WITH {A} AS (SELECT 1 AS v) SELECT * FROM pg_namespace n, (WITH {B} AS (SELECT 2 AS v) SELECT v FROM {A}) z`,
		`SELECT (WITH {A} AS (SELECT 1 AS v) SELECT max(v) FROM {A}), (SELECT count(*) FROM {B}) FROM pg_namespace`,
	}
	cteScopeNames = []string{"pg_class", `"PG_CLASS"`, "duckdb_tables", `"/etc/passwd"`, "x", `"X"`}
)

// fuzzCatalogSeeds are the catalog statements of the shared BI corpus (schema discovery), the
// catalog statements of the hostile corpus, the CTE scope grid, then the hand-written shapes.
func fuzzCatalogSeeds(tb testing.TB) []string {
	tb.Helper()
	var seeds []string
	dir := os.Getenv("SETU_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "bi-queries", "*.jsonl"))
	if len(files) == 0 && os.Getenv("SETU_REQUIRE_SHARED") != "" {
		tb.Fatalf("no bi-queries corpus under %s (set SETU_SHARED_DIR)", dir)
	}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e struct {
				Purpose   string `json:"purpose"`
				SQL       string `json:"sql"`
				Templated bool   `json:"templated"`
			}
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				tb.Fatalf("%s: %v", file, err)
			}
			if e.Purpose == "schema-discovery" && !e.Templated {
				seeds = append(seeds, e.SQL)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatalf("%s: %v", file, err)
		}
	}
	data, err := os.ReadFile("../testdata/hostile/corpus.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var hostile []struct {
		SQL string `yaml:"sql"`
	}
	if err := yaml.Unmarshal(data, &hostile); err != nil {
		tb.Fatal(err)
	}
	for _, e := range hostile {
		if strings.Contains(e.SQL, "pg_") || strings.Contains(e.SQL, "information_schema") {
			seeds = append(seeds, e.SQL)
		}
	}
	for _, tmpl := range cteScopeTemplates {
		for _, a := range cteScopeNames {
			for _, b := range cteScopeNames {
				seeds = append(seeds, strings.NewReplacer("{A}", a, "{B}", b).Replace(tmpl))
			}
		}
	}
	return append(seeds, fuzzCatalogShapes...)
}

// FuzzCatalogQueryScope plans arbitrary SQL as a scoped key on the real catalog emulation and
// checks the engine SQL of every catalog plan: re-parsed, every relation it reads is a system
// table of an engine schema read through a block that holds exactly the key's scope filter,
// or a CTE in scope at that point, bound by the engine as PostgreSQL binds it. A refused
// statement carries a client SQLSTATE; nothing panics or takes unbounded time.
func FuzzCatalogQueryScope(f *testing.F) {
	for _, sql := range fuzzCatalogSeeds(f) {
		f.Add(sql)
	}
	cat, err := catalog.LoadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		f.Fatal(err)
	}
	sys, err := New(context.Background(), cat)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sys.Close() })
	pl := planner.New(cat, planner.Config{System: sys, MaxRows: 1000})
	o := newScopeOracle(f, cat, sys, fuzzCatalogPrincipal)
	f.Fuzz(func(t *testing.T, sql string) {
		plans, errs := planCatalogWithin(t, pl, sql)
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
			if plan.Source != planner.SystemSource || plan.SQL == "" {
				continue
			}
			if problems := o.check(plan.SQL); len(problems) > 0 {
				t.Fatalf("%q planned to catalog engine SQL that reads outside the catalog:\n%s\nproblems:\n  %s", sql, plan.SQL, strings.Join(problems, "\n  "))
			}
		}
	})
}

// planCatalogWithin parses sql and plans each statement as fuzzCatalogPrincipal, failing the
// test on a panic or when it takes longer than fuzzCatalogTimeout.
func planCatalogWithin(t *testing.T, pl *planner.Planner, sql string) (plans []*planner.Plan, errs []error) {
	t.Helper()
	testkit.Within(t, fuzzCatalogTimeout, fmt.Sprintf("planning %q", sql), func() {
		stmts, err := pl.Parse(sql)
		if err != nil {
			errs = append(errs, err)
			return
		}
		sess := planner.Session{Principal: fuzzCatalogPrincipal, Database: "setupranali", User: "demo"}
		for _, st := range stmts {
			plan, err := pl.Plan(context.Background(), sess, st)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			plans = append(plans, plan)
		}
	})
	return plans, errs
}

// scopeOracle knows from the catalog and the emulation's table list which engine tables exist,
// which carry the hidden dataset_id, and the filter a scoped table must be read under for the
// principal. It looks at engine SQL only through scopecheck (pg_query).
type scopeOracle struct {
	sys *Catalog
	// filter is the WHERE clause a scoped engine table is read under: rows of no dataset and
	// rows of the datasets in the principal's scope, written here as SQL text.
	filter *pg_query.Node
	// refFilter is the WHERE clause of a table that also names a second dataset
	// (ref_dataset_id): both must be of no dataset or in scope.
	refFilter *pg_query.Node
}

// engineSchemas maps an engine schema to the system schema whose tables it holds.
var engineSchemas = map[string]string{"pgc": "pg_catalog", "pgis": "information_schema"}

// relationFunctions are engine functions that read relations, files or settings by name; a
// catalog query must never call them, whatever the planner's allowlist says.
var relationFunctions = []string{"query", "query_table", "read_", "duckdb_", "pragma_", "glob", "sniff_csv",
	"parquet_", "sqlite_", "postgres_", "mysql_", "iceberg_", "delta_", "st_read", "getenv", "current_setting",
	"set_config", "http", "load", "install", "which_secret", "json_execute", "checkpoint", "attach", "detach"}

func newScopeOracle(tb testing.TB, cat *catalog.Catalog, sys *Catalog, p auth.Principal) *scopeOracle {
	tb.Helper()
	var ids []string
	for _, ds := range cat.Datasets {
		if p.InScope(ds.ID) {
			ids = append(ids, "'"+strings.ReplaceAll(ds.ID, "'", "''")+"'")
		}
	}
	cond := func(col string) string {
		c := col + " IS NULL"
		if len(ids) > 0 {
			c += " OR " + col + " IN (" + strings.Join(ids, ", ") + ")"
		}
		return c
	}
	return &scopeOracle{sys: sys, filter: scopecheck.Where(tb, cond("dataset_id")),
		refFilter: scopecheck.Where(tb, "("+cond("dataset_id")+") AND ("+cond("ref_dataset_id")+")")}
}

// check returns every way catalog engine SQL reads something other than the catalog under the
// principal's scope. A recursive CTE sees itself and the CTEs before it only: what PostgreSQL
// and the engine agree on.
func (o *scopeOracle) check(engineSQL string) []string {
	// ctes maps each CTE name of the statement, folded to lower case, to its spelling: the
	// engine compares names without case.
	ctes := map[string]string{}
	return scopecheck.Check(engineSQL, scopecheck.Rules{
		Block:     o.block,
		Table:     o.table,
		Func:      o.funcCall,
		TableFunc: o.rangeFunction,
		CTE: func(r *scopecheck.Report, c *pg_query.CommonTableExpr) {
			folded := strings.ToLower(c.Ctename)
			if prev, ok := ctes[folded]; ok {
				r.Failf("CTE names %q and %q are the same name to the engine", prev, c.Ctename)
			}
			ctes[folded] = c.Ctename
			for schema, system := range engineSchemas {
				if _, ok := o.sys.Table(system, folded); ok {
					// The rewrite renames every CTE: an unqualified name in engine SQL then
					// means its CTE and nothing the engine holds.
					r.Failf("CTE %q carries the name of the engine table %s.%s", c.Ctename, schema, folded)
				}
			}
		},
	})
}

// block approves rel when its block reads it alone, under exactly the scope filter if the
// table is scoped and unfiltered otherwise, and does not show the hidden dataset_id.
func (o *scopeOracle) block(r *scopecheck.Report, s *pg_query.SelectStmt, rel *pg_query.RangeVar) bool {
	system, ok := engineSchemas[rel.Schemaname]
	if !ok {
		return false // reported by table
	}
	t, ok := o.sys.Table(system, rel.Relname)
	if !ok || t.EngineSchema != rel.Schemaname {
		return false // reported by table
	}
	filter := o.filter
	if t.RefScoped {
		filter = o.refFilter
	}
	switch {
	case t.Scoped && !scopecheck.SameWhere(filter, s.WhereClause):
		r.Failf("scoped table %s.%s is read under WHERE %s, not the key's scope filter", rel.Schemaname, rel.Relname, scopecheck.ShortText(s.WhereClause))
		return false
	case !t.Scoped && s.WhereClause != nil:
		r.Failf("table %s.%s is read under an unexpected WHERE %s", rel.Schemaname, rel.Relname, scopecheck.ShortText(s.WhereClause))
		return false
	case s.WithClause != nil || len(s.GroupClause) > 0 || s.HavingClause != nil || s.Op != pg_query.SetOperation_SETOP_NONE:
		r.Failf("table %s.%s is read by a block with more than its scope filter", rel.Schemaname, rel.Relname)
		return false
	}
	for _, target := range s.TargetList {
		for _, name := range columnNames(target) {
			if name == "dataset_id" || name == "ref_dataset_id" {
				r.Failf("table %s.%s shows the hidden %s", rel.Schemaname, rel.Relname, name)
				return false
			}
		}
	}
	return true
}

func columnNames(n *pg_query.Node) []string {
	var names []string
	var walk func(m protoreflect.Message)
	walk = func(m protoreflect.Message) {
		if !m.IsValid() {
			return
		}
		if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
			for _, f := range cr.Fields {
				if s := f.GetString_(); s != nil {
					names = append(names, s.Sval)
				} else if f.GetAStar() != nil {
					names = append(names, "dataset_id") // * shows every column, the hidden one too
				}
			}
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
				for i := 0; i < v.List().Len(); i++ {
					walk(v.List().Get(i).Message())
				}
			case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
				walk(v.Message())
			}
			return true
		})
	}
	walk(n.ProtoReflect())
	return names
}

func (o *scopeOracle) table(r *scopecheck.Report, rel *pg_query.RangeVar, approved bool) {
	system, ok := engineSchemas[rel.Schemaname]
	if !ok {
		r.Failf("relation %s.%s is in no engine schema of the catalog", rel.Schemaname, rel.Relname)
		return
	}
	if t, ok := o.sys.Table(system, rel.Relname); !ok || t.EngineSchema != rel.Schemaname {
		r.Failf("relation %s.%s is no catalog table", rel.Schemaname, rel.Relname)
	} else if !approved {
		r.Failf("catalog table %s.%s is not the only FROM item of a block under its scope filter", rel.Schemaname, rel.Relname)
	}
}

func (o *scopeOracle) rangeFunction(r *scopecheck.Report, rf *pg_query.RangeFunction) {
	for _, f := range rf.Functions {
		items := f.GetList().GetItems()
		if len(items) == 0 || items[0].GetFuncCall() == nil {
			r.Failf("table function %s", scopecheck.ShortText(f))
			continue
		}
		if name := strings.Join(scopecheck.FuncName(items[0].GetFuncCall()), "."); name != "generate_series" && name != "unnest" {
			r.Failf("table function %s in FROM", name)
		}
	}
}

func (o *scopeOracle) funcCall(r *scopecheck.Report, fc *pg_query.FuncCall) {
	parts := scopecheck.FuncName(fc)
	for i := range parts {
		parts[i] = strings.ToLower(parts[i])
	}
	switch {
	case len(parts) == 2 && parts[0] == "pgc":
		return // the emulation's own macros
	case len(parts) == 2 && parts[0] == "pg_catalog" && fc.Funcformat == pg_query.CoercionForm_COERCE_SQL_SYNTAX:
	case len(parts) != 1:
		r.Failf("function %s", strings.Join(parts, "."))
		return
	}
	name := parts[len(parts)-1]
	for _, p := range relationFunctions {
		if strings.HasPrefix(name, p) {
			r.Failf("function %s reads outside the catalog", name)
		}
	}
}
