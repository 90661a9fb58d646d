package gateway

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// requireClient finds a real client program, or skips; CI sets SETU_REQUIRE_CLIENTS so the
// driver tests cannot skip there.
func requireClient(t *testing.T, path string, probe ...string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err == nil && len(probe) > 0 {
		err = exec.Command(p, probe...).Run()
	}
	if err != nil {
		if os.Getenv("SETU_REQUIRE_CLIENTS") != "" {
			t.Fatalf("%s is required (SETU_REQUIRE_CLIENTS is set): %v", path, err)
		}
		t.Skipf("%s not available: %v", path, err)
	}
	return p
}

// runDriverScript runs a client program against the gateway and decodes the JSON it prints.
func runDriverScript(t *testing.T, gw *Gateway, key string, out any, name string, args ...string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	ctx := testkit.ContextWithin(t, 60*time.Second)
	cmd := exec.CommandContext(ctx, name, append(args, host, port, key)...)
	var stderr, stdout []byte
	stdout, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	if err != nil {
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", name, err, stdout, stderr)
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("%s printed %q: %v", name, stdout, err)
	}
}

func TestPsycopg2(t *testing.T) {
	python := requireClient(t, "/usr/bin/python3", "-c", "import psycopg2")
	gw := startTestGateway(t)
	var got struct {
		ServerVersion int         `json:"server_version"`
		Encoding      string      `json:"encoding"`
		Columns       []string    `json:"columns"`
		TypeCodes     []int       `json:"type_codes"`
		Rows          [][]any     `json:"rows"`
		ParamRows     [][]any     `json:"param_rows"`
		ErrorCode     string      `json:"error_code"`
		AfterError    json.Number `json:"after_error"`
	}
	runDriverScript(t, gw, "tenantA-key", &got, python, filepath.Join(driversDir(t), "psycopg2_check.py"))
	if got.ServerVersion < 150000 || got.Encoding != "UTF8" {
		t.Errorf("server_version %d, encoding %q", got.ServerVersion, got.Encoding)
	}
	if !reflect.DeepEqual(got.Columns, []string{"city", "total_revenue"}) || !reflect.DeepEqual(got.TypeCodes, []int{25, 701}) {
		t.Errorf("columns %v types %v", got.Columns, got.TypeCodes)
	}
	if !reflect.DeepEqual(got.Rows, [][]any{{"Bhopal", 500.0}, {"Indore", 1000.0}}) {
		t.Errorf("tenantA rows %v", got.Rows)
	}
	if !reflect.DeepEqual(got.ParamRows, [][]any{{"Indore", 1.0}}) {
		t.Errorf("parameterised rows %v", got.ParamRows)
	}
	if got.ErrorCode != "42703" || got.AfterError != "2" {
		t.Errorf("error %q, then count %q", got.ErrorCode, got.AfterError)
	}
}

func TestNodePostgres(t *testing.T) {
	node := requireClient(t, "node", "-e", "require('"+filepath.Join(driversDir(t), "node", "node_modules", "pg")+"')")
	gw := startTestGateway(t)
	var got struct {
		Fields     [][]any          `json:"fields"`
		Rows       []map[string]any `json:"rows"`
		ParamRows  []map[string]any `json:"param_rows"`
		Named      []map[string]any `json:"named"`
		NamedAgain []map[string]any `json:"named_again"`
		ErrorCode  string           `json:"error_code"`
		AfterError string           `json:"after_error"`
	}
	runDriverScript(t, gw, "tenantA-key", &got, node, filepath.Join(driversDir(t), "node", "check.js"))
	if !reflect.DeepEqual(got.Fields, [][]any{{"city", 25.0}, {"total_revenue", 701.0}}) {
		t.Errorf("fields %v", got.Fields)
	}
	want := []map[string]any{{"city": "Bhopal", "total_revenue": 500.0}, {"city": "Indore", "total_revenue": 1000.0}}
	if !reflect.DeepEqual(got.Rows, want) {
		t.Errorf("rows %v", got.Rows)
	}
	// node-postgres returns int8 as a string, as it does against PostgreSQL.
	if !reflect.DeepEqual(got.ParamRows, []map[string]any{{"city": "Bhopal", "orders_count": "1"}}) {
		t.Errorf("parameterised rows %v", got.ParamRows)
	}
	if !reflect.DeepEqual(got.Named, []map[string]any{{"total_revenue": 1000.0}}) || len(got.NamedAgain) != 1 || got.NamedAgain[0]["total_revenue"] != nil {
		t.Errorf("named statement: %v then %v (tenantA has no Delhi orders: one NULL total)", got.Named, got.NamedAgain)
	}
	if got.ErrorCode != "42703" || got.AfterError != "2" {
		t.Errorf("error %q, then count %q", got.ErrorCode, got.AfterError)
	}
}

