package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgMigrationLock is the advisory lock key under which a PostgreSQL store migrates.
const pgMigrationLock int64 = 0x5e7a_0000

const pgCreateMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`

// IsPostgresDSN reports whether s names a PostgreSQL state store rather than a SQLite file.
func IsPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// OpenPostgres opens the PostgreSQL state store of dsn, shared by every replica, and applies
// pending migrations. The tables live in the DSN's search_path (e.g. "?search_path=setu").
// Nothing is cached: every key check reads the store, so a revocation or a new key made by any
// replica or CLI holds on every replica at its next login.
func OpenPostgres(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := connectPostgres(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// connectPostgres connects to a PostgreSQL store without migrating it.
func connectPostgres(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	where := RedactDSN(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN; name the redacted one only.
		return nil, fmt.Errorf("state DB %s: not a valid PostgreSQL DSN", where)
	}
	sdb := stdlib.OpenDB(*cfg)
	sdb.SetMaxOpenConns(8)
	db := &DB{sql: conn{DB: sdb, pg: true}, where: where, log: log}
	if err := sdb.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state DB %s: %w", where, pgErr(err))
	}
	return db, nil
}

// OpenStore opens the PostgreSQL store of dsn when it is set, else the SQLite file at path.
func OpenStore(ctx context.Context, path, dsn string, log *slog.Logger) (*DB, error) {
	if dsn != "" {
		if !IsPostgresDSN(dsn) {
			return nil, errors.New("SETU_STATE_DSN must be a postgres:// or postgresql:// URL")
		}
		return OpenPostgres(ctx, dsn, log)
	}
	return Open(ctx, path, log)
}

// RedactDSN is dsn with any password removed, for messages.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" && u.User == nil {
		return "postgres state store"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, redacted)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// pgErr is a connection error as the store reports it. pgx names the user, database and host
// of a failed connection, never the password; a message that quotes a URL (some resolver
// errors do) is replaced, in case the URL carried one.
func pgErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "://") {
		return errors.New("cannot connect to the PostgreSQL state store")
	}
	return err
}

// pgSchemaVersion is the number of applied migrations of a PostgreSQL store; 0 when its schema
// has no schema_migrations table.
func pgSchemaVersion(ctx context.Context, q querier) (int, error) {
	var exists bool
	if err := q.QueryRowContext(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil || !exists {
		return 0, err
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, "SELECT max(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}
