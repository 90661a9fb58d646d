package gateway

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// closedPort is a loopback address nothing listens on: a dependency that is down.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// component returns /v1/ready's answer and one component's status, polling until the
// dependency watcher's first round has reported it (it runs in the background).
func readyComponent(t *testing.T, c *httpClient, name, want string) (httpResult, map[string]any) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := c.do("GET", "/v1/ready", "", nil)
		body := r.json(t)
		comps, _ := body["components"].(map[string]any)
		comp, _ := comps[name].(map[string]any)
		if comp != nil && comp["status"] == want || time.Now().After(deadline) {
			return r, body
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Redis down is not "this replica cannot serve": /v1/ready stays 200 with redis degraded (the
// Kubernetes readiness probe keeps every replica in the Service), /internal/status and
// setu_dependency_up report it, queries are answered uncached, and draining still turns
// readiness 503.
func TestReadyWithRedisDown(t *testing.T) {
	redisAddr := closedPort(t)
	gw := startTestGateway(t, func(c *Config) {
		c.RedisURL = Secret("redis://" + redisAddr + "/0")
		c.RedisTimeout = 200 * time.Millisecond
	})
	c := newHTTPClient(t, gw)
	r, body := readyComponent(t, c, "redis", "degraded")
	comps := body["components"].(map[string]any)
	redis, _ := comps["redis"].(map[string]any)
	if r.status != http.StatusOK || body["status"] != "degraded" || redis["status"] != "degraded" || redis["required"] != false {
		t.Fatalf("/v1/ready with Redis down: %d %s", r.status, r.body)
	}
	for _, local := range []string{"catalog", "duckdb"} {
		if cm, _ := comps[local].(map[string]any); cm["status"] != "ok" {
			t.Errorf("%s: %v", local, comps[local])
		}
	}
	if strings.Contains(string(r.body), redisAddr) {
		t.Errorf("/v1/ready names Redis's address: %s", r.body)
	}

	st := c.do("GET", "/internal/status", "internal-admin-key", nil).json(t)
	deps, _ := st["dependencies"].([]any)
	if len(deps) != 1 || deps[0].(map[string]any)["name"] != "redis" || deps[0].(map[string]any)["status"] != "degraded" {
		t.Errorf("/internal/status dependencies: %v", st["dependencies"])
	}
	metrics := string(c.do("GET", "/metrics", "", nil).body)
	if !strings.Contains(metrics, `setu_dependency_up{name="redis"} 0`) {
		t.Errorf("/metrics lacks setu_dependency_up{name=\"redis\"} 0:\n%s", grepLines(metrics, "dependency"))
	}

	// The replica serves: over pg wire and HTTP, uncached.
	conn := connect(t, gw, "tenantA-key")
	if got := testkit.RowsText(t, conn, revenueByCity); !equal(got, []string{"Bhopal|500", "Indore|1000"}) {
		t.Errorf("pg wire with Redis down: %v", got)
	}
	if rows, _ := c.query("tenantA-key", map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []string{"total_revenue"}}); len(rows) != 2 {
		t.Errorf("/v1/query with Redis down: %v", rows)
	}

	gw.http.SetDraining()
	r = c.do("GET", "/v1/ready", "", nil)
	if r.status != http.StatusServiceUnavailable || r.json(t)["status"] != "draining" {
		t.Errorf("draining: %d %s", r.status, r.body)
	}
}

// With Redis up the dependency is "ok" and readiness "ready".
func TestReadyWithRedisUp(t *testing.T) {
	url := testkit.RedisURL(t)
	prefix, _ := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix))
	c := newHTTPClient(t, gw)
	r, body := readyComponent(t, c, "redis", "ok")
	if r.status != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("/v1/ready with Redis up: %d %s", r.status, r.body)
	}
	if !strings.Contains(string(c.do("GET", "/metrics", "", nil).body), `setu_dependency_up{name="redis"} 1`) {
		t.Error(`/metrics lacks setu_dependency_up{name="redis"} 1`)
	}
}

