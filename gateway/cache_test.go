package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine/rediscache"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/ratelimit"
)

const revenueByCity = "SELECT city, total_revenue FROM orders ORDER BY city"

// redisPrefix is a key prefix unique to this test; the keys under it are deleted when it ends.
func redisPrefix(t *testing.T, url string) (string, *rediscache.Client) {
	t.Helper()
	prefix := testkit.RedisPrefix()
	rc, err := rediscache.Open(rediscache.Config{URL: url, Prefix: prefix, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := rc.DeletePrefix(context.Background()); err != nil {
			t.Errorf("deleting test keys: %v", err)
		}
		rc.Close()
	})
	return prefix, rc
}

// withRedis points a test gateway at Redis under prefix.
func withRedis(url, prefix string) func(*Config) {
	return func(c *Config) {
		c.RedisURL = Secret(url)
		c.RedisPrefix = prefix
		// Correctness tests must not fall into degraded mode on a slow (race-detector) run;
		// TestCacheRedisStoppedUnderLoad covers that.
		c.RedisTimeout = 2 * time.Second
	}
}

// debugConn connects with SET setupranali.debug = on; the returned func returns and clears the
// cache outcomes the notices reported.
func debugConn(t *testing.T, gw *Gateway, key string, mode ...pgx.QueryExecMode) (*pgx.Conn, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var notes []string
	cfg, err := pgx.ParseConfig(connString(gw, key))
	if err != nil {
		t.Fatal(err)
	}
	if len(mode) > 0 {
		cfg.DefaultQueryExecMode = mode[0]
	}
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if v, ok := strings.CutPrefix(n.Message, "setupranali: result cache "); ok {
			mu.Lock()
			notes = append(notes, v)
			mu.Unlock()
		}
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "SET setupranali.debug = on"); err != nil {
		t.Fatal(err)
	}
	return conn, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := notes
		notes = nil
		return out
	}
}

// outcome runs sql and returns its rows and the cache outcome its notice reported.
func outcome(t *testing.T, conn *pgx.Conn, notes func() []string, sql string, args ...any) ([]string, string) {
	t.Helper()
	rows, err := tryRows(conn, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	n := notes()
	if len(n) != 1 {
		t.Fatalf("%s: cache notices %v, want one", sql, n)
	}
	return rows, n[0]
}

// typedRows reads a result with its column types and values as pgx decodes them.
func typedRows(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for _, fd := range rows.FieldDescriptions() {
		fmt.Fprintf(&b, "%s:%d:%d:%d ", fd.Name, fd.DataTypeOID, fd.DataTypeSize, fd.Format)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n%#v", vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCacheHitAfterMiss(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, _ := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix))
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheDescribe} {
		conn, notes := debugConn(t, gw, "tenantA-key", mode)
		// Binary results in the extended protocol: numeric, text, and a date.
		sql := "SELECT city, total_revenue, orders_count FROM orders WHERE city <> 'x' ORDER BY city"
		first := typedRows(t, conn, sql)
		if n := notes(); len(n) != 1 || n[0] != "miss" {
			t.Fatalf("mode %v: first run %v, want miss", mode, n)
		}
		second := typedRows(t, conn, sql)
		if n := notes(); len(n) != 1 || n[0] != "hit" {
			t.Fatalf("mode %v: second run %v, want hit", mode, n)
		}
		if first != second {
			t.Errorf("mode %v: hit differs from miss:\nmiss %s\nhit  %s", mode, first, second)
		}
		if !strings.Contains(first, "Bhopal") || strings.Contains(first, "Delhi") {
			t.Errorf("mode %v: tenantA's rows wrong: %s", mode, first)
		}
	}
	if st := gw.cache.Cache.Stats(); st.Hits != 2 || st.Misses != 2 || st.StoreErrors != 0 {
		t.Errorf("stats %+v, want 2 hits, 2 misses", st)
	}
}

// cachedKeys counts the result entries under the test's prefix.
func cachedKeys(t *testing.T, rc *rediscache.Client) int {
	t.Helper()
	n := 0
	iter := rc.Redis().Scan(context.Background(), 0, rc.Prefix()+"r:*", 100).Iterator()
	for iter.Next(context.Background()) {
		n++
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCacheSeparatesPrincipals(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, rc := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix))
	// Same tenant "default" for the last two, but admin bypasses the tenant filter: role counts.
	want := map[string][]string{
		"tenantA-key":      {"Bhopal|500", "Indore|1000"},
		"tenantB-key":      {"Delhi|1200", "Indore|250"},
		"readonly-key-456": {"Chennai|600", "Mumbai|800"},
		"dev-key-123":      {"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|1250", "Mumbai|800"},
	}
	order := []string{"tenantA-key", "tenantB-key", "readonly-key-456", "dev-key-123"}
	for round, expect := range []string{"miss", "hit"} {
		for _, key := range order {
			conn, notes := debugConn(t, gw, key)
			rows, got := outcome(t, conn, notes, revenueByCity)
			if got != expect {
				t.Errorf("round %d, %s: %s, want %s", round, key, got, expect)
			}
			if !equal(rows, want[key]) {
				t.Errorf("round %d, %s: rows %v, want %v", round, key, rows, want[key])
			}
		}
	}
	if n := cachedKeys(t, rc); n != 4 {
		t.Errorf("%d entries in Redis, want one per principal (4)", n)
	}
}

func TestCacheCatalogChangeInvalidates(t *testing.T) {
	gw := startTestGateway(t)
	conn, notes := debugConn(t, gw, "tenantA-key")
	outcome(t, conn, notes, revenueByCity)
	if _, got := outcome(t, conn, notes, revenueByCity); got != "hit" {
		t.Fatalf("before the change: %s, want hit", got)
	}
	data, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), "description: Customer orders, one row per order.", "description: Changed.", 1)
	cat, err := catalog.Load([]byte(changed), "changed")
	if err != nil {
		t.Fatal(err)
	}
	if cat.Version() == gw.planner.Catalog().Version() {
		t.Fatal("the change does not change the catalog version")
	}
	gw.planner.SetCatalog(cat)
	if _, got := outcome(t, conn, notes, revenueByCity); got != "miss" {
		t.Errorf("after a catalog change: %s, want miss", got)
	}
	if _, got := outcome(t, conn, notes, revenueByCity); got != "hit" {
		t.Errorf("again after the change: %s, want hit", got)
	}
}

