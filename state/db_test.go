package state

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openTest(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestOpenCreatesPrivateFilesInWALMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "setupranali.db")
	db := openTest(t, path)
	if got := mode(t, dir); got != 0o700 {
		t.Errorf("directory mode %v, want 0700", got)
	}
	// A write makes sure the WAL exists.
	if _, err := db.AddSource(context.Background(), Source{Name: "w", Type: TypeDuckDB, Settings: Settings{Path: "/x.duckdb"}}, Credentials{}, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		if got := mode(t, p); got != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), got)
		}
	}
	var jm string
	if err := db.sql.QueryRow("PRAGMA journal_mode").Scan(&jm); err != nil || jm != "wal" {
		t.Errorf("journal mode %q (%v), want wal", jm, err)
	}
	var fk int
	if err := db.sql.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys %d (%v), want 1", fk, err)
	}
	var bt int
	if err := db.sql.QueryRow("PRAGMA busy_timeout").Scan(&bt); err != nil || bt != int(busyTimeout.Milliseconds()) {
		t.Errorf("busy_timeout %d (%v), want %d", bt, err, busyTimeout.Milliseconds())
	}
}

func TestOpenTightensLooseModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openTest(t, path)
	db.Close()
	for _, p := range []string{path, path + ".lock"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	db2, err := Open(context.Background(), path, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, p := range []string{path, path + ".lock", path + "-wal", path + "-shm"} {
		if got := mode(t, p); got != 0o600 {
			t.Errorf("%s: mode %v after reopening, want 0600", filepath.Base(p), got)
		}
	}
	if !strings.Contains(logs.String(), "mode set to 0600") {
		t.Errorf("no warning about the loose mode in %q", logs.String())
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		db, err := Open(ctx, path, nil)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := db.Version(ctx)
		if err != nil || v != LatestVersion() {
			t.Errorf("open %d: version %d (%v), want %d", i, v, err, LatestVersion())
		}
		var n int
		if err := db.sql.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(migrations) {
			t.Errorf("open %d: %d recorded migrations (%v), want %d", i, n, err, len(migrations))
		}
		if i == 0 {
			if _, err := db.AddSource(ctx, Source{Name: "keep", Type: TypeDuckDB, Settings: Settings{Path: "/k.duckdb"}}, Credentials{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Source(ctx, "keep"); err != nil {
			t.Errorf("open %d: %v", i, err)
		}
		db.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	db := openTest(t, path)
	future := LatestVersion() + 1
	if _, err := db.sql.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 'x')", future); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, path, nil)
	if err == nil || !strings.Contains(err.Error(), "newer than this setupranali knows") {
		t.Fatalf("got %v, want a refusal of the newer schema", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the refused database was modified")
	}
}

func TestOpenRefusesForeignHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openTest(t, path)
	if _, err := db.sql.Exec("UPDATE schema_migrations SET name = 'something else' WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path, nil); err == nil || !strings.Contains(err.Error(), "different build") {
		t.Fatalf("got %v, want a refusal of a different migration history", err)
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte("not sqlite "), 500), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), path, nil); err == nil {
		t.Fatal("a garbage file opened as a state DB")
	}
}

func TestRestoreRefusesWhileOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	ctx := context.Background()
	db := openTest(t, path)
	backup := filepath.Join(dir, "b.db")
	if err := Backup(ctx, path, backup, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, backup, path, nil); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore while open: got %v, want ErrInUse", err)
	}
	db.Close()
	if _, err := Restore(ctx, backup, path, nil); err != nil {
		t.Fatalf("restore after close: %v", err)
	}
}
