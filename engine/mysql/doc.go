// Package mysql is the engine backend for MySQL-wire sources: MySQL and MariaDB, and the
// distributed engines that speak their protocol (TiDB, StarRocks, Doris, SingleStore), through
// github.com/go-sql-driver/mysql. The planner writes the SQL (planner/dialect_mysql.go); this
// package runs it.
//
// Invariants:
//   - Every statement runs inside START TRANSACTION READ ONLY on a connection whose sql_mode,
//     time zone and character set the backend pinned when it connected, so a statement means the
//     same whatever the server's defaults are, and the server refuses any write.
//   - The gateway's timeout is the server's too: max_statement_time (MariaDB, seconds) or
//     max_execution_time (MySQL, milliseconds), chosen from the server's version string.
//   - A cancelled or abandoned query is stopped on the server with KILL QUERY on the thread id
//     read when the query started, sent on a connection of its own; the driver alone only
//     closes its socket and leaves the server working.
//   - Rows stream: one row is read off the socket per Next.
//   - No server error text reaches a client: errors are mapped to SQLSTATEs with the gateway's
//     own messages, the server's text kept as the cause for the log. No message carries the
//     password.
package mysql
