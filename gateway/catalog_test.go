package gateway

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// TestPsqlDescribe runs psql's \dt and \d orders: psql's own catalog queries, evaluated by the
// catalog emulation.
func TestPsqlDescribe(t *testing.T) {
	t.Parallel()
	psql := requireClient(t, "psql", "--version")
	gw := startTestGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	run := func(cmdText string) string {
		t.Helper()
		ctx := testkit.ContextWithin(t, 20*time.Second)
		cmd := exec.CommandContext(ctx, psql, "host="+host+" port="+port+" user=demo dbname=setupranali sslmode=disable",
			"-X", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", cmdText)
		cmd.Env = append(os.Environ(), "PGPASSWORD=tenantA-key", "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql %s: %v\n%s", cmdText, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out, want := run(`\dt`), "List of relations\nSchema|Name|Type|Owner\npublic|customers|table|demo\npublic|orders|table|demo\n(2 rows)"; out != want {
		t.Errorf("\\dt printed\n%s\nwant\n%s", out, want)
	}
	// A primary key column is NOT NULL, as PostgreSQL makes it.
	want := `Table "public.orders"
Column|Type|Collation|Nullable|Default
city|text|||
order_date|date|||
order_size|text|||
order_id|text||not null|
customer_id|text|||
total_revenue|double precision|||
orders_count|bigint|||
total_quantity|bigint|||
cities|bigint|||
large_order_revenue|double precision|||
avg_order_value|double precision|||
Indexes:
    "orders_pkey" PRIMARY KEY, btree (order_id)
Foreign-key constraints:
    "orders_customer_id_fkey" FOREIGN KEY (customer_id) REFERENCES customers(customer_id)`
	if out := run(`\d orders`); out != want {
		t.Errorf("\\d orders printed\n%s\nwant\n%s", out, want)
	}
}

// ordersColumns are the demo dataset's columns with the type OIDs the planner announces.
var ordersColumns = []string{"city|25", "order_date|1082", "order_size|25", "order_id|25", "customer_id|25", "total_revenue|701", "orders_count|20",
	"total_quantity|20", "cities|20", "large_order_revenue|701", "avg_order_value|701"}

// TestCatalogDiscovery runs the schema-discovery statements of psql, pgjdbc, Npgsql and
// SQLAlchemy (from ../shared/bi-queries) through the gateway, in the simple and the extended
// protocol, and checks the answers for the demo catalog.
func TestCatalogDiscovery(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	for _, mode := range []string{"simple", "extended"} {
		t.Run(mode, func(t *testing.T) {
			conn := connect(t, gw, "tenantA-key")
			if mode == "extended" {
				conn = connectExtended(t, gw, "tenantA-key")
			}
			check := func(name, sql string, want []string, args ...any) {
				t.Helper()
				got, err := tryRows(conn, sql, args...)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				if !equal(got, want) {
					t.Errorf("%s:\n got %q\nwant %q", name, got, want)
				}
			}
			// psql \dt
			check("psql dt", `SELECT n.nspname as "Schema", c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;`, []string{"public|customers|table|demo", "public|orders|table|demo"})
			// psql \d orders: the lookup, then the columns (the primary key column NOT NULL).
			check("psql d lookup", `SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;`, []string{"16384|public|orders"})
			check("psql d columns", `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity, a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`, []string{"city|text|NULL|false|NULL||", "order_date|date|NULL|false|NULL||",
				"order_size|text|NULL|false|NULL||", "order_id|text|NULL|true|NULL||",
				"customer_id|text|NULL|false|NULL||", "total_revenue|double precision|NULL|false|NULL||",
				"orders_count|bigint|NULL|false|NULL||", "total_quantity|bigint|NULL|false|NULL||",
				"cities|bigint|NULL|false|NULL||", "large_order_revenue|double precision|NULL|false|NULL||",
				"avg_order_value|double precision|NULL|false|NULL||"})
			// pgjdbc TypeInfoCache.
			check("pgjdbc typeinfo", `SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid
FROM pg_catalog.pg_type
LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r from pg_namespace as ns
  join ( select s.r, (current_schemas(false))[s.r] as nspname
         from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r
  using ( nspname ) ) as sp ON sp.nspoid = typnamespace
WHERE pg_type.oid = 1007 ORDER BY sp.r, pg_type.oid DESC`, []string{"true|b|_int4|1007"})
			check("pgjdbc array element", `SELECT e.oid, n.nspname = ANY(current_schemas(true)), n.nspname, e.typname
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_type e ON t.typelem = e.oid
JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1007`, []string{"23|true|pg_catalog|int4"})
			// Npgsql's type loading joins pg_type to pg_proc on the I/O functions.
			check("npgsql types", `SELECT t.typname, t.typinput::regproc, t.typreceive::regproc, p.proname, p.prorettype
FROM pg_type t JOIN pg_proc p ON p.oid = t.typreceive AND p.prorettype = t.oid
WHERE t.typname IN ('int4', 'date', 'float8') ORDER BY t.oid`,
				[]string{"int4|int4in|int4recv|int4recv|23", "float8|float8in|float8recv|float8recv|701", "date|date_in|date_recv|date_recv|1082"})
			// SQLAlchemy has_table and get_columns.
			check("sqlalchemy has_table", `SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class
JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace
WHERE pg_catalog.pg_class.relname = 'orders' AND pg_catalog.pg_class.relkind = ANY (ARRAY['r', 'p', 'f', 'v', 'm'])
AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != 'pg_catalog'`,
				[]string{"orders"})
			check("sqlalchemy get_columns", `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
  a.attnotnull, a.attnum, pgd.description AS comment
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_description pgd ON pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum
WHERE a.attrelid = 'orders'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum LIMIT 3`,
				[]string{"city|text|false|1|City", "order_date|date|false|2|Order Date", "order_size|text|false|3|Order Size"})
			var cols []string
			for _, c := range ordersColumns {
				cols = append(cols, "orders|"+c)
			}
			check("information_schema.columns", `SELECT c.table_name, c.column_name, t.oid
FROM information_schema.columns c JOIN pg_catalog.pg_type t ON t.typname = c.udt_name
WHERE c.table_schema = 'public' AND c.table_name = 'orders' ORDER BY c.ordinal_position`, cols)
			check("information_schema.tables", `SELECT table_catalog, table_schema, table_name, table_type
FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
				[]string{"setupranali|public|orders|BASE TABLE", "setupranali|public|customers|BASE TABLE"})
			check("pg_attribute type oids", `SELECT attname, atttypid FROM pg_attribute
WHERE attrelid = (SELECT oid FROM pg_class WHERE relname = 'orders') ORDER BY attnum`, ordersColumns)
			check("pg_database", `SELECT datname, pg_encoding_to_char(encoding) FROM pg_database`, []string{"setupranali|UTF8"})
			if mode == "extended" {
				check("parameter", `SELECT typname FROM pg_catalog.pg_type WHERE oid = $1`, []string{"int4"}, 23)
				check("text parameter", `SELECT t.typarray FROM pg_catalog.pg_type t WHERE t.typname = $1`, []string{"1007"}, "int4")
			}
			_, err := tryRows(conn, "SELECT c.relname FROM pg_class c, orders o")
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "0A000" {
				t.Errorf("dataset and catalog in one statement: %v, want 0A000", err)
			}
		})
	}
}

func connectExtended(t *testing.T, gw *Gateway, key string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(strings.Replace(connString(gw, key), "default_query_exec_mode=simple_protocol", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