// driversDir is testdata/drivers, where the client programs live.
func driversDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "drivers"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// compileJDBCCheck compiles testdata/drivers/jdbc/<name>.java and returns the java program and
// the class path (the compiled class and pgjdbc's jar) to run it with.
func compileJDBCCheck(t *testing.T, name string) (java, classPath string) {
	t.Helper()
	const jar = "/usr/share/java/postgresql.jar"
	javac := requireClient(t, "javac", "-version")
	java = requireClient(t, "java", "-version")
	if _, err := os.Stat(jar); err != nil {
		requireClient(t, jar)
	}
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-d", classes, filepath.Join(driversDir(t), "jdbc", name+".java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return java, classes + string(os.PathListSeparator) + jar
}

func TestPgJDBC(t *testing.T) {
	java, classPath := compileJDBCCheck(t, "JdbcCheck")
	gw := startTestGateway(t)
	var got struct {
		Rows       []string `json:"rows"`
		Prepared   []string `json:"prepared"`
		Error      string   `json:"error"`
		AfterError int      `json:"after_error"`
		Product    string   `json:"product"`
		Tables     []string `json:"tables"`
		TableNames []string `json:"table_names"`
		Computed   *string  `json:"computed_table"`
	}
	runDriverScript(t, gw, "tenantA-key", &got, java, "-cp", classPath, "JdbcCheck")
	// A dataset column's table, from RowDescription's table oid and attribute number; a computed
	// column (count(*)) has none, as on PostgreSQL.
	if !reflect.DeepEqual(got.TableNames, []string{"orders.city", "orders.total_revenue"}) || got.Computed == nil || *got.Computed != "" {
		t.Errorf("ResultSetMetaData table names %v, computed column's %v", got.TableNames, got.Computed)
	}
	if !reflect.DeepEqual(got.Rows, []string{"Bhopal|500.0", "Indore|1000.0"}) {
		t.Errorf("rows %v", got.Rows)
	}
	// Seven executions cross pgjdbc's prepare threshold: named statements and binary results.
	wantPrepared := []string{"1000.0|2025-12-01", "500.0|2025-12-01", "1000.0|2025-12-01", "500.0|2025-12-01",
		"1000.0|2025-12-01", "500.0|2025-12-01", "1000.0|2025-12-01"}
	if !reflect.DeepEqual(got.Prepared, wantPrepared) {
		t.Errorf("prepared statement results %v", got.Prepared)
	}
	if got.Error != "42703" || got.AfterError != 2 {
		t.Errorf("error %q, then count %d", got.Error, got.AfterError)
	}
	if got.Product != "PostgreSQL 15" || !reflect.DeepEqual(got.Tables, []string{"customers", "orders"}) {
		t.Errorf("metadata: product %q, tables %v", got.Product, got.Tables)
	}
}

