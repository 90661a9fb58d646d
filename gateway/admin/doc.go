// Package admin is what the setupranali program's operator subcommands do, apart from reading
// their flags: manage API keys (create, list, revoke, rotate, the audit log) and registered
// data sources (add, list, show, test, remove, re-encrypt) in the state DB (the SQLite file, or
// the shared PostgreSQL store of Op.StateDSN), back it up and restore it, purge the Redis result cache, and validate a catalog file. Each command works on
// the files and services it is given and needs no running gateway; it opens what it needs,
// writes its result to an Op's streams and closes again.
//
// The program keeps the flags, the environment (secrets are read from stdin or a variable it
// names, never from the command line) and the exit codes: a command's error here is exit 1.
//
// Keys are created, revoked and rotated by auth.Keys, the same implementation the running
// gateway's /v1/api-keys serves (httpapi.KeyAdmin); this package adds what only an operator at
// a terminal needs: naming a key by its name, and the tables.
//
// Invariants:
//   - stdout holds what a script captures (a new key, a table, a confirmation); stderr holds
//     notes for the person (that a key is shown once, that there is nothing to list).
//   - No error or line carries a key, a password or a connection string; the PostgreSQL store
//     is named by its DSN without the password.
//   - A request that is wrong by itself (a bad expiry, an invalid source) is refused before the
//     state DB is opened, because opening creates the file.
package admin
