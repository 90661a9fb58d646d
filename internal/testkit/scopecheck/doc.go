// Package scopecheck is the independent checker the fuzz tests of the planner and of the pg
// catalog emulation hold engine SQL against: it re-parses the SQL a plan sends to an engine
// with pg_query and walks every message of the tree by protobuf reflection, so no node type is
// missed, tracking the CTE names in scope at each point as PostgreSQL binds them.
//
// The walk is shared; what is allowed is the caller's (Rules): which schema-qualified
// relations exist and the WHERE clause the block reading each must hold (the planner's tenant
// filter, the catalog's scope filter), which functions may be called, which table functions may
// stand in FROM. Whatever the rules, the walk itself refuses a relation that names a database,
// an unqualified relation that is no CTE in scope, XMLTABLE, JSON_TABLE, TABLESAMPLE,
// SELECT INTO and locking clauses. Where and SameWhere compare filters as parse trees without
// their positions, so a checker writes the filter it expects as SQL text of its own instead of
// sharing code with the pass under test.
//
// Invariants:
//   - Only tests import this package (internal/fences checks it).
//   - It imports nothing of the module, so the checker shares no code with what it checks; it
//     lives apart from internal/testkit so that testkit's users do not link pg_query.
package scopecheck
