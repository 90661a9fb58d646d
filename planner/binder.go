package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/sqlerr"
)

// binder carries the state of planning one statement.
type binder struct {
	p   *Planner
	cat *catalog.Catalog
	// exprs are cat's parsed SQL snippets.
	exprs *catalogExprs
	sess  Session
	st    *Statement

	// source is the backend every dataset of the statement lives on.
	source string
	engine string
	// zone is the defaultTimezone of the first dataset the statement reads.
	zone string

	datasets []string
	seen     map[string]bool
	// dims and metrics count what the statement references, for the guards.
	dims    map[string]bool
	metrics map[string]bool
	notes   []string
	// intDivisions are "/" operators between integers, PostgreSQL's integer division; engines
	// that divide integers into fractions get their own operator (see finishDialect).
	intDivisions []*pg_query.A_Expr
	// toChars are to_char, to_timestamp and to_date calls with a format, which DuckDB spells
	// strftime and strptime.
	toChars []*pg_query.FuncCall
	// likeEscapes are LIKE ... ESCAPE expressions (see noteLikeEscape).
	likeEscapes []*pg_query.Node
	// castFixes are casts of literals DuckDB reads differently (see noteCast).
	castFixes []*pg_query.TypeCast
	params    *params
	// sessionDependent is set when the plan holds values of the session (current_setting, ...)
	// and so must not be shared through the plan cache.
	sessionDependent bool
	// sessionSets are the setting changes of set_config() calls.
	sessionSets []*SetCommand
	// physical are the source tables the tenant pass wrote, each under its filter.
	physical map[*pg_query.RangeVar]bool
	// refs are the derived tables the tenant pass wrote; bound are the column references the
	// binder resolved and outerNames the names of those bound to an enclosing block (prune.go).
	refs       []*tenantRef
	bound      map[*pg_query.ColumnRef]bool
	outerNames []string
	// pg holds what the PostgreSQL dialect rewrites (see dialect_postgres.go).
	pg pgDialect
	// cteNames maps the statement's CTE names, lower-cased, to their spelling (withClause).
	cteNames map[string]string
}

func newBinder(p *Planner, cat *catalog.Catalog, s Session, st *Statement, paramOIDs []uint32) *binder {
	return &binder{p: p, cat: cat, exprs: p.catalogExprs(cat), sess: s, st: st, engine: p.cfg.DefaultEngine, seen: map[string]bool{}, dims: map[string]bool{}, metrics: map[string]bool{},
		params: &params{declared: paramOIDs, types: map[int32]Type{}}, physical: map[*pg_query.RangeVar]bool{}}
}

func (b *binder) datasetIDs() []string { return b.datasets }

// pos turns a parser location (0-based, in the statement's node) into a 1-based position in the
// text the client sent.
func (b *binder) pos(location int32) int {
	if location < 0 {
		return 0
	}
	return int(location) + 1
}

// topSelect plans the statement's outermost SELECT and applies the row cap.
func (b *binder) topSelect(sel *pg_query.SelectStmt) ([]Column, error) {
	cols, err := b.selectStmt(sel, nil, blockOpts{})
	if err != nil {
		return nil, err
	}
	if err := b.checkCounts(); err != nil {
		return nil, err
	}
	b.applyRowCap(sel)
	b.finishDialect()
	out := make([]Column, len(cols))
	for i, c := range cols {
		out[i] = Column{Name: c.name, Type: resultType(c.typ)}
	}
	return out, nil
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

// finishDialect adapts PostgreSQL semantics the engine spells differently.
func (b *binder) finishDialect() {
	if b.engine == "postgres" {
		b.finishPostgres()
		return
	}
	if b.engine != "" && b.engine != "duckdb" {
		return
	}
	for _, e := range b.intDivisions {
		// DuckDB's "/" always yields a fraction; "//" is its integer division, which truncates
		// toward zero like PostgreSQL's int / int.
		e.Name = []*pg_query.Node{pg_query.MakeStrNode("//")}
	}
	for _, fc := range b.toChars {
		duckToChar(fc)
	}
	for _, n := range b.likeEscapes {
		duckLikeEscape(n)
	}
	for _, tc := range b.castFixes {
		duckCast(tc)
	}
}
