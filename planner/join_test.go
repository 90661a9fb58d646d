package planner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// TestJoinRefusalNamesTheJoin checks what a client reads when a join would repeat a metric's
// rows: the SQLSTATE, the dataset and the relation that repeats it, and a hint on declaring keys.
func TestJoinRefusalNamesTheJoin(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	cases := []struct{ sql, want string }{
		{"SELECT a.city, a.total_revenue, count(*) FROM orders a JOIN (SELECT city FROM orders) b ON a.city = b.city GROUP BY a.city",
			`metric "total_revenue" of dataset "orders" (as "a") would be counted once per matching row of relation "b"`},
		{"SELECT city, sum(total_revenue) FROM (SELECT a.city, a.total_revenue FROM orders a JOIN orders b ON a.city = b.city) x GROUP BY city",
			`metric "total_revenue" of dataset "orders" (as "a") would be counted once per matching row of dataset "orders" as "b"`},
		{`SELECT x."Region", x."totalWeight" FROM (SELECT "Region", "totalWeight" FROM Shipments) x, cities`,
			`metric "totalWeight" of dataset "Shipments" (read through relation "x") would be counted once per matching row of dataset "cities"`},
	}
	for _, c := range cases {
		_, err := planOne(p, principals["multi"], c.sql)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.Code != sqlerr.FeatureNotSupported {
			t.Errorf("%s: got %v, want 0A000", c.sql, err)
			continue
		}
		if !strings.Contains(se.Message, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, se.Message, c.want)
		}
		if !strings.Contains(se.Hint, "primaryKey") {
			t.Errorf("%s: hint %q does not say how to declare a key", c.sql, se.Hint)
		}
	}
}

// TestJoinStarGolden checks the star schema's case file (testdata/join/cases_star.yaml: each
// relationship kind, the joins BI tools write) against its catalog; -update rewrites it.
func TestJoinStarGolden(t *testing.T) {
	runGoldenFiles(t, planner.New(mustLoadCatalogFile(t, "testdata/join/star.yaml"), planner.Config{MaxRows: 1000}),
		[]string{"testdata/join/cases_star.yaml"})
}

func mustLoadCatalogFile(t testing.TB, path string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
