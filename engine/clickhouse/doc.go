// Package clickhouse is the ClickHouse backend (clickhouse-go v2, native protocol): it runs the
// planner's ClickHouse-dialect engine SQL on a ClickHouse server or cluster and streams the
// rows back.
//
// Invariants:
//
//   - Every query carries readonly=2: the server refuses any write or DDL whatever the SQL
//     says, while still accepting the per-query limits the gateway sends with it
//     (max_execution_time from QUERY_TIMEOUT_SECONDS, max_memory_usage).
//   - Every query gets a query id the gateway chooses. A cancelled context, or a deadline,
//     sends KILL QUERY WHERE initial_query_id = <id> to every configured host: the driver's own
//     cancel was seen to leave the query running on the server for seconds after the client
//     gave up, and on a Distributed table the initiator's kill also stops the shards' parts.
//   - Rows are read block by block off the socket; nothing buffers a whole result.
//   - Values come back in engine's small set of Go types (see engine.Rows), so encoding for
//     clients lives in one place for every backend.
//   - No server text reaches a client: errors become a SQLSTATE with the gateway's own words,
//     the server's text stays in the cause for the log, and no message carries the password.
//
// The HTTP transport is not used: it does not work against the 18.16 servers of Debian, while
// the native protocol does.
package clickhouse
