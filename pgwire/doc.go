// Package pgwire is SetuPranali's PostgreSQL protocol v3 server: the front door that BI tools
// reach with their ordinary Postgres drivers (pgjdbc, Npgsql, libpq, pgx, node-postgres).
//
// It speaks the wire protocol on top of pgx's pgproto3 codec and nothing more: startup
// negotiation, cleartext password authentication (the password is an API key), session
// parameters, cancellation, and both query protocols. What a statement means is decided by the
// Planner and Executor it is given as interfaces; pgwire never names a concrete backend and
// never builds engine SQL.
//
// Who may connect is the Admission's decision (admission.Controller): a startup slot from accept
// until the login ends, then a session slot of the caller's key and tenants. Every execution is
// handed to the Executor with the session's typed caller (principal, door, remote address), and
// admitted and charged there, like the HTTP doors' queries.
//
// Files, one job each: conn.go (the message loop), startup.go, simple.go (Query),
// extended.go (Parse/Bind/Describe/Execute/Close/Sync/Flush), portal.go (prepared statements and
// portals), cursor.go (an Execute with a row limit that a later Execute resumes), params.go
// (Bind's parameter values), rows.go (RowDescription, DataRow, format codes), run.go (running
// a plan of any kind), session.go (SET/RESET and ParameterStatus), txn.go (transaction state),
// sqlcursor.go (DECLARE/FETCH/MOVE/CLOSE over the portals, COPY (query) TO STDOUT),
// sqlprepare.go (PREPARE/EXECUTE over the prepared statements), explain.go (EXPLAIN ANALYZE:
// its query run through the Executor like any query, its rows discarded), limits.go (timeouts and admission
// slots), errors.go (the one place errors become ErrorResponses).
//
// Session statements (SET, SHOW, BEGIN, DISCARD, DEALLOCATE, DECLARE, FETCH, CLOSE, PREPARE,
// EXECUTE) are planned like queries, and the
// connection applies what the plan says: settings kept as PostgreSQL keeps them (SET LOCAL,
// rollback of SETs, RESET to the startup values), ParameterStatus for changed reported
// parameters before ReadyForQuery, transaction status I/T/E with 25P02 in a failed block.
// There is no engine transaction: the engine is read-only, so a transaction is the protocol
// state drivers rely on, not a snapshot.
//
// Invariants:
//   - One goroutine serves each connection (plus one that keeps a read pending on its socket, so
//     that a vanished client cancels its query, and one per portal suspended at its row limit,
//     stopped and waited for when the portal, its transaction (unless a WITH HOLD cursor) or the
//     connection ends). Nothing
//     is shared between connections but the Server's registry; there is no package-level
//     mutable state.
//   - Errors become ErrorResponses in exactly one function (conn.sendError), from the
//     *sqlerr.Error in the chain. Internal failures show only "internal error (ref …)" and are
//     logged with their cause.
//   - Nothing a client can provoke is answered with an XX-class code: Npgsql (Power BI, Excel)
//     drops its whole pool on those. Cancellations and timeouts are 57014.
//   - After a FATAL error the connection is closed.
//   - No secret (API key, cancel key) is ever written to a log or echoed to a client.
//   - Every goroutine started here is owned: Shutdown and Close wait for all of them.
//   - After an error in an extended-protocol batch every message up to Sync is discarded.
//   - Describe answers from the plan; nothing runs before Execute. Plans are shared and never
//     modified.
package pgwire
