// Package semantic is the query model the HTTP front doors (OData and the JSON query API) parse
// requests into, and the one place that turns it into SQL text for the planner.
//
// Invariants: the SQL it writes quotes every identifier and carries every value a client sent as
// a bound parameter ($1, $2, ...), never as text spliced into the statement. The SQL is semantic
// SQL over catalog datasets — the same language pg wire clients send — so it goes through the
// same planner passes (tenant filters, scopes, guards, row caps) as theirs; this package never
// writes engine SQL.
package semantic
