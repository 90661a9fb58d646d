// Package pgcatalog emulates PostgreSQL's system catalogs (pg_catalog and information_schema)
// in an in-memory DuckDB, so that the catalog queries drivers and BI tools send are evaluated by
// a real engine rather than matched by text.
//
// The static part (built-in types, their I/O functions, namespaces, access methods, ranges,
// collations) is generated from a real PostgreSQL 15 by scripts/gen-pgcatalog into static/*.csv
// and embedded. The dynamic part (pg_class, pg_attribute, pg_description, pg_tables,
// information_schema.tables/columns, pg_settings, ...) is built from the semantic catalog: one
// relation per dataset, one attribute per dimension and metric, with the PostgreSQL type the
// planner announces for it. keys.go shows the declared keys: a primaryKey as a PRIMARY KEY
// constraint with its unique index (pg_constraint, pg_index, the index's pg_class row), each
// declared many-to-one step as a FOREIGN KEY to the target's primary key (pg_constraint,
// information_schema.table_constraints, key_column_usage, constraint_column_usage,
// constraint_table_usage, referential_constraints), over client-visible columns only: a key
// with a field no plain dimension shows is not reported; pg_get_constraintdef and
// pg_get_indexdef read their definitions (hidden columns, under the same scope filter). more.go adds the tables BI tools probe besides: statistics views
// (one zero-counter row per dataset), privilege views (SELECT on every dataset and column),
// server views that are empty here (activity, locks, replication), the generated key word, time
// zone, language, cast and SQL-conformance tables, and the Redshift views (svv_tables,
// svv_table_info, stl_query, ...) some tools send to any PostgreSQL-speaking server.
//
// Tables live in DuckDB schemas pgc (pg_catalog) and pgis (information_schema), apart from
// DuckDB's own. The engine is locked after start-up like the data engine (no external access,
// no SET).
//
// Catalog is the planner's planner.SystemCatalog; the planner imports no part of this package.
// IsCatalogQuery decides that a SELECT is a catalog query (a pg_catalog or information_schema
// table that is not a CTE in scope, or a function only the emulation evaluates). Rewrite
// (rewrite.go) turns it, in place, into a query over the engine's tables: reg* casts become
// lookups in catalog tables, one helper per reg* type (rewrite_cast.go); catalog functions
// become the engine's pgc.* macros, the session's values (through planner.CatalogQuery) or the
// rewrite of their entry in a table of function rewrites (rewrite_funcs.go); regex and array
// operators become what DuckDB evaluates, format() becomes a concatenation, CTEs are renamed so
// DuckDB binds each reference as PostgreSQL does (planner.CTEScope). Before any of that,
// rewrite_names.go names every select item as PostgreSQL names it (a call by its function's
// name, so a CTE's "count" or "row_number" can be read by that name), moves a select list's
// regexp_split_to_table into FROM, and makes a comparison of reg* values compare oids. A reg*
// cast of an expression is looked up outside any sub-select (pgc.oid_lookup), so that the
// client's unqualified column cannot bind to the lookup's table; regarray.go shows regtype[]
// as type names. Keys are named as PostgreSQL names them, cut to 63 bytes (keynames.go), and a
// primary key's columns are NOT NULL. The result is verified (verify.go). The planner then applies the value guards, deparses, asks Describe for the
// columns and makes the plan.
//
// Invariant: every row derived from a dataset carries the hidden column dataset_id, and a row
// naming a second dataset (a foreign key and its target) also ref_dataset_id; Rewrite
// substitutes each system table by a derived table that keeps only rows whose dataset_id (and
// ref_dataset_id) is NULL or in the principal's scope, so that a foreign key to a dataset out of
// scope is not shown, never projects them, and then verifies that the tree reads
// only those derived tables and renamed CTEs and calls only allowlisted functions (fail closed).
//
// Every client sends catalog queries, so the engine is fenced (Config): a memory limit, a time
// bound of its own (57014 naming SETU_CATALOG_TIMEOUT_SECONDS), and a pool of connections each
// query runs on with one thread, so that one key's heavy queries leave the others' lookups a
// connection and a core.
package pgcatalog
