package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
)

// salesColumns computes one sales row from its id i with integer products and remainders only
// (DuckDB's / divides as floating point, PostgreSQL's as integers, so there is no integer
// division), so DuckDB and PostgreSQL produce identical data from the same expressions.
const salesColumns = `
  i AS sale_id,
  'R' || CAST(((i * 2654435761) % 4294967296) % 8 AS VARCHAR) AS region,
  'P' || lpad(CAST(((i * 40503) % 65521) % 200 AS VARCHAR), 3, '0') AS product,
  'C' || CAST(((i * 69069) % 1000003) % 4 AS VARCHAR) AS channel,
  DATE '2021-01-01' + CAST(((i * 48271) % 2147483647) % 1461 AS INTEGER) AS sale_date,
  CAST(((i * 16807) % 2147483647) % 10 + 1 AS INTEGER) AS quantity,
  CAST(((i * 2654435761) % 4294967296) % 100000 AS DOUBLE PRECISION) / 100 AS amount`

// loadDuckDB writes the sales table into a new DuckDB file.
func loadDuckDB(ctx context.Context, path string, rows int64) error {
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer connector.Close()
	defer db.Close()
	stmts := []string{
		fmt.Sprintf("CREATE TABLE sales AS SELECT %s FROM range(%d) t(i) ORDER BY i", salesColumns, rows),
		"CHECKPOINT",
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("duckdb: %s: %w", firstLine(q), err)
		}
	}
	return nil
}

// loadPostgres creates schema and its sales table (primary key on sale_id, analyzed).
func loadPostgres(ctx context.Context, dsn, schema string, rows int64) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	s := pgx.Identifier{schema}.Sanitize()
	stmts := []string{
		"CREATE SCHEMA " + s,
		// UNLOGGED: loading skips the WAL; reads are the same as a logged table's.
		fmt.Sprintf("CREATE UNLOGGED TABLE %s.sales AS SELECT %s FROM generate_series(0::bigint, %d) t(i)", s, salesColumns, rows-1),
		fmt.Sprintf("ALTER TABLE %s.sales ADD PRIMARY KEY (sale_id)", s),
		fmt.Sprintf("VACUUM ANALYZE %s.sales", s),
	}
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: %s: %w", firstLine(q), err)
		}
	}
	return nil
}

// dropPostgres removes the schema; it runs on its own context so an interrupted run still cleans
// up.
func dropPostgres(dsn, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	return err
}

// writeCatalog writes the catalog the gateway serves: the same sales data as dataset sales on
// the embedded DuckDB and as dataset sales_pg on PostgreSQL, and the star schema of J1-J3 as
// customers, orders, order_items on DuckDB and the same with suffix _pg on PostgreSQL.
func writeCatalog(path, schema string) error {
	var b strings.Builder
	b.WriteString("datasets:\n")
	for _, ds := range []struct{ id, engine, ref string }{
		{"sales", "duckdb", "sales"},
		{"sales_pg", "postgres", schema + ".sales"},
	} {
		fmt.Fprintf(&b, `  - id: %s
    source: {engine: %s, type: table, reference: %s}
    fields:
      - {name: sale_id, type: int64, semanticType: identifier}
      - {name: region, type: string, semanticType: dimension}
      - {name: product, type: string, semanticType: dimension}
      - {name: channel, type: string, semanticType: dimension}
      - {name: sale_date, type: date, semanticType: time}
      - {name: quantity, type: int64, semanticType: metric}
      - {name: amount, type: double, semanticType: metric}
    dimensions:
      - {name: sale_id, field: sale_id}
      - {name: region, field: region}
      - {name: product, field: product}
      - {name: channel, field: channel}
      - {name: sale_date, field: sale_date}
      - {name: amount, field: amount}
    metrics:
      - {name: total_amount, expression: {type: aggregation, agg: sum, field: amount}, returnType: double}
      - {name: sales_count, expression: {type: aggregation, agg: count, field: sale_id}, returnType: int64}
      - {name: total_quantity, expression: {type: aggregation, agg: sum, field: quantity}, returnType: int64}
`, ds.id, ds.engine, ds.ref)
	}
	b.WriteString(starCatalog("duckdb", "", func(t string) string { return t }))
	b.WriteString(starCatalog("postgres", "_pg", func(t string) string { return schema + "." + t }))
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}
