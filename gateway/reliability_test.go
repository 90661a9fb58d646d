package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"go.uber.org/goleak"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/internal/testkit"
)

// Reliability under faults (docs/reliability.md): clients that stop reading, vanish mid-query
// or never finish their startup; PostgreSQL sessions killed under load. Every gateway these
// tests start logs into suiteLogs, which TestMain scans for secrets once all tests ran.

// TestMain runs the package's tests, then fails them if any gateway log line held a secret or
// a goroutine outlived them.
func TestMain(m *testing.M) {
	code := m.Run()
	if hits := suiteLogs.hits(); len(hits) > 0 {
		fmt.Fprintf(os.Stderr, "SECRET IN LOGS: %d log writes held a secret:\n  %s\n", len(hits), strings.Join(hits, "\n  "))
		code = 1
	}
	// After a failure, goroutines a failed test left behind would only repeat it.
	if code == 0 {
		if err := lingeringGoroutines(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines outlived the tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// lingeringGoroutines is goleak.Find given up to d for goroutines that are still winding down:
// goleak's own retries last well under a second, and on a loaded machine an HTTP server a test
// closed may take longer to return. A goroutine still there after d is a leak.
func lingeringGoroutines(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := goleak.Find()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// secretScanner is the log sink of every test gateway: it keeps nothing but the writes that
// hold a known secret (redacted), so the whole suite's debug logs cost no memory.
type secretScanner struct {
	mu      sync.Mutex
	secrets []string
	found   []string
	writes  int
}

// suiteLogs is the scanner of this test binary; its secrets are the demo keys and what tests
// register.
var suiteLogs = func() *secretScanner {
	s := &secretScanner{}
	for _, k := range auth.DemoKeys() {
		s.secrets = append(s.secrets, k.Secret)
	}
	if dsn := os.Getenv(testkit.PostgresEnv); dsn != "" {
		if pc, err := pgconn.ParseConfig(dsn); err == nil && pc.Password != "" {
			s.secrets = append(s.secrets, pc.Password)
		}
	}
	return s
}()

// fernetShaped matches a Fernet key (32 bytes, URL-safe base64): no log line should hold one.
var fernetShaped = regexp.MustCompile(`(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}=`)

func (s *secretScanner) register(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets = append(s.secrets, secret)
}

func (s *secretScanner) Write(p []byte) (int, error) {
	text := string(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	for _, sec := range s.secrets {
		if strings.Contains(text, sec) {
			s.found = append(s.found, strings.ReplaceAll(text, sec, "<SECRET>"))
		}
	}
	if fernetShaped.MatchString(text) {
		s.found = append(s.found, "Fernet-shaped value in: "+fernetShaped.ReplaceAllString(text, "$1<KEY>"))
	}
	return len(p), nil
}

func (s *secretScanner) hits() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.found...)
}

// testLogger is the logger of test gateways: everything, debug included, into suiteLogs.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(suiteLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// The scanner itself: a secret written anywhere in a log line is caught, and so is a Fernet key.
func TestSecretScannerCatches(t *testing.T) {
	s := &secretScanner{secrets: []string{"tenantA-key"}}
	log := slog.New(slog.NewTextHandler(s, nil))
	log.Info("authentication failed", "user", "demo")
	if len(s.hits()) != 0 {
		t.Fatalf("false positive: %v", s.hits())
	}
	log.Info("oops", "password", "tenantA-key")
	log.Info("oops", "key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if h := s.hits(); len(h) != 2 || strings.Contains(strings.Join(h, ""), "tenantA-key") {
		t.Fatalf("hits %q", h)
	}
}

// rawLogin opens a socket to the gateway and logs in by hand; the caller then owns the bytes.
func rawLogin(t *testing.T, gw *Gateway, key string, readBuffer int) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	nc, err := net.Dial("tcp", gw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	if readBuffer > 0 {
		nc.(*net.TCPConn).SetReadBuffer(readBuffer)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "demo", "database": "setupranali"}})
	fe.Send(&pgproto3.PasswordMessage{Password: key})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if er, ok := msg.(*pgproto3.ErrorResponse); ok {
			t.Fatalf("login: %s %s", er.Code, er.Message)
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	nc.SetDeadline(time.Time{})
	return nc, fe
}

// A client that asks for a 100 MB result and stops reading after a few rows: the gateway does
// not buffer the result (its heap stays far below the result's size), its write times out, the
// connection ends (so the engine's execution has returned) and the gateway serves on.
func TestClientStopsReadingMidResult(t *testing.T) {
	dir := t.TempDir()
	initSQL := filepath.Join(dir, "init.sql")
	testkit.WriteFile(t, initSQL, "CREATE TABLE wide AS SELECT range AS id, 'tenantA' AS tenant_id, repeat('x', 500) AS pad FROM range(200000);")
	cat := filepath.Join(dir, "catalog.yaml")
	testkit.WriteFile(t, cat, `datasets:
  - id: wide
    source: {reference: wide}
    fields: [{name: id, type: int64}, {name: tenant_id, type: string}, {name: pad, type: string}]
    dimensions: [{name: id}, {name: pad}]
    metrics: [{name: n, expression: {agg: count}}]
    rls: {enabled: true, column: tenant_id}
`)
	gw := startTestGateway(t, func(c *Config) {
		c.Catalog, c.DuckDBInit, c.MaxRows = cat, initSQL, 0
		c.WriteTimeout = time.Second
	})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	nc, fe := rawLogin(t, gw, "tenantA-key", 4096)
	fe.Send(&pgproto3.Query{String: "SELECT id, pad FROM wide"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	for rows := 0; rows < 10; {
		msg, err := fe.Receive()
		if err != nil {
			t.Fatalf("reading the first rows: %v", err)
		}
		if _, ok := msg.(*pgproto3.DataRow); ok {
			rows++
		}
	}
	// Now the client reads nothing more.
	var peak uint64
	testkit.Eventually(t, "the gateway to drop the client that stopped reading", func() bool {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
		return gw.server.Connections() == 0
	})
	if grew := int64(peak) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("the heap grew by %d MiB while the client did not read a 100 MB result", grew>>20)
	}
	conn := connect(t, gw, "tenantA-key")
	if got := testkit.RowsText(t, conn, "SELECT n FROM wide"); !equal(got, []string{"200000"}) {
		t.Errorf("after the stalled client the gateway answered %v", got)
	}
}

// A client that vanishes while its query runs: the engine query is cancelled at once (the
// connection could not end while DuckDB still ran a join that would take hours).
func TestClientDisconnectsMidQuery(t *testing.T) {
	gw := startBigGateway(t, time.Hour)
	nc, fe := rawLogin(t, gw, "tenantA-key", 0)
	fe.Send(&pgproto3.Query{String: "SELECT count(*) FROM big a, big b, big c WHERE a.id + b.id + c.id = -1"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let it reach the engine; the check holds either way
	nc.Close()
	testkit.Eventually(t, "the gateway to end the connection of the vanished client", func() bool {
		return gw.server.Connections() == 0
	})
	conn := connect(t, gw, "tenantA-key")
	if got := testkit.RowsText(t, conn, "SELECT n FROM big"); !equal(got, []string{"200000"}) {
		t.Errorf("after the vanished client the gateway answered %v", got)
	}
}

// A client that connects and never finishes its startup is dropped after the startup timeout,
// whether it sent nothing, half a packet, or stopped before the password.
func TestStartupNeverFinishes(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) { c.StartupTimeout = time.Second })
	startup, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "demo"}}).Encode(nil)
	for name, sent := range map[string][]byte{"nothing": nil, "half a packet": startup[:6], "no password": startup} {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", gw.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := nc.Write(sent); err != nil {
				t.Fatal(err)
			}
			nc.SetReadDeadline(time.Now().Add(60 * time.Second))
			buf := make([]byte, 4096)
			for {
				_, err := nc.Read(buf)
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the gateway still holds a connection that never finished its startup")
				}
				if err != nil {
					break
				}
			}
		})
	}
	testkit.Eventually(t, "the stalled connections to be forgotten", func() bool { return gw.server.Connections() == 0 })
}

