// Package state is the gateway's own database: the registry of data sources, with their
// credentials encrypted under UBI_SECRET_KEY, the API keys, the audit log and the failed-login
// counts replicas share. It is an embedded SQLite file (modernc.org/sqlite, pure Go) by default,
// or a PostgreSQL store shared by every replica (OpenPostgres, SETU_STATE_DSN). One *DB serves
// both: the statements are written once with '?' placeholders (conn renumbers them for
// PostgreSQL), and each migration has a SQLite and a PostgreSQL form of the same tables.
//
// Invariants:
//
//   - The database file, its -wal and -shm companions, its lock file and every backup are mode
//     0600; the directory Open creates is 0700. Open repairs looser modes of existing files.
//   - The schema changes only through the ordered migrations list, applied at Open in one
//     transaction and recorded in schema_migrations. A database whose schema is newer than the
//     binary knows is refused, never modified.
//   - Credentials are stored only as Fernet tokens. Keyring, Credentials and their errors never
//     render a key, a password or a DSN: String, GoString, LogValue and MarshalJSON redact them,
//     and errors name the source and the key fingerprint, nothing secret.
//   - A Keyring encrypts with its first key and decrypts with any. RotateKey re-encrypts every
//     record in one transaction: all records move to the first key, or none does.
//   - Every process using the database holds a shared lock on "<db>.lock"; Restore takes it
//     exclusively, so it refuses to replace a database a running server has open.
//   - Backups are consistent online snapshots (VACUUM INTO inside a read transaction), never
//     file copies of a live database. A PostgreSQL store backs up to the same portable SQLite
//     format (one REPEATABLE READ transaction), so every backup restores into either store.
//   - The file-mode and lock invariants are the SQLite store's; a PostgreSQL store has no file,
//     migrates under an advisory lock, and is restored in one transaction holding its tables
//     exclusively. Messages name it by its DSN without the password (RedactDSN).
package state
