// Package duckdb is the embedded DuckDB backend (github.com/duckdb/duckdb-go/v2).
//
// The database is opened, the operator's start-up SQL runs (demo data, CREATE VIEW over CSV or
// Parquet files, ...), and then the engine is locked down before any client SQL can reach it:
// external access off (no file readers, no HTTP, no ATTACH), extension auto-install and
// auto-load off, and the configuration locked so no statement can undo that.
//
// Values are handed to the executor in engine's small set of Go types; DuckDB errors are mapped
// to SQLSTATEs, never XX for what a client can provoke.
package duckdb
