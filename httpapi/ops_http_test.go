package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/setupranali/setupranali/dependency"
)

// metricValue finds the sample `series value` in a Prometheus text exposition; series is the
// metric name with its labels as the exposition writes them (sorted by name).
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// Liveness is open and fast; readiness reports the catalog and the engine check and turns 503
// while draining.
func TestHealthAndReady(t *testing.T) {
	g := newGateway(t, func(c *Config) {
		c.Cache = func(context.Context) map[string]any { return map[string]any{"enabled": true, "redis_available": false} }
	})
	m := g.get("/v1/health", "").json(t)
	if m["status"] != "ok" || m["version"] != "test-1" || m["cache"].(map[string]any)["enabled"] != true {
		t.Errorf("health: %v", m)
	}
	if _, err := time.Parse(time.RFC3339, m["time"].(string)); err != nil {
		t.Errorf("health time: %v", err)
	}
	resp := g.get("/v1/ready", "")
	m = resp.json(t)
	comps := m["components"].(map[string]any)
	cat := comps["catalog"].(map[string]any)
	if resp.status != http.StatusOK || m["status"] != "ready" || cat["version"] != g.cat.Version() || integer(t, cat["datasets"]) != 2 ||
		comps["duckdb"].(map[string]any)["status"] != "ok" {
		t.Errorf("ready: %d %s", resp.status, resp.body)
	}
	g.srv.SetDraining()
	if resp := g.get("/v1/ready", ""); resp.status != http.StatusServiceUnavailable || resp.json(t)["status"] != "draining" {
		t.Errorf("draining: %d %s", resp.status, resp.body)
	}
	// Liveness does not change while draining.
	if resp := g.get("/v1/health", ""); resp.status != http.StatusOK {
		t.Errorf("health while draining: %d", resp.status)
	}
}

// /internal/status and /internal/reload are for admin and internal_admin keys only.
func TestStatusAndReload(t *testing.T) {
	// Set by the test, read by the server's handler goroutine.
	var failReload atomic.Bool
	since := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	g := newGateway(t, func(c *Config) {
		c.Status = func(context.Context) map[string]any {
			return map[string]any{"environment": map[string]any{"mode": "test"}}
		}
		c.Dependencies = func() []dependency.State {
			return []dependency.State{{Name: "redis", Status: dependency.Up, Since: since, Checked: since, Latency: 3 * time.Millisecond}}
		}
		c.Reload = func(context.Context) (ReloadResult, error) {
			if failReload.Load() {
				return ReloadResult{}, errors.New("catalog.yaml:3: unknown key")
			}
			return ReloadResult{Version: "v2", Datasets: 2}, nil
		}
	})
	g.get("/internal/status", keyT1).checkError(t, http.StatusForbidden, "insufficient_role", "")
	g.get("/internal/status", "").checkError(t, http.StatusUnauthorized, "authentication_required", "")
	for _, key := range []string{keyOps, keyAdmin} {
		resp := g.get("/internal/status", key)
		m := resp.json(t)
		cat, _ := m["catalog"].(map[string]any)
		deps, _ := m["dependencies"].([]any)
		if resp.status != http.StatusOK || m["version"] != "test-1" || cat["version"] != g.cat.Version() ||
			m["environment"].(map[string]any)["mode"] != "test" || len(deps) != 1 || deps[0].(map[string]any)["name"] != "redis" ||
			deps[0].(map[string]any)["status"] != string(dependency.Up) {
			t.Errorf("status for %s: %d %s", key, resp.status, resp.body)
		}
	}
	g.do(http.MethodPost, "/internal/reload", keyT1, nil).checkError(t, http.StatusForbidden, "insufficient_role", "")
	resp := g.do(http.MethodPost, "/internal/reload", keyOps, nil)
	if m := resp.json(t); resp.status != http.StatusOK || m["status"] != "reloaded" || m["catalog_version"] != "v2" {
		t.Errorf("reload: %d %s", resp.status, resp.body)
	}
	failReload.Store(true)
	msg := g.do(http.MethodPost, "/internal/reload", keyOps, nil).checkError(t, http.StatusUnprocessableEntity, "invalid_catalog", "")
	if !strings.Contains(msg, "previous one keeps serving") || !strings.Contains(msg, "unknown key") {
		t.Errorf("reload refusal: %s", msg)
	}

	unconfigured := newGateway(t, nil)
	unconfigured.do(http.MethodPost, "/internal/reload", keyAdmin, nil).checkError(t, http.StatusNotImplemented, "not_supported", "")
}

