// Package semantic is the query model the HTTP front doors (OData and the JSON query API) parse
// requests into, and the one place that turns it into a statement for the planner: a pg_query
// parse tree of a SELECT over one catalog dataset, built node by node (Build, BuildCount).
//
// Invariants: no SQL text is written and nothing is parsed. A name is a node holding it as is
// (what a quoted identifier would be); every value a client sent is a parameter ($1, $2, ...)
// returned beside the tree, never a constant in it; only NULL, TRUE and FALSE and the words of a
// fixed set (time grains, EXTRACT fields, LIKE's escape) are constants. The tree is the one
// PostgreSQL's parser makes of the equivalent semantic SQL, so it goes through the same planner
// passes (tenant filters, scopes, guards, row caps) as pg wire clients' text and yields the same
// engine SQL; this package never builds engine SQL. It imports nothing of the project.
package semantic