func TestCacheTTLExpiry(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, rc := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix), func(c *Config) { c.CacheTTL = time.Second })
	conn, notes := debugConn(t, gw, "tenantA-key")
	outcome(t, conn, notes, revenueByCity)
	if _, got := outcome(t, conn, notes, revenueByCity); got != "hit" {
		t.Fatalf("within the TTL: %s, want hit", got)
	}
	// Wait for Redis to expire the entry (its TTL is CACHE_TTL_SECONDS), then the query misses.
	testkit.Eventually(t, "Redis to expire the cached entry", func() bool { return cachedKeys(t, rc) == 0 })
	if _, got := outcome(t, conn, notes, revenueByCity); got != "miss" {
		t.Errorf("after the TTL: %s, want miss", got)
	}
}

func TestCacheMaxRowsStreamsUncached(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, rc := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix), func(c *Config) { c.CacheMaxRows = 2 })
	admin, notes := debugConn(t, gw, "dev-key-123")
	for range 2 {
		rows, got := outcome(t, admin, notes, revenueByCity)
		if got != "bypass" || len(rows) != 5 {
			t.Fatalf("5 rows with CACHE_MAX_ROWS 2: %s with %d rows, want bypass with all 5", got, len(rows))
		}
	}
	if n := cachedKeys(t, rc); n != 0 {
		t.Errorf("%d entries stored for a result over CACHE_MAX_ROWS", n)
	}
	tenant, notes := debugConn(t, gw, "tenantA-key")
	outcome(t, tenant, notes, revenueByCity)
	if _, got := outcome(t, tenant, notes, revenueByCity); got != "hit" {
		t.Errorf("2 rows with CACHE_MAX_ROWS 2: %s, want hit", got)
	}
}

