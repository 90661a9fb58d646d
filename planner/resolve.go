package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/sqlerr"
)

// The resolve pass binds the statement: every FROM item to a dataset, CTE or sub-select, every
// column reference to a relation's column, every function to the allowlist, every expression to
// a PostgreSQL type, and every block to its grain (see the package doc). It rewrites the tree
// only where a name or a session value has one spelling for every engine (qualified column
// names, current_setting(), time zone grains, implicit GROUP BY); everything else it finds it
// leaves as annotations on the planState for the passes that own the rewrite: dataset
// references (tenant), metric references to aggregate (expand), engine spellings (dialect),
// the derived-table columns read (prune).
//
// The recursion is select.go (SELECT, WITH, set operations), block.go and grain.go (a plain
// block), from.go (FROM items), expr.go and call.go (expressions), scope.go (names).

// binder is the state of the resolve pass: the shared planState plus what only resolving needs.
type binder struct {
	*planState
	// zone is the defaultTimezone of the first dataset the statement reads.
	zone string
	// seen are the datasets already in planState.datasets.
	seen map[string]bool
	// cteNames maps the statement's CTE names, lower-cased, to their spelling (withClause).
	cteNames map[string]string
	// pending are the nodes of planState.expansions, which the expand pass will turn into
	// aggregations.
	pending map[*pg_query.Node]bool
	// kept are the unique sets a plain block over one relation keeps from it (join.go).
	kept map[*pg_query.SelectStmt][][]int
	// keyed are the plain blocks over one dataset relation with a primary key (join.go).
	keyed map[*pg_query.SelectStmt]*keyedBlock
}

// newBinder is a resolver over a fresh planState.
func newBinder(p *Planner, cat *catalog.Catalog, s Session, st *Statement, paramOIDs []uint32) *binder {
	return &binder{planState: newPlanState(p, cat, s, st, paramOIDs), seen: map[string]bool{}}
}

// resolve is the resolve pass over the statement's outermost SELECT.
func resolve(s *planState) error {
	b := &binder{planState: s, seen: map[string]bool{}}
	cols, err := b.selectStmt(s.sel, nil, blockOpts{})
	if err != nil {
		return err
	}
	s.cols = make([]Column, len(cols))
	for i, c := range cols {
		s.cols[i] = Column{Name: c.name, Type: resultType(c.typ), TableOID: c.origin.table, AttNum: c.origin.attnum}
	}
	return nil
}

// pos turns a parser location (0-based, in the statement's node) into a 1-based position in the
// text the client sent.
func (b *binder) pos(location int32) int {
	if location < 0 {
		return 0
	}
	return int(location) + 1
}

// useDataset records a dataset read by the statement and checks that all of them share one
// source: a statement runs on one engine.
func (b *binder) useDataset(ds *catalog.Dataset, pos int) error {
	src := ds.Source.SourceID
	if src == "" {
		src = ds.Source.Engine
	}
	if b.source != "" && b.source != src {
		return sqlerr.New(sqlerr.FeatureNotSupported,
			"dataset %q lives on source %q but the query already reads source %q; one query reads one source", ds.ID, src, b.source).WithPosition(pos)
	}
	b.source = src
	b.engine = ds.Source.Engine
	if b.zone == "" {
		b.zone = ds.DefaultTimezone
	}
	if !b.seen[ds.ID] {
		b.seen[ds.ID] = true
		b.datasets = append(b.datasets, ds.ID)
	}
	return nil
}
