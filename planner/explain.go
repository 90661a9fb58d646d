package planner

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// EXPLAIN answers with the semantic plan of its statement, one fact per row of a single text
// column "QUERY PLAN" (as PostgreSQL answers EXPLAIN in text format). The statement inside is
// planned by planQueryState exactly as it would be on its own, so what EXPLAIN shows is what
// the query runs: the same passes, the same tenant filters, the same engine SQL. The lines are
// described in the README's EXPLAIN section; their order and wording are part of the output's
// contract, checked by testdata/explain/cases_explain.yaml.
//
// What a line may hold: catalog facts of the datasets the caller may read (resolve refuses the
// others), the caller's own tenant values (the only ones its filters name) and the engine SQL
// as sent. Never a source's connection string (a plan holds only the source's id), never
// another tenant's value, never an engine's own text: EXPLAIN ANALYZE adds the gateway's own
// measurements, not the engine's EXPLAIN output.

// ExplainColumn is the name of EXPLAIN's one result column.
const ExplainColumn = "QUERY PLAN"

// explainOptions are EXPLAIN's options the gateway acts on.
type explainOptions struct {
	analyze, verbose bool
}

// explainStatement plans EXPLAIN [ANALYZE] query.
func (p *Planner) explainStatement(snap *Snapshot, s Session, st *Statement, ex *pg_query.ExplainStmt, paramOIDs []uint32) (*Plan, error) {
	opts, err := explainOpts(ex.Options)
	if err != nil {
		return nil, err
	}
	if err := explainable(ex.Query); err != nil {
		return nil, err
	}
	inner, ps, err := p.planQueryState(snap, s, st, ex.Query, paramOIDs)
	if err != nil {
		return nil, err
	}
	// The cache facts the lines show are filled here, as Plan fills them for a query.
	resultCacheInfo(snap.Catalog, s, inner)
	plan := &Plan{
		Kind:     KindLocal,
		Tag:      "EXPLAIN",
		Columns:  []Column{{Name: ExplainColumn, Type: pgtypes.Text}},
		Params:   inner.Params,
		Datasets: inner.Datasets,
		Rows:     textRows(explainLines(s, inner, ps, opts)),
		// The lines hold the session's values where the query does.
		cacheable: inner.cacheable,
	}
	if opts.analyze {
		// Run like the query it wraps: its set_config() changes take effect, as they would.
		plan.Kind, plan.Inner, plan.SessionSets = KindExplainAnalyze, inner, inner.SessionSets
	}
	return plan, nil
}

// explainable refuses statements EXPLAIN cannot describe here with a reason of their own;
// everything else is refused by planQueryState as it would be on its own (a write with 25006).
func explainable(q *pg_query.Node) error {
	switch nodeKind(q) {
	case "ExecuteStmt":
		return sqlerr.New(sqlerr.FeatureNotSupported, "EXPLAIN EXECUTE is not supported").
			WithHint("EXPLAIN the prepared statement's query itself")
	case "DeclareCursorStmt":
		return sqlerr.New(sqlerr.FeatureNotSupported, "EXPLAIN DECLARE is not supported").
			WithHint("EXPLAIN the cursor's query itself")
	}
	return nil
}

