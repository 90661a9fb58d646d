package scopecheck_test

import (
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/testkit/scopecheck"
)

// rules allow one table, s.t, read under tenant_id = 'a', and refuse the function f.
func rules(t *testing.T, recursiveSeesAll bool) scopecheck.Rules {
	filter := scopecheck.Where(t, "tenant_id = 'a'")
	return scopecheck.Rules{
		Block: func(r *scopecheck.Report, s *pg_query.SelectStmt, rel *pg_query.RangeVar) bool {
			if !scopecheck.SameWhere(filter, s.WhereClause) {
				r.Failf("%s read under WHERE %s", rel.Relname, scopecheck.ShortText(s.WhereClause))
				return false
			}
			return true
		},
		Table: func(r *scopecheck.Report, rel *pg_query.RangeVar, approved bool) {
			switch {
			case rel.Schemaname+"."+rel.Relname != "s.t":
				r.Failf("unknown table %s.%s", rel.Schemaname, rel.Relname)
			case !approved:
				r.Failf("table s.t read outside its filtered block")
			}
		},
		Func: func(r *scopecheck.Report, fc *pg_query.FuncCall) {
			if name := strings.Join(scopecheck.FuncName(fc), "."); name == "f" {
				r.Failf("function %s", name)
			}
		},
		RecursiveSeesAll: recursiveSeesAll,
	}
}

// Each statement is checked under both WITH RECURSIVE rules; want is a part of the first
// problem, "" for none.
func TestCheck(t *testing.T) {
	const filtered = `(SELECT x FROM s.t WHERE tenant_id = 'a')`
	cases := []struct {
		sql, want, wantSeesAll string
	}{
		{`SELECT x FROM ` + filtered + ` q`, "", ""},
		{`SELECT x FROM s.t`, "t read under WHERE (none)", ""},
		{`SELECT x FROM (SELECT x FROM s.t WHERE tenant_id = 'b') q`, "read under WHERE", ""},
		{`SELECT x FROM (SELECT x FROM s.t WHERE tenant_id = 'a' OR true) q`, "read under WHERE", ""},
		{`SELECT x FROM (SELECT x FROM s.t, s.t u WHERE tenant_id = 'a') q`, "outside its filtered block", ""},
		{`SELECT x FROM (SELECT x FROM s.u WHERE tenant_id = 'a') q`, "unknown table s.u", ""},
		{`SELECT x FROM db.s.t`, "names a database", ""},
		{`SELECT x FROM other`, "nor a CTE in scope", ""},
		{`WITH c AS ` + filtered + ` SELECT x FROM c`, "", ""},
		{`SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c) z, c`, "nor a CTE in scope", ""},
		{`SELECT (WITH c AS (SELECT 1 AS v) SELECT max(v) FROM c), (SELECT count(*) FROM c)`, "nor a CTE in scope", ""},
		{`WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a`, "nor a CTE in scope", ""},
		{`WITH a AS (SELECT * FROM a) SELECT * FROM a`, "nor a CTE in scope", ""},
		{`WITH RECURSIVE a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a`, "nor a CTE in scope", "-"},
		{`WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r`, "", ""},
		{`WITH "C" AS (SELECT 1) SELECT * FROM c`, "nor a CTE in scope", ""},
		{`SELECT * FROM generate_series(1, 2)`, "table function", ""},
		{`SELECT 1 FROM s.t TABLESAMPLE SYSTEM (10) WHERE tenant_id = 'a'`, "RangeTableSample", ""},
		{`SELECT * FROM XMLTABLE('/r' PASSING '<r/>' COLUMNS a int)`, "RangeTableFunc", ""},
		{`SELECT 1 INTO u`, "IntoClause", ""},
		{`SELECT 1 FOR UPDATE`, "LockingClause", ""},
		{`SELECT f(1)`, "function f", ""},
		{`SELECT g(f(1))`, "function f", ""},
		{`SELECT x FROM ` + filtered + ` q WHERE x IN (SELECT f(x) FROM ` + filtered + ` p)`, "function f", ""},
		{`SELECT 1; SELECT 2`, "2 statements", ""},
		{`DELETE FROM s.t`, "not a SELECT", ""},
		{`SELEC 1`, "does not parse", ""},
	}
	for _, c := range cases {
		for _, seesAll := range []bool{false, true} {
			want := c.want
			if seesAll && c.wantSeesAll != "" {
				want = strings.TrimPrefix(c.wantSeesAll, "-")
			}
			problems := scopecheck.Check(c.sql, rules(t, seesAll))
			switch {
			case want == "" && len(problems) > 0:
				t.Errorf("RecursiveSeesAll=%v %s: unexpected problems %q", seesAll, c.sql, problems)
			case want != "" && (len(problems) == 0 || !strings.Contains(problems[0], want)):
				t.Errorf("RecursiveSeesAll=%v %s: problems %q, want one with %q", seesAll, c.sql, problems, want)
			}
		}
	}
}

