// Package sqlerr is the one error type of SetuPranali: an error carrying a PostgreSQL SQLSTATE.
//
// An *Error is created where the error is born (the catalog, the planner, an engine) and rendered
// in exactly one place per protocol (a pg ErrorResponse, an HTTP JSON body). Every SQLSTATE the
// project sends is a constant here, named after PostgreSQL's condition name, so every driver
// understands it and no package keeps codes of its own. *Error has SQLState(), as pgx's PgError
// does.
//
// Invariants:
//   - No code of class XX or 58 for something a client can provoke: Npgsql (Power BI, Excel)
//     takes those for a broken connection. Internal failures are reported through Internal,
//     which hides the cause from the client behind a reference id.
//   - Class 53 only where PostgreSQL uses it too: TooManyConnections (53300) for a connection
//     cap, ConfigurationLimit (53400, configuration_limit_exceeded) for a rate limit or a per-key
//     concurrency cap: a client provokes these on purpose, and meets them as PostgreSQL would
//     answer. Nothing else uses class 53: a query past a resource bound (rows, memory, value size, nesting) is
//     ProgramLimitExceeded (54000) or StatementTooComplex (54001).
//
// This package imports nothing from the project.
package sqlerr
