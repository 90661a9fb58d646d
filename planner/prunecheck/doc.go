// Package prunecheck holds the end-to-end check of the planner's projection pruning (see
// planner/prune.go): every statement, planned with pruning and with Config.FullProjection, must
// give the same rows on real engines: DuckDB always, PostgreSQL in a "postgres" subtest that
// internal/testkit skips when SETU_TEST_POSTGRES_DSN is unset and fails when the variable names
// a server that cannot be reached. It has no code outside its test, which lives apart from the
// planner's own tests so that they do not link DuckDB.
package prunecheck
