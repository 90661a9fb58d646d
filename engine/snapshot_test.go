package engine

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// fakeSystem is a system catalog whose engine answers fixed rows.
type fakeSystem struct {
	fakeBackend
	closed atomic.Int64
}

func (s *fakeSystem) IsCatalogQuery(*pg_query.Node) bool { return false }

func (s *fakeSystem) Rewrite(*planner.CatalogQuery, *pg_query.Node) error { return nil }

func (s *fakeSystem) Describe(context.Context, string) ([]planner.Column, []pgtypes.Type, error) {
	return nil, nil, nil
}

func (s *fakeSystem) Close() error {
	s.closed.Add(1)
	return nil
}

// A catalog plan runs on the system catalog of the snapshot it was planned on, not on the
// current one nor on a backend named like the system source; once that snapshot has closed
// the plan is refused with a clear error, and its engine is not reached.
func TestCatalogPlanRunsOnItsSnapshot(t *testing.T) {
	cat, err := catalog.Load([]byte("datasets:\n  - id: orders\n    source: {reference: orders}\n    fields: [{name: city, type: string}]\n    dimensions: [{name: city}]\n"), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	oldSys := &fakeSystem{fakeBackend: fakeBackend{rows: [][]any{{"old"}}}}
	newSys := &fakeSystem{fakeBackend: fakeBackend{rows: [][]any{{"new"}}}}
	p := planner.New(cat, planner.Config{System: oldSys, SnapshotGrace: time.Hour})
	plan := &planner.Plan{Kind: planner.KindQuery, SQL: "SELECT table_name FROM pgis.tables", Tag: "SELECT",
		Source: planner.SystemSource, Columns: []planner.Column{{Name: "table_name", Type: pgtypes.Text}}, Snapshot: p.Snapshot()}
	ex := New(Config{Backends: map[string]Backend{
		"duckdb":             &fakeBackend{rows: [][]any{{"default"}}},
		planner.SystemSource: &fakeBackend{rows: [][]any{{"by name"}}},
	}, Default: "duckdb"})
	run := func() ([][]string, error) {
		var w collect
		_, err := ex.Execute(context.Background(), admission.Caller{}, plan, nil, &w)
		return w.rows, err
	}

	p.Publish(planner.NewSnapshot(cat, newSys))
	rows, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{`"old"`}}; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("catalog plan after a reload answered %v, want its own snapshot's %v", rows, want)
	}
	if oldSys.closed.Load() != 0 {
		t.Fatal("the replaced system catalog closed within its grace")
	}

	// A snapshot whose grace is over and that no execution holds is closed; a plan made on it
	// is refused and does not reach its engine.
	gone := &fakeSystem{fakeBackend: fakeBackend{rows: [][]any{{"gone"}}}}
	p2 := planner.New(cat, planner.Config{System: gone, SnapshotGrace: time.Millisecond})
	plan.Snapshot = p2.Snapshot()
	p2.Publish(planner.NewSnapshot(cat, nil))
	testkit.Eventually(t, "a replaced, unused snapshot to close after its grace", plan.Snapshot.Closed)
	_, err = run()
	if sqlerr.Code(err) != sqlerr.FeatureNotSupported || gone.runs.Load() != 0 {
		t.Errorf("a plan on a closed snapshot: %v (engine runs %d)", err, gone.runs.Load())
	}
	// Closed is reported before the engine's Close has returned.
	testkit.Eventually(t, "the replaced system catalog to be closed", func() bool { return gone.closed.Load() != 0 })
	if n := gone.closed.Load(); n != 1 {
		t.Errorf("closed %d times, want once", n)
	}
}
