package planner

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/sqlerr"
)

// DefaultMaxRows is QUERY_MAX_ROWS when unset.
const DefaultMaxRows = 100000

// Config holds the planner's limits.
type Config struct {
	// MaxRows caps every result (QUERY_MAX_ROWS). Zero means no cap.
	MaxRows int64
	// DefaultSchemas maps a source engine to the schema its physical tables live in when a
	// dataset's reference is unqualified ("duckdb" → "main", "postgres" → "public"). Qualifying
	// keeps a client's CTE from shadowing a physical table inside the tenant-filtered derived
	// table.
	DefaultSchemas map[string]string
	// DefaultEngine is the engine of the backend that runs statements reading no dataset
	// (SELECT 1, SELECT 7 / 2): their SQL is written in its dialect. Empty means "duckdb".
	DefaultEngine string
	// PlanCacheSize bounds the parse and plan caches: 0 means DefaultPlanCacheSize, a negative
	// size turns caching off.
	PlanCacheSize int
	// Guards bound what one query may ask for.
	Guards Guards
	// System is the emulated pg_catalog and information_schema of the first snapshot (New's
	// catalog); nil refuses catalog queries. Later snapshots bring their own (Publish).
	System SystemCatalog
	// SnapshotGrace is how long a replaced snapshot's system catalog stays open for plans made
	// on it (snapshot.go); zero means DefaultSnapshotGrace.
	SnapshotGrace time.Duration
	// MaxValueBytes bounds each value a query produces (SETU_MAX_VALUE_BYTES): string-growing
	// calls are rewritten so the engine refuses a larger one before building it (valuesize.go),
	// and the executor checks every streamed value. MaxRowBytes bounds the encoded values of one
	// row together (SETU_MAX_ROW_BYTES). Zero means no bound.
	MaxValueBytes, MaxRowBytes int64
	// FullProjection keeps every column of a dataset in the derived table that stands for it,
	// instead of the columns the statement reads (prune.go): for tests that compare results
	// with and without pruning, and for ruling pruning out when looking into a plan.
	FullProjection bool
}

// Planner plans statements against the current catalog snapshot.
type Planner struct {
	cfg Config
	// snap is the one pointer a reload swaps: each plan loads it once and uses nothing else.
	snap   atomic.Pointer[Snapshot]
	caches *caches

	// retired are the replaced snapshots, closed by Close if their grace has not run out.
	mu      sync.Mutex
	retired []*Snapshot
	// exprs are the parsed SQL snippets of the catalog last planned with.
	exprs atomic.Pointer[catalogExprs]
}

// New returns a planner over cat.
func New(cat *catalog.Catalog, cfg Config) *Planner {
	if cfg.DefaultSchemas == nil {
		cfg.DefaultSchemas = map[string]string{"duckdb": "main", "postgres": "public"}
	}
	if cfg.PlanCacheSize == 0 {
		cfg.PlanCacheSize = DefaultPlanCacheSize
	}
	cfg.Guards = cfg.Guards.withDefaults()
	if cfg.SnapshotGrace == 0 {
		cfg.SnapshotGrace = DefaultSnapshotGrace
	}
	p := &Planner{cfg: cfg, caches: newCaches(cfg.PlanCacheSize)}
	p.snap.Store(NewSnapshot(cat, cfg.System))
	return p
}

// SetCatalog publishes cat with the current snapshot's system catalog, which must already
// describe it (tests; a reload that rebuilds the system catalog uses Publish).
func (p *Planner) SetCatalog(cat *catalog.Catalog) {
	p.snap.Store(NewSnapshot(cat, p.snap.Load().System))
}

// Publish makes snap the snapshot every new plan is made on, in one step. Plans already made
// keep theirs; the replaced snapshot's system catalog is closed once its grace has passed and
// no execution holds it.
func (p *Planner) Publish(snap *Snapshot) {
	old := p.snap.Swap(snap)
	if old == nil || old == snap {
		return
	}
	p.mu.Lock()
	kept := p.retired[:0]
	for _, r := range p.retired {
		if !r.Closed() {
			kept = append(kept, r)
		}
	}
	p.retired = append(kept, old)
	p.mu.Unlock()
	old.retire(p.cfg.SnapshotGrace)
}