// Without hooks the walk refuses every schema-qualified relation and table function; a hook
// for table functions decides for itself.
func TestCheckWithoutHooks(t *testing.T) {
	if p := scopecheck.Check(`SELECT x FROM (SELECT x FROM s.t WHERE tenant_id = 'a') q`, scopecheck.Rules{}); len(p) != 1 || !strings.Contains(p[0], "s.t is not allowed") {
		t.Errorf("a table with no Table hook: %q", p)
	}
	called := 0
	r := scopecheck.Rules{TableFunc: func(*scopecheck.Report, *pg_query.RangeFunction) { called++ }}
	if p := scopecheck.Check(`SELECT * FROM generate_series(1, 2), unnest(ARRAY[1])`, r); len(p) != 0 || called != 2 {
		t.Errorf("TableFunc hook: called %d times, problems %q", called, p)
	}
}

// The CTE hook sees every WITH item, nested ones too, before its body.
func TestCTEHook(t *testing.T) {
	var seen []string
	r := scopecheck.Rules{CTE: func(r *scopecheck.Report, c *pg_query.CommonTableExpr) {
		seen = append(seen, c.Ctename)
		if c.Ctename == "bad" {
			r.Failf("CTE %s", c.Ctename)
		}
	}}
	p := scopecheck.Check(`WITH a AS (WITH bad AS (SELECT 1) SELECT * FROM bad), b AS (SELECT * FROM a) SELECT * FROM b`, r)
	if strings.Join(seen, ",") != "a,bad,b" || len(p) != 1 || p[0] != "CTE bad" {
		t.Errorf("seen %q, problems %q", seen, p)
	}
}

// Filters compare as trees: positions, spacing and parentheses around the whole do not
// matter, an operand does; nil is the absent clause.
func TestSameWhere(t *testing.T) {
	where := func(sql string) *pg_query.Node {
		tree, err := pg_query.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		return tree.Stmts[0].Stmt.GetSelectStmt().WhereClause
	}
	want := scopecheck.Where(t, "a = 1 AND b IN ('x', 'y')")
	if !scopecheck.SameWhere(want, where(`SELECT * FROM t   WHERE   (a = 1 AND b IN ('x',  'y'))`)) {
		t.Error("the same filter, spaced and placed differently, compares unequal")
	}
	if scopecheck.SameWhere(want, where(`SELECT * FROM t WHERE a = 1 AND b IN ('x', 'z')`)) {
		t.Error("a different filter compares equal")
	}
	if !scopecheck.SameWhere(nil, nil) || scopecheck.SameWhere(want, nil) || scopecheck.SameWhere(nil, want) {
		t.Error("an absent clause compares wrongly")
	}
	got := where(`SELECT * FROM t WHERE a = 1 AND b IN ('x', 'y')`)
	before := scopecheck.ShortText(got)
	scopecheck.SameWhere(want, got)
	if scopecheck.ShortText(got) != before {
		t.Error("SameWhere changed the engine SQL's tree")
	}
}
