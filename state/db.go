package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultPath is where the state DB lives when SETU_STATE_DB is not set.
const DefaultPath = "./data/setupranali.db"

// busyTimeout is how long a statement waits for another connection's write lock before it
// fails with SQLITE_BUSY. Writes are small and rare, so a few seconds only matter under a stuck
// writer.
const busyTimeout = 10 * time.Second

// fileMode is the mode of every file the package writes: the database, its WAL and shared
// memory files, the lock file and backups hold encrypted credentials and (later) key hashes.
const fileMode fs.FileMode = 0o600

// ErrInUse means another process holds the state DB open where an operation needs it alone.
var ErrInUse = errors.New("state DB is in use by another setupranali process")

// DB is an open, migrated state database. It is safe for concurrent use.
type DB struct {
	sql conn
	// path is the SQLite file; empty for a PostgreSQL store.
	path string
	// where names the store in messages: the file, or the PostgreSQL DSN without its password.
	where string
	lock  *fileLock
	log   *slog.Logger
}

// Open opens the state database at path, creating it and its directory if needed, repairs file
// modes, and applies pending migrations. It refuses a database whose schema is newer than this
// binary's. log may be nil.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := open(ctx, path, true, log)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// open prepares the directory and files, takes the shared lock and connects. With create false
// the database file must already exist.
func open(ctx context.Context, path string, create bool, log *slog.Logger) (*DB, error) {
	if path == "" {
		return nil, errors.New("state DB path is empty")
	}
	if strings.ContainsAny(path, "?#") {
		// The driver reads everything after '?' as its parameters.
		return nil, fmt.Errorf("state DB path %q: '?' and '#' are not allowed in the path", path)
	}
	dir := filepath.Dir(path)
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("state DB directory: %w", err)
		}
	}
	lock, err := lockFile(path, false)
	if err != nil {
		return nil, err
	}
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE
	}
	// Creating the file ourselves gives it 0600 whatever the umask; SQLite then creates -wal and
	// -shm with the database file's mode.
	f, err := os.OpenFile(path, flags, fileMode)
	if err != nil {
		lock.release()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("state DB %s does not exist", path)
		}
		return nil, fmt.Errorf("state DB: %w", err)
	}
	f.Close()
	if err := fixModes(path, log); err != nil {
		lock.release()
		return nil, err
	}
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate",
		path, busyTimeout.Milliseconds())
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		lock.release()
		return nil, fmt.Errorf("state DB %s: %w", path, err)
	}
	db := &DB{sql: conn{DB: sdb}, path: path, where: path, lock: lock, log: log}
	var mode string
	if err := sdb.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("state DB %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("state DB %s: journal mode is %s, want wal", path, mode)
	}
	// The first connection created -wal and -shm; make sure they are private too.
	if err := fixModes(path, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// fixModes sets the database and its companion files to 0600 where they are looser.
func fixModes(path string, log *slog.Logger) error {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("state DB: %w", err)
		}
		if fi.Mode().Perm()&^fileMode == 0 {
			continue
		}
		if err := os.Chmod(p, fileMode); err != nil {
			return fmt.Errorf("state DB: tightening the mode of %s: %w", p, err)
		}
		log.Warn("state DB file was readable by others; mode set to 0600", "file", p, "old_mode", fi.Mode().Perm().String())
	}
	return nil
}

// Path is the database file; empty for a PostgreSQL store.
func (db *DB) Path() string { return db.path }

// Where names the store for messages and logs: the SQLite file, or the PostgreSQL DSN with its
// password removed.
func (db *DB) Where() string { return db.where }

// Shared reports whether the store is PostgreSQL, shared by every replica.
func (db *DB) Shared() bool { return db.sql.pg }

// Close closes the database and releases its lock.
func (db *DB) Close() error {
	err := db.sql.Close()
	db.lock.release()
	return err
}

// Version is the schema version: the highest applied migration.
func (db *DB) Version(ctx context.Context) (int, error) {
	if db.sql.pg {
		return pgSchemaVersion(ctx, db.sql)
	}
	return schemaVersion(ctx, db.sql)
}

// Check runs SQLite's integrity check and returns an error describing any problem. A
// PostgreSQL store has no such check of its own here (its server owns integrity); Check then
// verifies that the schema is readable.
func (db *DB) Check(ctx context.Context) error {
	if db.sql.pg {
		_, err := pgSchemaVersion(ctx, db.sql)
		return err
	}
	return integrityCheck(ctx, db.sql)
}

func integrityCheck(ctx context.Context, q querier) error {
	rows, err := q.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("... (%d more)", len(problems)-5))
		}
		return fmt.Errorf("integrity check failed: %s", strings.Join(problems, "; "))
	}
	return nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}
