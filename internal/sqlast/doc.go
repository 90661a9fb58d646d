// Package sqlast holds the small helpers over pg_query parse trees that both the catalog (to
// check the SQL snippets a catalog may carry) and the planner need: walking every node of a
// tree and parsing a lone expression.
//
// It imports nothing from the project.
package sqlast
