package pgcatalog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/testkit"
)

// expectRows runs sql on the emulation as tenantA and compares its rows with want.
func (f *fixture) expectRows(t *testing.T, sql string, want ...string) {
	t.Helper()
	got, _, err := f.query(tenantA, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\n got %q\nwant %q", sql, got, want)
	}
}

// pgcliListTables is pgspecial's \dt+ as pgcli sends it, with the relkind array it binds.
const pgcliListTables = `SELECT n.nspname as "Schema", c.relname as "Name",
	CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'p' THEN 'partitioned table'
	  WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 's' THEN 'special'
	  WHEN 'f' THEN 'foreign table' END as "Type",
	pg_catalog.pg_get_userbyid(c.relowner) as "Owner",
	pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",
	pg_catalog.obj_description(c.oid, 'pg_class') as "Description"
	FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	WHERE c.relkind = ANY('{r,p,""}') AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'
	  AND n.nspname !~ '^pg_toast' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1, 2`

func TestListTablesVerbose(t *testing.T) {
	f := newFixture(t)
	rows, plan, err := f.query(tenantA, pgcliListTables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range plan.Columns {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "Schema,Name,Type,Owner,Size,Description" {
		t.Errorf("columns %s", got)
	}
	want := []string{"public|customers|table|demo|0 bytes|The customers who place orders, one row per customer.",
		"public|orders|table|demo|0 bytes|Customer orders, one row per order."}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q\nwant %q", rows, want)
	}
	// The other size functions a \d+ or a tool's table list calls.
	f.expectRows(t, `SELECT pg_relation_size(c.oid), pg_total_relation_size(c.oid), pg_indexes_size(c.oid),
		pg_relation_size(c.oid, 'main') FROM pg_class c WHERE c.relname = 'orders'`, "0|0|0|0")
}

// TestCatalogFunctionsAgreeWithPostgres compares the values of catalog functions that do not
// depend on the gateway's objects with the machine's PostgreSQL: pg_size_pretty over sizes
// around each unit's bound (negative too), and the oid of a system catalog's regclass.
func TestCatalogFunctionsAgreeWithPostgres(t *testing.T) {
	pg := testkit.PostgresConn(t)
	f := newFixture(t)
	sizes := []int64{0, 1, 10239, 10240, 10752, 20971007, 20971008, 123456789, 1 << 40, 21474836479, 1<<50 + 12345,
		9_000_000_000_000_000, -1, -10240, -10752, -123456789, -(1 << 50)}
	for _, s := range sizes {
		sql := fmt.Sprintf("SELECT pg_size_pretty(%d::bigint) FROM pg_catalog.pg_namespace WHERE nspname = 'public'", s)
		want, err := testkit.QueryText(pg, 10*time.Second, sql)
		if err != nil {
			t.Fatal(err)
		}
		f.expectRows(t, sql, want...)
	}
	for name := range systemRelationOIDs {
		sql := fmt.Sprintf("SELECT '%s'::regclass::oid, 'pg_catalog.%s'::regclass::oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'", name, name)
		want, err := testkit.QueryText(pg, 10*time.Second, sql)
		if err != nil {
			t.Fatal(err)
		}
		f.expectRows(t, sql, want...)
	}
}

// TestTableDescriptionsByClass: pgjdbc's getTables and DBeaver join pg_description on
// classoid = 'pg_class'::regclass; the table's description must come through.
func TestTableDescriptionsByClass(t *testing.T) {
	f := newFixture(t)
	f.expectRows(t, `SELECT c.relname, d.description FROM pg_catalog.pg_class c
		LEFT JOIN pg_catalog.pg_description d ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass
		WHERE c.relname = 'orders'`, "orders|Customer orders, one row per order.")
	f.expectRows(t, `SELECT obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.relname = 'orders'`,
		"Customer orders, one row per order.")
}

// pgcliFunctions is pgcli's function-completion query (PostgreSQL 11 and later).
const pgcliFunctions = `SELECT n.nspname schema_name, p.proname func_name, p.proargnames,
	COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[], p.proargmodes,
	prorettype::regtype::text return_type, p.prokind = 'a' is_aggregate, p.prokind = 'w' is_window,
	p.proretset is_set_returning, d.deptype = 'e' is_extension, pg_get_expr(proargdefaults, 0) AS arg_defaults
	FROM pg_catalog.pg_proc p INNER JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
	LEFT JOIN pg_depend d ON d.objid = p.oid and d.deptype = 'e'
	WHERE p.prorettype::regtype != 'trigger'::regtype ORDER BY 1, 2`

// TestRegtypeComparisonsCompareOids: a reg* value compares as an oid, and a regtype[] shows type
// names, as on PostgreSQL (the expected rows are PostgreSQL 15's for these built-in functions).
func TestRegtypeComparisonsCompareOids(t *testing.T) {
	f := newFixture(t)
	rows, plan, err := f.query(tenantA, pgcliFunctions)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || plan.Columns[3].Name != "coalesce" || plan.Columns[5].Name != "return_type" {
		t.Fatalf("%d rows, columns %v", len(rows), plan.Columns)
	}
	f.expectRows(t, `SELECT p.proname, COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[],
		prorettype::regtype::text FROM pg_catalog.pg_proc p WHERE p.proname IN ('int4in', 'int4out', 'aclitemin')
		AND p.prorettype::regtype != 'trigger'::regtype ORDER BY 1`,
		"aclitemin|{cstring}|aclitem", "int4in|{cstring}|integer", "int4out|{integer}|cstring")
	f.expectRows(t, `SELECT count(*) FROM pg_type t WHERE t.oid::regtype = 'integer'::regtype AND 'int4' = t.oid::regtype`, "1")
	f.expectRows(t, `SELECT 'trigger'::regtype::oid, 'pg_class'::regclass = 1259 FROM pg_namespace WHERE nspname = 'public'`, "2279|true")
}

// TestRegCastOfUnqualifiedColumn: a reg* cast of an unqualified column binds the column in the
// client's query, not in the table the cast is looked up in.
func TestRegCastOfUnqualifiedColumn(t *testing.T) {
	f := newFixture(t)
	f.expectRows(t, `SELECT relname, oid::regclass, relnamespace::regnamespace FROM pg_class
		WHERE relname IN ('orders', 'customers') ORDER BY 1`, "customers|customers|public", "orders|orders|public")
	f.expectRows(t, `SELECT typname, typinput::regproc FROM pg_type WHERE typname = 'int4'`, "int4|int4in")
	// A name column cast to a reg* type is looked up by name, as PostgreSQL reads it.
	f.expectRows(t, `SELECT relname FROM pg_class c WHERE relname::regclass = oid AND relname IN ('orders', 'customers') ORDER BY 1`,
		"customers", "orders")
	f.expectRows(t, `SELECT typname::regtype::oid, typname::regtype = 'integer'::regtype FROM pg_type WHERE typname = 'int4'`, "23|true")
	f.expectRows(t, `SELECT tablename::regclass = 'orders'::regclass FROM pg_tables WHERE tablename = 'orders'`, "true")
}

// pgcliCasing is pgcli's casing query: a grouped regexp_split_to_table, and CTE columns read by
// the names PostgreSQL gives them (Row_Number, Count).
const pgcliCasing = `WITH Words AS (
	SELECT regexp_split_to_table(prosrc, '\W+') AS Word, COUNT(1) FROM pg_catalog.pg_proc P
	JOIN pg_catalog.pg_namespace N ON N.oid = P.pronamespace JOIN pg_catalog.pg_language L ON L.oid = P.prolang
	WHERE L.lanname IN ('sql', 'plpgsql') AND N.nspname NOT IN ('pg_catalog', 'information_schema') GROUP BY Word),
	OrderWords AS (SELECT Word, ROW_NUMBER() OVER(PARTITION BY LOWER(Word) ORDER BY Count DESC) FROM Words WHERE Word ~* '.*[a-z].*'),
	Names AS (SELECT attname AS Name FROM pg_catalog.pg_attribute UNION SELECT relname FROM pg_catalog.pg_class
	  UNION SELECT proname FROM pg_catalog.pg_proc UNION SELECT typname FROM pg_catalog.pg_type
	  UNION SELECT nspname FROM pg_catalog.pg_namespace UNION SELECT unnest(proargnames) FROM pg_proc)
	SELECT Word FROM OrderWords WHERE LOWER(Word) IN (SELECT Name FROM Names) AND Row_Number = 1`

func TestSplitToTableAndPostgresColumnNames(t *testing.T) {
	f := newFixture(t)
	// No function of this gateway is written in SQL: no words, and no error.
	f.expectRows(t, pgcliCasing)
	// Grouped by the split's rows: pg_catalog, public, information_schema.
	f.expectRows(t, `SELECT regexp_split_to_table(nspname, '_') AS w, count(1) FROM pg_namespace GROUP BY w ORDER BY 1`,
		"catalog|1", "information|1", "pg|1", "public|1", "schema|1")
	f.expectRows(t, `SELECT x.w FROM (SELECT regexp_split_to_table('a,b', ',') AS w FROM pg_namespace WHERE nspname = 'public') x ORDER BY 1`, "a", "b")
}

// TestColumnsNamedAsPostgres compares result column names with the machine's PostgreSQL for
// catalog queries whose columns are function calls, casts and expressions.
func TestColumnsNamedAsPostgres(t *testing.T) {
	pg := testkit.PostgresConn(t)
	f := newFixture(t)
	for _, sql := range []string{
		`SELECT pg_catalog.pg_total_relation_size(c.oid), pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) FROM pg_catalog.pg_class c WHERE false`,
		`SELECT c.oid::regclass, c.relname || 'x', count(*), upper(c.relname)::text, 'pg_class'::regclass FROM pg_class c WHERE false GROUP BY c.oid, c.relname`,
		`SELECT n.nspname, CASE WHEN true THEN 1 END, COALESCE(n.nspname, ''), EXISTS (SELECT 1) FROM pg_namespace n WHERE false`,
		`SELECT nspname FROM pg_namespace WHERE false UNION SELECT relname FROM pg_class WHERE false`,
	} {
		rows, err := pg.Query(context.Background(), sql)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, fd := range rows.FieldDescriptions() {
			want = append(want, fd.Name)
		}
		rows.Close()
		_, plan, err := f.query(tenantA, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var got []string
		for _, c := range plan.Columns {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s\n got %v\nwant %v", sql, got, want)
		}
	}
}

// TestPrimaryKeyColumnsNotNull: PostgreSQL makes a primary key column NOT NULL.
func TestPrimaryKeyColumnsNotNull(t *testing.T) {
	f := newFixture(t)
	f.expectRows(t, `SELECT a.attname, a.attnotnull FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relname = 'orders' AND a.attname IN ('order_id', 'customer_id') ORDER BY 1`, "customer_id|false", "order_id|true")
	f.expectRows(t, `SELECT column_name, is_nullable FROM information_schema.columns WHERE table_name = 'orders'
		AND column_name IN ('order_id', 'customer_id') ORDER BY 1`, "customer_id|YES", "order_id|NO")
}

// TestKeyNamesAsPostgres names keys of long names on the machine's PostgreSQL and compares the
// emulation's names: cut to 63 bytes (the longer part first, whole characters), numbered when
// taken.
func TestKeyNamesAsPostgres(t *testing.T) {
	pg := testkit.PostgresConn(t)
	schema := testkit.PostgresSchema(t)
	long := strings.Repeat("t", 40) + "_table"
	col := strings.Repeat("c", 35) + "_id"
	uni := "ñandú_" + strings.Repeat("é", 30)
	ctx := context.Background()
	for _, stmt := range []string{
		fmt.Sprintf(`CREATE TABLE %s.target (id int PRIMARY KEY, id2 int UNIQUE)`, schema),
		fmt.Sprintf(`CREATE TABLE %s.%s (%s int PRIMARY KEY REFERENCES %s.target(id), x int)`, schema, long, col, schema),
		fmt.Sprintf(`ALTER TABLE %s.%s ADD FOREIGN KEY (%s) REFERENCES %s.target(id2)`, schema, long, col, schema),
		fmt.Sprintf(`CREATE TABLE %s."%s" ("%s" int PRIMARY KEY REFERENCES %s.target(id))`, schema, uni, uni, schema),
	} {
		if _, err := pg.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	want, err := testkit.QueryText(pg, 10*time.Second, fmt.Sprintf(`SELECT conname FROM pg_constraint
		WHERE connamespace = '%s'::regnamespace AND conrelid <> '%s.target'::regclass ORDER BY oid`, schema, schema))
	if err != nil {
		t.Fatal(err)
	}
	taken := map[string]bool{}
	got := []string{
		chooseName(long, "", "pkey", taken), chooseName(long, fkNameAddition([]string{col}), "fkey", taken),
		chooseName(long, fkNameAddition([]string{col}), "fkey", taken),
		chooseName(uni, "", "pkey", taken), chooseName(uni, fkNameAddition([]string{uni}), "fkey", taken),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestLongForeignKeyName: the emulation reports a foreign key of long names under PostgreSQL's
// 63-byte name.
func TestLongForeignKeyName(t *testing.T) {
	cat, err := catalog.LoadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keys := keysOf(cat, firstDatasetOID+len(cat.Datasets))
	for _, fk := range keys.fks {
		if len(fk.name) > maxNameBytes {
			t.Errorf("foreign key name %q is %d bytes", fk.name, len(fk.name))
		}
	}
	// 57 bytes for the two parts: the longer loses a byte at a time, the second on a tie.
	if got := objectName(strings.Repeat("a", 50), strings.Repeat("b", 30), "fkey"); len(got) != 63 ||
		got != strings.Repeat("a", 29)+"_"+strings.Repeat("b", 28)+"_fkey" {
		t.Errorf("objectName = %q (%d bytes)", got, len(got))
	}
}