// The settings of the limits reach the gateway, and the real planner checks the idle timeouts'
// values as PostgreSQL does.
func TestLimitSettings(t *testing.T) {
	env := map[string]string{
		"SETU_MAX_QUERIES_PER_KEY": "3", "SETU_MAX_MESSAGE_BYTES": "65536", "SETU_STARTUP_TIMEOUT_SECONDS": "5",
		"SETU_WRITE_TIMEOUT_SECONDS": "7", "SETU_IDLE_SESSION_TIMEOUT_SECONDS": "600", "SETU_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS": "60",
	}
	cfg, err := configFromEnv(env)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.LimitsConfig
	if got.MaxQueriesPerKey != 3 || got.MaxMessageBytes != 65536 || got.StartupTimeout != 5*time.Second ||
		got.WriteTimeout != 7*time.Second || got.IdleSessionTimeout != 10*time.Minute || got.IdleInTransactionLimit != time.Minute {
		t.Errorf("loaded %+v", got)
	}
	for k, bad := range map[string]string{"SETU_MAX_QUERIES_PER_KEY": "-1", "SETU_MAX_MESSAGE_BYTES": "10", "SETU_WRITE_TIMEOUT_SECONDS": "0"} {
		if _, err := configFromEnv(map[string]string{k: bad}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: got %v", k, bad, err)
		}
	}

	gw := startTestGateway(t, func(c *Config) { c.MaxMessageBytes = 4096; c.IdleSessionTimeout = time.Hour })
	conn := connect(t, gw, "tenantA-key")
	pg := conn.PgConn()
	checkSettingSteps(t, pg, []settingStep{
		{"SET idle_session_timeout = '90s'", ""},
		{"SHOW idle_session_timeout", "90s"},
		{"SET idle_in_transaction_session_timeout = 60000", ""},
		{"SHOW idle_in_transaction_session_timeout", "1min"},
	})
	if _, err := pg.Exec(context.Background(), "SET idle_session_timeout = 'soon'").ReadAll(); err == nil || !strings.Contains(err.Error(), "22023") {
		t.Errorf("a malformed idle_session_timeout: got %v, want 22023", err)
	}
	// SETU_MAX_MESSAGE_BYTES: a longer query ends the connection with 08P01.
	_, err = tryRows(conn, "SELECT city FROM orders WHERE city <> '"+strings.Repeat("x", 5000)+"'")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "08P01" || pe.Severity != "FATAL" {
		t.Errorf("an oversized message: got %v, want FATAL 08P01", err)
	}
}

