package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/pgwire"
	"github.com/setupranali/setupranali/planner"
)

// The benchmarks here run the gateway in-process (pgwire over the planner, the executor and the
// engines), so `go test -cpuprofile` sees the gateway's own encode and write path next to the
// pgx client reading the result:
//
//	go test ./bench -run '^$' -bench Stream -cpuprofile /tmp/cpu.out && go tool pprof -top /tmp/cpu.out
//
// BenchmarkStreamPostgres needs SETU_TEST_POSTGRES_DSN; it loads its rows into a schema of its
// own and drops it.

const streamTestRows = 100_000

func inProcessGateway(b testing.TB, backends map[string]engine.Backend, schema string) string {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "catalog.yaml")
	if err := writeCatalog(path, schema); err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.LoadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	srv := pgwire.New(pgwire.Config{
		Authenticator: auth.NewStatic(auth.DemoKeys()),
		Planner:       planner.New(cat, planner.Config{}),
		Executor:      engine.New(engine.Config{Backends: backends, Default: "duckdb"}),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	return fmt.Sprintf("host=%s port=%s user=bench dbname=setupranali password=dev-key-123 sslmode=disable", host, port)
}

func benchStream(b *testing.B, dsn, query string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	run := pgxQuery(conn, query)
	b.ReportAllocs()
	for b.Loop() {
		n, err := run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n != streamTestRows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(streamTestRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkStreamDuckDB(b *testing.B) {
	ctx := context.Background()
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: []string{fmt.Sprintf("CREATE TABLE sales AS SELECT %s FROM range(%d) t(i)", salesColumns, streamTestRows)}})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	dsn := inProcessGateway(b, map[string]engine.Backend{"duckdb": be}, "unused")
	benchStream(b, dsn, "SELECT sale_id, region, product, channel, sale_date, amount FROM sales")
}

func BenchmarkStreamPostgres(b *testing.B) {
	pgDSN := testkit.PostgresDSN(b)
	ctx := context.Background()
	// loadPostgres creates the schema (the bench program does the same); dropPostgres removes it.
	schema := testkit.UniqueName("setu_bench_test_")
	if err := loadPostgres(ctx, pgDSN, schema, streamTestRows); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := dropPostgres(pgDSN, schema); err != nil {
			b.Error(err)
		}
	})
	pg, err := postgres.Open(ctx, postgres.Config{DSN: pgDSN})
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close()
	dsn := inProcessGateway(b, map[string]engine.Backend{"postgres": pg}, schema)
	b.Run("gateway", func(b *testing.B) {
		benchStream(b, dsn, "SELECT sale_id, region, product, channel, sale_date, amount FROM sales_pg")
	})
	b.Run("direct", func(b *testing.B) {
		benchStream(b, pgDSN, fmt.Sprintf("SELECT sale_id, region, product, channel, sale_date, amount FROM %s.sales", pgx.Identifier{schema}.Sanitize()))
	})
}