func TestCacheSingleFlightGateway(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, _ := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix))
	const n = 12
	conns := make([]*pgx.Conn, n)
	for i := range conns {
		conns[i] = connect(t, gw, "tenantB-key")
	}
	before := gw.cache.Cache.Stats()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for _, conn := range conns {
		wg.Go(func() {
			<-start
			rows, err := tryRows(conn, "SELECT city, orders_count FROM orders ORDER BY 1")
			if err == nil && len(rows) != 2 {
				err = fmt.Errorf("rows %v", rows)
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := gw.cache.Cache.Stats()
	if misses := after.Misses - before.Misses; misses != 1 {
		t.Errorf("%d identical queries ran on the engine %d times, want once (before %+v, after %+v)", n, misses, before, after)
	}
	if served := after.Hits + after.Shared - before.Hits - before.Shared; served != n-1 {
		t.Errorf("%d served from the cache or a shared flight, want %d", served, n-1)
	}
}

func TestCacheDisabled(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) { c.CacheEnabled = false })
	conn, notes := debugConn(t, gw, "tenantA-key")
	for range 2 {
		testkit.RowsText(t, conn, revenueByCity)
	}
	if n := notes(); len(n) != 0 {
		t.Errorf("CACHE_ENABLED=false: notices %v, want none", n)
	}
	if gw.cache.Cache != nil {
		t.Error("a cache exists with CACHE_ENABLED=false")
	}
}

func TestCachePurge(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, rc := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix))
	conn, notes := debugConn(t, gw, "tenantA-key")
	outcome(t, conn, notes, revenueByCity)
	// What 'setupranali cache purge' does from another process: a client of the same Redis and
	// prefix (the command's own output is tested in cmd/setupranali).
	other, err := rediscache.Open(rediscache.Config{URL: url, Prefix: prefix, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	purge := func(dataset string) int64 {
		n, err := other.Purge(context.Background(), dataset)
		if err != nil {
			t.Fatalf("purge %q: %v", dataset, err)
		}
		return n
	}
	if n := purge("customers"); n != 0 {
		t.Errorf("purging another dataset: %d", n)
	}
	if _, got := outcome(t, conn, notes, revenueByCity); got != "hit" {
		t.Errorf("after purging another dataset: %s, want hit", got)
	}
	if n := purge("orders"); n != 1 {
		t.Errorf("purging orders: %d, want 1", n)
	}
	if _, got := outcome(t, conn, notes, revenueByCity); got != "miss" {
		t.Errorf("after purging orders: %s, want miss", got)
	}
	outcome(t, conn, notes, "SELECT city FROM orders ORDER BY 1")
	if n := purge(""); n != 2 {
		t.Errorf("purging all: %d, want 2", n)
	}
	if n := cachedKeys(t, rc); n != 0 {
		t.Errorf("%d entries left after purging all", n)
	}
	// The exported purge of a running gateway (the admin endpoint's).
	outcome(t, conn, notes, revenueByCity)
	if n, err := gw.cache.Purge(context.Background(), "orders"); err != nil || n != 1 {
		t.Errorf("gateway purge: %d, %v", n, err)
	}
}

func TestCachePurgeInProcess(t *testing.T) {
	gw := startTestGateway(t)
	conn, notes := debugConn(t, gw, "tenantA-key")
	outcome(t, conn, notes, revenueByCity)
	if n, err := gw.cache.Purge(context.Background(), "orders"); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	if _, got := outcome(t, conn, notes, revenueByCity); got != "miss" {
		t.Errorf("after purge: %s, want miss", got)
	}
}

// rateLimited checks err is the 53400 refusal with a retry delay.
func rateLimited(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53400" && strings.Contains(pe.Message, "retry in ")
}

// pg wire has its own rate class (SETU_RATE_LIMIT_PGWIRE): the HTTP API's RATE_LIMIT_QUERY
// does not apply to it, and only executions that reach an engine are charged, so a dashboard
// refreshed from the result cache never runs out of budget.
func TestRateLimitPGWire(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) {
		c.RateLimitEnabled = true
		c.RateLimitPG = ratelimit.Rate{N: 3, Per: time.Hour}
		c.RateLimitQuery = ratelimit.Rate{N: 1, Per: time.Hour}
	})
	conn := connect(t, gw, "tenantA-key")
	// What BI tools send on connect does not count: session and catalog statements.
	for _, sql := range []string{
		"SET application_name = 'x'", "SHOW server_version", "SELECT 1", "SELECT version()",
		"SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname = 'orders'",
		"SELECT table_name FROM information_schema.tables WHERE table_name = 'orders'",
	} {
		for range 2 {
			if _, err := tryRows(conn, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
	}
	// A dashboard tile refreshed twenty times: one engine run, nineteen cache hits.
	for i := range 20 {
		if _, err := tryRows(conn, revenueByCity); err != nil {
			t.Fatalf("refresh %d of a cached query: %v", i+1, err)
		}
	}
	// Two more distinct queries reach the engine: the budget of 3 is spent.
	for _, sql := range []string{"SELECT city FROM orders ORDER BY 1", "SELECT orders_count FROM orders"} {
		if _, err := tryRows(conn, sql); err != nil {
			t.Fatalf("%s within the limit: %v", sql, err)
		}
	}
	_, err := tryRows(conn, "SELECT city, orders_count FROM orders ORDER BY 1")
	if !rateLimited(err) {
		t.Fatalf("4th uncached query of 3/hour: %v, want 53400 with the retry delay", err)
	}
	var pe *pgconn.PgError
	errors.As(err, &pe)
	if !strings.Contains(pe.Message, "3 queries per hour per API key") || !strings.Contains(pe.Hint, "SETU_RATE_LIMIT_PGWIRE=3/hour") {
		t.Errorf("message %q hint %q do not state the limit and its setting", pe.Message, pe.Hint)
	}
	// Cached answers are still served, and the connection stays usable.
	if rows, err := tryRows(conn, revenueByCity); err != nil || len(rows) == 0 {
		t.Errorf("cached query after the budget is spent: %v %v", rows, err)
	}
	if rows, err := tryRows(conn, "SELECT 1"); err != nil || len(rows) != 1 {
		t.Errorf("after a refusal: %v %v", rows, err)
	}
	// Extended protocol too.
	ext, _ := debugConn(t, gw, "tenantA-key", pgx.QueryExecModeCacheDescribe)
	if _, err := tryRows(ext, "SELECT city FROM orders WHERE city = $1", "Indore"); !rateLimited(err) {
		t.Errorf("extended query past the limit: %v, want 53400", err)
	}
	if rows, err := tryRows(ext, "SELECT 2"); err != nil || len(rows) != 1 {
		t.Errorf("after an extended refusal: %v %v", rows, err)
	}
	// Another key has its own budget.
	other := connect(t, gw, "tenantB-key")
	if _, err := tryRows(other, "SELECT city FROM orders ORDER BY 1"); err != nil {
		t.Errorf("another key: %v", err)
	}
	if st := gw.cache.Limiter.Stats(); st.Rejections != 2 {
		t.Errorf("rejections metric %d, want 2 (one simple, one extended)", st.Rejections)
	}
}

// privateRedis runs a redis-server of its own on a free port, without persistence.
type privateRedis struct {
	t    *testing.T
	port string
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T, port string) *privateRedis {
	t.Helper()
	if port == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ = net.SplitHostPort(ln.Addr().String())
		ln.Close()
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("SETU_REQUIRE_CLIENTS") != "" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &privateRedis{t: t, port: port, cmd: cmd}
	t.Cleanup(r.stop)
	// Ready when it answers PING (a server that exited never does: the wait fails by its bound).
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1})
	defer rdb.Close()
	testkit.Eventually(t, "redis-server on port "+port+" to answer PING", func() bool {
		return rdb.Ping(context.Background()).Err() == nil
	})
	return r
}

