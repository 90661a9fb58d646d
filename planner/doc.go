// Package planner turns SQL text into a *Plan: engine SQL that is tenant-filtered,
// metric-expanded and capped, plus the result columns with their PostgreSQL types.
//
// Every front door (pg wire simple and extended, OData, REST) plans through this package and no
// other; none builds engine SQL itself.
//
// Passes, in order, over the pg_query AST of one statement:
//
//	resolve     datasets become relations; names bind to dimensions and metrics
//	tenant      each dataset reference is substituted by a derived table over the physical
//	            source that already carries the tenant predicate (fail closed)
//	expand      metrics become their aggregations at the grain of the block that aggregates them
//	limits      the row cap
//	prune       each derived table keeps only the columns the statement reads (prune.go)
//	verify      every table read is a filtered source or a CTE; every function is allowlisted
//	deparse     the AST back to SQL for the engine
//
// Metric grain is decided top-down. A dataset relation exposes each metric as a "carrier":
// the raw field the metric aggregates, one value per row. A block that aggregates (GROUP BY,
// an aggregate call, HAVING) turns carriers into the metric's own aggregation: bare references
// and MEASURE(m) always, SUM/MIN/MAX/AVG/COUNT(DISTINCT) only when they match the metric's kind
// (42803 otherwise). A plain sub-select that only passes carriers through stays at row level, so
// the block above it decides the grain; this is what keeps a count_distinct correct when a BI tool
// wraps it in subqueries. A block that selects carriers and cannot pass them on groups implicitly
// by its other columns.
//
// Invariants: the physical table of a dataset is never nameable by a client (only datasets and
// CTEs resolve); tenant predicates are AST nodes holding the tenant value as a literal node,
// never concatenated text; only SELECT-shaped statements plan (the query inside DECLARE, COPY
// (query) TO STDOUT and PREPARE is planned as one, see cursor.go and prepare.go); every function call passes an
// allowlist. One *Snapshot (semantic catalog + its system catalog, snapshot.go) is read once per
// Plan call and kept on the plan (Plan.Snapshot), so a reload never mixes versions between
// planning and running.
package planner
