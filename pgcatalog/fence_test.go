package pgcatalog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// A catalog query past the catalog's time bound is 57014 naming the setting; a quick one in
// the same emulation answers; a rebuilt emulation keeps the fence.
func TestCatalogTimeBound(t *testing.T) {
	cat, err := catalog.LoadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sys, err := NewWith(context.Background(), cat, Config{Timeout: 300 * time.Millisecond, MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	again, err := sys.Rebuild(context.Background(), cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	for _, c := range []*Catalog{sys, again} {
		f := &fixture{sys: c, pl: planner.New(cat, planner.Config{System: c})}
		_, _, err = f.query(tenantA, "SELECT count(*) FROM pg_catalog.pg_namespace, generate_series(1, 100000000000) g")
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != sqlerr.QueryCanceled || !strings.Contains(se.Hint, "SETU_CATALOG_TIMEOUT_SECONDS") {
			t.Errorf("heavy catalog query: %v", err)
		}
		if rows, _, err := f.query(tenantA, "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = 'public'"); err != nil || len(rows) != 1 {
			t.Errorf("quick catalog query: %v %v", rows, err)
		}
	}
}

// A generate_series in the select list is built as one list per row: past MaxCatalogSeries
// values it is refused, from constants while planning and from column values by the engine
// before it builds the list. Small series, and series in FROM, answer.
func TestCatalogSeriesBound(t *testing.T) {
	f := newFixture(t)
	for _, sql := range []string{
		"SELECT generate_series(1, 100000000) FROM pg_catalog.pg_namespace",
		"SELECT count(*) FROM (SELECT generate_series(1, oid::bigint * 1000000) AS g FROM pg_catalog.pg_namespace WHERE nspname = 'public') s",
		"SELECT generate_series(0, 100000000000, 2) FROM pg_catalog.pg_namespace",
	} {
		_, _, err := f.query(tenantA, sql)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != sqlerr.ProgramLimitExceeded || !strings.Contains(se.Message, "generate_series in the select list") {
			t.Errorf("%s: %v", sql, err)
		}
	}
	_, _, err := f.query(tenantA, "SELECT generate_series('2000-01-01'::timestamp, '2100-01-01'::timestamp, '1 second'::interval) FROM pg_catalog.pg_namespace")
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.FeatureNotSupported || !strings.Contains(se.Hint, "FROM") {
		t.Errorf("timestamp series in the select list: %v", err)
	}
	for sql, want := range map[string]int{
		"SELECT generate_series(1, 3) FROM pg_catalog.pg_namespace WHERE nspname = 'public'":                3,
		"SELECT generate_series(1, oid::int % 7 + 1) FROM pg_catalog.pg_namespace WHERE nspname = 'public'": 2200%7 + 1,
		"SELECT g FROM pg_catalog.pg_namespace n, generate_series(1, 20000) g WHERE n.nspname = 'public'":   20000,
	} {
		rows, _, err := f.query(tenantA, sql)
		if err != nil || len(rows) != want {
			t.Errorf("%s: %d rows, %v; want %d", sql, len(rows), err, want)
		}
	}
}