// longQuery is a query on the big table that runs until stopped, holding its key's query slot.
type longQuery struct {
	conn   *pgx.Conn
	ctx    context.Context
	cancel context.CancelFunc
	done   chan error
}

func startLongQuery(conn *pgx.Conn) *longQuery {
	ctx, cancel := context.WithCancel(context.Background())
	q := &longQuery{conn: conn, ctx: ctx, cancel: cancel, done: make(chan error, 1)}
	q.start()
	return q
}

func (q *longQuery) start() {
	go func() {
		_, err := q.conn.Exec(q.ctx, "SELECT count(*) FROM big a, big b, big c WHERE a.id + b.id + c.id = -1")
		q.done <- err
	}()
}

// restartIfRefused starts the query again when it ended refused with 53400: a probe held the
// key's one slot when it arrived. Any other end fails the test.
func (q *longQuery) restartIfRefused(t *testing.T) {
	t.Helper()
	select {
	case err := <-q.done:
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "53400" {
			t.Fatalf("the long query ended with %v", err)
		}
		q.start()
	default:
	}
}

// stop cancels the query and returns how it ended.
func (q *longQuery) stop() error {
	q.cancel()
	return <-q.done
}

// SETU_MAX_QUERIES_PER_KEY through the real engine: with one query of tenantA's running, a
// second of the same key is refused with 53400 and the session goes on; another key's query
// runs; once the first ends, the key may query again.
func TestMaxQueriesPerKeyGateway(t *testing.T) {
	gw := startBigGateway(t, time.Hour, func(c *Config) { c.MaxQueriesPerKey = 1 })
	busy := connect(t, gw, "tenantA-key")
	other := connect(t, gw, "tenantA-key")
	admin := connect(t, gw, "dev-key-123")

	long := startLongQuery(busy)
	var refused *pgconn.PgError
	attempt := 0
	testkit.Eventually(t, "a second query of the key to be refused", func() bool {
		long.restartIfRefused(t)
		// A new statement each time: a cached answer (of an attempt that ran before the long
		// query took the key's slot) would never reach the cap.
		attempt++
		_, err := tryRows(other, fmt.Sprintf("SELECT n FROM big WHERE id <> -%d", attempt))
		return errors.As(err, &refused) && refused.Code == "53400"
	})
	if refused.Severity != "ERROR" || !strings.Contains(refused.Message, "too many concurrent queries for API key demo-tenantA") {
		t.Errorf("refusal: %s %s %q", refused.Severity, refused.Code, refused.Message)
	}
	if _, err := tryRows(admin, "SELECT n FROM big"); err != nil {
		t.Errorf("another key was refused too: %v", err)
	}
	if err := long.stop(); err == nil {
		t.Error("the cancelled query succeeded")
	}
	testkit.Eventually(t, "the key to be admitted again", func() bool {
		got, err := tryRows(other, "SELECT n FROM big")
		return err == nil && equal(got, []string{"200000"})
	})
}

