package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/auth"
)

// fillStore puts a source with a password, an active key, a revoked key and their audit rows
// into db; it returns the active key.
func fillStore(t *testing.T, db *DB, kr *Keyring) string {
	t.Helper()
	ctx := context.Background()
	if _, err := db.AddSource(ctx, pgSource("sales"), Credentials{Password: "s3cret-pw"}, kr); err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{})
	defer keys.Close()
	good, _, err := keys.Create(ctx, auth.KeySpec{Name: "bi", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, "test")
	if err != nil {
		t.Fatal(err)
	}
	gone, _, err := keys.Create(ctx, auth.KeySpec{Name: "old", Tenants: []string{"tenantB"}, Role: auth.RoleViewer}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Revoke(ctx, auth.KeyIDOf(gone), "test"); err != nil {
		t.Fatal(err)
	}
	return good
}

// assertRestored checks that db holds what fillStore wrote: the password decrypts, the active
// key logs in and the audit log has the three key events, in order.
func assertRestored(t *testing.T, db *DB, kr *Keyring, key string) {
	t.Helper()
	ctx := context.Background()
	_, c, err := db.Credentials(ctx, "sales", kr)
	if err != nil || c.Password != "s3cret-pw" {
		t.Fatalf("restored credentials: %v", err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{})
	defer keys.Close()
	if p, err := keys.Authenticate(ctx, key); err != nil || len(p.Tenants) != 1 || p.Tenants[0] != "tenantA" {
		t.Fatalf("restored key: %+v %v", p, err)
	}
	list, err := db.APIKeys(ctx)
	if err != nil || len(list) != 2 || list[1].Revoked.IsZero() && list[0].Revoked.IsZero() {
		t.Fatalf("restored keys: %+v %v", list, err)
	}
	events, err := db.AuditLog(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range events {
		names = append(names, ev.Event)
	}
	if got := strings.Join(names, " "); got != "key_created key_created key_revoked" {
		t.Fatalf("restored audit log: %s", got)
	}
}

// A PostgreSQL store backs up to the portable SQLite format: the file restores into a SQLite
// store and into another PostgreSQL store with the same keys, credentials and audit log, and a
// restore over a store that changed since replaces the change and keeps it in a backup.
func TestPostgresBackupIsPortable(t *testing.T) {
	ctx := context.Background()
	srcDSN, dsn := pgStateDSN(t), pgStateDSN(t)
	if srcDSN == "" {
		return
	}
	src, err := OpenPostgres(ctx, srcDSN, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	kr := keyring(t, newKey(t))
	key := fillStore(t, src, kr)
	dir := t.TempDir()
	file := filepath.Join(dir, "state.backup")
	if err := BackupPostgres(ctx, srcDSN, file, nil); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, file); m != fileMode {
		t.Fatalf("backup mode %v", m)
	}
	if err := BackupPostgres(ctx, srcDSN, file, nil); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a second backup over the file: %v", err)
	}

	// Into SQLite.
	sqlitePath := filepath.Join(dir, "restored.db")
	if _, err := Restore(ctx, file, sqlitePath, nil); err != nil {
		t.Fatal(err)
	}
	lite := openTest(t, sqlitePath)
	assertRestored(t, lite, kr, key)

	// Into another PostgreSQL store, which has a source of its own that the restore replaces.
	dst, err := OpenPostgres(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.AddSource(ctx, pgSource("later"), Credentials{}, kr); err != nil {
		t.Fatal(err)
	}
	res, err := RestorePostgres(ctx, file, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != LatestVersion() || res.Kept == "" {
		t.Fatalf("restore result %+v", res)
	}
	assertRestored(t, dst, kr, key)
	if _, err := dst.Source(ctx, "later"); err == nil {
		t.Fatal("the source added after the backup survived the restore")
	}
	// New audit rows follow the restored ones.
	if err := dst.Audit(ctx, auth.AuditEvent{Event: "after_restore"}); err != nil {
		t.Fatal(err)
	}
	events, _ := dst.AuditLog(ctx, "", 0)
	if n := len(events); n != 4 || events[n-1].Event != "after_restore" || events[n-1].ID <= events[n-2].ID {
		t.Fatalf("audit after restore: %+v", events)
	}
	// The kept backup holds the replaced content, the source "later" included.
	keptPath := filepath.Join(dir, "kept.db")
	if _, err := Restore(ctx, res.Kept, keptPath, nil); err != nil {
		t.Fatal(err)
	}
	kept := openTest(t, keptPath)
	if _, err := kept.Source(ctx, "later"); err != nil {
		t.Fatalf("kept backup: %v", err)
	}
	// A file that is not a state DB changes nothing.
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("not a database"), 0o600)
	if _, err := RestorePostgres(ctx, junk, dsn, nil); err == nil {
		t.Fatal("a junk file restored")
	}
	if events, err := dst.AuditLog(ctx, "", 0); err != nil || len(events) != 4 {
		t.Fatalf("the refused restore changed the store: %d events, %v", len(events), err)
	}
}

// Every table and column of the schema travels in a backup of a PostgreSQL store.
func TestPortableTablesCoverTheSchema(t *testing.T) {
	db := openTest(t, filepath.Join(t.TempDir(), "s.db"))
	// login_failures is transient (the failed-login counts of the last hour), not state to
	// restore.
	rows, err := db.sql.Query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('schema_migrations', 'login_failures') AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	want := map[string]string{}
	for _, pt := range portableTables {
		want[pt.name] = pt.cols
	}
	if len(tables) != len(want) {
		t.Fatalf("tables %v, portable %v", tables, want)
	}
	for _, table := range tables {
		rows, err := db.sql.Query("SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			cols = append(cols, n)
		}
		rows.Close()
		if got := strings.Join(cols, ", "); got != want[table] {
			t.Errorf("table %s has columns %s; a backup carries %s", table, got, want[table])
		}
	}
}