// TestPsqlODBC drives the gateway through unixODBC's isql and psqlODBC (what Excel and Power BI's
// ODBC connector load): its startup probes (SHOW DateStyle, the pg_type 'lo' lookup), a query,
// an error; then the same through a second DSN with UseDeclareFetch=1, where psqlODBC reads every
// result through a SQL cursor (BEGIN, DECLARE ... CURSOR WITH HOLD, FETCH 100 ..., CLOSE).
func TestPsqlODBC(t *testing.T) {
	const driver = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"
	isql := requireClient(t, "isql", "--version")
	if _, err := os.Stat(driver); err != nil {
		requireClient(t, driver)
	}
	gw := startTestGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	dir := t.TempDir()
	testkit.WriteFile(t, filepath.Join(dir, "odbcinst.ini"), "[PostgreSQL Unicode]\nDriver="+driver+"\n")
	dsn := func(name, declareFetch string) string {
		return "[" + name + "]\nDriver=PostgreSQL Unicode\nServername=" + host + "\nPort=" + port +
			"\nDatabase=setupranali\nSSLMode=disable\nUseDeclareFetch=" + declareFetch + "\nFetch=100\n"
	}
	testkit.WriteFile(t, filepath.Join(dir, "odbc.ini"), dsn("setu", "0")+dsn("setu_cursor", "1"))
	run := func(sql string, dsn ...string) string {
		name := "setu"
		if len(dsn) > 0 {
			name = dsn[0]
		}
		ctx := testkit.ContextWithin(t, 30*time.Second)
		cmd := exec.CommandContext(ctx, isql, "-b", "-v", "-d|", name, "odbc", "tenantA-key")
		cmd.Env = append(os.Environ(), "ODBCSYSINI="+dir, "ODBCINI="+filepath.Join(dir, "odbc.ini"))
		cmd.Stdin = strings.NewReader(sql + "\n")
		out, _ := cmd.CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	if got := run("SELECT city, total_revenue FROM orders ORDER BY city"); got != "Bhopal|500\nIndore|1000" {
		t.Errorf("tenantA through ODBC: %q", got)
	}
	if got := run("SELECT cty FROM orders\nSELECT count(*) FROM orders"); !strings.Contains(got, "[42703]") || !strings.HasSuffix(got, "2") {
		t.Errorf("error then query through ODBC: %q", got)
	}
	if got := run("SELECT city, total_revenue FROM orders ORDER BY city", "setu_cursor"); got != "Bhopal|500\nIndore|1000" {
		t.Errorf("tenantA through ODBC with UseDeclareFetch=1: %q", got)
	}
	if got := run("SELECT cty FROM orders\nSELECT count(*) FROM orders", "setu_cursor"); !strings.Contains(got, "[42703]") || !strings.HasSuffix(got, "2") {
		t.Errorf("error then query through ODBC with UseDeclareFetch=1: %q", got)
	}
}

func TestSQLAlchemy(t *testing.T) {
	python := requireClient(t, "/usr/bin/python3", "-c", "import sqlalchemy, psycopg2")
	gw := startTestGateway(t)
	var got struct {
		ServerVersionInfo []int    `json:"server_version_info"`
		Rows              [][]any  `json:"rows"`
		Tables            []string `json:"tables"`
		HasOrders         bool     `json:"has_orders"`
		Columns           [][]any  `json:"columns"`
		PK                []string `json:"pk"`
		Indexes           []any    `json:"indexes"`
	}
	runDriverScript(t, gw, "tenantA-key", &got, python, filepath.Join(driversDir(t), "sqlalchemy_check.py"))
	if len(got.ServerVersionInfo) < 1 || got.ServerVersionInfo[0] != 15 {
		t.Errorf("server_version_info %v", got.ServerVersionInfo)
	}
	if !reflect.DeepEqual(got.Rows, [][]any{{"Indore", 1000.0}}) {
		t.Errorf("rows %v", got.Rows)
	}
	if !reflect.DeepEqual(got.Tables, []string{"orders", "customers"}) || !got.HasOrders {
		t.Errorf("tables %v, has_table %v", got.Tables, got.HasOrders)
	}
	// Superset's dataset editor: the inspector's columns carry the announced types.
	// order_id is the primary key: NOT NULL, as PostgreSQL makes it.
	wantCols := [][]any{{"city", "TEXT", true}, {"order_date", "DATE", true}, {"order_size", "TEXT", true},
		{"order_id", "TEXT", false}, {"customer_id", "TEXT", true},
		{"total_revenue", "DOUBLE PRECISION", true}, {"orders_count", "BIGINT", true}, {"total_quantity", "BIGINT", true},
		{"cities", "BIGINT", true}, {"large_order_revenue", "DOUBLE PRECISION", true}, {"avg_order_value", "DOUBLE PRECISION", true}}
	for _, c := range got.Columns {
		// SQLAlchemy 1.4 prints DOUBLE_PRECISION, 2.0 DOUBLE PRECISION.
		if typ, ok := c[1].(string); ok {
			c[1] = strings.ReplaceAll(typ, "_", " ")
		}
	}
	if !reflect.DeepEqual(got.Columns, wantCols) {
		t.Errorf("columns %v\nwant %v", got.Columns, wantCols)
	}
	// orders' primaryKey order_id is a column, so the inspector sees it; the key's index is the
	// primary key's own, which get_indexes leaves out, as on PostgreSQL.
	if !reflect.DeepEqual(got.PK, []string{"order_id"}) || len(got.Indexes) != 0 {
		t.Errorf("got pk %v, indexes %v; want pk [order_id] and no other index", got.PK, got.Indexes)
	}
}
