package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner/session"
)

// pass is one named step of planning a query over datasets. Each pass reads what the passes
// before it left in the planState (the tree and the annotations on it) and leaves its own
// result there; no pass calls back into an earlier one.
type pass struct {
	name string
	run  func(*planState) error
}

// passes is the order a query plans in. A new pass goes where its inputs are ready: the join
// pass needs the relations resolve found and must run before tenant substitution hides the
// dataset references, so it goes right after "resolve".
var passes = []pass{
	{"resolve", resolve},           // resolve.go: names bind; types, grain and annotations
	{"join", planJoins},            // join.go: metrics keep their grain through joins, or refuse
	{"tenant", substituteTenants},  // tenant.go: datasets become filtered derived tables
	{"expand", expandMetrics},      // expand.go: metric references become their aggregations
	{"limits", applyLimits},        // limits.go: dimension/metric guards and the row cap
	{"dialect", applyDialect},      // dialect*.go: the engine's spelling of PostgreSQL meaning
	{"prune", prune},               // prune.go: derived tables keep the columns read
	{"verify", verify},             // verify.go: only filtered tables, only allowlisted calls
	{"valuesize", guardValueSizes}, // deparse.go, valuesize.go: operands shielded, growth bounded
	{"deparse", deparse},           // deparse.go: the tree back to SQL, proven to parse back
}

// planState is what the passes over one statement share: the tree, the facts about it that
// outlive one pass, and the annotations one pass leaves for a later one. Resolve-only state
// (scopes, CTE names, the time zone of grains) lives in binder.
type planState struct {
	cfg   *Config
	cat   *catalog.Catalog
	exprs *catalogExprs // cat's parsed SQL snippets
	sess  Session
	st    *Statement

	// root is the statement's tree, rewritten in place pass by pass; sel is its SELECT.
	root *pg_query.Node
	sel  *pg_query.SelectStmt
	// cols are the result columns (resolve); sql the engine SQL (deparse).
	cols []Column
	sql  string

	// source is the backend every dataset of the statement lives on, engine its engine
	// (Config.DefaultEngine for a statement reading no dataset).
	source   string
	engine   string
	datasets []string
	notes    []string
	params   *params
	// sessionDependent is set when the plan holds values of the session (current_setting, ...)
	// and so must not be shared through the plan cache.
	sessionDependent bool
	// readsClock is set when the result holds the time of the query (now(), current_date, ...):
	// a cached result would answer with an earlier time, so it is never cached.
	readsClock bool
	// sessionSets are the setting changes of set_config() calls.
	sessionSets []*session.Command

	// dims and metrics count what the statement references (resolve), for the guards (limits).
	dims    map[string]bool
	metrics map[string]bool
	// stringCaps are the repeat, lpad and rpad calls resolve found, for limits to cap.
	stringCaps []stringCap
	// joinBlocks are the blocks that join relations (resolve), for the join pass; joinSeq
	// numbers the CTEs it writes.
	joinBlocks []*joinBlock
	joinSeq    int
	// datasetRefs are the dataset references resolve found, for tenant to substitute.
	datasetRefs []*datasetRef
	// expansions are the metric references resolve decided to aggregate, for expand.
	expansions []*expansion
	// fixes are the places the dialect pass may respell (resolve and expand note them).
	fixes dialectFixes
	// refs are the derived tables standing for datasets; bound are the column references
	// resolve bound and outerNames the names of those bound to an enclosing block (prune).
	refs       []*tenantRef
	bound      map[*pg_query.ColumnRef]bool
	outerNames []string
	// physical are the source tables the tenant pass wrote, each under its filter (verify).
	physical map[*pg_query.RangeVar]bool
}

func newPlanState(p *Planner, cat *catalog.Catalog, s Session, st *Statement, paramOIDs []uint32) *planState {
	return &planState{cfg: &p.cfg, cat: cat, exprs: p.catalogExprs(cat), sess: s, st: st, engine: p.cfg.DefaultEngine,
		dims: map[string]bool{}, metrics: map[string]bool{},
		params:   &params{declared: paramOIDs, types: map[int32]pgtypes.Type{}},
		physical: map[*pg_query.RangeVar]bool{}}
}

// runPasses runs the passes over root in order. after, when not nil, is called after each pass
// that succeeded, with its name: the per-pass golden tests (pass_test.go) look at the tree there.
func runPasses(s *planState, root *pg_query.Node, after func(pass string)) error {
	s.root, s.sel = root, root.GetSelectStmt()
	for _, ps := range passes {
		if err := ps.run(s); err != nil {
			return err
		}
		if after != nil {
			after(ps.name)
		}
	}
	return nil
}

func (s *planState) datasetIDs() []string { return s.datasets }
