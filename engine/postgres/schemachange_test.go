package postgres_test

import (
	"context"
	"testing"

	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/sqlerr"
)

// A source table whose column changes type under a prepared statement (a rebuild) does not
// fail the next query: PostgreSQL refuses the stale statement (0A000 "cached plan must not
// change result type") before any row, and the backend prepares it again, on every pooled
// connection that held it.
func TestSchemaChangeBetweenQueries(t *testing.T) {
	admin := testkit.PostgresConn(t)
	ctx := context.Background()
	table := testkit.UniqueName("setu_sc_")
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (a int4); INSERT INTO "+table+" VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(context.Background(), "DROP TABLE "+table) })
	b := openBackend(t, postgres.Config{MaxConns: 3})
	query := "SELECT a FROM " + table
	// Prepare the statement on all three connections: hold them at once.
	var held []interface{ Close() error }
	for range 3 {
		rows, err := b.Query(ctx, query, nil)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, rows)
	}
	for _, r := range held {
		r.Close()
	}
	if _, err := admin.Exec(ctx, "ALTER TABLE "+table+" ALTER a TYPE text"); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if r, err := queryAll(ctx, b, query); err != nil || r[0][0] != "1" {
			t.Fatalf("query %d after the change: %v %v (SQLSTATE %s)", i, r, err, sqlerr.Code(err))
		}
	}
}
