package planner

import (
	"context"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
)

// SystemSource is the backend name catalog queries run on.
const SystemSource = "pgcatalog"

// describeTimeout bounds asking the engine for a catalog query's result columns.
const describeTimeout = 10 * time.Second

// SystemCatalog is the emulation of PostgreSQL's system catalogs (pg_catalog,
// information_schema) as the planner sees it. Package pgcatalog implements it: it owns the
// system tables, the rules that rewrite a catalog query over them and the engine that evaluates
// the result. The planner owns what every plan gets, whatever its source: the statement-kind
// check, the value-size guards, deparsing, the plan itself.
type SystemCatalog interface {
	// IsCatalogQuery reports whether a SELECT reads the system catalogs (or calls a function
	// only the emulation evaluates) rather than datasets.
	IsCatalogQuery(node *pg_query.Node) bool
	// Rewrite turns a catalog query, in place, into a tree over the emulation's engine tables
	// that keeps only the rows of q's scope, and fails closed on anything it cannot vouch for.
	Rewrite(q *CatalogQuery, node *pg_query.Node) error
	// Describe reports the result columns and parameter types of engine SQL without running it.
	Describe(ctx context.Context, sql string) (cols []Column, params []pgtypes.Type, err error)
}

// CatalogQuery is what the planner lends a SystemCatalog for rewriting one statement: the
// session, the semantic catalog of the same snapshot, and the binder's session functions, so
// that current_user or set_config mean the same in a catalog query as in a dataset query and
// the plan records that it depends on the session.
type CatalogQuery struct {
	b *binder
}

// Catalog is the semantic catalog of the snapshot the statement is planned on.
func (q *CatalogQuery) Catalog() *catalog.Catalog { return q.b.cat }

// Session is the session the statement is planned for.
func (q *CatalogQuery) Session() Session { return q.b.sess }

// Pos turns a parser location into the 1-based position in the client's text, for errors.
func (q *CatalogQuery) Pos(location int32) int { return q.b.pos(location) }

// UsesSession records that the rewritten statement holds values of the session (its user or
// database name), so the plan is not shared through the cache.
func (q *CatalogQuery) UsesSession() { q.b.sessionDependent = true }

// SessionValue answers a session function (version(), current_setting(...), set_config(...),
// ...) as a constant; ok is false for a function that is not one.
func (q *CatalogQuery) SessionValue(name string, args []*pg_query.Node) (val *pg_query.Node, ok bool, err error) {
	val, _, ok, err = q.b.sessionValue(name, args)
	return val, ok, err
}

// SQLValue answers CURRENT_USER, CURRENT_CATALOG, CURRENT_SCHEMA and the like from the session;
// nil for the SQL value functions that are not the session's (dates and times).
func (q *CatalogQuery) SQLValue(op pg_query.SQLValueFunctionOp) *pg_query.Node {
	return q.b.sqlValueSession(op)
}

// CTEScope is the resolution of a statement's relation references by CTE scope, as PostgreSQL
// resolves them (ctes.go).
type CTEScope struct {
	b *cteBinding
}

// ResolveCTEs resolves the relation references of a SELECT by CTE scope; pos maps parse
// locations to client positions for errors.
func ResolveCTEs(root *pg_query.Node, pos func(int32) int) *CTEScope {
	return &CTEScope{b: bindCTEs(root, pos)}
}

// Err is the first reference or WITH list the engine cannot be trusted to bind as PostgreSQL
// does; nil when there is none.
func (s *CTEScope) Err() error { return s.b.err }

// CTE is the CTE in scope that a relation reference names, nil when it names none.
func (s *CTEScope) CTE(rv *pg_query.RangeVar) *pg_query.CommonTableExpr { return s.b.refs[rv] }

// CTEs are the statement's CTEs in the order met.
func (s *CTEScope) CTEs() []*pg_query.CommonTableExpr { return s.b.ctes }

// Rename gives every CTE and every reference to it a name of its own, so that an engine binds
// each reference to the CTE PostgreSQL binds it to; it returns the new names.
func (s *CTEScope) Rename() map[string]bool { return renameCTEs(s.b) }

// FuncName is a call's schema (lower case, "" when unqualified) and function name (lower case).
func FuncName(fc *pg_query.FuncCall) (schema, name string) { return funcName(fc) }

// AllowlistedFunction reports whether name (lower case, unqualified) is on the planner's general
// function allowlist, which catalog queries may call as well.
func AllowlistedFunction(name string) bool {
	_, ok := functions[name]
	return ok
}

