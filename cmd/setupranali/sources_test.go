package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/gateway"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/state"
)

// cliEnv runs the CLI commands in-process with their own environment, collecting everything
// they print (stdout, stderr and so every log line) in all.
type cliEnv struct {
	t   *testing.T
	env map[string]string
	all *testkit.SyncBuffer
}

func newCLIEnv(t *testing.T, stateDB string) *cliEnv {
	return &cliEnv{t: t, env: map[string]string{"SETU_STATE_DB": stateDB, "LOG_LEVEL": "DEBUG"}, all: &testkit.SyncBuffer{}}
}

// run executes one command line and returns its exit code and stdout.
func (e *cliEnv) run(stdin string, args ...string) (int, string) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	c := cli{
		stdin:  strings.NewReader(stdin),
		stdout: io.MultiWriter(&stdout, e.all),
		stderr: io.MultiWriter(&stderr, e.all),
		getenv: func(k string) string { return e.env[k] },
	}
	ctx := context.Background()
	var code int
	switch args[0] {
	case "keygen":
		code = keygenCmd(args[1:], c)
	case "sources":
		code = sourcesCmd(ctx, args[1:], c)
	case "backup":
		code = backupCmd(ctx, args[1:], c)
	case "restore":
		code = restoreCmd(ctx, args[1:], c)
	default:
		e.t.Fatalf("no command %s", args[0])
	}
	e.t.Logf("$ setupranali %s -> %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return code, stdout.String() + stderr.String()
}

