// Package planner turns SQL text into a *Plan: engine SQL that is tenant-filtered,
// metric-expanded and capped, plus the result columns with their PostgreSQL types.
//
// Every front door (pg wire simple and extended, OData, REST) plans through this package and no
// other; none builds engine SQL itself.
//
// # Entry
//
// Planner.Plan (planner.go) parses nothing: it takes a *Statement, either parsed from a
// client's SQL text (statement.go, shared through the parse cache, cache.go) or built by a front
// door as a parse tree (StatementFromTree, request.go: /v1/query and OData construct their
// SELECT node by node and write no SQL). It looks the plan up in the plan cache, keyed by
// snapshot, database, time zone, principal (not key id), declared parameter types and the
// statement's key (its text, or the tree's encoding, which never equals a text). A miss checks
// the tree's size (guards.go), clones it, and sends it to the first of these that takes it:
// session statements, SET/SHOW/transactions (session.go, over package planner/session, which
// owns the run-time parameters); PREPARE/EXECUTE (prepare.go); DECLARE/FETCH/COPY, whose query
// is planned as one (cursor.go); EXPLAIN [ANALYZE], whose query is planned as one and described
// line by line from what the passes did (explain.go; ANALYZE leaves running it to the front
// door, through the executor like the query); system catalog queries, which the snapshot's SystemCatalog
// (syscatalog.go: an interface, implemented by package pgcatalog) recognises and rewrites onto
// the emulated pg_catalog; and a SELECT over datasets, which goes through the passes.
//
// # Passes
//
// A SELECT over datasets plans through the pass list in pass.go, in order, over one planState
// (the tree, rewritten in place, and the annotations each pass leaves for a later one). No pass
// calls back into an earlier one; testdata/passes/<pass>/ holds each pass's golden output.
//
//	resolve    resolve.go, select.go, block.go, grain.go, shapes.go, from.go, expr.go, call.go,
//	           scope.go, functions.go, params.go, names.go, origin.go
//	           Binds FROM items to datasets, CTEs and sub-selects, column references to
//	           columns, calls to the allowlist; types every expression; decides each block's
//	           metric grain (grain.go, below); notes which dataset column a result column reads
//	           as it is (origin.go: RowDescription's table oid and attribute number). Rewrites only what is the same for every engine:
//	           qualified names, implicit GROUP BY, session values (session.go) and time zone
//	           grains (timezone.go). Everything else it leaves as annotations: dataset
//	           references, metric references to aggregate, dialect spots, columns read.
//	join       join.go, joinsemi.go, joingrain.go (resolve binds NATURAL and USING joins,
//	           joinnatural.go)
//	           Keeps every metric at its own dataset's grain through joins. A relation whose
//	           metrics a block reads is safe when every other relation is reached from it by
//	           equalities (of ON, USING, NATURAL's common columns, and WHERE: comma joins) on
//	           columns it is unique on (a declared primaryKey within one tenant's rows, or with
//	           the tenant column for a principal of several tenants; GROUP BY, DISTINCT, a
//	           one-row aggregate, plain sub-selects or CTEs at any depth keeping one of those).
//	           A relation that may repeat its rows but is inner-joined only to filter them
//	           becomes an EXISTS (joinsemi.go). Otherwise, when the metric's dataset declares
//	           a primaryKey, the aggregating block reads its rows de-duplicated per (groups,
//	           key, tenant column; plain sub-selects or CTEs over the dataset, as Power BI
//	           writes, pass the key up); metrics of several relations are aggregated apart over
//	           the joined rows (a CTE) and joined on the groups (joingrain.go). When it cannot,
//	           it refuses with 0A000 naming the dataset
//	           and the join, with a hint on declaring keys.
//	tenant     tenant.go
//	           Replaces each dataset reference by a derived table over the physical source that
//	           already carries the tenant predicate (fail closed; see Invariants).
//	expand     expand.go
//	           Writes each metric reference resolve chose as the metric's aggregation over its
//	           carrier, or a derived metric's formula over its parts (divisions NULL-guarded).
//	limits     limits.go
//	           The dimension and metric count guards, then the row cap (one row past
//	           Config.MaxRows, so the executor can tell a cut result).
//	dialect    dialect.go, with one rules table per engine: dialect_duckdb.go,
//	           dialect_postgres.go
//	           Respells the spots resolve and expand noted in the statement's engine's dialect.
//	prune      prune.go
//	           Each derived table keeps only the columns the statement reads.
//	verify     verify.go
//	           Walks the whole tree: every table read is a filtered source or a CTE, every call
//	           allowlisted; anything else refuses the statement.
//	valuesize  deparse.go (protectOperands), valuesize.go
//	           Shields operands the deparser would print without parentheses; bounds the calls
//	           that multiply a string's size.
//	deparse    deparse.go
//	           The tree back to SQL, proven to parse back into the same tree.
//
// The join pass goes right after resolve: it needs the relations, equalities and metric uses
// resolve found, and its rewrites must happen before tenant hides the dataset references.
//
// # Metric grain
//
// Metric grain is decided top-down. A dataset relation exposes each metric as a "carrier":
// the raw field the metric aggregates, one value per row. A block that aggregates (GROUP BY,
// an aggregate call, HAVING) turns carriers into the metric's own aggregation: bare references
// and MEASURE(m) always, an aggregate matching the metric's kind always; the other shapes BI
// tools write around a metric (another aggregate, an expression inside an aggregate, a metric
// in WHERE or as a GROUP BY key, a dimension and a metric in one item) read the metric as its
// one value per group (shapes.go, the README's "Metric shapes"), or are 42803 naming the shape. A plain sub-select that only passes carriers through stays at row level, so
// the block above it decides the grain; this is what keeps a count_distinct correct when a BI tool
// wraps it in subqueries. A block that selects carriers and cannot pass them on groups implicitly
// by its other columns. Resolve decides this (grain.go, call.go); expand writes it.
//
// # Invariants
//
// The physical table of a dataset is never nameable by a client (only datasets and CTEs
// resolve); tenant predicates are AST nodes holding the tenant value as a literal node, never
// concatenated text; only SELECT-shaped statements plan (the query inside DECLARE, COPY (query)
// TO STDOUT and PREPARE is planned as one, see cursor.go and prepare.go); every function call
// passes an allowlist. One *Snapshot (semantic catalog + its system catalog, snapshot.go) is read
// once per Plan call and kept on the plan (Plan.Snapshot), so a reload never mixes versions
// between planning and running.
package planner
