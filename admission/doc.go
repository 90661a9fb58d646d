// Package admission is the one point where the gateway decides whether a caller may hold a
// connection or run a query: per-key and per-tenant connection caps, the bound on connections
// that have not authenticated yet, per-key query concurrency (dataset and catalog queries
// apart), and the rate limits of each front door. pg wire (simple, extended, cursors, COPY),
// /v1/query and OData all pass through it with a typed Caller, so one key has one budget
// whatever the door.
//
// What counts where, and why:
//   - Connections are a per-process resource: each replica bounds its own sockets. A key and a
//     tenant may each hold only part of --max-connections, so one of them can never lock the
//     others out; connections still in startup have their own bound and never take an
//     authenticated slot.
//   - Concurrency is per key across doors: a query over HTTP and one over pg wire by the same
//     key take from the same --max-queries-per-key. Catalog emulation queries have their own,
//     smaller per-key cap below the catalog engine's pool size, so one key cannot occupy every
//     catalog connection.
//   - Rates are per key and door class (ratelimit): HTTP requests are charged when they arrive
//     (RATE_LIMIT_QUERY, RATE_LIMIT_ODATA), one OData feed once for all its nextLink pages;
//     pg wire executions are charged only when they reach an engine (SETU_RATE_LIMIT_PGWIRE),
//     so answers from the result cache are free.
//
// Invariants: every refusal is a *sqlerr.Error with a class-53 SQLSTATE (53300 connections,
// 53400 queries and rates) whose message names the cap and whose hint names the setting; a
// slot taken is given back exactly once by the release function that took it.
package admission
