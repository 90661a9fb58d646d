package state

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// Replicas starting together against one empty schema apply each migration exactly once, and
// a schema newer than the binary is refused untouched.
func TestPostgresStoreMigratesOnceAndRefusesNewer(t *testing.T) {
	dsn := pgStateDSN(t)
	if dsn == "" {
		return
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, 4)
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = OpenPostgres(ctx, dsn, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var n int
	if err := dbs[0].sql.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(migrations) {
		t.Fatalf("schema_migrations has %d rows (%v), want %d", n, err, len(migrations))
	}
	if v, err := dbs[1].Version(ctx); err != nil || v != LatestVersion() {
		t.Fatalf("version %d (%v), want %d", v, err, LatestVersion())
	}
	if !dbs[0].Shared() || dbs[0].Path() != "" {
		t.Fatalf("a PostgreSQL store is shared and has no file")
	}
	if _, err := dbs[0].sql.Exec("INSERT INTO schema_migrations VALUES (?, 'from the future', 'x')", LatestVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err := OpenPostgres(ctx, dsn, nil)
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("a newer schema opened: %v", err)
	}
}

// Messages name the store without its password.
func TestRedactDSN(t *testing.T) {
	got := RedactDSN("postgres://setu:hunter2@db.internal:5432/state?sslmode=require&search_path=setu")
	if strings.Contains(got, "hunter2") || !strings.Contains(got, "db.internal") || !strings.Contains(got, "search_path=setu") {
		t.Fatalf("RedactDSN = %q", got)
	}
	if _, err := OpenPostgres(context.Background(), "postgres://setu:hunter2@127.0.0.1:1/x?connect_timeout=1", nil); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("open error %v", err)
	}
}
