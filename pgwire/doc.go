// Package pgwire is SetuPranali's PostgreSQL protocol v3 server: the front door that BI tools
// reach with their ordinary Postgres drivers (pgjdbc, Npgsql, libpq, pgx, node-postgres).
//
// It speaks the wire protocol on top of pgx's pgproto3 codec and nothing more: startup
// negotiation, cleartext password authentication (the password is an API key), session
// parameters, cancellation, and the simple query protocol. What a statement means is decided by
// the Planner and Executor it is given as interfaces; pgwire never names a concrete backend and
// never builds engine SQL.
//
// Invariants:
//   - One goroutine serves each connection (plus one that keeps a read pending on its socket, so
//     that a vanished client cancels its query). Nothing is shared between connections but the
//     Server's registry; there is no package-level mutable state.
//   - Errors become ErrorResponses in exactly one function (conn.sendError), from the
//     *sqlerr.Error in the chain. Internal failures show only "internal error (ref …)" and are
//     logged with their cause.
//   - Nothing a client can provoke is answered with an XX-class code: Npgsql (Power BI, Excel)
//     drops its whole pool on those. Cancellations and timeouts are 57014.
//   - After a FATAL error the connection is closed.
//   - No secret (API key, cancel key) is ever written to a log or echoed to a client.
//   - Every goroutine started here is owned: Shutdown and Close wait for all of them.
//
// The extended query protocol is not implemented yet; its messages are rejected with 0A000 and
// the connection then skips to Sync, as the protocol requires, so that it can be added in
// extended.go without changing the message loop.
package pgwire
