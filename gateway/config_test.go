package gateway

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/internal/testkit"
)

func TestDemoRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:5433", "[::]:5433", "192.0.2.10:5433", ":5433"} {
		if err := requireLoopback("SETU_PG_ADDR", addr); err == nil {
			t.Errorf("%s accepted in demo mode", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:5433", "[::1]:5433", "localhost:0"} {
		if err := requireLoopback("SETU_PG_ADDR", addr); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	_, err := Start(context.Background(), Config{PGAddr: "0.0.0.0:0", Catalog: "../catalog.yaml", Env: "demo", MaxConnections: 1},
		slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("startGateway on 0.0.0.0: %v", err)
	}
}

func TestProductionRefusesWithoutKeys(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Config{PGAddr: "127.0.0.1:0", Catalog: "../catalog.yaml", Env: "production", MaxConnections: 1},
		slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "API keys") {
		t.Errorf("production without keys: %v", err)
	}
}

func TestServeRefusesInvalidCatalog(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	testkit.WriteFile(t, bad, "datasets:\n  - id: x\n    colour: red\n")
	_, err := Start(context.Background(), Config{PGAddr: "127.0.0.1:0", Catalog: bad, Env: "demo", MaxConnections: 1},
		slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:3") {
		t.Errorf("invalid catalog: %v, want the problem with file:line", err)
	}
}

// Users point the embedded engine at their own data with an init SQL file and their catalog.
func TestOwnDataThroughInitFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csv := filepath.Join(dir, "sales.csv")
	testkit.WriteFile(t, csv, "region,org,amount\nnorth,acme,10\nsouth,acme,5\nnorth,globex,7\n")
	initSQL := filepath.Join(dir, "init.sql")
	testkit.WriteFile(t, initSQL, "CREATE TABLE sales AS SELECT * FROM read_csv('"+csv+"');\n")
	cat := filepath.Join(dir, "catalog.yaml")
	testkit.WriteFile(t, cat, `datasets:
  - id: sales
    source: {engine: duckdb, type: table, reference: sales}
    fields:
      - {name: region, type: string}
      - {name: org, type: string}
      - {name: amount, type: int64}
    dimensions: [{name: region, field: region}]
    metrics: [{name: total, expression: {type: aggregation, agg: sum, field: amount}}]
    rls: {enabled: true, column: org, mode: equals, allowAdminBypass: true}
`)
	gw := startTestGateway(t, func(c *Config) { c.Catalog = cat; c.DuckDBInit = initSQL })
	// The demo's tenantA key has tenant "tenantA": no rows of org acme or globex.
	if got := testkit.RowsText(t, connect(t, gw, "tenantA-key"), "SELECT region, total FROM sales"); len(got) != 0 {
		t.Errorf("tenantA sees %v in another catalog's data", got)
	}
	got := testkit.RowsText(t, connect(t, gw, "dev-key-123"), "SELECT region, total FROM sales ORDER BY region")
	if !equal(got, []string{"north|17", "south|5"}) {
		t.Errorf("admin sees %v", got)
	}
	// After start-up the engine is locked: the same file reader is refused to clients.
	if _, err := tryRows(connect(t, gw, "dev-key-123"), "SELECT * FROM read_csv('"+csv+"')"); err == nil {
		t.Error("a client read a file")
	}
}