func (r *privateRedis) url() string { return "redis://127.0.0.1:" + r.port + "/0" }

// stop kills the server (SIGKILL: Redis dies as in a crash) and waits for it.
func (r *privateRedis) stop() {
	if r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// TestCacheRedisStoppedUnderLoad: Redis dies while queries run; not one query fails, and caching
// resumes once Redis is back.
func TestCacheRedisStoppedUnderLoad(t *testing.T) {
	testkit.RedisURL(t)
	rs := startPrivateRedis(t, "")
	gw := startTestGateway(t, withRedis(rs.url(), "setutest:load:"), func(c *Config) {
		c.RedisTimeout = 500 * time.Millisecond
		c.RateLimitEnabled = true // the limiter falls back too; a generous rate keeps it out of the way
		c.RateLimitPG = ratelimit.Rate{N: 1000000, Per: time.Second}
	})
	queries := []string{
		revenueByCity,
		"SELECT city, orders_count FROM orders ORDER BY 1",
		"SELECT total_revenue FROM orders",
		"SELECT city FROM orders WHERE city <> 'Delhi' ORDER BY 1",
	}
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	// A wait that gives up ends the test early: stop the workers then too.
	halt := sync.OnceFunc(func() { close(stop) })
	t.Cleanup(halt)
	var wg sync.WaitGroup
	for w := range 6 {
		conn := connect(t, gw, []string{"tenantA-key", "tenantB-key", "dev-key-123"}[w%3])
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := tryRows(conn, queries[(i+w)%len(queries)]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else {
					ok.Add(1)
				}
			}
		})
	}
	waitFor := func(n int64) {
		target := ok.Load() + n
		testkit.Eventually(t, fmt.Sprintf("%d more queries to succeed", n), func() bool {
			return ok.Load() >= target || failed.Load() != 0
		})
	}
	waitFor(200)
	if gw.cache.Cache.Stats().Hits == 0 {
		t.Error("no cache hits before Redis stopped")
	}
	rs.stop()
	waitFor(300)
	downErrors := gw.cache.Cache.Stats().StoreErrors
	if downErrors == 0 {
		t.Error("no store error counted while Redis was down")
	}
	rs = startPrivateRedis(t, rs.port)
	// Caching resumes: a fresh result is stored in the new Redis and served from it.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + rs.port})
	defer rdb.Close()
	testkit.Eventually(t, "a result stored in the restarted Redis", func() bool {
		n, _ := rdb.DBSize(context.Background()).Result()
		return n > 0 && gw.cache.Cache.Stats().Hits > 0
	})
	hits := gw.cache.Cache.Stats().Hits
	testkit.Eventually(t, "a cache hit served by the restarted Redis", func() bool { return gw.cache.Cache.Stats().Hits != hits })
	halt()
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of %d queries failed while Redis went away and came back; first: %v", failed.Load(), failed.Load()+ok.Load(), firstErr.Load())
	}
	t.Logf("%d queries, none failed; %d store errors while Redis was down", ok.Load(), downErrors)
}

