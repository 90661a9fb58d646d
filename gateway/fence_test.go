package gateway

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/setupranali/setupranali/internal/testkit"
)

// pgErr is the SQLSTATE, message and hint of a query's error ("" when it succeeded).
func pgErr(err error) (code, msg, hint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.Message, pe.Hint
	}
	if err != nil {
		return "?", err.Error(), ""
	}
	return "", "", ""
}

// memoryStatus reads the process's resident set and its peak (VmRSS, VmHWM) in bytes; ok is
// false where /proc cannot say.
func memoryStatus() (rss, peak int64, ok bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(status), "\n") {
		for _, f := range []struct {
			name string
			dst  *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &peak}} {
			if v, found := strings.CutPrefix(line, f.name); found {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				*f.dst = kb << 10
			}
		}
	}
	return rss, peak, rss > 0 && peak > 0
}

// resetPeak makes VmHWM start again from the current resident set (Linux: clear_refs 5).
func resetPeak() bool { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil }

// The string bomb of issue 15: nested repeat building 1 GB, on the catalog engine and on the
// data engine, constant and computed from column values. Each is 54000 naming the limit, and
// the process never holds the value (its peak resident set stays far below it).
func TestStringBombRefused(t *testing.T) {
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key")
	base, _, canMeasure := memoryStatus()
	canMeasure = canMeasure && resetPeak()
	for _, sql := range []string{
		"SELECT repeat(repeat('x', 10000000), 100)",
		"SELECT repeat(repeat('x', 10000000), 100) FROM pg_catalog.pg_namespace LIMIT 1",
		"SELECT length(repeat(repeat(nspname, 1000000), 100)) FROM pg_catalog.pg_namespace",
		"SELECT length(repeat(repeat(city, 1000000), 100)) FROM orders",
	} {
		_, err := tryRows(conn, sql)
		code, msg, hint := pgErr(err)
		if code != "54000" || !strings.Contains(msg, "exceeds the limit of 16777216 bytes") || !strings.Contains(hint, "SETU_MAX_VALUE_BYTES") {
			t.Errorf("%s: got %s %q (hint %q), want 54000 naming the value limit", sql, code, msg, hint)
		}
	}
	if _, peak, ok := memoryStatus(); canMeasure && ok && peak-base > 512<<20 {
		t.Errorf("resident set grew by %d MB while refusing 1 GB values: the values were built", (peak-base)>>20)
	}
	// The connection goes on, and values within the limit are answered.
	if got := testkit.RowsText(t, conn, "SELECT length(repeat(nspname, 1000)) FROM pg_catalog.pg_namespace WHERE nspname = 'public'"); !equal(got, []string{"6000"}) {
		t.Errorf("repeat within the limit: %v", got)
	}
}

// The other growth paths, with a small limit: lpad and rpad by their length, string_agg by the
// sum of its values (refused by the engine before it sends the value), and a concatenation or a
// row past the bounds by the executor's streamed check.
func TestValueAndRowBounds(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) { c.MaxValueBytes, c.MaxRowBytes = 1<<20, 3<<19 })
	conn := connect(t, gw, "tenantA-key")
	for _, tc := range []struct{ sql, want string }{
		{"SELECT lpad(city, 2000000, '.') FROM orders", "SETU_MAX_VALUE_BYTES"},
		{"SELECT rpad(nspname, 2000000, 'ab') FROM pg_catalog.pg_namespace", "SETU_MAX_VALUE_BYTES"},
		{"SELECT string_agg(repeat(nspname, 100000), ',') FROM pg_catalog.pg_namespace", "SETU_MAX_VALUE_BYTES"},
		{"SELECT city, string_agg(repeat(city, 200000), ',') FROM orders GROUP BY city", "SETU_MAX_VALUE_BYTES"},
		{"SELECT concat(repeat('a', 600000), repeat('b', 600000))", "SETU_MAX_VALUE_BYTES"},
		{"SELECT repeat('a', 600000) AS a, repeat('b', 600000) AS b, repeat('c', 600000) AS c", "SETU_MAX_ROW_BYTES"},
	} {
		_, err := tryRows(conn, tc.sql)
		code, msg, hint := pgErr(err)
		if code != "54000" || !strings.Contains(hint, tc.want) || strings.Contains(msg, "Error:") {
			t.Errorf("%s: got %s %q (hint %q), want 54000 naming %s", tc.sql, code, msg, hint, tc.want)
		}
	}
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"SELECT length(lpad(city, 1000, 'é')) FROM orders WHERE city = 'Indore'", []string{"1000"}},
		{"SELECT length(string_agg(nspname, ',' ORDER BY nspname)) > 0 FROM pg_catalog.pg_namespace", []string{"true"}},
		{"SELECT string_agg(city, ',' ORDER BY city) FILTER (WHERE city <> 'Bhopal') FROM orders", []string{"Indore"}},
	} {
		if got, err := tryRows(conn, tc.sql); err != nil || !equal(got, tc.want) {
			t.Errorf("%s: %v %v, want %v", tc.sql, got, err, tc.want)
		}
	}
}

