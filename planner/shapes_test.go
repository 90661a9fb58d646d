package planner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// TestShapeRefusalsNameTheShape: a metric shape with no defined meaning is 42803, and the
// message or hint says which shape it is and what is answered instead.
func TestShapeRefusalsNameTheShape(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	cases := []struct {
		sql, want string
		// position is where the client's cursor should land (0: not checked).
		position int
	}{
		{"SELECT STDDEV(total_revenue) FROM orders", "an aggregate of another kind around a metric", 8},
		{"SELECT SUM(total_revenue * length(city)) FROM orders", "an aggregate around an expression of metrics", 8},
		{"SELECT city FROM orders WHERE total_revenue > 1 OR city = 'Pune'", "a condition on metrics in WHERE filters groups", 31},
		{"SELECT r.city FROM (SELECT city, total_revenue FROM orders WHERE total_revenue > 1) r", "filters groups (as HAVING) only in a block that aggregates", 66},
		{"SELECT city, orders_count FROM orders GROUP BY city || orders_count", "a metric as a GROUP BY key adds no grouping", 0},
	}
	for _, c := range cases {
		_, err := planOne(p, principals["tenantA"], c.sql)
		var se *sqlerr.Error
		if !errors.As(err, &se) || se.SQLState() != "42803" {
			t.Errorf("%s: got %v, want 42803", c.sql, err)
			continue
		}
		if text := se.Message + " " + se.Hint; !strings.Contains(text, c.want) {
			t.Errorf("%s: %q does not name the shape (%q)", c.sql, text, c.want)
		}
		if c.position != 0 && se.Position != c.position {
			t.Errorf("%s: position %d, want %d", c.sql, se.Position, c.position)
		}
	}
}
