package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// A query past QUERY_TIMEOUT_SECONDS is stopped in the engine with 57014, and the connection
// goes on.
func TestQueryTimeout(t *testing.T) {
	dir := t.TempDir()
	initSQL := filepath.Join(dir, "init.sql")
	writeFile(t, initSQL, "CREATE TABLE big AS SELECT range AS id, 'tenantA' AS tenant_id FROM range(200000);")
	cat := filepath.Join(dir, "catalog.yaml")
	writeFile(t, cat, `datasets:
  - id: big
    source: {reference: big}
    fields: [{name: id, type: int64}, {name: tenant_id, type: string}]
    dimensions: [{name: id}]
    metrics: [{name: n, expression: {agg: count}}]
    rls: {enabled: true, column: tenant_id}
`)
	gw := startTestGateway(t, func(c *config) { c.Catalog = cat; c.DuckDBInit = initSQL; c.QueryTimeout = time.Second })
	conn := connect(t, gw, "tenantA-key")
	start := time.Now()
	_, err := tryRows(conn, "SELECT count(*) FROM big a, big b WHERE a.id + b.id = -1")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || !strings.Contains(pe.Message, "statement timeout") {
		t.Fatalf("got %v, want 57014 statement timeout", err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the engine kept running for %s after a 1s timeout", took)
	}
	if got := rowsText(t, conn, "SELECT n FROM big"); !equal(got, []string{"200000"}) {
		t.Errorf("after the timeout the connection answered %v", got)
	}
}