// Snapshot returns the current snapshot.
func (p *Planner) Snapshot() *Snapshot { return p.snap.Load() }

// Catalog returns the current semantic catalog.
func (p *Planner) Catalog() *catalog.Catalog { return p.snap.Load().Catalog }

// Close closes the system catalogs of the current and every replaced snapshot, at once: for
// shutdown, after the front doors have drained their queries.
func (p *Planner) Close() error {
	p.mu.Lock()
	snaps := append(p.retired, p.snap.Load())
	p.retired = nil
	p.mu.Unlock()
	var err error
	for _, s := range snaps {
		if cerr := s.shutdown(); err == nil {
			err = cerr
		}
	}
	return err
}

// Plan plans one statement for a session. paramOIDs are the parameter types the client declared
// in Parse (0 or missing: infer). Plans are shared through the plan cache: callers must not
// modify them.
func (p *Planner) Plan(ctx context.Context, s Session, st *Statement, paramOIDs ...uint32) (*Plan, error) {
	if err := ctx.Err(); err != nil {
		return nil, sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	if st == nil || st.node == nil || st.node.Node == nil {
		return &Plan{Kind: KindEmpty}, nil
	}
	// One snapshot from here to execution: binding, the system-table rewrite, the catalog
	// version and the engine a catalog query runs on all come from snap.
	snap := p.snap.Load()
	if p.caches == nil {
		plan, err := p.plan(snap, s, st, paramOIDs)
		resultCacheInfo(snap.Catalog, s, plan)
		holdSnapshot(plan, snap)
		return plan, err
	}
	key := planKey(snap, s, st.cacheText(), paramOIDs)
	if plan, ok := p.caches.plans.Get(key); ok {
		return plan, nil
	}
	plan, err := p.plan(snap, s, st, paramOIDs)
	resultCacheInfo(snap.Catalog, s, plan)
	holdSnapshot(plan, snap)
	if err == nil && plan.cacheable {
		p.caches.plans.Add(key, plan)
	}
	return plan, err
}

func (p *Planner) plan(snap *Snapshot, s Session, st *Statement, paramOIDs []uint32) (*Plan, error) {
	// Planning rewrites the AST in place; work on a copy so a Statement can be planned again
	// (a prepared statement, a retried query).
	if err := checkComplexity(st.node); err != nil {
		return nil, err
	}
	node := cloneNode(st.node)
	if plan, ok, err := p.sessionStatement(s, node); ok {
		return plan, err
	}
	if plan, ok, err := prepareStatement(st, node); ok {
		return plan, err
	}
	if plan, ok, err := p.wrappedQuery(snap, s, st, node, paramOIDs); ok {
		return plan, err
	}
	if ex := node.GetExplainStmt(); ex != nil {
		// The statement inside EXPLAIN plans through exactly the passes it would on its own.
		return p.explainStatement(snap, s, st, ex, paramOIDs)
	}
	return p.planQuery(snap, s, st, node, paramOIDs)
}

// holdSnapshot records on plan and the query it wraps the snapshot they were made on.
func holdSnapshot(plan *Plan, snap *Snapshot) {
	for ; plan != nil; plan = plan.Inner {
		plan.Snapshot = snap
	}
}

// planQuery plans a query node: a SELECT on datasets, through the passes (pass.go), or on the
// emulated system catalog.
func (p *Planner) planQuery(snap *Snapshot, s Session, st *Statement, node *pg_query.Node, paramOIDs []uint32) (*Plan, error) {
	plan, _, err := p.planQueryState(snap, s, st, node, paramOIDs)
	return plan, err
}

// planQueryState is planQuery that also hands back the passes' state, for EXPLAIN to describe
// what they did (nil for a catalog query, which does not go through them).
func (p *Planner) planQueryState(snap *Snapshot, s Session, st *Statement, node *pg_query.Node, paramOIDs []uint32) (*Plan, *planState, error) {
	if isCatalogQuery(snap.System, node) {
		plan, err := p.catalogPlan(snap, s, st, node, paramOIDs)
		return plan, nil, err
	}
	cat := snap.Catalog
	sel := node.GetSelectStmt()
	if sel == nil || sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		return nil, nil, p.rejectStatement(node)
	}
	ps := newPlanState(p, cat, s, st, paramOIDs)
	if err := runPasses(ps, node, nil); err != nil {
		return nil, nil, err
	}
	plan := &Plan{
		Kind:        KindQuery,
		SQL:         ps.sql,
		Columns:     ps.cols,
		Params:      ps.params.list(),
		MaxRows:     p.cfg.MaxRows,
		Tag:         "SELECT",
		Source:      ps.source,
		Datasets:    ps.datasetIDs(),
		Notes:       ps.notes,
		SessionSets: ps.sessionSets,
		cacheable:   !ps.sessionDependent,
		readsClock:  ps.readsClock,
	}
	plan.MaxValueBytes, plan.MaxRowBytes = p.cfg.MaxValueBytes, p.cfg.MaxRowBytes
	return plan, ps, nil
}

