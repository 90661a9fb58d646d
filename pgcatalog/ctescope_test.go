package pgcatalog

import (
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/sqlerr"
)

// TestCTEScopeRefusesEngineRelations: a relation name that is no system table and no CTE in
// scope at that point is refused as PostgreSQL refuses it. Before CTE names were resolved by
// scope, a CTE anywhere in the statement let the same name through everywhere, and the engine
// bound it to its own relations (duckdb_tables with the tables' DDL, a file path).
func TestCTEScopeRefusesEngineRelations(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ name, sql, code, msg string }{
		{"reproduction", `SELECT t.schema_name, t.table_name FROM pg_catalog.pg_namespace n,
			(WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) z, duckdb_tables t LIMIT 3`,
			"42P01", `relation "duckdb_tables" does not exist`},
		{"ddl", `SELECT t.sql FROM pg_catalog.pg_namespace n,
			(WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) z, duckdb_tables t WHERE t.sql LIKE '%dataset_id%'`,
			"42P01", `relation "duckdb_tables" does not exist`},
		{"file path", `SELECT * FROM pg_namespace n, (WITH "/etc/passwd" AS (SELECT 1 AS x) SELECT x FROM "/etc/passwd") z, "/etc/passwd" f`,
			"42P01", `relation "/etc/passwd" does not exist`},
		{"nested sub-select", `SELECT nspname FROM pg_namespace n WHERE EXISTS (SELECT 1 FROM (SELECT * FROM
			(WITH duckdb_columns AS (SELECT 1 AS x) SELECT x FROM duckdb_columns) y) z) AND EXISTS (SELECT 1 FROM duckdb_columns c)`,
			"42P01", `relation "duckdb_columns" does not exist`},
		{"CTE of a CTE body", `WITH a AS (WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables)
			SELECT * FROM pg_namespace, a, duckdb_tables`,
			"42P01", `relation "duckdb_tables" does not exist`},
		{"scalar sub-select", `SELECT (WITH duckdb_settings AS (SELECT 1 AS x) SELECT x FROM duckdb_settings),
			(SELECT count(*) FROM duckdb_settings) FROM pg_namespace`,
			"42P01", `relation "duckdb_settings" does not exist`},
		{"set operation arm", `SELECT nspname FROM pg_namespace UNION ALL (WITH duckdb_views AS (SELECT 'x' AS v) SELECT v FROM duckdb_views)
			UNION ALL SELECT view_name FROM duckdb_views`,
			"42P01", `relation "duckdb_views" does not exist`},
		{"later sibling", `WITH a AS (SELECT * FROM duckdb_tables), duckdb_tables AS (SELECT 1 AS x) SELECT * FROM pg_namespace, a`,
			"42P01", `relation "duckdb_tables" does not exist`},
		{"own body of a plain WITH", `WITH duckdb_tables AS (SELECT * FROM duckdb_tables) SELECT * FROM pg_namespace, duckdb_tables`,
			"42P01", `relation "duckdb_tables" does not exist`},
		{"case differs", `WITH "DUCKDB_TABLES" AS (SELECT 1 AS x) SELECT * FROM pg_namespace, duckdb_tables`,
			"42P01", `relation "duckdb_tables" does not exist`},
		{"forward reference in WITH RECURSIVE", `WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM pg_namespace, a`,
			"0A000", `WITH query "b" is referenced before its definition`},
		{"duplicate CTE", `WITH a AS (SELECT 1 AS x), a AS (SELECT 2 AS x) SELECT * FROM pg_namespace, a`,
			"42712", `WITH query name "a" specified more than once`},
		{"engine schema pgc", `SELECT * FROM pg_namespace, pgc.pg_class`, "42P01", `relation "pgc.pg_class" does not exist`},
		{"engine schema pgis", `SELECT * FROM pg_namespace, pgis.tables`, "42P01", `relation "pgis.tables" does not exist`},
		{"engine schema main", `SELECT * FROM pg_namespace, main.duckdb_tables`, "42P01", `relation "main.duckdb_tables" does not exist`},
		{"engine schema temp", `SELECT * FROM pg_namespace, temp.x`, "42P01", `relation "temp.x" does not exist`},
		{"engine catalog system", `SELECT * FROM pg_namespace, system.main.duckdb_tables`, "0A000", "cross-database references"},
		{"engine catalog memory", `SELECT * FROM pg_namespace, memory.pgc.pg_am`, "0A000", "cross-database references"},
		{"engine schema under the database", `SELECT * FROM pg_namespace, setupranali.pgc.pg_am`, "42P01", `relation "pgc.pg_am" does not exist`},
		{"table function", `SELECT * FROM pg_namespace, duckdb_tables()`, "0A000", "table function"},
		{"table function of a CTE's name", `WITH duckdb_tables AS (SELECT 1 AS x) SELECT * FROM pg_namespace, duckdb_tables()`, "0A000", "table function"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, plan, err := f.query(tenantA, c.sql)
			var se *sqlerr.Error
			if !errors.As(err, &se) || se.Code != c.code || !strings.Contains(se.Message, c.msg) {
				sql := ""
				if plan != nil {
					sql = plan.SQL
				}
				t.Fatalf("got %d rows %.300q, error %v (engine SQL %s); want %s %q", len(got), got, err, sql, c.code, c.msg)
			}
		})
	}
}

