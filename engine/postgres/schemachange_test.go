package postgres_test

import (
	"context"
	"testing"

	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/sqlerr"
)

// A source table whose column changes type under a prepared statement costs at most the next
// query (PostgreSQL's 0A000 "cached plan must not change result type"); the statement cache
// then forgets the statement, and queries see the new type.
func TestSchemaChangeBetweenQueries(t *testing.T) {
	admin := adminConn(t)
	ctx := context.Background()
	table := uniqueName("setu_sc_")
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (a int4); INSERT INTO "+table+" VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE "+table) })
	b := openBackend(t, postgres.Config{MaxConns: 1})
	for range 2 {
		if r, err := queryAll(ctx, b, "SELECT a FROM "+table); err != nil || r[0][0] != int64(1) {
			t.Fatalf("before the change: %v %v", r, err)
		}
	}
	if _, err := admin.Exec(ctx, "ALTER TABLE "+table+" ALTER a TYPE text"); err != nil {
		t.Fatal(err)
	}
	r, err := queryAll(ctx, b, "SELECT a FROM "+table)
	if err != nil && sqlerr.Code(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("first query after the change: %v (SQLSTATE %s), want success or 0A000", err, sqlerr.Code(err))
	}
	if err == nil && r[0][0] != "1" {
		t.Fatalf("first query after the change: %v", r)
	}
	for range 2 {
		if r, err := queryAll(ctx, b, "SELECT a FROM "+table); err != nil || r[0][0] != "1" {
			t.Fatalf("after the change: %v %v", r, err)
		}
	}
}
