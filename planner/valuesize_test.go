package planner_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// valueLimit is the bound the value-size golden cases are planned with.
const valueLimit = 1 << 20

// TestGoldenValueSize plans testdata/planner/valuesize with a value bound: the string-growing
// calls carry the guard that makes DuckDB (cases_duckdb) or PostgreSQL (cases_postgres) refuse
// a value past it before building it.
func TestGoldenValueSize(t *testing.T) {
	runGoldenFiles(t, planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000, MaxValueBytes: valueLimit}),
		[]string{"../testdata/planner/valuesize/cases_duckdb.yaml"})
	data, err := os.ReadFile("../testdata/planner/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load([]byte(strings.ReplaceAll(string(data), "engine: duckdb", "engine: postgres")), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runGoldenFiles(t, planner.New(cat, planner.Config{MaxRows: 1000, DefaultEngine: "postgres", MaxValueBytes: valueLimit}),
		[]string{"../testdata/planner/valuesize/cases_postgres.yaml"})
}

// Without a bound the calls are left as written, and plans carry the bounds for the executor.
func TestValueSizeBoundsOnPlan(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	plan, err := planOne(p, principals["tenantA"], "SELECT repeat(city, 3) FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan.SQL, "setu_value_limit") || plan.MaxValueBytes != 0 {
		t.Errorf("unbounded planner guarded the call: %s", plan.SQL)
	}
	p = planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000, MaxValueBytes: 100, MaxRowBytes: 200})
	plan, err = planOne(p, principals["tenantA"], "SELECT repeat(city, 3) FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if plan.MaxValueBytes != 100 || plan.MaxRowBytes != 200 || !strings.Contains(plan.SQL, "setu_value_limit:100:") {
		t.Errorf("bounded plan: value %d row %d SQL %s", plan.MaxValueBytes, plan.MaxRowBytes, plan.SQL)
	}
	_, err = planOne(p, principals["tenantA"], "SELECT rpad(lpad(repeat(repeat(repeat(repeat(repeat(city, 2), 2), 2), 2), 2), 3, 'x'), 4, 'y') FROM orders")
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.ProgramLimitExceeded || !strings.Contains(se.Message, "nest more than 6 levels") {
		t.Errorf("seven nested growth calls: %v", err)
	}
}
