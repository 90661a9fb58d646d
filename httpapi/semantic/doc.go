// Package semantic is the query model the HTTP front doors (OData and the JSON query API) parse
// requests into, and the one place that turns it into a statement for the planner: a pg_query
// parse tree of a SELECT over one catalog dataset, built node by node (Build, BuildCount).
//
// Columns of other datasets are named "<dataset>.<column>" anywhere a name goes (items, WHERE,
// HAVING, GROUP BY, ORDER BY). A Query's Joins resolver (the front door's view of the catalog's
// declared joins; this package knows no catalog) says which path of join steps reaches each such
// dataset from the query's own. Build then LEFT JOINs the query's dataset to every dataset a
// name reaches, each step once and under its own alias (a dataset reached by two paths is two
// relations), names every column with its relation, and selects a joined column under its
// dotted name. The planner's join pass keeps each metric at its own dataset's grain (or refuses)
// and its tenant pass filters every joined dataset, as for any SQL client's join.
//
// Invariants: no SQL text is written and nothing is parsed. A name is a node holding it as is
// (what a quoted identifier would be); every value a client sent is a parameter ($1, $2, ...)
// returned beside the tree, never a constant in it; only NULL, TRUE and FALSE and the words of a
// fixed set (time grains, EXTRACT fields, LIKE's escape) are constants. The tree is the one
// PostgreSQL's parser makes of the equivalent semantic SQL, so it goes through the same planner
// passes (tenant filters, scopes, guards, row caps) as pg wire clients' text and yields the same
// engine SQL; this package never builds engine SQL. It imports nothing of the project.
package semantic
