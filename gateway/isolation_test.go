package gateway

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Values that only other tenants' rows can produce (tenantA has o1 Indore 1000 and o2 Bhopal 500).
var notTenantA = []string{"Delhi", "Mumbai", "Chennai", "tenantB", "default", "250", "1200", "800", "600", "1250", "4350", "o3", "o4", "o5", "o6",
	// Other tenants' customers (the join from orders to customers).
	"Yamuna Stores", "Capital Wholesale", "Harbour Supplies", "Marina Textiles", "North", "West", "South"}

// TestTenantCannotSeeOtherTenants runs statements that try to reach other tenants' rows as
// tenantA. Each must be rejected with a client-facing SQLSTATE or return only tenantA's rows.
func TestTenantCannotSeeOtherTenants(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	attempts := []struct {
		sql string
		// reject is the SQLSTATE the statement must fail with; "" means it must succeed with
		// tenantA's rows only.
		reject string
	}{
		{"SELECT city, total_revenue FROM orders WHERE city = 'Delhi' OR 1 = 1", ""},
		{"SELECT city, total_revenue FROM orders WHERE city = 'Delhi' OR tenant_id = 'tenantB'", "42703"},
		{"SELECT * FROM (SELECT * FROM orders) t", ""},
		{"SELECT city FROM orders UNION SELECT city FROM orders", ""},
		{"SELECT city, total_revenue FROM orders UNION ALL SELECT city, total_revenue FROM orders", ""},
		{"WITH x AS (SELECT * FROM orders) SELECT * FROM x", ""},
		{"WITH orders AS (SELECT * FROM orders) SELECT city, total_revenue FROM orders", ""},
		{"SELECT city FROM orders WHERE city IN (SELECT city FROM orders)", ""},
		{"SELECT (SELECT total_revenue FROM orders), (SELECT orders_count FROM orders)", ""},
		{"SELECT a.city, b.city FROM orders a, orders b", ""},
		{"SELECT city FROM orders -- WHERE tenant_id = 'tenantA'\n", ""},
		{"SELECT city FROM orders /* */ UNION ALL SELECT city FROM main.orders", "42P01"},
		{`SELECT "city", "total_revenue" FROM "public"."orders"`, ""},
		{"SELECT city, total_revenue FROM orders WHERE city = 'Indore'", ""},
		{"SELECT tenant_id FROM orders", "42703"},
		{"SELECT tenant_id, city FROM orders GROUP BY tenant_id, city", "42703"},
		{"SELECT revenue FROM orders", "42703"},
		{"SELECT * FROM main.orders", "42P01"},
		{`SELECT * FROM "main"."orders"`, "42P01"},
		{"SELECT * FROM memory.main.orders", "0A000"},
		{"SELECT * FROM read_csv('/etc/passwd')", "0A000"},
		{"SELECT * FROM read_csv_auto('/etc/passwd')", "0A000"},
		{"SELECT read_text('/etc/passwd')", "42883"},
		{"SELECT * FROM read_parquet('orders.parquet')", "0A000"},
		{"SELECT * FROM duckdb_tables()", "0A000"},
		{"SELECT * FROM information_schema.tables", ""},
		{"SELECT current_setting('enable_external_access')", "42704"},
		{"SET enable_external_access = true", "42704"},
		{"COPY orders TO '/tmp/orders.csv'", "0A000"},
		{"PRAGMA database_list", "42601"},
		{"ATTACH '/tmp/x.db' AS x", "42601"},
		{"SELECT city FROM orders; SELECT * FROM main.orders", "42P01"},
		{"SELECT 1; DELETE FROM orders", "25006"},
	}
	for _, a := range attempts {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		results, err := conn.PgConn().Exec(ctx, a.sql).ReadAll()
		cancel()
		var text strings.Builder
		for _, r := range results {
			for _, row := range r.Rows {
				for _, v := range row {
					text.Write(v)
					text.WriteByte('|')
				}
			}
			if err == nil && r.Err != nil {
				err = r.Err
			}
		}
		for _, bad := range notTenantA {
			if strings.Contains(text.String(), bad) {
				t.Errorf("LEAK: %q returned %q, which contains another tenant's value %q", a.sql, text.String(), bad)
			}
		}
		var pe *pgconn.PgError
		switch {
		case a.reject == "" && err != nil:
			t.Errorf("%q: failed with %v, want tenantA's rows", a.sql, err)
		case a.reject != "" && !errors.As(err, &pe):
			t.Errorf("%q: got %v, want SQLSTATE %s", a.sql, err, a.reject)
		case a.reject != "" && pe.Code != a.reject:
			t.Errorf("%q: SQLSTATE %s (%s), want %s", a.sql, pe.Code, pe.Message, a.reject)
		case a.reject == "" && text.Len() == 0:
			t.Errorf("%q: returned no rows, want tenantA's", a.sql)
		}
	}
}

// COPY dataset TO STDOUT reads what SELECT * reads: tenantA's rows and nothing else.
func TestCopyDatasetToStdoutIsTenantFiltered(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	for _, sql := range []string{"COPY orders TO STDOUT", "COPY orders (city, total_revenue) TO STDOUT WITH (FORMAT csv, HEADER)"} {
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tag, err := conn.PgConn().CopyTo(ctx, &out, sql)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if tag.RowsAffected() == 0 || !strings.Contains(out.String(), "Indore") {
			t.Errorf("%s: %d rows %q, want tenantA's", sql, tag.RowsAffected(), out.String())
		}
		for _, bad := range notTenantA {
			if strings.Contains(out.String(), bad) {
				t.Errorf("LEAK: %s wrote %q, which contains another tenant's value %q", sql, out.String(), bad)
			}
		}
	}
}
