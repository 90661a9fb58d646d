package gateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/internal/testkit"
)

// rowDescQueries are valid on PostgreSQL and on the gateway over the same columns; the result
// columns' table and attribute numbers are compared.
var rowDescQueries = []string{
	`SELECT city, total_revenue FROM orders`,
	`SELECT o.order_date, o.city AS town FROM orders o`,
	`SELECT x.city FROM (SELECT city FROM orders) x`,
	`WITH w AS (SELECT city, order_date FROM orders) SELECT order_date, city FROM w`,
	`SELECT upper(city) AS u, sum(total_revenue) AS s, 1 AS one FROM orders GROUP BY 1`,
	`SELECT city FROM orders UNION SELECT region FROM customers`,
	`SELECT c.region, c.customer_id FROM customers c`,
	`SELECT city::text, order_date::text, order_date::date FROM orders`,
}

// TestRowDescriptionNamesDatasetColumns: RowDescription carries a dataset column's table oid and
// attribute number, the ones pg_class and pg_attribute list for it, and 0 for a computed column
// (pgjdbc's ResultSetMetaData.getTableName reads them). The expected attribute numbers are
// PostgreSQL's own for tables built with the columns the catalog lists, in that order.
func TestRowDescriptionNamesDatasetColumns(t *testing.T) {
	t.Parallel()
	pg := testkit.PostgresConn(t)
	schema := testkit.PostgresSchema(t)
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	ctx := testkit.ContextWithin(t, 30*time.Second)
	oids := map[uint32]string{}
	for _, table := range []string{"orders", "customers"} {
		rows, err := tryRows(conn, fmt.Sprintf(`SELECT c.oid, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid WHERE c.relname = '%s' AND a.attnum > 0 ORDER BY a.attnum`, table))
		if err != nil || len(rows) == 0 {
			t.Fatalf("%s's attributes: %v %v", table, rows, err)
		}
		var defs []string
		for _, r := range rows {
			parts := strings.Split(r, "|")
			var oid uint32
			fmt.Sscan(parts[0], &oid)
			oids[oid] = table
			defs = append(defs, fmt.Sprintf("%q %s", parts[1], parts[2]))
		}
		if _, err := pg.Exec(ctx, fmt.Sprintf("CREATE TABLE %s.%s (%s)", schema, table, strings.Join(defs, ", "))); err != nil {
			t.Fatal(err)
		}
	}
	pgOIDs := map[uint32]string{}
	for _, table := range []string{"orders", "customers"} {
		var oid uint32
		if err := pg.QueryRow(ctx, fmt.Sprintf("SELECT '%s.%s'::regclass::oid", schema, table)).Scan(&oid); err != nil {
			t.Fatal(err)
		}
		pgOIDs[oid] = table
	}
	if _, err := pg.Exec(ctx, "SET search_path = "+schema); err != nil {
		t.Fatal(err)
	}
	extended := connectMode(t, gw, "tenantA-key", "describe_exec")
	for _, sql := range rowDescQueries {
		want := describeColumns(t, pg, sql, pgOIDs)
		for mode, c := range map[string]*pgx.Conn{"simple": conn, "extended": extended} {
			if got := describeColumns(t, c, sql, oids); got != want {
				t.Errorf("%s (%s protocol):\n got %s\nwant %s", sql, mode, got, want)
			}
		}
	}
}

// describeColumns runs sql and names each result column's origin as table.attnum (or 0), the
// table by the name tables gives its oid.
func describeColumns(t *testing.T, conn *pgx.Conn, sql string, tables map[uint32]string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	var out []string
	for _, fd := range rows.FieldDescriptions() {
		if fd.TableOID == 0 {
			out = append(out, fmt.Sprintf("%s:0.%d", fd.Name, fd.TableAttributeNumber))
			continue
		}
		name, ok := tables[fd.TableOID]
		if !ok {
			name = fmt.Sprintf("unknown oid %d", fd.TableOID)
		}
		out = append(out, fmt.Sprintf("%s:%s.%d", fd.Name, name, fd.TableAttributeNumber))
	}
	for rows.Next() {
	}
	return strings.Join(out, " ")
}