// TypeNameOf is the pg_type name of a type as SQL spells it ("integer" -> "int4"); ok is false
// for a spelling the planner does not map.
func TypeNameOf(sqlName string) (string, bool) {
	t, ok := pgtypes.ByName(sqlName)
	return t.Name, ok && t.Name != ""
}

// DatasetColumns are the columns a client sees for a dataset, with the types they are announced
// with: dimensions, then metrics.
func DatasetColumns(ds *catalog.Dataset) []Column {
	cols := datasetColumns(ds)
	out := make([]Column, len(cols))
	for i, c := range cols {
		out[i] = Column{Name: c.name, Type: c.typ}
	}
	return out
}

// isCatalogQuery reports whether the statement is one for the system catalog sys.
func isCatalogQuery(sys SystemCatalog, node *pg_query.Node) bool {
	return sys != nil && node.GetSelectStmt() != nil && sys.IsCatalogQuery(node)
}

// catalogPlan plans a catalog query: the system catalog rewrites it over its engine tables
// under the session's scope, the planner bounds and deparses the result, and the statement runs
// on SystemSource.
func (p *Planner) catalogPlan(snap *Snapshot, s Session, st *Statement, node *pg_query.Node, paramOIDs []uint32) (*Plan, error) {
	sel := node.GetSelectStmt()
	if sel == nil || sel.IntoClause != nil || len(sel.LockingClause) > 0 {
		return nil, p.rejectStatement(node)
	}
	q := &CatalogQuery{b: newBinder(p, snap.Catalog, s, st, paramOIDs)}
	if err := snap.System.Rewrite(q, node); err != nil {
		return nil, err
	}
	// The catalog engine is DuckDB.
	if err := boundValues(node, "duckdb", p.cfg.MaxValueBytes); err != nil {
		return nil, err
	}
	if err := boundCatalogSeries(node); err != nil {
		return nil, err
	}
	sql, err := deparseChecked(node, st.version)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), describeTimeout)
	defer cancel()
	cols, params, err := snap.System.Describe(ctx, sql)
	if err != nil {
		return nil, err
	}
	for i := range params {
		if i < len(paramOIDs) {
			if t, ok := declaredParamType(paramOIDs[i]); ok {
				params[i] = t
			}
		}
	}
	plan := &Plan{
		Kind:        KindQuery,
		SQL:         sql,
		Columns:     cols,
		Params:      params,
		MaxRows:     p.cfg.MaxRows,
		Tag:         "SELECT",
		Source:      SystemSource,
		Notes:       []string{"system catalog query"},
		SessionSets: q.b.sessionSets,
		cacheable:   !q.b.sessionDependent,
	}
	plan.MaxValueBytes, plan.MaxRowBytes = p.cfg.MaxValueBytes, p.cfg.MaxRowBytes
	return plan, nil
}

// declaredParamType keeps a type the client declared for a parameter when the gateway can
// decode it; name and oid parameters are read as text and bigint.
func declaredParamType(oid uint32) (pgtypes.Type, bool) {
	switch oid {
	case 0:
		return pgtypes.Type{}, false
	case 19:
		return pgtypes.Text, true
	case 26:
		return pgtypes.Int8, true
	case 1028: // oid[]
		return pgtypes.Int8Array, true
	}
	if t, ok := pgtypes.ByOID(oid); ok && pgtypes.IsArray(t) {
		// A list compared in a catalog query (pgcli's relkind = ANY($1)): the catalog engine
		// compares lists of text or of integers.
		if elem, _ := pgtypes.Elem(t); pgtypes.IsInteger(elem) {
			return pgtypes.Int8Array, true
		}
		return pgtypes.TextArray, true
	}
	for _, t := range []pgtypes.Type{pgtypes.Bool, pgtypes.Int2, pgtypes.Int4, pgtypes.Int8, pgtypes.Text, pgtypes.Varchar, pgtypes.Float4, pgtypes.Float8, pgtypes.Numeric} {
		if t.OID == oid {
			return t, true
		}
	}
	return pgtypes.Type{}, false
}

// funcNameOnly is a call's function name without its schema.
func funcNameOnly(fc *pg_query.FuncCall) string {
	_, name := funcName(fc)
	return name
}

// stringConst is the value of a string constant; ok is false for any other node.
func stringConst(n *pg_query.Node) (string, bool) {
	if ac := n.GetAConst(); ac != nil && ac.GetSval() != nil {
		return ac.GetSval().Sval, true
	}
	return "", false
}
