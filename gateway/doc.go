// Package gateway is the assembled SetuPranali gateway: it opens the parts in order (result
// cache and rate limiter, API key store, registered data sources, the embedded DuckDB, the
// system catalog emulation, the planner, the executor and the admission point), serves them on
// the PostgreSQL wire listener and the HTTP side server, and stops them again.
//
// Start takes a Config, which the program fills from flags and environment variables through
// Settings and SecretSettings (the schema of the configuration lives here, its binding to flags
// in cmd/setupranali). Every started component is pushed on one stack; a start-up that fails
// half way and a gateway that stops (Shutdown, graceful within a deadline, or Close, at once)
// both unwind that stack in reverse order, so there is one cleanup path, not one per error.
// The pg wire listener and the HTTP server are one component there, because the drain needs
// their order: readiness turns 503, pg wire drains, then HTTP shuts down.
//
// Catalog reloads (Reload, POST /internal/reload) load and validate the file, refuse a catalog
// that names a source the gateway has not opened, rebuild the system catalog emulation with
// the running one's fence, and publish both in one planner.Snapshot: no plan sees new datasets
// with an old system catalog. A refused reload leaves the running catalog serving.
//
// Sources: a dataset's sourceId names a source registered in the state DB (opened once per
// source, its credentials decrypted with UBI_SECRET_KEY); engine postgres without a sourceId
// uses SETU_POSTGRES_DSN. A PostgreSQL source's connection string is a postgres:// URL whose
// query carries every setting, escaped by net/url, so no value has a quoting rule of its own.
// Errors and logs never carry a source's credentials (Redact).
//
// Outside production the gateway serves the public demo keys and listens on loopback only;
// production refuses to start without an active API key in the state DB.
//
// The package's tests are the project's end-to-end tests: real gateways on 127.0.0.1:0 over
// DuckDB, PostgreSQL (SETU_TEST_POSTGRES_DSN) and Redis (SETU_TEST_REDIS_URL), driven by pgx,
// HTTP, and the machine's psql, JDBC, ODBC, psycopg2 and node-postgres where present.
package gateway
