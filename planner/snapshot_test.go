package planner_test

import (
	"context"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
)

// closingSystem is a system catalog that records being closed; it knows no tables.
type closingSystem struct{ closed int }

func (s *closingSystem) IsCatalogQuery(*pg_query.Node) bool { return false }

func (s *closingSystem) Rewrite(*planner.CatalogQuery, *pg_query.Node) error { return nil }

func (s *closingSystem) Describe(context.Context, string) ([]planner.Column, []pgtypes.Type, error) {
	return nil, nil, nil
}

func (s *closingSystem) Close() error {
	s.closed++
	return nil
}

// A replaced snapshot's system catalog stays open through its grace and while an execution
// holds it, closes once both are over, and only once.
func TestSnapshotClosesWhenRetiredAndUnused(t *testing.T) {
	cat := loadTestCatalog(t)
	first, second := &closingSystem{}, &closingSystem{}
	p := planner.New(cat, planner.Config{System: first, SnapshotGrace: time.Hour})
	old := p.Snapshot()
	release, ok := old.Acquire()
	if !ok {
		t.Fatal("the current snapshot refused an execution")
	}
	p.Publish(planner.NewSnapshot(cat, second))
	if p.Snapshot() == old || p.Snapshot().System != second {
		t.Fatal("Publish did not make the new snapshot current")
	}
	if old.Closed() || first.closed != 0 {
		t.Fatal("a replaced snapshot closed within its grace")
	}
	old.EndGrace()
	if old.Closed() || first.closed != 0 {
		t.Fatal("a replaced snapshot closed while an execution held it")
	}
	release()
	release() // a second release changes nothing
	if !old.Closed() || first.closed != 1 {
		t.Fatalf("retired, past its grace and unused: closed=%v, Close calls %d", old.Closed(), first.closed)
	}
	if _, ok := old.Acquire(); ok {
		t.Error("a closed snapshot accepted an execution")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if first.closed != 1 || second.closed != 1 {
		t.Errorf("Close: old closed %d times, current %d times; want once each", first.closed, second.closed)
	}
}

// A replaced snapshot no execution holds closes when its grace ends; Close closes one whose
// grace has not ended.
func TestSnapshotGraceEndsUnused(t *testing.T) {
	cat := loadTestCatalog(t)
	systems := []*closingSystem{{}, {}, {}}
	p := planner.New(cat, planner.Config{System: systems[0], SnapshotGrace: time.Hour})
	s0 := p.Snapshot()
	p.Publish(planner.NewSnapshot(cat, systems[1]))
	s1 := p.Snapshot()
	p.Publish(planner.NewSnapshot(cat, systems[2]))
	s0.EndGrace()
	if systems[0].closed != 1 || systems[1].closed != 0 {
		t.Fatalf("after the first grace ended: Close calls %d, %d", systems[0].closed, systems[1].closed)
	}
	if s1.Closed() {
		t.Fatal("the second snapshot closed within its grace")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for i, s := range systems {
		if s.closed != 1 {
			t.Errorf("system catalog %d closed %d times, want once", i, s.closed)
		}
	}
}

// A plan records the snapshot it was made on, and a published snapshot of the same catalog
// version is not served plans cached on the one before (they would hold its system catalog).
func TestPlanHoldsItsSnapshot(t *testing.T) {
	cat := loadTestCatalog(t)
	p := planner.New(cat, planner.Config{})
	sql := "SELECT city FROM orders GROUP BY city"
	before, err := planOne(p, principals["tenantA"], sql)
	if err != nil {
		t.Fatal(err)
	}
	first := p.Snapshot()
	if before.Snapshot != first || before.CatalogVersion != first.Version() {
		t.Fatalf("plan snapshot %p version %q, current %p %q", before.Snapshot, before.CatalogVersion, first, first.Version())
	}
	p.Publish(planner.NewSnapshot(cat, nil))
	after, err := planOne(p, principals["tenantA"], sql)
	if err != nil {
		t.Fatal(err)
	}
	if after.Snapshot != p.Snapshot() || after.Snapshot == first {
		t.Error("a plan cached on the replaced snapshot was served for the new one")
	}
	if after.CatalogVersion != before.CatalogVersion {
		t.Errorf("same catalog, versions %q and %q", before.CatalogVersion, after.CatalogVersion)
	}
}
