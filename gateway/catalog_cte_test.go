package gateway

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/setupranali/setupranali/internal/testkit"
)

// TestCatalogCTEScope sends the reproduction and its variants over a real pgx
// connection, in the simple and the extended protocol. A name outside the scope of the CTE it
// names is refused with 42P01 instead of reaching the catalog engine's own relations; a
// system table name shadowed by a CTE inside a sub-select is the scope-filtered system table
// outside it; inside, the CTE wins over the system table, as in PostgreSQL.
func TestCatalogCTEScope(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, mode := range []string{"simple", "extended"} {
		t.Run(mode, func(t *testing.T) {
			conn := connect(t, gw, "tenantA-key")
			if mode == "extended" {
				conn = connectExtended(t, gw, "tenantA-key")
			}
			refused := []struct{ sql, relation string }{
				{`SELECT t.schema_name, t.table_name FROM pg_catalog.pg_namespace n,
					(WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) z, duckdb_tables t LIMIT 3`, "duckdb_tables"},
				{`SELECT t.sql FROM pg_catalog.pg_namespace n,
					(WITH duckdb_tables AS (SELECT 1 AS x) SELECT x FROM duckdb_tables) z, duckdb_tables t`, "duckdb_tables"},
				{`SELECT * FROM pg_namespace n, (WITH "/etc/passwd" AS (SELECT 1 AS x) SELECT x FROM "/etc/passwd") z, "/etc/passwd" f`, "/etc/passwd"},
				{`SELECT nspname FROM pg_namespace n WHERE EXISTS (SELECT 1 FROM (SELECT * FROM
					(WITH duckdb_columns AS (SELECT 1 AS x) SELECT x FROM duckdb_columns) y) z) AND EXISTS (SELECT 1 FROM duckdb_columns)`, "duckdb_columns"},
			}
			for _, c := range refused {
				got, err := tryRows(conn, c.sql)
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != "42P01" || pe.Message != `relation "`+c.relation+`" does not exist` {
					t.Errorf("%s\ngot %d rows %.200q, error %v; want 42P01 relation %q does not exist", c.sql, len(got), got, err, c.relation)
				}
			}
			const plain = `SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = 2200 ORDER BY 1`
			want := testkit.RowsText(t, conn, plain)
			// The demo datasets and their primary key indexes.
			if !equal(want, []string{"customers|r", "customers_pkey|i", "orders|r", "orders_pkey|i"}) {
				t.Fatalf("%s: %q, want the demo datasets and their key indexes only", plain, want)
			}
			for _, sql := range []string{
				`SELECT c.relname, c.relkind FROM (WITH pg_class AS (SELECT 'shadow' AS relname) SELECT relname FROM pg_class) z,
					pg_class c WHERE c.relnamespace = 2200 ORDER BY 1`,
				`WITH pg_class AS (SELECT 'shadow' AS relname) SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
					WHERE c.relnamespace = 2200 ORDER BY 1`,
			} {
				if got := testkit.RowsText(t, conn, sql); !equal(got, want) {
					t.Errorf("%s\n got %q\nwant %q", sql, got, want)
				}
			}
			inside := `WITH pg_class AS (SELECT 'shadow' AS relname) SELECT c.relname FROM pg_class c, pg_namespace n WHERE n.nspname = 'public'`
			if got := testkit.RowsText(t, conn, inside); !equal(got, []string{"shadow"}) {
				t.Errorf("%s\n got %q, want the CTE's row", inside, got)
			}
		})
	}
}