// On a PostgreSQL source the guard is PostgreSQL SQL: the source refuses before it builds or
// sends the value, and the gateway answers 54000 with its own text.
func TestValueBoundPostgres(t *testing.T) {
	gw, _, _ := pgGateway(t, func(c *Config) { c.MaxValueBytes = 1 << 20 })
	conn := connect(t, gw, "tenantA-key")
	for _, sql := range []string{
		"SELECT length(repeat(repeat(city, 1000000), 100)) FROM orders",
		"SELECT length(lpad(city, 2000000)) FROM orders",
		"SELECT string_agg(repeat(city, 200000), ',') FROM orders",
	} {
		_, err := tryRows(conn, sql)
		code, msg, hint := pgErr(err)
		if code != "54000" || !strings.Contains(msg, "exceeds the limit of 1048576 bytes") || !strings.Contains(hint, "SETU_MAX_VALUE_BYTES") {
			t.Errorf("%s: got %s %q (hint %q), want 54000 naming the value limit", sql, code, msg, hint)
		}
	}
	if got := testkit.RowsText(t, conn, "SELECT city, length(string_agg(repeat(city, 10), ',')) FROM orders GROUP BY city ORDER BY city"); !equal(got, []string{"Bhopal|60", "Indore|60"}) {
		t.Errorf("string_agg within the limit: %v", got)
	}
}

// heavyCatalogQuery is issue 15's: a catalog query that would run for hours.
const heavyCatalogQuery = "SELECT count(*) FROM pg_catalog.pg_namespace, generate_series(1, 100000000000) g"

// A catalog query past the catalog's own time bound is 57014 naming the setting, well before
// QUERY_TIMEOUT_SECONDS; the connection goes on.
func TestCatalogTimeout(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) { c.CatalogTimeout = time.Second })
	conn := connect(t, gw, "tenantA-key")
	_, err := tryRows(conn, heavyCatalogQuery)
	code, msg, hint := pgErr(err)
	if code != "57014" || !strings.Contains(msg, "statement timeout") || !strings.Contains(hint, "SETU_CATALOG_TIMEOUT_SECONDS") {
		t.Fatalf("got %s %q (hint %q), want 57014 naming SETU_CATALOG_TIMEOUT_SECONDS", code, msg, hint)
	}
	if got := testkit.RowsText(t, conn, "SELECT count(*) > 0 FROM pg_catalog.pg_namespace"); !equal(got, []string{"true"}) {
		t.Errorf("after the timeout: %v", got)
	}
}

// Two heavy catalog queries of tenantA do not keep tenantB's pg_class lookup from answering:
// it answers while both are still running.
func TestHeavyCatalogQueriesDoNotBlockOthers(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) { c.CatalogTimeout = 60 * time.Second; c.QueryTimeout = 120 * time.Second })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	heavyDone := 0
	var heavy []*pgx.Conn
	for range 2 {
		conn := connect(t, gw, "tenantA-key")
		heavy = append(heavy, conn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, err := conn.Query(ctx, heavyCatalogQuery)
			if err == nil {
				for rows.Next() {
				}
				rows.Close()
			}
			mu.Lock()
			heavyDone++
			mu.Unlock()
		}()
	}
	t.Cleanup(func() {
		// A client's context ending does not reach the server (pgx only drops the socket):
		// cancel on the server, as a client's cancel key does, so shutdown finds them ended.
		for _, c := range heavy {
			c.PgConn().CancelRequest(context.Background())
		}
		cancel()
		wg.Wait()
	})
	// Let both heavy queries reach the engine. Nothing observable says they have (no gauge of
	// running catalog queries), so this is a pause, not a wait: on a slow machine the check
	// below is weaker, never wrong (it fails only if tenantB's lookup errs or a heavy one ended).
	time.Sleep(500 * time.Millisecond)
	other := connect(t, gw, "tenantB-key")
	got, err := tryRows(other, "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1")
	mu.Lock()
	done := heavyDone
	mu.Unlock()
	if err != nil || !slices.Contains(got, "orders") {
		t.Fatalf("tenantB's pg_class lookup: %v %v", got, err)
	}
	if done != 0 {
		t.Fatalf("tenantB's lookup answered only after %d of tenantA's heavy queries ended", done)
	}
}