// pgGateway loads the demo orders and a big table into a fresh PostgreSQL schema and starts a
// gateway whose datasets live there (SETU_POSTGRES_DSN, with an application_name of the test's
// own so its sessions can be found). It returns the gateway, an admin connection and the name.
func pgGateway(t *testing.T, mutate ...func(*Config)) (*Gateway, *pgx.Conn, string) {
	t.Helper()
	dsn := testkit.PostgresDSN(t)
	ctx := testkit.Context(t)
	schema := testkit.PostgresSchema(t)
	admin := testkit.PostgresConn(t)
	// The demo's orders and the customers they join to (gateway/demo.sql), both on PostgreSQL:
	// one query reads one source.
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE TABLE %[1]s.customers (customer_id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL,
  region text NOT NULL, segment text NOT NULL);
INSERT INTO %[1]s.customers VALUES
  ('c1', 'tenantA', 'Malwa Traders', 'Central', 'retail'), ('c2', 'tenantA', 'Narmada Foods', 'Central', 'wholesale'),
  ('c3', 'tenantB', 'Yamuna Stores', 'North', 'retail'), ('c4', 'tenantB', 'Capital Wholesale', 'North', 'wholesale'),
  ('c5', 'default', 'Harbour Supplies', 'West', 'wholesale'), ('c6', 'default', 'Marina Textiles', 'South', 'retail');
CREATE TABLE %[1]s.orders (order_id text PRIMARY KEY, tenant_id text NOT NULL, order_date date NOT NULL, city text NOT NULL,
  revenue double precision NOT NULL, quantity bigint NOT NULL, customer_id text NOT NULL REFERENCES %[1]s.customers);
INSERT INTO %[1]s.orders VALUES
  ('o1', 'tenantA', '2025-12-01', 'Indore', 1000, 2, 'c1'), ('o2', 'tenantA', '2025-12-01', 'Bhopal', 500, 1, 'c1'),
  ('o3', 'tenantB', '2025-12-02', 'Indore', 250, 1, 'c3'), ('o4', 'tenantB', '2025-12-03', 'Delhi', 1200, 3, 'c3'),
  ('o5', 'default', '2025-12-02', 'Mumbai', 800, 2, 'c5'), ('o6', 'default', '2025-12-03', 'Chennai', 600, 1, 'c6');
CREATE TABLE %[1]s.big AS SELECT g AS id, 'tenantA'::text AS tenant_id FROM generate_series(1, 20000) g;`, schema)); err != nil {
		t.Fatal(err)
	}
	app := schema
	t.Cleanup(func() {
		ctx := context.Background()
		// Before testkit drops the schema: the gateway's sessions would hold it.
		admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", app)
	})
	catalogText, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pgCatalog := strings.ReplaceAll(string(catalogText), "engine: duckdb", "engine: postgres")
	pgCatalog = strings.Replace(pgCatalog, "reference: orders", "reference: "+schema+".orders", 1)
	pgCatalog = strings.Replace(pgCatalog, "reference: customers", "reference: "+schema+".customers", 1)
	pgCatalog += fmt.Sprintf(`  - id: big
    source: {engine: postgres, reference: %s.big}
    fields: [{name: id, type: int64}, {name: tenant_id, type: string}]
    dimensions: [{name: id}]
    metrics: [{name: n, expression: {agg: count}}]
    rls: {enabled: true, column: tenant_id}
`, schema)
	cat := filepath.Join(t.TempDir(), "catalog.yaml")
	testkit.WriteFile(t, cat, pgCatalog)
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(pc.ConnString(), "?") {
		sep = "&"
	}
	gwDSN := pc.ConnString() + sep + "application_name=" + app
	gw := startTestGateway(t, append([]func(*Config){func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(gwDSN) }}, mutate...)...)
	return gw, admin, app
}

// A client that vanishes while its query runs on PostgreSQL: the gateway cancels the statement
// on the PostgreSQL side (pg_stat_activity no longer shows it running).
func TestPostgresClientDisconnectsMidQuery(t *testing.T) {
	gw, admin, app := pgGateway(t, func(c *Config) { c.QueryTimeout = time.Hour })
	nc, fe := rawLogin(t, gw, "tenantA-key", 0)
	fe.Send(&pgproto3.Query{String: "SELECT count(*) FROM big a, big b, big c WHERE a.id + b.id + c.id = -1"})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	active := func() int {
		var n int
		if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'", app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	testkit.Eventually(t, "the query to run on PostgreSQL", func() bool { return active() > 0 })
	nc.Close()
	testkit.Eventually(t, "PostgreSQL to stop the vanished client's query", func() bool { return active() == 0 })
	testkit.Eventually(t, "the gateway to end the connection", func() bool { return gw.server.Connections() == 0 })
}

// PostgreSQL sessions of the gateway killed under load (pg_terminate_backend, as a restart of
// the source would): queries caught by it fail with a clean 08xxx/57P01 error, client
// connections stay up, and queries succeed again without restarting the gateway.
func TestPostgresSessionsKilledUnderLoad(t *testing.T) {
	gw, admin, app := pgGateway(t)
	goroutinesBefore := runtime.NumGoroutine()
	const workers = 8
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		okCount  int
		failures = map[string]int{}
		bad      []string
	)
	conns := make([]*pgx.Conn, workers)
	for i := range conns {
		conns[i] = connect(t, gw, []string{"tenantA-key", "tenantB-key"}[i%2])
	}
	for i, conn := range conns {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				// Varied text: no cache may answer in PostgreSQL's place.
				_, err := tryRows(conn, fmt.Sprintf("SELECT city, total_revenue FROM orders WHERE city <> 'w%d-%d' ORDER BY city", i, n))
				mu.Lock()
				var pe *pgconn.PgError
				switch {
				case err == nil:
					okCount++
				case errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01"):
					failures[pe.Code]++
				default:
					bad = append(bad, err.Error())
				}
				mu.Unlock()
			}
		})
	}
	testkit.Eventually(t, "the load to start", func() bool { mu.Lock(); defer mu.Unlock(); return okCount > 50 })
	killed := 0
	for range 5 {
		var n int
		if err := admin.QueryRow(context.Background(),
			"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		killed += n
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	okAtKill := okCount
	mu.Unlock()
	testkit.Eventually(t, "queries to succeed again", func() bool { mu.Lock(); defer mu.Unlock(); return okCount > okAtKill+100 })
	stop.Store(true)
	wg.Wait()
	t.Logf("killed %d PostgreSQL sessions; %d queries ok, failures by SQLSTATE %v", killed, okCount, failures)
	if killed == 0 {
		t.Fatal("no session of the gateway was found to kill")
	}
	if len(bad) > 0 {
		t.Errorf("%d queries failed without a clean 08xxx/57P01 error, e.g. %s", len(bad), bad[0])
	}
	for i, conn := range conns {
		if conn.IsClosed() {
			t.Errorf("client connection %d was dropped", i)
		}
	}
	// Every client still works.
	for _, conn := range conns {
		if _, err := tryRows(conn, "SELECT city FROM orders"); err != nil {
			t.Errorf("after recovery: %v", err)
		}
	}
	for _, conn := range conns {
		conn.Close(context.Background())
	}
	testkit.Eventually(t, "the gateway's goroutines to come back down", func() bool {
		return runtime.NumGoroutine() <= goroutinesBefore+5
	})
}

// The hostile-SQL corpus with the demo dataset on PostgreSQL instead of the embedded DuckDB.
func TestHostileCorpusPostgres(t *testing.T) {
	gw, _, _ := pgGateway(t, func(c *Config) { c.QueryTimeout = 2 * time.Second })
	runHostileCorpus(t, gw, true)
}

// duckDBOnly are the parts of the differential data file PostgreSQL spells differently.
var duckDBOnly = strings.NewReplacer("SET threads = 1;", "", "DOUBLE", "DOUBLE PRECISION")

// The tenant differential test with every gateway on PostgreSQL: the data, and each tenant's
// part of it, in schemas of their own. It runs fewer queries than the DuckDB one (500 unless
// -isolation.queries asks for fewer).
func TestDifferentialIsolationPostgres(t *testing.T) {
	dsn := testkit.PostgresDSN(t)
	catText, err := os.ReadFile(differentialCatalog)
	if err != nil {
		t.Fatal(err)
	}
	if n := *isolationQueries; n > 500 {
		*isolationQueries = 500
		t.Cleanup(func() { *isolationQueries = n })
	}
	differentialIsolation(t, func(t *testing.T, dataFile string) *Gateway {
		data, err := os.ReadFile(dataFile)
		if err != nil {
			t.Fatal(err)
		}
		schema := testkit.PostgresSchema(t)
		if _, err := testkit.PostgresConn(t).Exec(testkit.Context(t), "SET search_path TO "+schema+"; "+
			duckDBOnly.Replace(string(data))+"; RESET search_path"); err != nil {
			t.Fatalf("loading %s into PostgreSQL: %v", filepath.Base(dataFile), err)
		}
		text := strings.ReplaceAll(string(catText), "engine: duckdb", "engine: postgres")
		text = strings.ReplaceAll(text, "reference: sales", "reference: "+schema+".sales")
		cat := filepath.Join(t.TempDir(), "catalog.yaml")
		testkit.WriteFile(t, cat, text)
		return startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(dsn) })
	})
}
