package planner_test

import (
	"context"
	"errors"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// hookSystem is a system catalog with rules of its own, to check what the planner does around
// the SystemCatalog hooks: tables of schema "sys" are its; Rewrite moves them to schema "eng",
// and for table "who" also records that the statement uses the session. Relation "broken" fails
// the rewrite.
type hookSystem struct {
	rewrites  int
	described []string
	users     []string
}

func (s *hookSystem) IsCatalogQuery(node *pg_query.Node) bool {
	found := false
	for _, from := range node.GetSelectStmt().GetFromClause() {
		if rv := from.GetRangeVar(); rv != nil && rv.Schemaname == "sys" {
			found = true
		}
	}
	return found
}

func (s *hookSystem) Rewrite(q *planner.CatalogQuery, node *pg_query.Node) error {
	s.rewrites++
	s.users = append(s.users, q.Session().User)
	for _, from := range node.GetSelectStmt().GetFromClause() {
		rv := from.GetRangeVar()
		switch rv.Relname {
		case "broken":
			return sqlerr.New(sqlerr.UndefinedTable, "relation %q does not exist", rv.Relname).WithPosition(q.Pos(rv.Location))
		case "who":
			q.UsesSession()
		}
		rv.Schemaname = "eng"
	}
	return nil
}

func (s *hookSystem) Describe(_ context.Context, sql string) ([]planner.Column, []pgtypes.Type, error) {
	s.described = append(s.described, sql)
	return []planner.Column{{Name: "relname", Type: pgtypes.Text}}, []pgtypes.Type{pgtypes.Int8}, nil
}

func planWith(t *testing.T, p *planner.Planner, sql string, paramOIDs ...uint32) (*planner.Plan, error) {
	t.Helper()
	stmts, err := p.Parse(sql)
	if err != nil || len(stmts) != 1 {
		t.Fatalf("parse %q: %v", sql, err)
	}
	return p.Plan(context.Background(), planner.Session{Principal: principals["tenantA"], Database: "setupranali", User: "alice"}, stmts[0], paramOIDs...)
}

// A catalog query is rewritten by the system catalog, then deparsed, described and planned on
// SystemSource by the planner; a parameter the client declared keeps its type.
func TestCatalogQueryGoesThroughSystemCatalogHooks(t *testing.T) {
	sys := &hookSystem{}
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000, System: sys})
	plan, err := planWith(t, p, "SELECT relname FROM sys.t WHERE relnamespace = $1", 19)
	if err != nil {
		t.Fatal(err)
	}
	const want = "SELECT relname FROM eng.t WHERE relnamespace = $1"
	if plan.Source != planner.SystemSource || plan.SQL != want {
		t.Fatalf("plan on %q: %q, want %q on %q", plan.Source, plan.SQL, want, planner.SystemSource)
	}
	if len(sys.described) != 1 || sys.described[0] != want {
		t.Fatalf("described %q, want the rewritten SQL once", sys.described)
	}
	if len(plan.Params) != 1 || plan.Params[0] != pgtypes.Text {
		t.Fatalf("params %v: a declared name parameter is read as text", plan.Params)
	}
	if len(sys.users) != 1 || sys.users[0] != "alice" {
		t.Fatalf("Rewrite saw users %q, want the session's", sys.users)
	}

	// A dataset query never reaches the hooks.
	plan, err = planWith(t, p, "SELECT city FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Source == planner.SystemSource || sys.rewrites != 1 {
		t.Fatalf("dataset query planned on %q after %d rewrites", plan.Source, sys.rewrites)
	}
}

// A catalog plan is cached like any other unless the rewrite used the session.
func TestCatalogQuerySessionUseDefeatsPlanCache(t *testing.T) {
	for _, c := range []struct {
		table    string
		rewrites int
	}{{"t", 1}, {"who", 2}} {
		sys := &hookSystem{}
		p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000, System: sys})
		for range 2 {
			if _, err := planWith(t, p, "SELECT relname FROM sys."+c.table); err != nil {
				t.Fatal(err)
			}
		}
		if sys.rewrites != c.rewrites {
			t.Errorf("sys.%s: %d rewrites for two plans, want %d", c.table, sys.rewrites, c.rewrites)
		}
	}
}

// A rewrite's error reaches the client as it was made; a locking clause is refused before the
// system catalog sees the statement.
func TestCatalogQueryRefusals(t *testing.T) {
	sys := &hookSystem{}
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000, System: sys})
	_, err := planWith(t, p, "SELECT relname FROM sys.broken")
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.UndefinedTable || se.Position != 21 {
		t.Fatalf("rewrite error: %v, want 42P01 at position 21", err)
	}
	rewrites := sys.rewrites
	_, err = planWith(t, p, "SELECT relname FROM sys.t FOR UPDATE")
	if err == nil || sys.rewrites != rewrites {
		t.Fatalf("locking clause: err %v after %d rewrites, want a refusal before any", err, sys.rewrites-rewrites)
	}
}
