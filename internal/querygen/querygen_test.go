package querygen_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/querygen"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

const catalogPath = "../../testdata/differential/catalog.yaml"

func load(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.LoadFile(catalogPath)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// withValues gives a generator values of several tenants, as the differential test does.
func withValues(g *querygen.Generator) *querygen.Generator {
	g.SetDatabase("setupranali")
	g.SetValues("tenant", "tenantA", "tenantB", "default", "tenantC")
	g.SetValues("region", "North", "South", "O'Hare", "Arctic")
	g.SetValues("product", "Widget", "Delta%Pack", "Secret_C")
	g.SetValues("units", 1, 7, 20)
	g.SetValues("returned", true, false)
	g.SetValues("sale_date", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC))
	g.SetValues("sold_at", time.Date(2025, 3, 1, 13, 45, 7, 0, time.UTC))
	g.SetValues("total_amount", 10.5, 1000.0)
	return g
}

func TestSameSeedSameQueries(t *testing.T) {
	cat := load(t)
	a := withValues(querygen.New(cat, "sales", 42))
	b := withValues(querygen.New(cat, "sales", 42))
	c := withValues(querygen.New(cat, "sales", 43))
	differ := 0
	for i := range 300 {
		qa, qb, qc := a.NextQuery(), b.NextQuery(), c.NextQuery()
		if qa.SQL != qb.SQL || qa.Ordered != qb.Ordered || strings.Join(qa.Shapes, ",") != strings.Join(qb.Shapes, ",") {
			t.Fatalf("query %d differs for the same seed:\n%s\n%s", i, qa.SQL, qb.SQL)
		}
		if qa.SQL != qc.SQL {
			differ++
		}
	}
	if differ < 250 {
		t.Errorf("seeds 42 and 43 gave %d different queries of 300", differ)
	}
}

// Every generated query must plan for a viewer. A failure is a generator bug, or a planner bug
// when the README promises the shape.
func TestQueriesPlan(t *testing.T) {
	cat := load(t)
	p := planner.New(cat, planner.Config{MaxRows: 1000})
	sess := planner.Session{
		Principal: auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer},
		Database:  "setupranali",
	}
	n := 1000
	if testing.Short() {
		n = 200
	}
	g := withValues(querygen.New(cat, "sales", 1))
	var failures []string
	for i := range n {
		q := g.NextQuery()
		if err := planOne(p, sess, q.SQL); err != nil {
			failures = append(failures, describe(i, q.SQL, err))
		}
	}
	t.Logf("%d generated queries, %d do not plan", n, len(failures))
	for _, f := range failures[:min(len(failures), 10)] {
		t.Log(f)
	}
	if len(failures)*200 > n {
		t.Errorf("%d of %d generated queries do not plan (more than 0.5%%)", len(failures), n)
	}
}

func planOne(p *planner.Planner, sess planner.Session, sql string) error {
	stmts, err := p.Parse(sql)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return errors.New("not exactly one statement")
	}
	_, err = p.Plan(context.Background(), sess, stmts[0])
	return err
}

func describe(i int, sql string, err error) string {
	code := ""
	var se *sqlerr.Error
	if errors.As(err, &se) {
		code = se.Code + " "
	}
	return fmt.Sprintf("query %d: %s%v\n    %s", i, code, err, sql)
}

// A few thousand queries use every shape the generator knows.
func TestShapesCovered(t *testing.T) {
	g := withValues(querygen.New(load(t), "sales", 7))
	seen := map[string]int{}
	ordered := 0
	for range 3000 {
		q := g.NextQuery()
		for _, s := range q.Shapes {
			seen[s]++
		}
		if q.Ordered {
			ordered++
		}
	}
	for _, s := range []string{
		querygen.ShapeImplicitGroup, querygen.ShapeGroupBy, querygen.ShapeMeasure, querygen.ShapeMatchingAgg,
		querygen.ShapeMetricExpr, querygen.ShapePlainAgg, querygen.ShapeWhere, querygen.ShapeNestedBool,
		querygen.ShapeTautology, querygen.ShapeNullTest, querygen.ShapeLike, querygen.ShapeBetween,
		querygen.ShapeIn, querygen.ShapeHaving, querygen.ShapeGrain, querygen.ShapePassthrough,
		querygen.ShapeSubselect, querygen.ShapePowerBI, querygen.ShapeMetabase, querygen.ShapeCTE,
		querygen.ShapeShadowCTE, querygen.ShapeUnion, querygen.ShapeSetOp, querygen.ShapeScalarSub,
		querygen.ShapeInSub, querygen.ShapeExists, querygen.ShapeOrderBy, querygen.ShapeLimit,
		querygen.ShapeTopN, querygen.ShapeDistinct, querygen.ShapeStar, querygen.ShapeWindow,
		querygen.ShapeRowLevel, querygen.ShapeQualifiedNames, querygen.ShapeCorrelated, querygen.ShapeJoin,
		querygen.ShapeExpression, querygen.ShapeFilterAgg, querygen.ShapeUnionLabel, querygen.ShapeOrderByMetric,
		querygen.ShapeColumnAliases, querygen.ShapeMetricCase,
	} {
		if seen[s] < 10 {
			t.Errorf("shape %q in %d of 3000 queries, want at least 10", s, seen[s])
		}
	}
	if ordered < 1000 || ordered > 2500 {
		t.Errorf("%d of 3000 queries ordered, want a good share of both kinds", ordered)
	}
}

// The Power BI and Metabase shapes come out as those tools write them.
func TestToolShapes(t *testing.T) {
	g := withValues(querygen.New(load(t), "sales", 3))
	var powerBI, metabase string
	for i := 0; i < 2000 && (powerBI == "" || metabase == ""); i++ {
		q := g.NextQuery()
		for _, s := range q.Shapes {
			switch {
			case s == querygen.ShapePowerBI && powerBI == "":
				powerBI = q.SQL
			case s == querygen.ShapeMetabase && metabase == "":
				metabase = q.SQL
			}
		}
	}
	if !strings.Contains(powerBI, `from "public"."sales" "_"`) || !strings.Contains(powerBI, `) "rows"`) {
		t.Errorf("Power BI shape: %s", powerBI)
	}
	if !strings.Contains(metabase, `FROM (SELECT `) || !strings.Contains(metabase, `) "source"`) || !strings.Contains(metabase, `SELECT "source".`) {
		t.Errorf("Metabase shape: %s", metabase)
	}
}

func TestUnknownDatasetPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with an unknown dataset did not panic")
		}
	}()
	querygen.New(load(t), "nosuch", 1)
}