// The catalog endpoints describe only what the key may see.
func TestDatasetEndpoints(t *testing.T) {
	g := newGateway(t, nil)
	var list struct {
		Datasets []datasetInfo `json:"datasets"`
	}
	resp := g.get("/v1/datasets", keyT1)
	if err := json.Unmarshal(resp.body, &list); err != nil || len(list.Datasets) != 2 {
		t.Fatalf("datasets: %d %s", resp.status, resp.body)
	}
	orders := list.Datasets[0]
	if orders.ID != "orders" || orders.Name != "Orders" || len(orders.Dimensions) != 2 || len(orders.Metrics) != 3 ||
		orders.Metrics[0].Aggregation != "sum" || orders.Metrics[0].Label != "Revenue" || orders.Metrics[0].Format != "currency" ||
		orders.Incremental == nil || orders.Incremental.Column != "order_date" || orders.Incremental.MaxWindowDays != 31 {
		t.Errorf("orders described as %+v", orders)
	}
	if err := json.Unmarshal(g.get("/v1/datasets", keyScoped).body, &list); err != nil || len(list.Datasets) != 1 || list.Datasets[0].ID != "products" {
		t.Errorf("scoped key's datasets: %+v", list)
	}
	var one datasetInfo
	if resp := g.get("/v1/datasets/products", keyT1); json.Unmarshal(resp.body, &one) != nil || one.ID != "products" || one.Incremental != nil {
		t.Errorf("one dataset: %d %s", resp.status, resp.body)
	}
	var schema struct {
		Dataset string         `json:"dataset"`
		Columns []schemaColumn `json:"columns"`
	}
	if err := json.Unmarshal(g.get("/v1/datasets/orders/schema", keyT1).body, &schema); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range schema.Columns {
		cols = append(cols, c.Name+":"+c.Kind+":"+c.Type)
	}
	if strings.Join(cols, " ") != "city:dimension:string order_date:dimension:date total_revenue:metric:double orders_count:metric:int64 total_quantity:metric:int64" {
		t.Errorf("schema columns %v", cols)
	}
	g.get("/v1/datasets/orders", keyScoped).checkError(t, http.StatusNotFound, "dataset_not_found", "42P01")
	g.get("/v1/datasets/nope/schema", keyT1).checkError(t, http.StatusNotFound, "dataset_not_found", "42P01")
}

// /openapi.json documents every route the server mounts; /docs is a page with a strict CSP.
func TestOpenAPIAndDocs(t *testing.T) {
	g := newGateway(t, nil)
	resp := g.get("/openapi.json", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(resp.body, &doc); err != nil || resp.status != http.StatusOK || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %d %v %.200s", resp.status, err, resp.body)
	}
	for path, method := range map[string]string{"/v1/query": "post", "/v1/health": "get", "/odata/{set}": "get", "/internal/reload": "post"} {
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("openapi lacks %s %s", method, path)
		}
	}
	resp = g.get("/docs", "")
	if resp.status != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(resp.header.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(string(resp.body), "/v1/query") {
		t.Errorf("docs: %d %v", resp.status, resp.header)
	}
}

// /metrics counts requests by route and status, and query refusals before planning under
// setu_queries_total by SQLSTATE class; with MetricsRequireKey it needs an admin key.
func TestMetricsCountRequests(t *testing.T) {
	g := newGateway(t, nil)
	for range 3 {
		g.query(keyT1, `{"dataset":"orders","metrics":["orders_count"]}`).rows(t, "orders_count")
	}
	g.query(keyT1, `{"dataset":"orders","metrics":["orders_count"],"bogus":1}`).checkError(t, http.StatusBadRequest, "invalid_request", "")
	g.query("", `{}`).checkError(t, http.StatusUnauthorized, "authentication_required", "")
	g.get("/odata/orders?$top=1", keyT1)
	text := string(g.get("/metrics", "").body)
	for series, want := range map[string]float64{
		`setu_http_requests_total{code="200",method="POST",route="/v1/query"}`: 3,
		`setu_http_requests_total{code="400",method="POST",route="/v1/query"}`: 1,
		`setu_http_requests_total{code="401",method="POST",route="/v1/query"}`: 1,
		`setu_http_requests_total{code="200",method="GET",route="/odata/*"}`:   1,
		`setu_http_auth_failures_total{reason="missing"}`:                      1,
		`setu_queries_total{class="00",protocol="rest"}`:                       3,
		`setu_queries_total{class="22",protocol="rest"}`:                       1,
		`setu_queries_total{class="28",protocol="rest"}`:                       1,
		`setu_queries_total{class="00",protocol="odata"}`:                      1,
		`setu_http_request_duration_seconds_count{route="/v1/query"}`:          5,
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}

	locked := newGateway(t, func(c *Config) { c.MetricsRequireKey = true })
	locked.get("/metrics", "").checkError(t, http.StatusUnauthorized, "authentication_required", "")
	locked.get("/metrics", keyT1).checkError(t, http.StatusForbidden, "insufficient_role", "")
	if resp := locked.get("/metrics", keyOps); resp.status != http.StatusOK || !strings.Contains(string(resp.body), "setu_http_requests_total") {
		t.Errorf("metrics with an internal_admin key: %d", resp.status)
	}
}

// A server for a separate metrics address mounts /metrics and /v1/health only.
func TestMetricsOnlyServer(t *testing.T) {
	g := newGateway(t, func(c *Config) {
		c.MetricsOnly = true
		c.extraRoutes = func(*Server) { t.Error("extraRoutes called on a metrics-only server") }
	})
	if resp := g.get("/metrics", ""); resp.status != http.StatusOK {
		t.Errorf("metrics: %d", resp.status)
	}
	if resp := g.get("/v1/health", ""); resp.status != http.StatusOK {
		t.Errorf("health: %d", resp.status)
	}
	g.query(keyT1, `{"dataset":"orders","metrics":["orders_count"]}`).checkError(t, http.StatusNotFound, "not_found", "")
	g.get("/odata", keyT1).checkODataError(t, http.StatusNotFound, "not_found")
}
