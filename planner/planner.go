package planner

import (
	"context"
	"reflect"
	"strings"
	"sync/atomic"

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
	// System is the emulated pg_catalog and information_schema; nil refuses catalog queries.
	System SystemCatalog
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
	cfg     Config
	catalog atomic.Pointer[catalog.Catalog]
	caches  *caches
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
	p := &Planner{cfg: cfg, caches: newCaches(cfg.PlanCacheSize)}
	p.catalog.Store(cat)
	return p
}

// SetCatalog swaps in a new catalog snapshot; plans already made keep the old one.
func (p *Planner) SetCatalog(cat *catalog.Catalog) { p.catalog.Store(cat) }

// Catalog returns the current catalog snapshot.
func (p *Planner) Catalog() *catalog.Catalog { return p.catalog.Load() }

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
	cat := p.catalog.Load()
	if p.caches == nil {
		plan, err := p.plan(cat, s, st, paramOIDs)
		resultCacheInfo(cat, s, plan)
		return plan, err
	}
	key := planKey(cat, s, st.SQL, paramOIDs)
	if plan, ok := p.caches.plans.Get(key); ok {
		return plan, nil
	}
	plan, err := p.plan(cat, s, st, paramOIDs)
	resultCacheInfo(cat, s, plan)
	if err == nil && plan.cacheable {
		p.caches.plans.Add(key, plan)
	}
	return plan, err
}

func (p *Planner) plan(cat *catalog.Catalog, s Session, st *Statement, paramOIDs []uint32) (*Plan, error) {
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
	if plan, ok, err := p.wrappedQuery(cat, s, st, node, paramOIDs); ok {
		return plan, err
	}
	return p.planQuery(cat, s, st, node, paramOIDs)
}

// planQuery plans a query node: a SELECT on datasets or on the emulated system catalog.
func (p *Planner) planQuery(cat *catalog.Catalog, s Session, st *Statement, node *pg_query.Node, paramOIDs []uint32) (*Plan, error) {
	if p.isCatalogQuery(node) {
		return p.catalogPlan(cat, s, st, node, paramOIDs)
	}
	sel := node.GetSelectStmt()
	if sel == nil || sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		return nil, p.rejectStatement(node)
	}
	b := newBinder(p, cat, s, st, paramOIDs)
	cols, err := b.topSelect(sel)
	if err != nil {
		return nil, err
	}
	if !p.cfg.FullProjection {
		b.prune(node)
	}
	if err := b.verify(node); err != nil {
		return nil, err
	}
	protectOperands(node)
	if err := boundValues(node, b.engine, p.cfg.MaxValueBytes); err != nil {
		return nil, err
	}
	sql, err := deparseChecked(node, st.version)
	if err != nil {
		return nil, err
	}
	plan := &Plan{
		Kind:        KindQuery,
		SQL:         sql,
		Columns:     cols,
		Params:      b.params.list(),
		MaxRows:     p.cfg.MaxRows,
		Tag:         "SELECT",
		Source:      b.source,
		Datasets:    b.datasetIDs(),
		Notes:       b.notes,
		SessionSets: b.sessionSets,
		cacheable:   !b.sessionDependent,
	}
	plan.MaxValueBytes, plan.MaxRowBytes = p.cfg.MaxValueBytes, p.cfg.MaxRowBytes
	return plan, nil
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
	case "ExplainStmt":
		return "EXPLAIN"
	}
	return strings.ToUpper(strings.TrimSuffix(kind, "Stmt"))
}
