package planner_test

import (
	"testing"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/planner"
)

// A result that holds the time of the query is never served from the result cache: a cached
// now() or current_date would answer with the time of an earlier query.
func TestResultsThatReadTheClockAreNotCached(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	tenant := auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}
	for sql, never := range map[string]bool{
		"SELECT city, total_revenue FROM orders GROUP BY city":                                       false,
		"SELECT city, now() AS at FROM orders GROUP BY city":                                         true,
		"SELECT city FROM orders WHERE order_date > current_date - 30 GROUP BY city":                 true,
		"SELECT city, localtimestamp FROM orders GROUP BY city":                                      true,
		"SELECT city, statement_timestamp() FROM orders GROUP BY city":                               true,
		"SELECT city FROM orders WHERE order_date < CURRENT_TIMESTAMP GROUP BY city":                 true,
		"SELECT city, current_setting('TimeZone') AS tz, total_revenue FROM orders GROUP BY city, 2": false,
	} {
		plan, err := planOne(p, tenant, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if got := plan.CacheTTL < 0; got != never {
			t.Errorf("%s: CacheTTL %v, want never cached = %v", sql, plan.CacheTTL, never)
		}
	}
}
