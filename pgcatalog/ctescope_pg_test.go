package pgcatalog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

// cteScopePGTemplates are cteScopeTemplates made independent of the catalog's contents, so
// that PostgreSQL's own answer is the expected one.
var cteScopePGTemplates = []string{
	`WITH {A} AS (SELECT 1 AS v) SELECT DISTINCT b.v FROM pg_namespace n, {B} b WHERE n.nspname = 'public'`,
	`SELECT DISTINCT z.v FROM pg_namespace n, (WITH {A} AS (SELECT 1 AS v) SELECT * FROM {B}) z WHERE n.nspname = 'public'`,
	`SELECT DISTINCT z.v, b.v FROM pg_namespace n, (WITH {A} AS (SELECT 1 AS v) SELECT * FROM {A}) z, {B} b WHERE n.nspname = 'public'`,
	`WITH {A} AS (SELECT * FROM {B}) SELECT DISTINCT a.v FROM pg_namespace n, {A} a WHERE n.nspname = 'public'`,
	`WITH RECURSIVE {A} AS (SELECT 1 AS v UNION ALL SELECT v + 1 FROM {B} WHERE v < 3) SELECT DISTINCT a.v FROM pg_namespace n, {A} a
		WHERE n.nspname = 'public' ORDER BY 1`,
	`WITH {A} AS (SELECT 1 AS v), {B} AS (SELECT v + 1 AS v FROM {A}) SELECT DISTINCT b.v FROM pg_namespace n, {B} b WHERE n.nspname = 'public'`,
	`SELECT count(*) FROM pg_namespace n WHERE n.nspname = 'public' AND EXISTS (WITH {A} AS (SELECT 1 AS v) SELECT 1 FROM {A})
		AND EXISTS (SELECT 1 FROM {B})`,
	`SELECT nspname FROM pg_namespace WHERE nspname = 'public' UNION (WITH {A} AS (SELECT 'x' AS v) SELECT v FROM {A})
		UNION SELECT 'y' FROM {B} ORDER BY 1`,
	`WITH {A} AS (SELECT 1 AS v) SELECT DISTINCT z.v FROM pg_namespace n, (WITH {B} AS (SELECT 2 AS v) SELECT v FROM {A}) z
		WHERE n.nspname = 'public'`,
	`SELECT (WITH {A} AS (SELECT 1 AS v) SELECT max(v) FROM {A}), (SELECT count(*) > 0 FROM {B}) FROM pg_namespace n
		WHERE n.nspname = 'public'`,
}

// TestCTEScopeAgreesWithPostgres runs a grid of CTE scopes and names on real PostgreSQL and on
// the gateway's catalog emulation. Where PostgreSQL answers, the gateway gives the same rows or
// refuses (0A000); where PostgreSQL fails, the gateway fails too, with a client SQLSTATE. A
// name resolved differently (the engine's own relation, another CTE) shows as different rows.
func TestCTEScopeAgreesWithPostgres(t *testing.T) {
	pg := testkit.PostgresConn(t)
	ctx := testkit.ContextWithin(t, 2*time.Minute)
	if _, err := pg.Exec(ctx, "SET statement_timeout = '5s'; SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	agreed := 0
	for _, tmpl := range cteScopePGTemplates {
		for _, a := range cteScopeNames {
			for _, b := range cteScopeNames {
				sql := strings.NewReplacer("{A}", a, "{B}", b).Replace(tmpl)
				want, pgErr := testkit.QueryText(pg, 10*time.Second, sql, pgx.QueryExecModeSimpleProtocol)
				got, plan, err := f.query(tenantA, sql)
				var se *sqlerr.Error
				isClient := errors.As(err, &se) && sqlerr.Class(se.Code) != "XX"
				engineSQL := ""
				if plan != nil {
					engineSQL = plan.SQL
				}
				switch {
				case err != nil && !isClient:
					t.Errorf("%s\n  gateway: %v, not a client SQLSTATE", sql, err)
				case pgErr != nil && err == nil:
					t.Errorf("%s\n  PostgreSQL: %v\n  gateway answered %q (engine SQL %s)", sql, pgErr, got, engineSQL)
				case pgErr == nil && err != nil && se.Code != sqlerr.FeatureNotSupported:
					t.Errorf("%s\n  PostgreSQL answered %q\n  gateway: %v", sql, want, err)
				case pgErr == nil && err == nil && strings.Join(got, "\n") != strings.Join(want, "\n"):
					t.Errorf("%s\n  PostgreSQL answered %q\n  gateway answered %q (engine SQL %s)", sql, want, got, engineSQL)
				case pgErr == nil && err == nil:
					agreed++
				}
			}
		}
	}
	// The grid is not all refusals: most of it must be answered as PostgreSQL answers it.
	t.Logf("%d of %d statements answered alike", agreed, len(cteScopePGTemplates)*len(cteScopeNames)*len(cteScopeNames))
	if agreed < 90 {
		t.Errorf("only %d statements answered alike", agreed)
	}
}
