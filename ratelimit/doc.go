// Package ratelimit limits queries per API key and class ("query": /v1/query requests;
// "odata": OData requests; "pgwire": pg wire executions that reach an engine), with the generic
// cell rate algorithm (GCRA): a rate of N per period admits a burst of N, then one every
// period/N. The state of a key is one timestamp (its theoretical arrival time). Which event is
// charged to which class is the admission package's decision.
//
// With Redis the state lives there and is updated atomically by a Lua script that reads Redis's
// own clock, so every gateway replica draws on one budget per key. Without Redis, or while Redis
// fails, an in-process limiter applies the same rates per process (and a warning says so).
//
// Invariants: a refusal is never an error of the limiter itself — Redis trouble falls back, it
// never refuses or fails a query; every Redis call is bounded by a short timeout. Refusals say
// when to retry: SQLSTATE 53400 on pg wire, 429 with Retry-After and RateLimit-* headers on HTTP.
package ratelimit
