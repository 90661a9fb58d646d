package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// migration is one schema change. Versions are 1, 2, 3, ... in list order; a released migration
// is never edited, only followed by a new one.
type migration struct {
	name string
	sql  string
}

// migrations is the schema's history. Append only.
var migrations = []migration{
	{
		name: "sources",
		sql: `
CREATE TABLE sources (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	type       TEXT NOT NULL,
	settings   TEXT NOT NULL,            -- JSON of the non-secret connection settings
	secret     TEXT,                     -- Fernet token of the JSON credentials; NULL when none
	key_id     TEXT,                     -- fingerprint of the key that made the token
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	CHECK ((secret IS NULL) = (key_id IS NULL))
) STRICT;`,
	},
	{
		name: "api_keys",
		sql: `
CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,          -- public key id, the middle of sp_<id>_<secret>
	name         TEXT NOT NULL,
	tenants      TEXT NOT NULL,             -- JSON array
	role         TEXT NOT NULL CHECK (role IN ('admin', 'viewer', 'internal_admin')),
	scopes       TEXT NOT NULL,             -- JSON array of dataset ids; empty: all
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	revoked_at   TEXT,
	last_used_at TEXT
) STRICT;
CREATE TABLE api_key_secrets (
	key_id           TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
	digest           BLOB NOT NULL UNIQUE,  -- SHA-256 of the whole key; never the key
	scram_salt       BLOB NOT NULL,
	scram_iterations INTEGER NOT NULL,
	scram_stored_key BLOB NOT NULL,
	scram_server_key BLOB NOT NULL,
	created_at       TEXT NOT NULL,
	expires_at       TEXT                   -- end of a rotated-away secret's grace period
) STRICT;
CREATE INDEX api_key_secrets_key ON api_key_secrets (key_id);
CREATE TABLE audit_log (
	id          INTEGER PRIMARY KEY,
	at          TEXT NOT NULL,
	event       TEXT NOT NULL,
	key_id      TEXT,
	remote_addr TEXT,
	actor       TEXT,
	detail      TEXT
) STRICT;
CREATE INDEX audit_log_key ON audit_log (key_id, id);`,
	},
}

// LatestVersion is the schema version this binary creates and understands.
func LatestVersion() int { return len(migrations) }

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
) STRICT`

// migrate applies the pending migrations in one transaction. The transaction takes the write
// lock first (the connection begins IMMEDIATE), so two processes starting together apply each
// migration once.
func (db *DB) migrate(ctx context.Context) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state DB %s: %w", db.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("state DB %s: %w", db.path, err)
	}
	applied, err := appliedMigrations(ctx, tx)
	if err != nil {
		return fmt.Errorf("state DB %s: %w", db.path, err)
	}
	if err := checkApplied(applied); err != nil {
		return fmt.Errorf("state DB %s: %w", db.path, err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for v := len(applied) + 1; v <= len(migrations); v++ {
		m := migrations[v-1]
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("state DB %s: migration %d (%s): %w", db.path, v, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", v, m.name, now); err != nil {
			return fmt.Errorf("state DB %s: recording migration %d: %w", db.path, v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state DB %s: %w", db.path, err)
	}
	for v := len(applied) + 1; v <= len(migrations); v++ {
		db.log.Info("state DB migrated", "path", db.path, "version", v, "migration", migrations[v-1].name)
	}
	return nil
}

// appliedMigrations returns the names of the recorded migrations by version, 1-based in order.
func appliedMigrations(ctx context.Context, q querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT version, name FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, err
		}
		if v != len(names)+1 {
			return nil, fmt.Errorf("schema_migrations is damaged: version %d follows version %d", v, len(names))
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// checkApplied refuses a schema this binary does not know: newer, or with a different history.
func checkApplied(applied []string) error {
	if len(applied) > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this setupranali knows (%d); run a newer release, or restore a backup made by this one",
			len(applied), len(migrations))
	}
	for i, name := range applied {
		if name != migrations[i].name {
			return fmt.Errorf("schema migration %d is %q, but this setupranali's migration %d is %q; the database was made by a different build",
				i+1, name, i+1, migrations[i].name)
		}
	}
	return nil
}

// schemaVersion is the number of applied migrations; 0 for a database without the table.
func schemaVersion(ctx context.Context, q querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// errNotStateDB marks a file that is SQLite but not a setupranali state DB.
var errNotStateDB = errors.New("not a setupranali state DB (no schema_migrations table)")
