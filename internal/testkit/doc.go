// Package testkit holds what the module's tests repeat: finding the machine's PostgreSQL and
// Redis, a fresh PostgreSQL schema and a fresh Redis key prefix that are removed when the test
// ends, a context bounded in time, a wait or a call (Within) that fails the test by name
// instead of hanging, temporary files, goroutine-safe output (a gateway's log) and the check
// that output holds no secret. Its subpackage scopecheck is the independent checker of engine
// SQL that the planner's and the catalog emulation's fuzz targets share; it is apart so that
// testkit's users do not link pg_query.
//
// The rule for the real services is the one CI relies on: a test that needs PostgreSQL
// (SETU_TEST_POSTGRES_DSN) or Redis (SETU_TEST_REDIS_URL) skips when the variable is unset, so
// `go test ./...` runs on a laptop without them; once the variable is set, a service that cannot
// be reached fails the test rather than skipping it. .ci/run always sets both variables, so in
// CI these tests cannot skip silently.
//
// Invariants:
//   - Only tests import this package (internal/fences checks it): it skips and fails tests, and
//     has no place in a running gateway.
//   - It imports nothing of the module, so the tests of any package, leaf or core, in-package or
//     external, may use it without an import cycle.
//   - Every name it creates (schema, key prefix) is unique to one test and removed at cleanup;
//     a cleanup that cannot remove it fails the test, so test data is never left behind
//     silently.
package testkit
