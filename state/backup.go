package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Backup writes a consistent snapshot of the state DB at dbPath to the new file to, while other
// processes (a running server) keep reading and writing it. The snapshot is SQLite's VACUUM INTO,
// which reads inside one transaction: it holds exactly the transactions committed before it
// began. The file appears only when complete (written beside it, then renamed) with mode 0600.
// An existing file is never overwritten.
func Backup(ctx context.Context, dbPath, to string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file name", to)
	}
	db, err := open(ctx, dbPath, false, log)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := schemaVersion(ctx, db.sql); err != nil {
		return fmt.Errorf("backup: %s: %w", dbPath, err)
	}
	tmp, err := tempBeside(to, ".backup")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp)
	// VACUUM INTO accepts an existing empty file, which keeps the mode we gave it.
	if _, err := db.sql.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return fmt.Errorf("backup of %s: %w", dbPath, err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// Link, unlike rename, fails if "to" appeared meanwhile: never overwrite a file.
	if err := os.Link(tmp, to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(to))
	log.Info("state DB backed up", "path", dbPath, "to", to)
	return nil
}

// Restore replaces the state DB at dbPath with the backup file from, after checking it: SQLite's
// integrity check passes and its schema is one this binary knows. It refuses while any process
// (a running server, a sources command) has the DB open: stop the server, restore, start it. The
// replaced database is kept beside it as "<db>.pre-restore-<time>". The server applies newer
// migrations when it next opens the DB.
func Restore(ctx context.Context, from, dbPath string, log *slog.Logger) (Restored, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res Restored
	if dbPath == "" {
		return res, errors.New("restore: state DB path is empty")
	}
	fi, err := os.Stat(from)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("restore: %s is not a regular file", from)
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	lock, err := lockFile(dbPath, true)
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	defer lock.release()

	// Check a private copy, so neither a bad file nor the check touches the live DB, and the
	// final step is one rename on the same file system.
	tmp, err := tempBeside(dbPath, ".restore")
	if err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp)
	if err := copyInto(tmp, from); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	version, err := checkBackup(ctx, tmp)
	if err != nil {
		return res, fmt.Errorf("restore: %s: %w", from, err)
	}
	if err := syncFile(tmp); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}

	if _, err := os.Stat(dbPath); err == nil {
		// Fold the old WAL into the old file so the kept copy is whole and no stale -wal stays
		// beside the restored file (SQLite would replay it into the wrong database).
		if err := checkpoint(ctx, dbPath); err != nil {
			return res, fmt.Errorf("restore: the current DB %s: %w", dbPath, err)
		}
		keep := fmt.Sprintf("%s.pre-restore-%s", dbPath, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Link(dbPath, keep); err != nil {
			return res, fmt.Errorf("restore: keeping the current DB: %w", err)
		}
		res.Kept = keep
		log.Info("current state DB kept", "path", keep)
	}
	for _, p := range []string{dbPath + "-wal", dbPath + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	syncDir(dir)
	log.Info("state DB restored", "path", dbPath, "from", from, "schema_version", version)
	res.Version = version
	return res, nil
}

// Restored describes a finished restore.
type Restored struct {
	// Version is the restored schema version.
	Version int
	// Kept is where the replaced database now lives; empty if there was none.
	Kept string
}

// checkBackup validates a candidate DB file and leaves it as a single file (rollback journal
// mode, so no -wal needs to travel with it).
func checkBackup(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("sqlite", path+"?_busy_timeout=1000")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := integrityCheck(ctx, db); err != nil {
		return 0, fmt.Errorf("not a valid state DB: %w", err)
	}
	version, err := schemaVersion(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("not a valid state DB: %w", err)
	}
	if version == 0 {
		return 0, errNotStateDB
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return 0, err
	}
	if err := checkApplied(applied); err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = DELETE"); err != nil {
		return 0, err
	}
	return version, nil
}

// checkpoint writes an existing DB's WAL into its main file and removes the WAL.
func checkpoint(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path+"?_busy_timeout=1000")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var busy, logFrames, done int
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &done); err != nil {
		return err
	}
	if busy != 0 {
		return ErrInUse
	}
	return nil
}

// tempBeside creates an empty 0600 file in the directory of path.
func tempBeside(path, suffix string) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+suffix+"-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	err = f.Chmod(fileMode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

func copyInto(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_TRUNC, fileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename or link durable; best effort, as not every platform can sync a
// directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