// TestTwoGatewaysShareRedis: two gateway instances (each with its own executor, cache and
// limiter) on one Redis share cached results and one rate-limit budget per key.
func TestTwoGatewaysShareRedis(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, _ := redisPrefix(t, url)
	const n = 5
	shared := func(c *Config) {
		withRedis(url, prefix)(c)
		c.RateLimitEnabled = true
		c.RateLimitPG = ratelimit.Rate{N: n, Per: time.Hour}
	}
	a := startTestGateway(t, shared)
	b := startTestGateway(t, shared)
	connA, notesA := debugConn(t, a, "tenantA-key")
	connB, notesB := debugConn(t, b, "tenantA-key")
	rowsA, got := outcome(t, connA, notesA, revenueByCity)
	if got != "miss" {
		t.Fatalf("first run on A: %s, want miss", got)
	}
	rowsB, got := outcome(t, connB, notesB, revenueByCity)
	if got != "hit" {
		t.Errorf("same query on B after A: %s, want hit", got)
	}
	if !equal(rowsA, rowsB) {
		t.Errorf("A %v, B %v", rowsA, rowsB)
	}
	// One query spent (B's answer came from the shared cache, which costs nothing); the rest
	// of the key's n per hour is shared by both gateways. Each query below is new, so each
	// reaches an engine.
	successes := 1
	for i := range 4 * n {
		conn := connA
		if i%2 == 1 {
			conn = connB
		}
		_, err := tryRows(conn, fmt.Sprintf("SELECT city FROM orders WHERE city <> 'x%d' ORDER BY 1", i))
		switch {
		case err == nil:
			successes++
		case !rateLimited(err):
			t.Fatalf("query %d: %v", i, err)
		}
	}
	if successes != n {
		t.Errorf("%d queries succeeded across both gateways, want exactly %d (%d/hour)", successes, n, n)
	}
	notesA()
	notesB()
	// Another key is not affected.
	other, _ := debugConn(t, b, "tenantB-key")
	if _, err := tryRows(other, revenueByCity); err != nil {
		t.Errorf("another key: %v", err)
	}
}