// explainOpts reads EXPLAIN's options. Options that only tune PostgreSQL's own plan output
// (COSTS, TIMING, SUMMARY, SETTINGS, BUFFERS, WAL, MEMORY, SERIALIZE) are accepted and have
// nothing to change here: the gateway prints no engine plan; a format other than text is refused.
func explainOpts(opts []*pg_query.Node) (explainOptions, error) {
	var o explainOptions
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		arg := strings.ToLower(defElemText(d.Arg))
		switch name := strings.ToLower(d.Defname); name {
		case "analyze", "verbose":
			on, err := explainBool(name, arg)
			if err != nil {
				return o, err
			}
			if name == "analyze" {
				o.analyze = on
			} else {
				o.verbose = on
			}
		case "costs", "timing", "summary", "settings", "buffers", "wal", "memory":
			if _, err := explainBool(name, arg); err != nil {
				return o, err
			}
		case "serialize":
		case "format":
			if arg != "text" {
				return o, sqlerr.New(sqlerr.FeatureNotSupported, "EXPLAIN format %q is not supported", arg).
					WithHint("use FORMAT TEXT: one line per fact of the semantic plan")
			}
		case "generic_plan":
			// Parameters are always shown as $n: the plan is generic already.
			if _, err := explainBool(name, arg); err != nil {
				return o, err
			}
		default:
			return o, sqlerr.New(sqlerr.SyntaxError, "unrecognized EXPLAIN option %q", d.Defname)
		}
	}
	return o, nil
}

// explainBool reads a Boolean option's argument; no argument means true, as in PostgreSQL.
func explainBool(name, arg string) (bool, error) {
	switch arg {
	case "", "true", "on", "1", "yes":
		return true, nil
	case "false", "off", "0", "no":
		return false, nil
	}
	return false, sqlerr.New(sqlerr.InvalidParameterValue, "%s requires a Boolean value", strings.ToUpper(name))
}

// explainLines are the facts of a planned query, in their documented order. ps is nil for a
// query on the emulated system catalog.
func explainLines(s Session, plan *Plan, ps *planState, opts explainOptions) []string {
	if ps == nil {
		return catalogLines(plan, opts)
	}
	lines := []string{"Statement: SELECT", datasetsLine(plan.Datasets)}
	lines = append(lines, metricLines(ps)...)
	lines = append(lines, joinLines(ps)...)
	lines = append(lines, tenantLines(ps)...)
	lines = append(lines, scopeLine(s))
	lines = append(lines, rewriteLines(ps)...)
	lines = append(lines, rowCapLine(plan.MaxRows), cacheLine(plan))
	if opts.verbose {
		lines = append(lines, verboseLines(plan)...)
	}
	return append(lines, engineLine(ps.engine, plan.Source), "Engine SQL: "+plan.SQL)
}

// catalogLines describe a query on the emulated pg_catalog and information_schema: it reads no
// dataset rows and never reaches a data source.
func catalogLines(plan *Plan, opts explainOptions) []string {
	lines := []string{
		"Statement: SELECT on the system catalog (answered by the gateway's pg_catalog and information_schema emulation)",
		"Datasets: none (catalog rows describe only the datasets this key may read)",
		rowCapLine(plan.MaxRows),
		"Result cache: not used (catalog query)",
	}
	if opts.verbose {
		lines = append(lines, verboseLines(plan)...)
	}
	return append(lines, "Engine: system catalog emulation (in-process)", "Engine SQL: "+plan.SQL)
}

func datasetsLine(ids []string) string {
	if len(ids) == 0 {
		return "Datasets: none"
	}
	return "Datasets: " + strings.Join(uniq(ids), ", ")
}

// metricLines name each metric the statement aggregates, with its definition, in the order
// the statement first uses them.
func metricLines(ps *planState) []string {
	var lines []string
	seen := map[*catalog.Metric]bool{}
	for _, e := range ps.expansions {
		m := e.r.col.metric
		if m == nil || seen[m] {
			continue
		}
		seen[m] = true
		lines = append(lines, "Metric: "+metricOwner(ps, m)+m.Name+" = "+metricDefinition(m))
	}
	return lines
}

// metricOwner is "dataset." for the dataset of the statement that defines m.
func metricOwner(ps *planState, m *catalog.Metric) string {
	for _, id := range uniq(ps.datasets) {
		if ds, ok := ps.cat.Dataset(id); ok && slices.Contains(ds.Metrics, m) {
			return id + "."
		}
	}
	return ""
}

