package main

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
)

// starFannedSQL is the star join written naively: each order once per item of the category.
const starFannedSQL = "SELECT c.region, sum(o.amount), count(o.order_id) FROM orders o JOIN customers c ON c.customer_id = o.customer_id " +
	"JOIN order_items i ON i.order_id = o.order_id WHERE o.tenant_id = 'tenantA' AND c.tenant_id = 'tenantA' AND i.tenant_id = 'tenantA' " +
	"AND i.category = '" + starCategory + "' GROUP BY c.region"

// starTestSize is a star schema small enough for a unit test, with every tenant, region and
// category present, and orders with several items of the category (not every size has them:
// the hash that picks an item's order is linear in its id, so few ids can spread evenly).
var starTestSize = size{StarCustomers: 400, StarOrders: 3_000, StarItems: 12_000}

// TestStarAnswers checks J1's and J2's premise on small data: the star join sent as a tenant
// over pg wire to a gateway (in-process) answers exactly what the hand-written reference SQL
// answers straight on the engine, on DuckDB and on PostgreSQL. The reference runs on a
// DuckDB of its own and on a direct PostgreSQL connection, apart from the gateway.
func TestStarAnswers(t *testing.T) {
	ctx := testkit.ContextWithin(t, 2*time.Minute)
	pgDSN := testkit.PostgresDSN(t)
	schema := testkit.PostgresSchema(t)
	if err := loadStarPostgres(ctx, pgDSN, schema, starTestSize); err != nil {
		t.Fatal(err)
	}
	duck, err := duckdb.Open(ctx, duckdb.Config{InitSQL: starDuckDB(starTestSize)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	pg, err := postgres.Open(ctx, postgres.Config{DSN: pgDSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	dsn := inProcessGateway(t, map[string]engine.Backend{"duckdb": duck, "postgres": pg}, schema)
	gw, err := pgx.Connect(ctx, strings.Replace(dsn, "password=dev-key-123", "password="+starTenantKey, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close(context.Background())

	ref, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	for _, q := range starDuckDB(starTestSize) {
		if _, err := ref.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// The data can tell a fanned-out answer: the plain join counts orders with several items
	// of the category more than once.
	fanned, err := duckAnswer(ctx, ref, starFannedSQL)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := duckAnswer(ctx, ref, starReferenceSQL("")); err != nil || sameAnswer(fanned, want) == nil {
		t.Fatalf("the fanned-out join answers what the reference does (%v): %s", err, fanned)
	}
	pc, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(context.Background())

	for _, c := range []struct {
		name      string
		reference func() (starAnswer, error)
		suffix    string
	}{
		{"duckdb", func() (starAnswer, error) { return duckAnswer(ctx, ref, starReferenceSQL("")) }, ""},
		{"postgres", func() (starAnswer, error) {
			return pgxAnswer(ctx, pc, starReferenceSQL(pgx.Identifier{schema}.Sanitize()+"."))
		}, "_pg"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := c.reference()
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 8 {
				t.Fatalf("the reference has %d regions, want all 8: %s", len(want), want)
			}
			got, err := pgxAnswer(ctx, gw, starGatewaySQL(c.suffix))
			if err != nil {
				t.Fatal(err)
			}
			if err := sameAnswer(got, want); err != nil {
				t.Fatal(err)
			}
		})
	}
}
