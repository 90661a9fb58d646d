package planner

import (
	"errors"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// verify passes only table reads the tenant pass wrote or CTEs of the statement, and only
// allowlisted functions, wherever they sit in the tree.
func TestVerify(t *testing.T) {
	for _, c := range []struct {
		sql      string
		physical bool // mark every schema-qualified table as written by the tenant pass
		ok       bool
	}{
		{"SELECT city FROM main.orders", true, true},
		{"SELECT city FROM main.orders", false, false},
		{"SELECT city FROM orders", true, false},
		{"WITH x AS (SELECT city FROM main.orders) SELECT lower(city) FROM x", true, true},
		{"WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a", false, true},
		{"WITH x AS (SELECT 1) SELECT * FROM main.x", false, false},
		{"SELECT * FROM x", false, false},
		{"SELECT (SELECT max(city) FROM other) FROM main.orders", true, false},
		{"SELECT 1 FROM main.orders WHERE EXISTS (SELECT 1 FROM y)", true, false},
		{"SELECT * FROM generate_series(1, 2)", false, false},
		{"SELECT pg_read_file('/etc/passwd')", false, false},
		{"SELECT public.lower('a')", false, false},
		{"SELECT pg_catalog.lower('a')", false, true},
		{"WITH x AS (SELECT 1) SELECT pg_read_file('f') FROM x, y", false, false},
		{"SELECT count(*) OVER (ORDER BY (SELECT 1 FROM z)) FROM main.orders", true, false},
	} {
		tree, err := pg_query.Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		b := &planState{physical: map[*pg_query.RangeVar]bool{}}
		root := tree.Stmts[0].Stmt
		if c.physical {
			for _, rv := range rangeVars(root) {
				if rv.Schemaname != "" {
					b.physical[rv] = true
				}
			}
		}
		err = b.verifyTree(root)
		var se *sqlerr.Error
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.sql, err)
		}
		if !c.ok && (!errors.As(err, &se) || se.Code != sqlerr.FeatureNotSupported) {
			t.Errorf("%s: err %v, want a refusal", c.sql, err)
		}
	}
}

func rangeVars(root *pg_query.Node) []*pg_query.RangeVar {
	var out []*pg_query.RangeVar
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		if rv := n.GetRangeVar(); rv != nil {
			out = append(out, rv)
		}
		return true
	})
	return out
}