// metricDefinition is a metric's meaning at the semantic level: its aggregation over a field,
// or a derived metric's formula over the metrics it combines.
func metricDefinition(m *catalog.Metric) string {
	e := m.Expression
	if m.Derived() {
		return e.SQL + " (derived: each part aggregated at its own grain first)"
	}
	arg := e.Field
	if arg == "" {
		arg = "*"
	}
	fn := string(e.Agg)
	switch e.Agg {
	case catalog.AggCountDistinct:
		fn, arg = "count", "DISTINCT "+arg
	case catalog.AggStddev:
		fn = "stddev_samp"
	case catalog.AggVariance:
		fn = "var_samp"
	}
	def := fn + "(" + arg + ")"
	if e.Filter != "" {
		def += " FILTER (WHERE " + e.Filter + ")"
	}
	return def
}

// joinLines say how the join pass kept each metric at its own grain: the rewrites it noted, or
// that no join repeats a metric's rows.
func joinLines(ps *planState) []string {
	var lines []string
	for _, n := range ps.notes {
		if rest, ok := strings.CutPrefix(n, "join: "); ok {
			lines = append(lines, "Join grain: "+rest)
		}
	}
	if len(lines) > 0 || len(ps.joinBlocks) == 0 {
		return lines
	}
	if len(ps.expansions) == 0 {
		return []string{"Join grain: no metric read; joins only filter and add dimensions"}
	}
	return []string{"Join grain: no join repeats a metric's rows (each joined relation is unique on its join key); no rewrite needed"}
}

// tenantLines show each dataset's row filter as the tenant pass writes it for this caller: the
// same function builds it (tenantPredicate), here on a scratch state so nothing is noted twice.
func tenantLines(ps *planState) []string {
	ids := uniq(ps.datasets)
	if len(ids) == 0 {
		return []string{"Tenant filter: none (reads no dataset)"}
	}
	lines := make([]string, 0, len(ids))
	for _, id := range ids {
		ds, ok := ps.cat.Dataset(id)
		if !ok {
			continue
		}
		lines = append(lines, "Tenant filter: "+id+": "+tenantFilterText(ps, ds))
	}
	return lines
}

func tenantFilterText(ps *planState, ds *catalog.Dataset) string {
	if !ds.RLS.Enabled {
		return "none (the dataset has no row-level security)"
	}
	scratch := &planState{cfg: ps.cfg, sess: ps.sess}
	pred := scratch.tenantPredicate(ds)
	switch {
	case pred == nil:
		return "none (admin bypass, allowed by the dataset)"
	case pred.GetAConst() != nil:
		return "no rows (the key has no tenant value)"
	}
	text, err := explainExpr(pred, ps.st.version)
	if err != nil {
		// Not expected: the same predicate deparsed inside the engine SQL just now.
		return "on column " + ds.RLS.Column + " (see the engine SQL)"
	}
	return text
}

// explainExpr prints one expression through the deparser the engine SQL is written with.
func explainExpr(expr *pg_query.Node, version int32) (string, error) {
	sel := &pg_query.SelectStmt{
		TargetList:  []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(pg_query.MakeAConstIntNode(1, -1), -1)},
		WhereClause: expr,
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}
	out, err := pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{
		Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}}}})
	if err != nil {
		return "", err
	}
	text, ok := strings.CutPrefix(out, "SELECT 1 WHERE ")
	if !ok {
		return "", fmt.Errorf("deparsed %q", out)
	}
	return text, nil
}

// scopeLine shows the key's dataset allowlist: its own setting, which the query passed.
func scopeLine(s Session) string {
	if len(s.Principal.Scopes) == 0 {
		return "Scope: every dataset of the catalog"
	}
	return "Scope: only datasets " + strings.Join(s.Principal.Scopes, ", ")
}

// rewriteLines are the other rewrites the passes noted (tenant and join notes have lines of
// their own).
func rewriteLines(ps *planState) []string {
	var lines []string
	for _, n := range ps.notes {
		if strings.HasPrefix(n, "join: ") || strings.HasPrefix(n, "rls bypassed") || strings.HasPrefix(n, "no tenant value") {
			continue
		}
		lines = append(lines, "Rewrite: "+n)
	}
	return lines
}