func cloneNode(n *pg_query.Node) *pg_query.Node {
	return proto.Clone(n).(*pg_query.Node)
}

// writeStatements are statement kinds that change data or schema: they get 25006, as on a
// read-only PostgreSQL transaction.
var writeStatements = map[string]string{
	"InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE", "MergeStmt": "MERGE",
	"CreateStmt": "CREATE TABLE", "CreateTableAsStmt": "CREATE TABLE AS", "ViewStmt": "CREATE VIEW",
	"DropStmt": "DROP", "AlterTableStmt": "ALTER TABLE", "TruncateStmt": "TRUNCATE",
	"IndexStmt": "CREATE INDEX", "CreateSchemaStmt": "CREATE SCHEMA", "CreateFunctionStmt": "CREATE FUNCTION",
	"GrantStmt": "GRANT", "GrantRoleStmt": "GRANT", "RenameStmt": "ALTER", "CreateSeqStmt": "CREATE SEQUENCE",
	"CreateExtensionStmt": "CREATE EXTENSION", "CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE",
	"AlterRoleStmt": "ALTER ROLE", "CreateRoleStmt": "CREATE ROLE", "DropRoleStmt": "DROP ROLE",
	"VacuumStmt": "VACUUM", "ReindexStmt": "REINDEX", "ClusterStmt": "CLUSTER", "CommentStmt": "COMMENT",
	"RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW", "CreateTrigStmt": "CREATE TRIGGER",
	"LockStmt": "LOCK", "CallStmt": "CALL", "DoStmt": "DO", "LoadStmt": "LOAD",
}

// rejectStatement explains why a non-SELECT statement does not plan.
func (p *Planner) rejectStatement(node *pg_query.Node) error {
	kind := nodeKind(node)
	if c := node.GetCopyStmt(); c != nil {
		if c.IsFrom {
			return sqlerr.New(sqlerr.ReadOnlySQLTransaction, "cannot execute COPY FROM in a read-only transaction")
		}
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY is not supported; use SELECT")
	}
	if verb, ok := writeStatements[kind]; ok {
		return sqlerr.New(sqlerr.ReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", verb).
			WithHint("SetuPranali serves read-only semantic datasets")
	}
	if sel := node.GetSelectStmt(); sel != nil {
		if sel.IntoClause != nil {
			return sqlerr.New(sqlerr.ReadOnlySQLTransaction, "cannot execute SELECT INTO in a read-only transaction")
		}
		return sqlerr.New(sqlerr.ReadOnlySQLTransaction, "cannot execute SELECT FOR UPDATE/SHARE in a read-only transaction")
	}
	return sqlerr.New(sqlerr.FeatureNotSupported, "statement %s is not supported yet", statementName(kind))
}

// nodeKind returns the pg_query node type name, e.g. "InsertStmt".
func nodeKind(node *pg_query.Node) string {
	if node == nil || node.Node == nil {
		return ""
	}
	t := reflect.TypeOf(node.Node)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return strings.TrimPrefix(t.Name(), "Node_")
}

func statementName(kind string) string {
	switch kind {
	case "VariableSetStmt":
		return "SET"
	case "VariableShowStmt":
		return "SHOW"
	case "TransactionStmt":
		return "transaction control"
	}
	return strings.ToUpper(strings.TrimSuffix(kind, "Stmt"))
}