// A PostgreSQL source that is down takes only its own datasets: they fail with 57P03 naming
// the source (not class 08, which Npgsql takes as its own connection breaking, and no driver
// text), the DuckDB datasets keep serving on the same connection, and readiness stays 200 with
// the source degraded.
func TestSourceDownOthersServe(t *testing.T) {
	demo, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat := testkit.TempFile(t, "catalog.yaml", string(demo)+testkit.OrdersDataset("pg_orders", "postgres", "public.orders", ""))
	pgAddr := closedPort(t)
	gw := startTestGateway(t, func(c *Config) {
		c.Catalog = cat
		c.PostgresDSN = Secret("postgres://setu:pw-" + pgAddr + "@" + pgAddr + "/shop?sslmode=disable&connect_timeout=2")
	})
	conn := connect(t, gw, "tenantA-key")
	for _, q := range []string{"SELECT city, total_revenue FROM pg_orders", "SELECT count(*) FROM pg_orders"} {
		_, err := tryRows(conn, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Fatalf("%s: %v, want an ErrorResponse", q, err)
		}
		if pe.Code != "57P03" || pe.Severity != "ERROR" || pe.Message != `data source "SETU_POSTGRES_DSN" is unavailable; datasets on other sources are not affected` {
			t.Errorf("%s: %s %s %q", q, pe.Severity, pe.Code, pe.Message)
		}
		for _, leak := range []string{pgAddr, "refused", "dial", "pw-", "setu"} {
			if strings.Contains(pe.Message+pe.Detail+pe.Hint, leak) {
				t.Errorf("%s: the error shows %q: %+v", q, leak, pe)
			}
		}
		// The connection lives on and the embedded engine's datasets answer.
		if got := testkit.RowsText(t, conn, revenueByCity); !equal(got, []string{"Bhopal|500", "Indore|1000"}) {
			t.Errorf("after %s: %v", q, got)
		}
	}
	c := newHTTPClient(t, gw)
	r := c.do("POST", "/v1/query", "tenantA-key", map[string]any{"dataset": "pg_orders", "metrics": []string{"total_revenue"}})
	if r.status != http.StatusServiceUnavailable || r.json(t)["sqlstate"] != "57P03" {
		t.Errorf("/v1/query on the down source: %d %s", r.status, r.body)
	}
	r, body := readyComponent(t, c, "source:postgres", "degraded")
	if r.status != http.StatusOK || body["status"] != "degraded" {
		t.Errorf("/v1/ready with a source down: %d %s", r.status, r.body)
	}
	if m := string(c.do("GET", "/metrics", "", nil).body); !strings.Contains(m, `setu_dependency_up{name="source:postgres"} 0`) {
		t.Errorf("/metrics: %s", grepLines(m, "dependency"))
	}
}

// /internal/status speaks snake_case: every key of every object in it, walked recursively
// (the Go field names of a marshalled struct, like "Rejections", would fail here).
func TestStatusKeysSnakeCase(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) {
		c.RateLimitEnabled = true
		c.RedisURL = Secret("redis://" + closedPort(t) + "/0")
		c.RedisTimeout = 200 * time.Millisecond
	})
	c := newHTTPClient(t, gw)
	readyComponent(t, c, "redis", "degraded")
	r := c.do("GET", "/internal/status", "internal-admin-key", nil)
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var walk func(path string, v any)
	keys := 0
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys++
				if !snakeCase(k) {
					t.Errorf("%s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range x {
				walk(path+"[]", e)
			}
		}
	}
	walk("", v)
	// The sections this test means to cover are there.
	for _, p := range []string{"rate_limiting", "cache", "dependencies", "guards", "environment"} {
		if v.(map[string]any)[p] == nil {
			t.Errorf("no %s section: %s", p, r.body)
		}
	}
	rl := v.(map[string]any)["rate_limiting"].(map[string]any)
	if _, ok := rl["rejections"].(float64); !ok {
		t.Errorf("rate_limiting: %v", rl)
	}
	t.Logf("%d keys checked", keys)
}

func snakeCase(k string) bool {
	if k == "" || k[0] == '_' || k[len(k)-1] == '_' || strings.Contains(k, "__") {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