func rowCapLine(maxRows int64) string {
	if maxRows <= 0 {
		return "Row cap: none (QUERY_MAX_ROWS is 0)"
	}
	return "Row cap: " + strconv.FormatInt(maxRows, 10) + " rows (QUERY_MAX_ROWS); a longer result is cut, with a notice"
}

// cacheLine is the result cache's decision for the plan, as the executor makes it.
func cacheLine(plan *Plan) string {
	switch {
	case len(plan.Datasets) == 0 || plan.CatalogVersion == "":
		return "Result cache: not used (reads no dataset)"
	case plan.CacheTTL < 0:
		return "Result cache: never (the catalog sets ttlSeconds: 0 for a dataset read)"
	case plan.CacheTTL > 0:
		return "Result cache: cacheable for " + plan.CacheTTL.String() + " (the catalog's ttlSeconds), per key scope and catalog version"
	}
	return "Result cache: cacheable for CACHE_TTL_SECONDS when CACHE_ENABLED, per key scope and catalog version"
}

// verboseLines are EXPLAIN VERBOSE's additions: the result columns and parameter types.
func verboseLines(plan *Plan) []string {
	cols := make([]string, len(plan.Columns))
	for i, c := range plan.Columns {
		cols[i] = c.Name + " " + c.Type.Name
	}
	lines := []string{"Output: " + strings.Join(cols, ", ")}
	if len(plan.Params) > 0 {
		params := make([]string, len(plan.Params))
		for i, t := range plan.Params {
			params[i] = "$" + strconv.Itoa(i+1) + " " + t.Name
		}
		lines = append(lines, "Parameters: "+strings.Join(params, ", "))
	}
	return lines
}

// engineLine names the engine and the source id the SQL runs on (an id: never its DSN); a
// dataset without a sourceId runs on its engine's default source, named like the engine.
func engineLine(engine, source string) string {
	if engine == "" {
		engine = "duckdb"
	}
	if source == "" || source == engine {
		return "Engine: " + engine
	}
	return "Engine: " + engine + " (source " + strconv.Quote(source) + ")"
}

// Analysis is what running an EXPLAIN ANALYZE's query found, as the front door measured it.
type Analysis struct {
	// Rows the query returned (discarded), Truncated when the row cap cut them.
	Rows      int64
	Truncated bool
	// Cache is the executor's result cache outcome (hit, shared, miss, bypass; "" when the
	// cache took no part).
	Cache string
	// Elapsed is the time from handing the query to the executor to its last row.
	Elapsed time.Duration
}

// Analyzed is an EXPLAIN ANALYZE plan's answer once its query ran: the plan's lines and what
// the run found, as a local plan the front door sends like SHOW's.
func (p *Plan) Analyzed(a Analysis) *Plan {
	lines := make([]string, 0, 3)
	rows := "Actual rows: " + strconv.FormatInt(a.Rows, 10)
	if a.Truncated {
		rows += " (cut by the row cap)"
	}
	cache := "Actual result cache: " + a.Cache
	if a.Cache == "" {
		cache = "Actual result cache: not used"
	}
	lines = append(lines, rows, cache, fmt.Sprintf("Execution Time: %.3f ms", float64(a.Elapsed.Microseconds())/1000))
	out := &Plan{Kind: KindLocal, Tag: p.Tag, Columns: p.Columns, Params: p.Params, Datasets: p.Datasets,
		Rows: append(slices.Clone(p.Rows), textRows(lines)...), Snapshot: p.Snapshot}
	return out
}

// textRows makes one-column local rows of lines.
func textRows(lines []string) [][]*string {
	rows := make([][]*string, len(lines))
	for i := range lines {
		rows[i] = []*string{&lines[i]}
	}
	return rows
}

// uniq is ids without repeats, in first-seen order.
func uniq(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
