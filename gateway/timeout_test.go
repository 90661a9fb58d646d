package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// A query past QUERY_TIMEOUT_SECONDS is stopped in the engine with 57014, and the connection
// goes on.
func TestQueryTimeout(t *testing.T) {
	gw := startBigGateway(t, time.Second)
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
	if got := testkit.RowsText(t, conn, "SELECT n FROM big"); !equal(got, []string{"200000"}) {
		t.Errorf("after the timeout the connection answered %v", got)
	}
}

// SET statement_timeout bounds a session's statements below QUERY_TIMEOUT_SECONDS, SHOW prints
// it as PostgreSQL does, and set_config() changes it as SET does.
func TestSessionStatementTimeout(t *testing.T) {
	gw := startBigGateway(t, time.Hour)
	conn := connect(t, gw, "tenantA-key")
	const long = "SELECT count(*) FROM big a, big b WHERE a.id + b.id = -1"

	if got := testkit.RowsText(t, conn, "SELECT set_config('statement_timeout', '500', false)"); !equal(got, []string{"500ms"}) {
		t.Errorf("set_config answered %v, want 500ms", got)
	}
	if got := testkit.RowsText(t, conn, "SHOW statement_timeout"); !equal(got, []string{"500ms"}) {
		t.Errorf("SHOW after set_config: %v", got)
	}
	_, err := tryRows(conn, long)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || !strings.Contains(pe.Hint, "statement_timeout") {
		t.Fatalf("got %v, want 57014 naming statement_timeout", err)
	}
	if got := testkit.RowsText(t, conn, "SELECT n FROM big"); !equal(got, []string{"200000"}) {
		t.Errorf("after the timeout the connection answered %v", got)
	}

	// The simple protocol: SET with a unit, RESET back to no limit.
	pg := conn.PgConn()
	checkSettingSteps(t, pg, []settingStep{
		{"SET statement_timeout = '2s'", ""},
		{"SHOW statement_timeout", "2s"},
		{"SET statement_timeout TO 60000", ""},
		{"SHOW statement_timeout", "1min"},
		{"RESET statement_timeout", ""},
		{"SHOW statement_timeout", "0"},
	})
	if _, err := pg.Exec(context.Background(), "SET statement_timeout = 'soon'").ReadAll(); err == nil || !strings.Contains(err.Error(), "22023") {
		t.Errorf("a malformed statement_timeout: got %v, want 22023", err)
	}
}

// startBigGateway serves a dataset "big" of 200,000 rows, all tenantA's, whose self-join keeps
// the engine busy long enough to be timed out or cancelled.
func startBigGateway(t *testing.T, queryTimeout time.Duration, mutate ...func(*Config)) *Gateway {
	t.Helper()
	dir := t.TempDir()
	initSQL := filepath.Join(dir, "init.sql")
	testkit.WriteFile(t, initSQL, "CREATE TABLE big AS SELECT range AS id, 'tenantA' AS tenant_id FROM range(200000);")
	cat := filepath.Join(dir, "catalog.yaml")
	testkit.WriteFile(t, cat, `datasets:
  - id: big
    source: {reference: big}
    fields: [{name: id, type: int64}, {name: tenant_id, type: string}]
    dimensions: [{name: id}]
    metrics: [{name: n, expression: {agg: count}}]
    rls: {enabled: true, column: tenant_id}
`)
	return startTestGateway(t, append([]func(*Config){func(c *Config) { c.Catalog = cat; c.DuckDBInit = initSQL; c.QueryTimeout = queryTimeout }}, mutate...)...)
}

// settingStep is a session statement and, for SHOW, the value it must print ("" for none).
type settingStep struct{ sql, want string }

// checkSettingSteps runs each statement through the simple protocol and checks SHOW's answers.
func checkSettingSteps(t *testing.T, pg *pgconn.PgConn, steps []settingStep) {
	t.Helper()
	for _, step := range steps {
		res, err := pg.Exec(context.Background(), step.sql).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
		if step.want != "" && (len(res) != 1 || len(res[0].Rows) != 1 || string(res[0].Rows[0][0]) != step.want) {
			t.Errorf("%s: got %v, want %s", step.sql, res, step.want)
		}
	}
}
