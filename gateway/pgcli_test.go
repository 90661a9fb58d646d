package gateway

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// pgcliScript drives pgcli through its Python API as its prompt does: \dt and \dt+ run through
// pgspecial, every completion refresher (schemata, tables and columns, views, types, databases,
// casing, functions) runs its catalog queries, and the completer is asked for the tables after
// FROM and the columns of orders in a select list. It prints one JSON object.
const pgcliScript = `
import json, os, sys
from pgcli.pgexecute import PGExecute
from pgcli.pgcompleter import PGCompleter
from pgcli.completion_refresher import CompletionRefresher
from pgspecial.main import PGSpecial
from prompt_toolkit.document import Document

host, port, key, casing = sys.argv[1:5]
ex = PGExecute(database="setupranali", user="demo", password=key, host=host, port=port, dsn="", sslmode="disable")
special = PGSpecial()
out = {}

def run(sql):
    res = []
    for title, cur, headers, status, query, success, is_special in ex.run(sql, pgspecial=special):
        rows = [[str(v) for v in r] for r in cur] if cur is not None and headers else []
        res.append({"headers": list(headers or []), "rows": rows, "success": success, "status": str(status)})
    return res

for key, cmd in [("dt", "\\dt"), ("dtplus", "\\dt+")]:
    try:
        out[key] = run(cmd)
    except Exception as e:
        out[key] = [{"error": type(e).__name__ + ": " + str(e)}]

comp = PGCompleter(smart_completion=True, pgspecial=special,
                   settings={"casing_file": casing, "generate_casing_file": True})
errors = {}
for name, refresh in CompletionRefresher.refreshers.items():
    try:
        refresh(comp, ex)
    except Exception as e:
        errors[name] = type(e).__name__ + ": " + str(e)
out["refresh_errors"] = errors

def complete(text, pos):
    doc = Document(text=text, cursor_position=pos)
    return sorted({c.text for c in comp.get_completions(doc, None)})

out["tables"] = complete("SELECT * FROM ", len("SELECT * FROM "))
out["columns"] = complete("SELECT  FROM orders", len("SELECT "))
out["functions"] = [f for f in complete("SELECT int4", len("SELECT int4"))]
print(json.dumps(out))
`

// pgcliPython is the interpreter pgcli runs under (its script's #! line), or "" when pgcli is
// not installed. The test runs when SETU_TEST_PGCLI=1 or pgcli is on PATH; CI installs it.
func pgcliPython(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("pgcli")
	if err != nil {
		if os.Getenv("SETU_TEST_PGCLI") == "1" || os.Getenv("SETU_REQUIRE_CLIENTS") != "" {
			t.Fatalf("pgcli is required (SETU_TEST_PGCLI or SETU_REQUIRE_CLIENTS is set): %v", err)
		}
		t.Skip("pgcli not installed (apt-get install pgcli), SETU_TEST_PGCLI unset")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	if !strings.HasPrefix(line, "#!") {
		t.Fatalf("%s: no interpreter line", path)
	}
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		t.Fatalf("%s: empty interpreter line", path)
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		return fields[1]
	}
	return fields[0]
}

type pgcliResult struct {
	Headers []string   `json:"headers"`
	Rows    [][]string `json:"rows"`
	Success bool       `json:"success"`
	Error   string     `json:"error"`
}

type pgcliOutput struct {
	Dt            []pgcliResult     `json:"dt"`
	DtPlus        []pgcliResult     `json:"dtplus"`
	RefreshErrors map[string]string `json:"refresh_errors"`
	Tables        []string          `json:"tables"`
	Columns       []string          `json:"columns"`
	Functions     []string          `json:"functions"`
}

// TestPgcli runs pgcli's own code against the demo gateway as tenantA: \dt lists the datasets,
// \dt+ adds sizes and descriptions, no completion refresher fails, and completion offers the
// datasets after FROM and a dataset's columns in the select list.
func TestPgcli(t *testing.T) {
	t.Parallel()
	python := pgcliPython(t)
	gw := startTestGateway(t)
	requireBoundCatalogArrays(t, gw)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	script := testkit.TempFile(t, "pgcli_drive.py", pgcliScript)
	casing := filepath.Join(t.TempDir(), "casing")
	ctx := testkit.ContextWithin(t, 90*time.Second)
	cmd := exec.CommandContext(ctx, python, script, host, port, "tenantA-key", casing)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("pgcli script: %v\n%s", err, stderr.String())
	}
	var out pgcliOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	wantDt := [][]string{{"public", "customers", "table", "demo"}, {"public", "orders", "table", "demo"}}
	if len(out.Dt) != 1 || !out.Dt[0].Success || !equalRows(out.Dt[0].Rows, wantDt) {
		t.Errorf("\\dt: %+v, want rows %v", out.Dt, wantDt)
	}
	wantDtPlus := [][]string{
		{"public", "customers", "table", "demo", "0 bytes", "The customers who place orders, one row per customer."},
		{"public", "orders", "table", "demo", "0 bytes", "Customer orders, one row per order."}}
	if len(out.DtPlus) != 1 || !out.DtPlus[0].Success || !equalRows(out.DtPlus[0].Rows, wantDtPlus) ||
		strings.Join(out.DtPlus[0].Headers, ",") != "Schema,Name,Type,Owner,Size,Description" {
		t.Errorf("\\dt+: %+v, want rows %v", out.DtPlus, wantDtPlus)
	}
	if len(out.RefreshErrors) > 0 {
		t.Errorf("completion refreshers failed: %v", out.RefreshErrors)
	}
	for _, want := range []string{"orders", "customers"} {
		if !containsString(out.Tables, want) {
			t.Errorf("table completion after FROM: %v, want %s among them", out.Tables, want)
		}
	}
	for _, want := range []string{"city", "order_date", "total_revenue", "orders_count"} {
		if !containsString(out.Columns, want) {
			t.Errorf("column completion of orders: %v, want %s among them", out.Columns, want)
		}
	}
	if containsString(out.Columns, "region") {
		t.Errorf("column completion of orders offers another table's column: %v", out.Columns)
	}
}

// requireBoundCatalogArrays checks that a catalog query takes a bound text[] parameter declared
// by the client (pgx's exec mode declares it as psycopg does), as pgcli binds the relkinds of
// \dt and of its table completion (relkind = ANY($1)): without it, pgcli shows nothing, and
// the failure is named here rather than as an empty completion list.
func requireBoundCatalogArrays(t *testing.T, gw *Gateway) {
	t.Helper()
	conn := connectMode(t, gw, "tenantA-key", "exec")
	ctx := testkit.ContextWithin(t, 10*time.Second)
	var n int
	err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relkind = ANY($1) AND c.relname = 'orders'", []string{"r", "p"}).Scan(&n)
	if err != nil || n != 1 {
		t.Fatalf("relkind = ANY($1) with a bound text[]: %d rows, %v", n, err)
	}
}

func equalRows(got, want [][]string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			return false
		}
	}
	return true
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
