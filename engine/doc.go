// Package engine runs plans: it sends a plan's engine SQL to the backend of the plan's source
// and streams the rows to the caller, encoded in PostgreSQL's text format under the types the
// plan announced, or in binary per column for a writer that asks (FormatWriter).
//
// Backends (engine/duckdb, later engine/postgres) implement Backend and hand back values in a
// small set of Go types (see Rows), so encoding lives here once.
//
// Invariants: rows stream; a result is never held whole in memory. The plan's row cap is
// enforced here as well as in the SQL, and a cut result is reported, never hidden. Context
// cancellation reaches the backend. Errors carry a SQLSTATE that is never of class XX for
// something a client can provoke.
package engine
