// Package sqlerr is the one error type of SetuPranali: an error carrying a PostgreSQL SQLSTATE.
//
// An *Error is created where the error is born (the catalog, the planner, an engine) and rendered
// in exactly one place per protocol (a pg ErrorResponse, an HTTP JSON body). Codes follow
// PostgreSQL's condition names so every driver understands them.
//
// Invariant: no code of class XX, 53 or 58 is ever used for something a client can provoke;
// Npgsql (Power BI, Excel) drops its whole pool on those classes. Internal failures are reported
// through Internal, which hides the cause from the client behind a reference id.
//
// This package imports nothing from the project.
package sqlerr
