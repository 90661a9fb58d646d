package planner_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Casts between wall-clock and instant types in a session zone other than UTC: the rewrite
// each gets (the golden files run without a client zone), and the forms refused because no
// rewrite keeps them exact. The values themselves are compared with PostgreSQL in
// gateway/timezone_pg_test.go.
func TestZonedCasts(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	s := planner.Session{Principal: principals["tenantA"], Database: "setupranali", TimeZone: "Asia/Kolkata"}
	rewrites := map[string]string{
		"SELECT '2024-01-01 10:00'::timestamptz":                                `SELECT timezone('Asia/Kolkata', '2024-01-01 10:00'::"timestamp") AS timestamptz`,
		"SELECT timestamptz '2024-01-01 10:00'":                                 `SELECT timezone('Asia/Kolkata', '2024-01-01 10:00'::"timestamp") AS timestamptz`,
		"SELECT '2024-01-01 10:00+02'::timestamptz":                             `SELECT '2024-01-01 10:00+02'::timestamptz AS timestamptz`,
		"SELECT CAST(order_date AS timestamptz) AS t FROM orders GROUP BY 1":    `SELECT timezone('Asia/Kolkata', order_date::"timestamp") AS t`,
		"SELECT order_date::timestamptz::timestamp AS t FROM orders GROUP BY 1": `SELECT (timezone('Asia/Kolkata', order_date::"timestamp") AT TIME ZONE 'Asia/Kolkata')::timestamp AS t`,
		"SELECT now() + interval '1 month'":                                     `SELECT timezone('Asia/Kolkata', (now() AT TIME ZONE 'Asia/Kolkata' + '1 month'::interval)::"timestamp") AS "?column?"`,
		"SELECT now() - interval '3 hours'":                                     `SELECT now() - '3 hours'::interval AS "?column?"`,
	}
	for sql, want := range rewrites {
		got := planIn(t, p, s, sql)
		if !strings.Contains(got, want) {
			t.Errorf("%s:\n got  %s\n want %s ...", sql, got, want)
		}
	}
	refused := []string{
		"SELECT city::timestamptz AS t FROM orders GROUP BY 1",
		"SELECT order_date::timestamptz::text AS t FROM orders GROUP BY 1",
		"SELECT 'today'::timestamptz",
		"SELECT now() + interval '1 day 2 hours'",
		"SELECT 'at ' || now()",
		"SELECT now() - 2 * interval '1 day'",
	}
	for _, sql := range refused {
		stmts, err := p.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Plan(context.Background(), s, stmts[0])
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.SQLState() != sqlerr.FeatureNotSupported || se.Hint == "" {
			t.Errorf("%s: %v, want 0A000 with a hint", sql, err)
		}
	}
}

func planIn(t *testing.T, p *planner.Planner, s planner.Session, sql string) string {
	t.Helper()
	stmts, err := p.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := p.Plan(context.Background(), s, stmts[0])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return pl.SQL
}
