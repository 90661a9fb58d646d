// Package querygen generates random, valid semantic SQL over one dataset of a catalog, for
// differential and property tests of the planner (tenant isolation above all).
//
// A Generator is seeded: the same catalog, dataset, values and seed give the same sequence of
// queries, so a failure found after a hundred thousand queries is reproduced by running the
// same seed again. Queries compose the shapes the README's "Semantic SQL" section promises and
// BI tools send: implicit grouping, explicit GROUP BY (positions, names, expressions) with the
// aggregate that fits each metric or MEASURE, WHERE on dimensions with AND/OR/NOT nesting,
// tautologies and values only other tenants have, HAVING on metrics, date grains, Power BI's
// and Metabase's wrapping sub-selects, pass-through sub-selects, CTEs (one may shadow the
// dataset), set operations, scalar, correlated, IN and EXISTS sub-selects, self-joins,
// SELECT DISTINCT, SELECT *, window functions, and ORDER BY/LIMIT.
//
// Invariants: every query is a single SELECT meant to plan for a viewer principal (one that
// does not is a generator bug, or a planner bug when the README promises the shape); a query
// whose rows come in a fixed order says so (Query.Ordered); every LIMIT or OFFSET sits under an
// ORDER BY of all its block's columns, so a query's result depends only on the rows it reads,
// never on the order the engine scans them in. The generator only reads the catalog.
package querygen