func (e *cliEnv) must(stdin string, args ...string) string {
	e.t.Helper()
	code, out := e.run(stdin, args...)
	if code != 0 {
		e.t.Fatalf("setupranali %s exited %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// keygen makes a key through the CLI; its output is the one place a key may appear.
func (e *cliEnv) keygen() string {
	e.t.Helper()
	var out bytes.Buffer
	if code := keygenCmd(nil, cli{stdout: &out, stderr: &out, getenv: func(string) string { return "" }}); code != 0 {
		e.t.Fatalf("keygen: %s", out.String())
	}
	k := strings.TrimSpace(out.String())
	if state.KeyID(k) == "" {
		e.t.Fatalf("keygen printed %q, not a key", k)
	}
	return k
}

var sourceIDPattern = regexp.MustCompile(`id (src_[0-9a-f]+)`)

// startGatewayLogged is startTestGateway with the gateway's log kept in w.
func startGatewayLogged(t *testing.T, w io.Writer, mutate func(*gateway.Config)) (*gateway.Gateway, error) {
	t.Helper()
	cfg, err := loadConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PGAddr = "127.0.0.1:0"
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.Catalog = "../../catalog.yaml"
	cfg.LogLevel = "DEBUG"
	mutate(&cfg.Config)
	gw, err := gateway.Start(context.Background(), cfg.Config, newLogger("DEBUG", w))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return gw, nil
}

// Start-up fails clearly, naming the dataset and source, for an unknown source, a source whose
// key is missing or wrong, and an engine that does not match the source. These need no server:
// a postgres source connects on first use.
func TestSourceStartupErrors(t *testing.T) {
	dir := t.TempDir()
	stateDB := filepath.Join(dir, "state.db")
	e := newCLIEnv(t, stateDB)
	key := e.keygen()
	e.env["UBI_SECRET_KEY"] = key
	e.env["WAREHOUSE_PW"] = "pw-Startup-Secret"
	out := e.must("", "sources", "add", "warehouse", "--host", "127.0.0.1", "--port", "1", "--user", "u", "--database", "d", "--password-env", "WAREHOUSE_PW")
	id := sourceIDPattern.FindStringSubmatch(out)[1]
	var logs testkit.SyncBuffer
	other := e.keygen()
	cases := []struct {
		name, catalog string
		mutate        func(*gateway.Config)
		want          []string
	}{
		{"unknown source", testkit.OrdersDataset("pg_orders", "postgres", "orders", "nosuch"), nil,
			[]string{`"pg_orders"`, `"nosuch"`, "not registered"}},
		{"no key", testkit.OrdersDataset("pg_orders", "postgres", "orders", "warehouse"), func(c *gateway.Config) { c.SecretKey = "" },
			[]string{`"pg_orders"`, `"warehouse"`, "UBI_SECRET_KEY is not set"}},
		{"wrong key", testkit.OrdersDataset("pg_orders", "postgres", "orders", id), func(c *gateway.Config) { c.SecretKey = gateway.Secret(other) },
			[]string{`"pg_orders"`, `"warehouse"`, "not in UBI_SECRET_KEY", state.KeyID(key)}},
		{"engine mismatch", testkit.OrdersDataset("pg_orders", "duckdb", "orders", "warehouse"), nil,
			[]string{`"pg_orders"`, `"warehouse"`, "engine"}},
		{"default postgres unset", testkit.OrdersDataset("pg_orders", "postgres", "orders", ""), nil,
			[]string{`"pg_orders"`, "SETU_POSTGRES_DSN"}},
		{"reserved name", testkit.OrdersDataset("pg_orders", "postgres", "orders", "duckdb"), nil,
			[]string{`"pg_orders"`, "reserved"}},
	}
	for _, c := range cases {
		cat := testkit.TempFile(t, "catalog.yaml", "datasets:\n"+c.catalog)
		_, err := startGatewayLogged(t, &logs, func(cfg *gateway.Config) {
			cfg.Catalog, cfg.StateDB, cfg.SecretKey = cat, stateDB, gateway.Secret(key)
			if c.mutate != nil {
				c.mutate(cfg)
			}
		})
		if err == nil {
			t.Errorf("%s: the gateway started", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", c.name, err, w)
			}
		}
		testkit.NoSecrets(t, c.name+" error", err.Error(), key, other, "pw-Startup-Secret")
	}
	// The state DB is not left locked by a failed start: a restore may run.
	backup := filepath.Join(dir, "b.db")
	e.must("", "backup", "--to", backup)
	e.must("", "restore", "--from", backup)
	testkit.NoSecrets(t, "logs", logs.String()+e.all.String(), key, other, "pw-Startup-Secret")
}

// Every CLI flow and a gateway serving registered sources print no credential and no key
// anywhere: stdout, stderr, logs, errors sent to clients. The source points at a closed port,
// so failures (test, queries) are exercised too.
func TestSourceFlowsLeakNoSecrets(t *testing.T) {
	dir := t.TempDir()
	stateDB := filepath.Join(dir, "state.db")
	e := newCLIEnv(t, stateDB)
	oldKey, newKey := e.keygen(), e.keygen()
	password := testkit.UniqueName("pw-Leak-")
	dsnPassword := testkit.UniqueName("dsnpw-Leak-")
	dsn := fmt.Sprintf("postgres://reader:%s@127.0.0.1:1/sales?sslmode=disable&connect_timeout=2", dsnPassword)
	secrets := []string{oldKey, newKey, password, dsnPassword, dsn}

	e.env["UBI_SECRET_KEY"] = oldKey
	e.must(password+"\n", "sources", "add", "pw_source", "--host", "127.0.0.1", "--port", "1", "--database", "sales",
		"--user", "reader", "--sslmode", "disable", "--connect-timeout", "2", "--option", "target_session_attrs=prefer-standby", "--password-stdin")
	e.env["SALES_DSN"] = dsn
	out := e.must("", "sources", "add", "dsn_source", "--dsn-env", "SALES_DSN", "--max-conns", "3", "--transaction-pooling")
	dsnID := sourceIDPattern.FindStringSubmatch(out)[1]
	list := e.must("", "sources", "list")
	if !strings.Contains(list, "pw_source") || !strings.Contains(list, dsnID) {
		t.Errorf("list:\n%s", list)
	}
	show := e.must("", "sources", "show", "pw_source")
	for _, want := range []string{"password: ********", "host: 127.0.0.1", "option target_session_attrs: prefer-standby", "key_id: " + state.KeyID(oldKey)} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
	if show := e.must("", "sources", "show", dsnID); !strings.Contains(show, "dsn: ********") || !strings.Contains(show, "transaction_pooling: true") {
		t.Errorf("show of the DSN source:\n%s", show)
	}
	// Mistakes whose messages might echo their input.
	for _, args := range [][]string{
		{"sources", "add", "bad", "--host", "h", "--option", "password=" + password},
		{"sources", "add", "bad2", "--dsn-env", "SALES_DSN", "--host", "h"},
		{"sources", "add", "pw_source", "--host", "h", "--password-env", "SALES_DSN"},
	} {
		if code, _ := e.run("", args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
	// test: the port is closed, so it fails, without saying the password.
	if code, out := e.run("", "sources", "test", "pw_source"); code == 0 || !strings.Contains(out, "pw_source") {
		t.Errorf("test of an unreachable source: %d %s", code, out)
	}
	if code, _ := e.run("", "sources", "test", dsnID); code == 0 {
		t.Error("test of an unreachable DSN source succeeded")
	}
	// Rotation: new key first, old still decrypts; rotate; old key removed.
	e.env["UBI_SECRET_KEY"] = newKey + "," + oldKey
	e.must("", "sources", "rotate-key")
	e.env["UBI_SECRET_KEY"] = oldKey
	if code, out := e.run("", "sources", "test", "pw_source"); code == 0 || !strings.Contains(out, "not in UBI_SECRET_KEY") {
		t.Errorf("the old key alone after rotation: %d %s", code, out)
	}
	e.env["UBI_SECRET_KEY"] = newKey
	backup := filepath.Join(dir, "backup.db")
	e.must("", "backup", "--to", backup)

	// A gateway over both sources; queries fail (nothing listens), and their errors reach the
	// client without secrets.
	cat := testkit.TempFile(t, "catalog.yaml", "datasets:\n"+testkit.OrdersDataset("by_name", "postgres", "orders", "pw_source")+
		testkit.OrdersDataset("by_id", "postgres", "orders", dsnID))
	var logs testkit.SyncBuffer
	gw, err := startGatewayLogged(t, &logs, func(c *gateway.Config) {
		c.Catalog, c.StateDB, c.SecretKey = cat, stateDB, gateway.Secret(newKey)
	})
	if err != nil {
		t.Fatal(err)
	}
	// While the server runs, backup works and restore refuses.
	e.must("", "backup", "--to", filepath.Join(dir, "online.db"))
	if code, out := e.run("", "restore", "--from", backup); code == 0 || !strings.Contains(out, "in use") {
		t.Errorf("restore while serving: %d %s", code, out)
	}
	conn := connect(t, gw, "tenantA-key")
	var clientErrs []string
	for _, q := range []string{"SELECT city, total_revenue FROM by_name", "SELECT city, total_revenue FROM by_id"} {
		_, err := tryRows(conn, q)
		if err == nil {
			t.Errorf("%s: answered although the source is unreachable", q)
			continue
		}
		clientErrs = append(clientErrs, err.Error())
		var pe *pgconn.PgError
		if errors.As(err, &pe) && strings.HasPrefix(pe.Code, "XX") {
			t.Errorf("%s: %s is an XX code", q, pe.Code)
		}
	}
	all := e.all.String() + "\n" + logs.String() + "\n" + strings.Join(clientErrs, "\n")
	if !strings.Contains(logs.String(), "source opened") {
		t.Errorf("the gateway log does not show the sources opening:\n%s", logs.String())
	}
	testkit.NoSecrets(t, "CLI output, logs and client errors", all, secrets...)
}

// End to end against the machine's PostgreSQL: sources registered through the CLI (one by
// name with a password, one by id with transaction pooling, and SETU_POSTGRES_DSN as the
// default), a catalog naming them, and tenants querying through the gateway.
func TestPostgresSourcesEndToEnd(t *testing.T) {
	schema := testkit.PostgresSchema(t)
	adminDSN := testkit.PostgresDSN(t)
	if _, err := testkit.PostgresConn(t).Exec(testkit.Context(t), fmt.Sprintf(`CREATE TABLE %[1]s.orders (order_id text PRIMARY KEY, tenant_id text NOT NULL, city text NOT NULL, revenue double precision NOT NULL);
INSERT INTO %[1]s.orders VALUES
  ('o1', 'tenantA', 'Indore', 1000), ('o2', 'tenantA', 'Bhopal', 500), ('o3', 'tenantB', 'Indore', 250),
  ('o4', 'tenantB', 'Delhi', 1200), ('o5', 'default', 'Mumbai', 800), ('o6', 'default', 'Chennai', 600);`, schema)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pc, err := pgconn.ParseConfig(adminDSN)
	if err != nil {
		t.Fatal(err)
	}
	// With trust authentication the server never asks for the password; it must still be
	// stored, used and kept out of every output.
	password := pc.Password
	if password == "" {
		password = testkit.UniqueName("pw-unused-")
	}

	dir := t.TempDir()
	stateDB := filepath.Join(dir, "state.db")
	e := newCLIEnv(t, stateDB)
	key := e.keygen()
	e.env["UBI_SECRET_KEY"] = key
	e.env["PG_PASSWORD"] = password
	e.must("", "sources", "add", "sales", "--host", pc.Host, "--port", fmt.Sprint(pc.Port), "--database", pc.Database,
		"--user", pc.User, "--sslmode", "disable", "--option", "target_session_attrs=any", "--max-conns", "4", "--password-env", "PG_PASSWORD")
	e.env["PG_DSN"] = adminDSN
	out := e.must("", "sources", "add", "sales_pooled", "--dsn-env", "PG_DSN", "--transaction-pooling")
	pooledID := sourceIDPattern.FindStringSubmatch(out)[1]
	if out := e.must("", "sources", "test", "sales"); !strings.Contains(out, "ok, connected in") {
		t.Errorf("test: %s", out)
	}

	ref := schema + ".orders"
	cat := testkit.TempFile(t, "catalog.yaml", "datasets:\n"+testkit.OrdersDataset("pg_orders", "postgres", ref, "sales")+
		testkit.OrdersDataset("pooled_orders", "postgres", ref, pooledID)+
		testkit.OrdersDataset("default_orders", "postgres", ref, ""))
	var logs testkit.SyncBuffer
	gw, err := startGatewayLogged(t, &logs, func(c *gateway.Config) {
		c.Catalog, c.StateDB, c.SecretKey, c.PostgresDSN = cat, stateDB, gateway.Secret(key), gateway.Secret(adminDSN)
	})
	if err != nil {
		t.Fatal(err)
	}
	tenantA := connect(t, gw, "tenantA-key")
	tenantB := connect(t, gw, "tenantB-key")
	for _, ds := range []string{"pg_orders", "pooled_orders", "default_orders"} {
		q := "SELECT city, total_revenue, orders_count FROM " + ds + " ORDER BY city"
		if got := testkit.RowsText(t, tenantA, q); !equal(got, []string{"Bhopal|500|1", "Indore|1000|1"}) {
			t.Errorf("%s as tenantA: %v", ds, got)
		}
		if got := testkit.RowsText(t, tenantB, q); !equal(got, []string{"Delhi|1200|1", "Indore|250|1"}) {
			t.Errorf("%s as tenantB: %v", ds, got)
		}
	}
	// Extended protocol with a parameter, through the pooled (transaction-pooling) source.
	rows, err := tenantA.Query(ctx, "SELECT city, total_revenue FROM pooled_orders WHERE city = $1", pgx.QueryExecModeDescribeExec, "Indore")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var c string
		var v float64
		err := r.Scan(&c, &v)
		return fmt.Sprintf("%s|%v", c, v), err
	})
	if err != nil || !equal(got, []string{"Indore|1000"}) {
		t.Errorf("parameterised query: %v %v", got, err)
	}
	// The embedded engine still answers the demo-free catalog's non-dataset queries.
	if got := testkit.RowsText(t, tenantA, "SELECT 1"); !equal(got, []string{"1"}) {
		t.Errorf("SELECT 1: %v", got)
	}
	testkit.NoSecrets(t, "CLI output and logs", e.all.String()+"\n"+logs.String(), key, password, adminDSN)
}

// The secrets of the configuration come from the environment only and never print.
func TestConfigSecretsFromEnvironmentOnly(t *testing.T) {
	env := map[string]string{"UBI_SECRET_KEY": "key-Config-Secret", "SETU_POSTGRES_DSN": "postgres://u:dsn-Config-Secret@h/d", "SETU_STATE_DB": "/srv/state.db"}
	cfg, err := loadConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.SecretKey) != env["UBI_SECRET_KEY"] || string(cfg.PostgresDSN) != env["SETU_POSTGRES_DSN"] || cfg.StateDB != "/srv/state.db" {
		t.Errorf("config did not read the environment: state %q", cfg.StateDB)
	}
	var logs bytes.Buffer
	newLogger("DEBUG", &logs).Info("config", "cfg", cfg, "key", cfg.SecretKey)
	testkit.NoSecrets(t, "printed config", fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)+logs.String(), "Config-Secret")
	var usage bytes.Buffer
	if _, err := loadConfig([]string{"--ubi-secret-key", "x"}, func(string) string { return "" }, &usage); err == nil {
		t.Error("a secret was accepted as a flag")
	}
	if def, _ := loadConfig(nil, func(string) string { return "" }, io.Discard); def.StateDB != state.DefaultPath {
		t.Errorf("default state DB %q, want %q", def.StateDB, state.DefaultPath)
	}
}

// A registered DuckDB file is a source too, beside the embedded demo engine.
func TestDuckDBFileSource(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sales.duckdb")
	seed, err := duckdb.Open(context.Background(), duckdb.Config{Path: file, InitSQL: []string{`
CREATE TABLE sales (order_id VARCHAR, tenant_id VARCHAR, city VARCHAR, revenue DOUBLE);
INSERT INTO sales VALUES ('s1', 'tenantA', 'Pune', 70), ('s2', 'tenantA', 'Pune', 30), ('s3', 'tenantB', 'Goa', 5);`}})
	if err != nil {
		t.Fatal(err)
	}
	seed.Close()
	stateDB := filepath.Join(dir, "state.db")
	e := newCLIEnv(t, stateDB)
	e.must("", "sources", "add", "local", "--type", "duckdb", "--path", file)
	if out := e.must("", "sources", "test", "local"); !strings.Contains(out, "ok, connected in") {
		t.Errorf("test: %s", out)
	}
	cat := testkit.TempFile(t, "catalog.yaml", "datasets:\n"+testkit.OrdersDataset("local_sales", "duckdb", "sales", "local"))
	var logs testkit.SyncBuffer
	gw, err := startGatewayLogged(t, &logs, func(c *gateway.Config) { c.Catalog, c.StateDB = cat, stateDB })
	if err != nil {
		t.Fatal(err)
	}
	conn := connect(t, gw, "tenantA-key")
	if got := testkit.RowsText(t, conn, "SELECT city, total_revenue, orders_count FROM local_sales"); !equal(got, []string{"Pune|100|2"}) {
		t.Errorf("tenantA: %v", got)
	}
	// The registered file is its own source: the demo's orders table is not reachable there.
	if _, err := tryRows(conn, "SELECT city FROM orders"); err == nil {
		t.Error("a dataset absent from this catalog answered")
	}
}
