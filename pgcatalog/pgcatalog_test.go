package pgcatalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

type fixture struct {
	sys *Catalog
	pl  *planner.Planner
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cat, err := catalog.LoadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return fixtureOf(t, cat)
}

// fixtureOf is the emulation and a planner for cat, closed when the test ends.
func fixtureOf(t *testing.T, cat *catalog.Catalog) *fixture {
	t.Helper()
	sys, err := New(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	return &fixture{sys: sys, pl: planner.New(cat, planner.Config{System: sys})}
}

// query plans sql for a principal and runs it on the emulation: rows as "a|b" strings.
func (f *fixture) query(p auth.Principal, sql string, args ...any) ([]string, *planner.Plan, error) {
	stmts, err := f.pl.Parse(sql)
	if err != nil {
		return nil, nil, err
	}
	sess := planner.Session{Principal: p, Database: "setupranali", User: "demo"}
	plan, err := f.pl.Plan(context.Background(), sess, stmts[0])
	if err != nil {
		return nil, nil, err
	}
	if plan.Source != planner.SystemSource {
		return nil, plan, fmt.Errorf("planned for source %q", plan.Source)
	}
	rows, err := f.sys.Query(context.Background(), plan.SQL, args)
	if err != nil {
		return nil, plan, fmt.Errorf("%w\n%s", err, plan.SQL)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, plan, err
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
			if list, ok := v.([]any); ok {
				// The engine hands lists back as lists; clients see their array text.
				text, _ := pgtypes.AppendText(nil, list, pgtypes.Text)
				parts[i] = string(text)
			}
			if v == nil {
				parts[i] = "NULL"
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out, plan, rows.Err()
}

var tenantA = auth.Principal{Tenants: []string{"tenantA"}}

func TestDatasetAttributesCarryAnnouncedTypes(t *testing.T) {
	f := newFixture(t)
	got, plan, err := f.query(tenantA, `SELECT a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typreceive::regproc
		FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = 'public.orders'::regclass AND a.attnum > 0 ORDER BY a.attnum`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"city|25|text|textrecv", "order_date|1082|date|date_recv", "order_size|25|text|textrecv",
		"order_id|25|text|textrecv", "customer_id|25|text|textrecv",
		"total_revenue|701|double precision|float8recv", "orders_count|20|bigint|int8recv", "total_quantity|20|bigint|int8recv",
		"cities|20|bigint|int8recv", "large_order_revenue|701|double precision|float8recv", "avg_order_value|701|double precision|float8recv"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// The hidden dataset_id never reaches a client.
	for _, c := range plan.Columns {
		if c.Name == "dataset_id" {
			t.Error("dataset_id is visible")
		}
	}
	got, _, err = f.query(tenantA, "SELECT * FROM pg_attribute LIMIT 1")
	if err != nil || len(got) != 1 || strings.Contains(got[0], "|orders") {
		t.Errorf("SELECT * FROM pg_attribute: %q, %v", got, err)
	}
}

// A key whose scopes exclude a dataset sees nothing of it in any system catalog.
func TestScopeHidesDatasets(t *testing.T) {
	f := newFixture(t)
	queries := []string{
		"SELECT relname FROM pg_catalog.pg_class WHERE relkind = 'r'",
		"SELECT attname FROM pg_attribute",
		"SELECT description FROM pg_description",
		"SELECT tablename FROM pg_tables",
		"SELECT table_name FROM information_schema.tables",
		"SELECT column_name FROM information_schema.columns",
		"SELECT x FROM (SELECT 'orders'::regclass AS x) s WHERE x IS NOT NULL AND EXISTS (SELECT 1 FROM pg_namespace)",
		"SELECT d FROM (SELECT obj_description(16384, 'pg_class') AS d, col_description(16384, 1) AS c FROM pg_namespace) s WHERE d IS NOT NULL OR c IS NOT NULL",
		"SELECT r FROM (SELECT (16384)::regclass AS r FROM pg_am) s WHERE r IS NOT NULL",
	}
	hidden := auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"returns"}}
	for _, q := range queries {
		got, _, err := f.query(hidden, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if len(got) != 0 {
			t.Errorf("out-of-scope key: %s returned %q", q, got)
		}
		got, _, err = f.query(auth.Principal{Tenants: []string{"tenantA"}, Scopes: []string{"orders"}}, q)
		if err != nil || len(got) == 0 {
			t.Errorf("in-scope key: %s returned %q, %v", q, got, err)
		}
	}
}

func TestCatalogQueryErrors(t *testing.T) {
	f := newFixture(t)
	cases := []struct{ sql, code string }{
		{"SELECT c.relname FROM pg_class c JOIN orders o ON true", "0A000"},
		{"SELECT * FROM public.orders, information_schema.tables", "0A000"},
		{"SELECT * FROM pg_catalog.pg_statistic", "0A000"},
		{"SELECT * FROM pg_class, nosuch", "42P01"},
		{"SELECT read_text('/etc/passwd') FROM pg_class", "0A000"},
		{"SELECT * FROM pg_class, read_csv('/etc/passwd')", "0A000"},
		{"SELECT main.format_type(23, -1) FROM pg_class", "42883"},
		{"SELECT * FROM pgc.pg_class", "42P01"},
		// A prefix regex operator: the rewrite to regexp_matches once lost its left operand
		// and the deparser crashed the process (found by FuzzCatalogQueryScope).
		{"SELECT nspname FROM pg_namespace WHERE !~ '^pg_toast_temp_'", "42883"},
		{"SELECT nspname FROM pg_namespace WHERE nspname ~ 'x' OR ~* 'y'", "42883"},
	}
	for _, c := range cases {
		_, _, err := f.query(tenantA, c.sql)
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.sql, err, c.code)
		}
	}
	// Catalog functions exist only in catalog queries.
	stmts, _ := f.pl.Parse("SELECT format_type(23, -1) FROM orders")
	if _, err := f.pl.Plan(context.Background(), planner.Session{Principal: tenantA}, stmts[0]); err == nil {
		t.Error("format_type in a dataset query planned")
	}
}

func TestSessionValues(t *testing.T) {
	f := newFixture(t)
	got, plan, err := f.query(tenantA, "SELECT d.datname, current_database(), r.rolname, pg_get_userbyid(d.datdba) FROM pg_database d, pg_roles r")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "setupranali|setupranali|demo|demo" {
		t.Errorf("got %q", got)
	}
	if plan.Source != planner.SystemSource {
		t.Errorf("source %q", plan.Source)
	}
}
