package state

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// portableTables are the state's tables in the order a restore fills them (parents first),
// with the columns a backup carries and the order that keeps their history. A migration that
// adds a table or a column adds it here; TestPortableTablesCoverTheSchema checks that.
var portableTables = []struct{ name, cols, order string }{
	{"sources", "id, name, type, settings, secret, key_id, created_at, updated_at", "id"},
	{"api_keys", "id, name, tenants, role, scopes, created_at, expires_at, revoked_at, last_used_at", "id"},
	{"api_key_secrets", "key_id, digest, scram_salt, scram_iterations, scram_stored_key, scram_server_key, created_at, expires_at", "rowid"},
	{"audit_log", "id, at, event, key_id, remote_addr, actor, detail", "id"},
}

// BackupPostgres writes a snapshot of the PostgreSQL store of dsn to the new file to, in the
// same portable format as Backup: a SQLite state DB, which Restore and RestorePostgres both
// accept. The snapshot is one REPEATABLE READ transaction, so it holds exactly the transactions
// committed before it began while replicas keep serving. Credentials stay Fernet tokens.
func BackupPostgres(ctx context.Context, dsn, to string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file name", to)
	}
	src, err := connectPostgres(ctx, dsn, log)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer src.Close()
	v, err := pgSchemaVersion(ctx, src.sql)
	if err != nil {
		return fmt.Errorf("backup: %s: %w", src.where, err)
	}
	if v != LatestVersion() {
		return fmt.Errorf("backup: %s has schema version %d and this setupranali writes version %d; back it up with the release that runs it", src.where, v, LatestVersion())
	}
	tmp, err := tempBeside(to, ".backup")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer removeSQLite(tmp)
	if err := snapshotInto(ctx, src, tmp, log); err != nil {
		return fmt.Errorf("backup of %s: %w", src.where, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Link(tmp, to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(to))
	log.Info("state DB backed up", "store", src.where, "to", to)
	return nil
}

// snapshotInto copies the store src into a new SQLite state DB at path, then leaves the file
// whole (no -wal) and checked.
func snapshotInto(ctx context.Context, src *DB, path string, log *slog.Logger) error {
	dst, err := open(ctx, path, false, log)
	if err != nil {
		return err
	}
	if err := dst.migrate(ctx); err != nil {
		dst.Close()
		return err
	}
	err = copyStore(ctx, src, dst, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	_, err = checkBackup(ctx, path)
	return err
}

// RestorePostgres replaces the content of the PostgreSQL store of dsn with the backup file
// from (made by Backup or BackupPostgres), after the same checks as Restore. It is one
// transaction holding the tables exclusively: replicas wait for it and then see the restored
// keys and sources, never a mix. The replaced content is first saved as a backup beside from
// ("<from>.pre-restore-<time>"), which Restored.Kept names.
func RestorePostgres(ctx context.Context, from, dsn string, log *slog.Logger) (Restored, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res Restored
	fi, err := os.Stat(from)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("restore: %s is not a regular file", from)
	}
	// Check a private copy, and bring it to this binary's schema, without touching from.
	tmp, err := tempIn(os.TempDir(), filepath.Base(from)+".restore")
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	defer removeSQLite(tmp)
	if err := copyInto(tmp, from); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if res.Version, err = checkBackup(ctx, tmp); err != nil {
		return res, fmt.Errorf("restore: %s: %w", from, err)
	}
	backup, err := Open(ctx, tmp, log)
	if err != nil {
		return res, fmt.Errorf("restore: %s: %w", from, err)
	}
	defer backup.Close()

	dst, err := OpenPostgres(ctx, dsn, log)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	defer dst.Close()
	keep := fmt.Sprintf("%s.pre-restore-%s", from, time.Now().UTC().Format("20060102T150405Z"))
	if err := BackupPostgres(ctx, dsn, keep, log); err != nil {
		return res, fmt.Errorf("restore: saving the current content first: %w", err)
	}
	res.Kept = keep
	if err := replaceStore(ctx, backup, dst); err != nil {
		return res, fmt.Errorf("restore into %s: %w", dst.where, err)
	}
	log.Info("state DB restored", "store", dst.where, "from", from, "schema_version", res.Version)
	return res, nil
}

// replaceStore empties the PostgreSQL store dst and fills it from src in one transaction.
func replaceStore(ctx context.Context, src, dst *DB) error {
	tx, err := dst.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var names []string
	for _, t := range portableTables {
		names = append(names, t.name)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		return err
	}
	for i := len(portableTables) - 1; i >= 0; i-- {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+portableTables[i].name); err != nil {
			return err
		}
	}
	if err := copyTables(ctx, src.sql, tx); err != nil {
		return err
	}
	// New audit rows continue after the restored ones.
	if _, err := tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), coalesce((SELECT max(id) FROM audit_log), 0) + 1, false)"); err != nil {
		return err
	}
	return tx.Commit()
}

// copyStore copies every portable table of src into the empty store dst, reading src in one
// transaction of opts and writing dst in one transaction.
func copyStore(ctx context.Context, src, dst *DB, opts *sql.TxOptions) error {
	rtx, err := src.sql.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer rtx.Rollback()
	wtx, err := dst.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer wtx.Rollback()
	if err := copyTables(ctx, rtx, wtx); err != nil {
		return err
	}
	return wtx.Commit()
}

// copyTables copies the rows of every portable table from one store to the other.
func copyTables(ctx context.Context, from, to querier) error {
	for _, t := range portableTables {
		if err := copyTable(ctx, from, to, t.name, t.cols, t.order); err != nil {
			return fmt.Errorf("copying %s: %w", t.name, err)
		}
	}
	return nil
}

func copyTable(ctx context.Context, from, to querier, table, cols, order string) error {
	rows, err := from.QueryContext(ctx, "SELECT "+cols+" FROM "+table+" ORDER BY "+order)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := strings.Count(cols, ",") + 1
	insert := "INSERT INTO " + table + " (" + cols + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
	vals, ptrs := make([]any, n), make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if _, err := to.ExecContext(ctx, insert, vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// tempIn creates an empty 0600 file in dir.
func tempIn(dir, prefix string) (string, error) {
	return tempBeside(filepath.Join(dir, prefix), "")
}

// removeSQLite deletes a scratch SQLite file with its companions.
func removeSQLite(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		os.Remove(p) // scratch files; one that is already gone is fine
	}
}
