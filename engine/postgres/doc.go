// Package postgres is the PostgreSQL backend (pgx v5 and pgxpool): it runs the planner's
// PostgreSQL-dialect engine SQL on a source database and streams the rows back.
//
// Invariants:
//
//   - Every query runs in its own READ ONLY transaction with SET LOCAL statement_timeout, so a
//     statement that slipped past the planner still cannot write (25006 from the server) or run
//     forever, and nothing set for one query outlives its transaction. The transaction is always
//     rolled back: nothing was written, and ROLLBACK ends a transaction in any state. BEGIN, the
//     SET LOCALs, the query and the ROLLBACK go to the server as one pipeline (one round trip on
//     a connection that has the statements prepared), not three exchanges.
//   - A cancelled context reaches the server as a CancelRequest, so the query really stops
//     there; pgx's default (cutting the socket) would leave it running until it next wrote.
//   - Rows are read off the socket one Next at a time; nothing buffers a whole result.
//   - Values come back in engine's small set of Go types (see engine.Rows), so encoding for
//     clients lives in one place for every backend.
//   - Errors keep the source's SQLSTATE, except what would hurt the gateway's clients: XX and 58
//     become the gateway's internal error, 53 becomes 54000, FATAL becomes ERROR, and a source
//     that cannot be reached or whose connection broke is 57P03 naming the source (or the
//     server's 57P01 when it said so), never class 08 or XX, with the driver's text only in the
//     cause. No error or log line carries the DSN or the password.
//   - A connection the server dropped while idle is retried transparently before any SQL ran
//     on it (the server answered not even the BEGIN), so a source restart costs the queries in
//     flight and no more; the Backend itself is never reopened. A prepared statement that went
//     stale under a table rebuild (0A000 "cached plan must not change result type", refused
//     before any row) is prepared again rather than failing the query.
//
// With TransactionPooling (a source behind PgBouncer in transaction mode) no named prepared
// statement is created: each query prepares the unnamed statement inside its own transaction,
// and BEGIN, the query and ROLLBACK are separate exchanges, as before pipelining.
//
// Open does not connect; Ping connects and measures a round trip (`sources test`, readiness).
package postgres
