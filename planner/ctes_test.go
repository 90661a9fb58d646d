package planner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// TestDatasetCTENamesDifferingInCase: DuckDB compares names without case, so inside WITH "X" a
// reference x to an outer CTE x would read "X" and answer from the wrong CTE. The pair is
// refused; CTEs of distinct names, and an inner CTE shadowing an outer one of the same
// spelling, still plan.
func TestDatasetCTENamesDifferingInCase(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	for _, sql := range []string{
		`WITH x AS (SELECT city FROM orders) SELECT * FROM (WITH "X" AS (SELECT 'fake' AS city) SELECT city FROM x) z`,
		`WITH "Orders" AS (SELECT city FROM orders), orders AS (SELECT city FROM "Orders") SELECT * FROM orders`,
	} {
		plan, err := planOne(p, fuzzPrincipal, sql)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != sqlerr.FeatureNotSupported || !strings.Contains(se.Message, "differ only in case") {
			sqlText := ""
			if plan != nil {
				sqlText = plan.SQL
			}
			t.Errorf("%s: %v (engine SQL %s), want 0A000 naming the two CTEs", sql, err, sqlText)
		}
	}
	for _, sql := range []string{
		`WITH x AS (SELECT city FROM orders) SELECT * FROM (WITH x AS (SELECT 'a' AS city) SELECT city FROM x) z, x`,
		`WITH a AS (SELECT city FROM orders), b AS (SELECT city FROM a) SELECT * FROM b`,
	} {
		if _, err := planOne(p, fuzzPrincipal, sql); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
}
