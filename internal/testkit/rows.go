package testkit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// QueryText runs sql on conn within d and returns each row as its values joined by "|", in
// result order: NULL as "NULL", timestamps as "2006-01-02 15:04:05", anything else as fmt.Sprint
// prints it. End-to-end tests compare answers in this form.
func QueryText(conn *pgx.Conn, d time.Duration, sql string, args ...any) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
			if v == nil {
				parts[i] = "NULL"
			}
			if tm, ok := v.(time.Time); ok {
				parts[i] = tm.Format("2006-01-02 15:04:05")
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, rows.Err()
}

// RowsText is QueryText within 10 seconds, failing the test on an error.
func RowsText(t testing.TB, conn *pgx.Conn, sql string) []string {
	t.Helper()
	out, err := QueryText(conn, 10*time.Second, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// OrdersDataset is a catalog dataset (YAML, indented as an entry of datasets:) over a physical
// orders table with the demo's columns, tenant-filtered on tenant_id.
func OrdersDataset(id, engine, reference, sourceID string) string {
	src := fmt.Sprintf("engine: %s, type: table, reference: %s", engine, reference)
	if sourceID != "" {
		src += ", sourceId: " + sourceID
	}
	return fmt.Sprintf(`  - id: %s
    source: { %s }
    fields:
      - { name: order_id, type: string }
      - { name: tenant_id, type: string }
      - { name: city, type: string }
      - { name: revenue, type: double }
    dimensions:
      - { name: city, field: city }
    metrics:
      - { name: total_revenue, expression: { type: aggregation, agg: sum, field: revenue } }
      - { name: orders_count, expression: { type: aggregation, agg: count, field: order_id } }
    rls: { enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true }
`, id, src)
}