// TestCTEScopeBindsAsPostgres: a reference binds to the CTE PostgreSQL binds it to, and a
// system table name outside a CTE of that name is the scope-filtered system table. Before, the
// engine's own rules decided: pg_class outside a sub-select's CTE of that name was left to the
// engine, which read its own pg_catalog.pg_class, and a CTE name differing only in case
// captured the references to an outer CTE.
func TestCTEScopeBindsAsPostgres(t *testing.T) {
	f := newFixture(t)
	hidden := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"customers"}}
	visible := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"orders"}}
	rows := func(p auth.Principal, sql string) []string {
		t.Helper()
		got, plan, err := f.query(p, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if strings.Contains(plan.SQL, "duckdb") {
			t.Fatalf("engine SQL names an engine relation: %s", plan.SQL)
		}
		return got
	}
	const plain = `SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' ORDER BY 1`
	for _, p := range []auth.Principal{hidden, visible} {
		want := rows(p, plain)
		for _, sql := range []string{
			// A CTE shadowing a system table inside a sub-select; the name used outside it.
			`SELECT c.relname FROM (WITH pg_class AS (SELECT 'shadow' AS relname, 'r' AS relkind) SELECT relname FROM pg_class) z,
				pg_class c WHERE c.relkind = 'r' ORDER BY 1`,
			// The same in a sub-select of WHERE, used in the outer block.
			`SELECT c.relname FROM pg_class c WHERE c.relkind = 'r' AND EXISTS
				(WITH pg_class AS (SELECT 'shadow' AS relname) SELECT 1 FROM pg_class) ORDER BY 1`,
			// A CTE named pg_class in scope; the qualified name is still the system table.
			`WITH pg_class AS (SELECT 'shadow' AS relname, 'r' AS relkind) SELECT c.relname FROM pg_catalog.pg_class c
				WHERE c.relkind = 'r' ORDER BY 1`,
		} {
			if got := rows(p, sql); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("scopes %v: %s\n got %q\nwant %q (as %s)", p.Scopes, sql, got, want, plain)
			}
		}
	}
	if got := rows(visible, plain); !contains(got, "orders") {
		t.Fatalf("in-scope key does not see orders: %q", got)
	}
	for _, c := range []struct{ sql, want string }{
		// Inside its scope the CTE wins over the system table of its name.
		{`WITH pg_class AS (SELECT 'shadow' AS relname) SELECT c.relname FROM pg_class c, pg_namespace n WHERE n.nspname = 'public'`, "shadow"},
		// "X" is not x: the outer CTE is the one PostgreSQL binds.
		{`WITH x AS (SELECT 1 AS a) SELECT z.a FROM pg_namespace n, (WITH "X" AS (SELECT 2 AS a) SELECT a FROM x) z WHERE n.nspname = 'public'`, "1"},
		// An inner CTE shadows an outer one of the same name; the outer one is back outside.
		{`WITH x AS (SELECT 1 AS a) SELECT z.a || '/' || x.a FROM pg_namespace n, (WITH x AS (SELECT 2 AS a) SELECT a FROM x) z, x
			WHERE n.nspname = 'public'`, "2/1"},
		// Later siblings, CTE columns qualified by the CTE's name, a recursive CTE.
		{`WITH a AS (SELECT 1 AS v), b AS (SELECT a.v + 1 AS v FROM a) SELECT b.v FROM b, pg_namespace WHERE nspname = 'public'`, "2"},
		{`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r WHERE r.n < 3) SELECT count(*) FROM r, pg_namespace
			WHERE nspname = 'public'`, "3"},
		{`WITH a AS (SELECT 1 AS v) SELECT v FROM a UNION ALL SELECT 2 FROM pg_namespace WHERE nspname = 'public' ORDER BY 1 DESC LIMIT 1`, "2"},
	} {
		if got := rows(visible, c.sql); strings.Join(got, ",") != c.want {
			t.Errorf("%s\n got %q, want %q", c.sql, got, c.want)
		}
	}
}
