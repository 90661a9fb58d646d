// Package engine runs plans: it sends a plan's engine SQL to the backend of the plan's source
// and streams the rows to the caller, encoded in PostgreSQL's text format under the types the
// plan announced, or in binary per column for a writer that asks (FormatWriter).
//
// Backends (engine/duckdb, engine/postgres) implement Backend and hand back values in a small
// set of Go types (see Rows), the ones pgtypes encodes, so the encodings live in one place
// (pgtypes.AppendText and AppendBinary, which the executor calls per value). Rows a
// PostgreSQL source already sent in the client's types and formats pass through undecoded
// (WireRows).
//
// Execute takes the typed caller of every door (admission.Caller). Its order is admission ->
// cache -> backend: each plan that reads datasets or the catalog is admitted against its
// caller's concurrency caps before anything runs, and charged to the caller's rate budget only
// when it reaches a backend, so an answer from the result cache costs nothing. An admission
// refusal of the query leading a cache flight is not handed to the queries waiting on it.
//
// Invariants: rows stream; a result is never held whole in memory. The plan's row cap is
// enforced here as well as in the SQL, and a cut result is reported, never hidden. Context
// cancellation reaches the backend. Errors carry a SQLSTATE that is never of class XX for
// something a client can provoke.
package engine
