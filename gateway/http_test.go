package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/ratelimit"
)

// httpClient talks to a test gateway's HTTP server.
type httpClient struct {
	t    *testing.T
	base string
}

func newHTTPClient(t *testing.T, gw *Gateway) *httpClient {
	return &httpClient{t: t, base: "http://" + gw.HTTPAddr().String()}
}

type httpResult struct {
	status int
	header http.Header
	body   []byte
}

func (r httpResult) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.body)
	}
	return m
}

func (c *httpClient) do(method, path, key string, body any, header ...string) httpResult {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			js, err := json.Marshal(b)
			if err != nil {
				c.t.Fatal(err)
			}
			rd = bytes.NewReader(js)
		}
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = c.base + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return httpResult{status: resp.StatusCode, header: resp.Header, body: b}
}

// query posts a /v1/query request and returns its rows as "v1|v2|..." in order.
func (c *httpClient) query(key string, req map[string]any) ([]string, map[string]any) {
	c.t.Helper()
	r := c.do("POST", "/v1/query", key, req)
	if r.status != 200 {
		c.t.Fatalf("/v1/query %v: %d %s", req, r.status, r.body)
	}
	m := r.json(c.t)
	var names []string
	for _, col := range m["columns"].([]any) {
		names = append(names, col.(map[string]any)["name"].(string))
	}
	return rowStrings(m["rows"].([]any), names), m
}

// odata fetches an OData collection, following @odata.nextLink to the end; it returns the rows
// and how many pages it read.
func (c *httpClient) odata(key, path string, names ...string) ([]string, int) {
	c.t.Helper()
	var rows []string
	pages := 0
	next := path
	for next != "" {
		pages++
		if pages > 1000 {
			c.t.Fatal("nextLink loop")
		}
		r := c.do("GET", next, key, nil)
		if r.status != 200 {
			c.t.Fatalf("GET %s: %d %s", next, r.status, r.body)
		}
		m := r.json(c.t)
		rows = append(rows, rowStrings(m["value"].([]any), names)...)
		next, _ = m["@odata.nextLink"].(string)
	}
	return rows, pages
}

func rowStrings(rows []any, names []string) []string {
	out := []string{}
	for _, r := range rows {
		obj := r.(map[string]any)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = jsonText(obj[n])
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func jsonText(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func TestHTTPHealthAndAuthShapes(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)

	r := c.do("GET", "/v1/health", "", nil, "X-Request-ID", "probe-1")
	h := r.json(t)
	if r.status != 200 || h["status"] != "ok" || h["version"] == nil || h["time"] == nil {
		t.Errorf("health: %d %s", r.status, r.body)
	}
	if cache, ok := h["cache"].(map[string]any); !ok || cache["enabled"] == nil || cache["redis_available"] == nil {
		t.Errorf("health has no cache section: %s", r.body)
	}
	if r.header.Get("X-Request-ID") != "probe-1" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("health headers: %v", r.header)
	}

	for _, tc := range []struct {
		name, path, key string
		header          []string
		status          int
		code            string
	}{
		{"no key", "/v1/datasets", "", nil, 401, "authentication_required"},
		{"wrong key", "/v1/datasets", "nope", nil, 403, "invalid_api_key"},
		{"wrong bearer", "/v1/datasets", "", []string{"Authorization", "Bearer nope"}, 403, "invalid_api_key"},
		{"viewer on status", "/internal/status", "tenantA-key", nil, 403, "insufficient_role"},
		{"bearer", "/v1/datasets", "", []string{"Authorization", "Bearer tenantA-key"}, 200, ""},
		{"internal admin on status", "/internal/status", "internal-admin-key", nil, 200, ""},
		{"admin on status", "/internal/status", "dev-key-123", nil, 200, ""},
		{"unknown route", "/v2/nothing", "", nil, 404, "not_found"},
	} {
		r := c.do("GET", tc.path, tc.key, nil, tc.header...)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			continue
		}
		m := r.json(t)
		if tc.code != "" && (m["error"] != tc.code || m["request_id"] != r.header.Get("X-Request-ID") || m["request_id"] == "") {
			t.Errorf("%s: body %s, want error %s with the request id", tc.name, r.body, tc.code)
		}
		if strings.Contains(string(r.body), "nope") {
			t.Errorf("%s: response repeats the presented key: %s", tc.name, r.body)
		}
	}
	if r := c.do("GET", "/v1/datasets", "", nil); r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}

	st := c.do("GET", "/internal/status", "internal-admin-key", nil).json(t)
	for _, section := range []string{"environment", "guards", "databases", "connections", "catalog", "version"} {
		if st[section] == nil {
			t.Errorf("/internal/status has no %s section: %v", section, st)
		}
	}

	r = c.do("GET", "/v1/ready", "", nil)
	ready := r.json(t)
	if r.status != 200 || ready["status"] != "ready" {
		t.Errorf("ready: %d %s", r.status, r.body)
	}
	comps, _ := ready["components"].(map[string]any)
	if comps["catalog"] == nil || comps["duckdb"] == nil {
		t.Errorf("ready components: %s", r.body)
	}
}

// The original's acceptance cases: per-tenant city totals through /v1/query and OData, the same
// as over pg wire; or-filters cannot reach another tenant's rows; unknown names are clear errors.
func TestHTTPTenantTotals(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	want := map[string][]string{
		"tenantA-key": {"Bhopal|500", "Indore|1000"},
		"tenantB-key": {"Delhi|1200", "Indore|250"},
		"dev-key-123": {"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|1250", "Mumbai|800"},
	}
	for key, rows := range want {
		got, m := c.query(key, map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []string{"total_revenue"}, "orderBy": []string{"city"}})
		if !slices.Equal(got, rows) {
			t.Errorf("%s /v1/query: %v, want %v", key, got, rows)
		}
		stats := m["stats"].(map[string]any)
		if stats["rowCount"] != float64(len(rows)) || stats["rlsApplied"] != (key != "dev-key-123") {
			t.Errorf("%s stats: %v", key, stats)
		}
		od, _ := c.odata(key, "/odata/orders?$select=city,total_revenue&$orderby=city", "city", "total_revenue")
		if !slices.Equal(od, rows) {
			t.Errorf("%s OData: %v, want %v", key, od, rows)
		}
		sql := testkit.RowsText(t, connect(t, gw, key), "SELECT city, total_revenue FROM orders ORDER BY city")
		if !slices.Equal(sql, rows) {
			t.Errorf("%s SQL: %v, want %v", key, sql, rows)
		}
	}

	// Another tenant's city named in an or-filter yields nothing of theirs.
	got, _ := c.query("tenantA-key", map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []string{"total_revenue"},
		"filters": map[string]any{"or": []any{
			map[string]any{"field": "city", "op": "eq", "value": "Delhi"},
			map[string]any{"field": "city", "op": "in", "values": []string{"Mumbai", "Chennai", "Indore"}},
			map[string]any{"not": map[string]any{"field": "city", "op": "eq", "value": "Bhopal"}},
		}}, "orderBy": []string{"city"}})
	if !slices.Equal(got, []string{"Indore|1000"}) {
		t.Errorf("or-filter as tenantA: %v, want only tenantA's Indore", got)
	}
	od, _ := c.odata("tenantA-key", "/odata/orders?$select=city,total_revenue&$filter="+url.QueryEscape("city eq 'Delhi' or city eq 'Mumbai' or (city ne 'x' or true)"), "city", "total_revenue")
	sort.Strings(od)
	if !slices.Equal(od, []string{"Bhopal|500", "Indore|1000"}) {
		t.Errorf("OData or-filter as tenantA: %v", od)
	}

	for _, tc := range []struct {
		req    map[string]any
		status int
		code   string
	}{
		{map[string]any{"dataset": "nope", "metrics": []string{"total_revenue"}}, 404, "dataset_not_found"},
		{map[string]any{"dataset": "orders", "metrics": []string{"nope"}}, 400, "unknown_field"},
		{map[string]any{"dataset": "orders", "dimensions": []string{"total_revenue"}}, 400, "unknown_field"},
		{map[string]any{"dataset": "orders", "metrics": []string{"total_revenue"}, "filters": []any{map[string]any{"field": "city", "op": "regex", "value": "x"}}}, 501, "not_supported"},
		{map[string]any{"dataset": "orders", "metrics": []string{"total_revenue"}, "filters": []any{map[string]any{"field": "city", "op": "gt", "value": 5}}}, 400, "invalid_query"},
	} {
		r := c.do("POST", "/v1/query", "tenantA-key", tc.req)
		if r.status != tc.status || r.json(t)["error"] != tc.code {
			t.Errorf("%v: %d %s, want %d %s", tc.req, r.status, r.body, tc.status, tc.code)
		}
	}
	if r := c.do("POST", "/v1/query", "tenantA-key", `{"dataset": "orders", "metrics": ["total_revenue"], "bogus": 1}`); r.status != 400 {
		t.Errorf("unknown request field: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/v1/query", "tenantA-key", `{"dataset": "orders", "dimensions": ["`+strings.Repeat("x", 2<<20)+`"]}`); r.status != 413 {
		t.Errorf("oversized body: %d", r.status)
	}
	if r := c.do("GET", "/odata/nope", "tenantA-key", nil); r.status != 404 || !strings.Contains(string(r.body), `"error":{"code":"dataset_not_found"`) {
		t.Errorf("OData unknown set: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/odata/orders?$filter="+url.QueryEscape("nope eq 1"), "tenantA-key", nil); r.status != 400 || !strings.Contains(string(r.body), "nope") {
		t.Errorf("OData unknown property: %d %s", r.status, r.body)
	}
	for _, q := range []string{"$expand=x", "$filter=" + url.QueryEscape("quantity add 1 eq 2"), "$filter=" + url.QueryEscape("substring(city,1) eq 'x'"), "$format=xml"} {
		if r := c.do("GET", "/odata/orders?"+q, "tenantA-key", nil); r.status != 501 && r.status != 400 {
			t.Errorf("OData %s: %d %s, want a 400/501 naming it", q, r.status, r.body)
		}
	}
}

func TestHTTPIncrementalWindowAndPaging(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) { c.ODataPageSize = 2 })
	c := newHTTPClient(t, gw)
	got, _ := c.query("dev-key-123", map[string]any{"dataset": "orders", "dimensions": []string{"order_date"}, "metrics": []string{"orders_count"},
		"incrementalFrom": "2025-12-02", "incrementalTo": "2025-12-31", "orderBy": []string{"order_date"}})
	if !slices.Equal(got, []string{"2025-12-02|2", "2025-12-03|2"}) {
		t.Errorf("incremental window: %v", got)
	}
	r := c.do("POST", "/v1/query", "dev-key-123", map[string]any{"dataset": "orders", "metrics": []string{"orders_count"},
		"incrementalFrom": "2025-01-01", "incrementalTo": "2025-12-31"})
	if r.status != 400 || r.json(t)["error"] != "incremental_window_exceeded" {
		t.Errorf("window over maxWindowDays: %d %s", r.status, r.body)
	}
	od, _ := c.odata("dev-key-123", "/odata/orders?$select=order_date,orders_count&$filter="+url.QueryEscape("order_date ge 2025-12-02 and order_date lt 2026-01-01"), "order_date", "orders_count")
	if !slices.Equal(od, []string{"2025-12-02|2", "2025-12-03|2"}) {
		t.Errorf("OData incremental window: %v", od)
	}
	r = c.do("GET", "/odata/orders?$filter="+url.QueryEscape("order_date ge 2024-01-01 and order_date le 2025-12-31"), "dev-key-123", nil)
	if r.status != 400 || !strings.Contains(string(r.body), "maxWindowDays") {
		t.Errorf("OData window over maxWindowDays: %d %s", r.status, r.body)
	}

	// Pages of 2 followed to the end are exactly the whole result, with a count.
	all := []string{"Bhopal|500", "Chennai|600", "Delhi|1200", "Indore|1250", "Mumbai|800"}
	rows, pages := c.odata("dev-key-123", "/odata/orders?$select=city,total_revenue", "city", "total_revenue")
	if !slices.Equal(rows, all) || pages != 3 {
		t.Errorf("paged: %v in %d pages, want %v in 3", rows, pages, all)
	}
	first := c.do("GET", "/v1/odata/orders?$select=city,total_revenue&$count=true", "dev-key-123", nil).json(t)
	if first["@odata.count"] != float64(5) || !strings.Contains(first["@odata.nextLink"].(string), "/v1/odata/orders?") {
		t.Errorf("first page: %v", first)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"$top=3", all[:3]},
		{"$skip=3", all[3:]},
		{"$top=2&$skip=1", all[1:3]},
		{"$skip=4&$top=10", all[4:]},
		{"$skip=9", []string{}},
		{"$orderby=total_revenue%20desc&$top=2", []string{"Indore|1250", "Delhi|1200"}},
	} {
		got, _ := c.odata("dev-key-123", "/odata/orders?$select=city,total_revenue&"+tc.q, "city", "total_revenue")
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.q, got, tc.want)
		}
	}
	// Entities are dimension combinations: Delhi's one order out, five remain.
	if r := c.do("GET", "/odata/orders/$count?$filter="+url.QueryEscape("city ne 'Delhi'"), "dev-key-123", nil); r.status != 200 || string(r.body) != "5" {
		t.Errorf("/$count: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/odata/orders/$count", "tenantA-key", nil); string(r.body) != "2" {
		t.Errorf("/$count as tenantA: %s", r.body)
	}
	got, _ = c.odata("dev-key-123", "/odata/orders?$apply="+url.QueryEscape("filter(city ne 'Delhi')/groupby((city),aggregate(total_revenue with sum as rev))")+"&$orderby=rev%20desc", "city", "rev")
	if !slices.Equal(got, []string{"Indore|1250", "Mumbai|800", "Chennai|600", "Bhopal|500"}) {
		t.Errorf("$apply: %v", got)
	}
}

type csdl struct {
	Schemas []struct {
		Namespace string `xml:"Namespace,attr"`
		Types     []struct {
			Name string `xml:"Name,attr"`
			Key  []struct {
				Name string `xml:"Name,attr"`
			} `xml:"Key>PropertyRef"`
			Props []struct {
				Name     string `xml:"Name,attr"`
				Type     string `xml:"Type,attr"`
				Nullable string `xml:"Nullable,attr"`
			} `xml:"Property"`
		} `xml:"EntityType"`
		Sets []struct {
			Name       string `xml:"Name,attr"`
			EntityType string `xml:"EntityType,attr"`
		} `xml:"EntityContainer>EntitySet"`
	} `xml:"DataServices>Schema"`
}

// $metadata parses as CSDL: every entity set names an entity type whose key properties exist
// and are not nullable; the sets are the datasets the key may see.
func TestODataMetadata(t *testing.T) {
	t.Parallel()
	// A second dataset, so the set list can differ by key scope.
	cat := demoCatalogWith(t, `
  - id: cities
    source: {reference: orders}
    fields: [{name: city, type: string}, {name: tenant_id, type: string}, {name: revenue, type: double}]
    dimensions: [{name: city, label: City}]
    metrics: [{name: revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id}
`)
	gw := startTestGateway(t, func(c *Config) { c.Catalog = cat })
	c := newHTTPClient(t, gw)
	r := c.do("GET", "/odata/$metadata", "tenantA-key", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") || r.header.Get("OData-Version") != "4.0" {
		t.Fatalf("$metadata: %d %v", r.status, r.header)
	}
	var doc csdl
	if err := xml.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("$metadata is not XML: %v", err)
	}
	if len(doc.Schemas) != 1 {
		t.Fatalf("schemas: %+v", doc)
	}
	s := doc.Schemas[0]
	var sets []string
	for _, set := range s.Sets {
		sets = append(sets, set.Name)
		found := false
		for _, et := range s.Types {
			if s.Namespace+"."+et.Name != set.EntityType {
				continue
			}
			found = true
			if len(et.Key) == 0 {
				t.Errorf("%s has no key", et.Name)
			}
			for _, k := range et.Key {
				ok := false
				for _, p := range et.Props {
					ok = ok || p.Name == k.Name && p.Nullable == "false"
				}
				if !ok {
					t.Errorf("%s: key %s is not a non-nullable property", et.Name, k.Name)
				}
			}
			for _, p := range et.Props {
				if !strings.HasPrefix(p.Type, "Edm.") {
					t.Errorf("%s.%s has type %s", et.Name, p.Name, p.Type)
				}
			}
		}
		if !found {
			t.Errorf("entity set %s names %s, which is not defined", set.Name, set.EntityType)
		}
	}
	if !slices.Equal(sets, []string{"orders", "customers", "cities"}) {
		t.Errorf("entity sets: %v", sets)
	}
	svc := c.do("GET", "/odata/", "tenantA-key", nil).json(t)
	if v, _ := svc["value"].([]any); len(v) != 3 {
		t.Errorf("service document: %v", svc)
	}
}

// The property the front doors share a planner for: random equivalent queries through OData,
// /v1/query and SQL over pg wire give identical numbers, for each tenant.
func TestHTTPFrontDoorsAgree(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) { c.ODataPageSize = 3 })
	c := newHTTPClient(t, gw)
	keys := []string{"tenantA-key", "tenantB-key", "dev-key-123", "readonly-key-456"}
	dims := []string{"city", "order_date", "order_size"}
	metricNames := []string{"total_revenue", "orders_count", "total_quantity", "cities", "large_order_revenue", "avg_order_value"}
	cities := []string{"Indore", "Bhopal", "Delhi", "Mumbai", "Chennai", "Pune"}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	pick := func(from []string, min int) []string {
		var out []string
		for _, x := range from {
			if rng.IntN(2) == 0 {
				out = append(out, x)
			}
		}
		for len(out) < min {
			out = append(out, from[rng.IntN(len(from))])
			slices.Sort(out)
			out = slices.Compact(out)
		}
		return out
	}
	for i := range 40 {
		key := keys[rng.IntN(len(keys))]
		ds := pick(dims, 0)
		ms := pick(metricNames, 1)
		var filterCities []string
		if rng.IntN(2) == 0 {
			filterCities = pick(cities, 1)
		}
		cols := append(append([]string{}, ds...), ms...)

		req := map[string]any{"dataset": "orders", "dimensions": ds, "metrics": ms, "orderBy": ds}
		var sqlWhere, odFilter string
		if filterCities != nil {
			req["filters"] = []any{map[string]any{"field": "city", "op": "in", "values": filterCities}}
			quoted := make([]string, len(filterCities))
			for j, ct := range filterCities {
				quoted[j] = "'" + ct + "'"
			}
			sqlWhere = " WHERE city IN (" + strings.Join(quoted, ", ") + ")"
			odFilter = "&$filter=" + url.QueryEscape("city in ("+strings.Join(quoted, ",")+")")
		}
		rest, _ := c.query(key, req)

		od, _ := c.odata(key, "/odata/orders?$select="+strings.Join(cols, ",")+odFilter, cols...)

		sql := "SELECT " + strings.Join(cols, ", ") + " FROM orders" + sqlWhere
		if len(ds) > 0 {
			sql += " ORDER BY " + strings.Join(ds, ", ")
		}
		conn := connect(t, gw, key)
		pg := testkit.RowsText(t, conn, sql)
		conn.Close(context.Background())

		norm := func(rows []string) []string {
			out := make([]string, len(rows))
			for j, r := range rows {
				parts := strings.Split(r, "|")
				for k, p := range parts {
					if f, err := strconv.ParseFloat(p, 64); err == nil {
						parts[k] = strconv.FormatFloat(f, 'g', -1, 64)
					}
					if len(p) >= 10 && p[4] == '-' && p[7] == '-' {
						parts[k] = p[:10]
					}
				}
				out[j] = strings.Join(parts, "|")
			}
			sort.Strings(out)
			return out
		}
		if a, b, s := norm(rest), norm(od), norm(pg); !slices.Equal(a, s) || !slices.Equal(b, s) {
			t.Errorf("query %d as %s (%s):\n rest  %v\n odata %v\n sql   %v", i, key, sql, a, b, s)
		}
	}
}

// A scripted workload moves every metric the gateway exports.
func TestHTTPMetricsMove(t *testing.T) {
	t.Parallel()
	gw := startBigGateway(t, time.Second)
	c := newHTTPClient(t, gw)
	conn := connect(t, gw, "tenantA-key")
	testkit.RowsText(t, conn, "SELECT n FROM big")
	tryRows(conn, "SELECT nope FROM big")
	// A query past QUERY_TIMEOUT_SECONDS (1s): a timeout.
	tryRows(conn, "SELECT count(*) FROM big a, big b WHERE a.id + b.id = -1")
	// A query the client cancels: a cancellation.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	conn.Query(ctx, "SELECT count(*) FROM big a, big b WHERE a.id + b.id = -2")
	cancel()
	c.query("tenantA-key", map[string]any{"dataset": "big", "metrics": []string{"n"}})
	c.do("POST", "/v1/query", "tenantA-key", map[string]any{"dataset": "big", "metrics": []string{"nope"}})
	c.do("GET", "/odata/big?$top=5", "tenantA-key", nil)
	c.do("GET", "/v1/datasets", "", nil)
	c.do("GET", "/v1/datasets", "wrong-key", nil)
	c.do("POST", "/internal/reload", "internal-admin-key", nil)
	// The connection that saw the cancel was closed by pgx; this one stays open.
	connect(t, gw, "tenantA-key")

	// The cancelled statement ends in the engine after the client has gone; wait for it.
	var text string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := c.do("GET", "/metrics", "", nil)
		if r.status != 200 {
			t.Fatalf("/metrics: %d", r.status)
		}
		text = string(r.body)
		if _, ok := metricValue(text, `setu_query_cancellations_total{protocol="pg",reason="cancel"}`); ok || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`setu_http_requests_total{code="200",method="POST",route="/v1/query"}`,
		`setu_http_requests_total{code="401",method="GET",route="/v1/datasets"}`,
		`setu_http_request_duration_seconds_count{route="/v1/query"}`,
		`setu_queries_total{class="00",protocol="pg"}`,
		`setu_queries_total{class="42",protocol="pg"}`,
		`setu_queries_total{class="00",protocol="rest"}`,
		`setu_queries_total{class="00",protocol="odata"}`,
		`setu_query_duration_seconds_count{protocol="pg"}`,
		`setu_query_duration_seconds_count{protocol="odata"}`,
		`setu_result_rows_total{protocol="pg"}`,
		`setu_result_bytes_total{protocol="rest"}`,
		`setu_query_result_rows_count{protocol="rest"}`,
		`setu_query_cancellations_total{protocol="pg",reason="timeout"}`,
		`setu_query_cancellations_total{protocol="pg",reason="cancel"}`,
		`setu_http_auth_failures_total{reason="missing"}`,
		`setu_http_auth_failures_total{reason="invalid"}`,
		`setu_auth_failures_total{protocol="rest",reason="invalid"}`,
		`setu_connections_total{protocol="pg"}`,
		`setu_connections_open{protocol="pg"}`,
		`setu_catalog_reloads_total`,
	} {
		v, ok := metricValue(text, want)
		if !ok {
			t.Errorf("/metrics has no %s", want)
			continue
		}
		if v <= 0 {
			t.Errorf("%s = %v: did not move", want, v)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "tenantA-key") || strings.Contains(line, "wrong-key") || strings.Contains(line, "SELECT") {
			t.Errorf("/metrics carries a secret or SQL: %s", line)
		}
	}
}

// metricValue returns the value of the sample whose name and labels start with prefix, summed
// over the samples that match (a family without labels matches all its samples).
func metricValue(text, prefix string) (float64, bool) {
	found := false
	sum := 0.0
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		rest := line[len(prefix):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			continue
		}
		found = true
		sum += v
	}
	return sum, found
}

// POST /internal/reload swaps in a valid catalog (SQL and HTTP see the new dataset) and refuses
// an invalid one, which leaves the old serving.
func TestHTTPCatalogReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cat := filepath.Join(dir, "catalog.yaml")
	orig, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	testkit.WriteFile(t, cat, string(orig))
	gw := startTestGateway(t, func(c *Config) { c.Catalog = cat })
	c := newHTTPClient(t, gw)
	if r := c.do("POST", "/internal/reload", "tenantA-key", nil); r.status != 403 {
		t.Errorf("reload as viewer: %d", r.status)
	}
	testkit.WriteFile(t, cat, string(orig)+`
  - id: cities
    source: {reference: orders}
    fields: [{name: city, type: string}, {name: tenant_id, type: string}, {name: revenue, type: double}]
    dimensions: [{name: city}]
    metrics: [{name: revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id}
`)
	r := c.do("POST", "/internal/reload", "internal-admin-key", nil)
	if r.status != 200 || r.json(t)["datasets"] != float64(3) {
		t.Fatalf("reload: %d %s", r.status, r.body)
	}
	got, _ := c.query("tenantA-key", map[string]any{"dataset": "cities", "dimensions": []string{"city"}, "metrics": []string{"revenue"}, "orderBy": []string{"city"}})
	if !slices.Equal(got, []string{"Bhopal|500", "Indore|1000"}) {
		t.Errorf("new dataset over HTTP: %v", got)
	}
	conn := connect(t, gw, "tenantA-key")
	if got := testkit.RowsText(t, conn, "SELECT city, revenue FROM cities ORDER BY city"); !slices.Equal(got, []string{"Bhopal|500", "Indore|1000"}) {
		t.Errorf("new dataset over SQL: %v", got)
	}
	// The emulated system catalog was rebuilt too: tools list the new table.
	if got := testkit.RowsText(t, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"); !slices.Equal(got, []string{"cities", "customers", "orders"}) {
		t.Errorf("information_schema after reload: %v", got)
	}

	testkit.WriteFile(t, cat, string(orig)+"\n  - id: broken\n    source: {reference: orders}\n    fields: [{name: a, type: string}]\n    metrics: [{name: m, expression: {agg: sum, field: nope}}]\n")
	r = c.do("POST", "/internal/reload", "dev-key-123", nil)
	if r.status != 422 || r.json(t)["error"] != "invalid_catalog" {
		t.Errorf("invalid catalog: %d %s", r.status, r.body)
	}
	if got := testkit.RowsText(t, conn, "SELECT city, revenue FROM cities ORDER BY city"); !slices.Equal(got, []string{"Bhopal|500", "Indore|1000"}) {
		t.Errorf("after a refused reload the old catalog must serve: %v", got)
	}
}

// /docs renders in a real headless browser (Debian's chromium) and describes every path of
// /openapi.json.
func TestHTTPDocsRenderInBrowser(t *testing.T) {
	t.Parallel()
	chromium := requireClient(t, "chromium")
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	api := c.do("GET", "/openapi.json", "", nil)
	if api.status != 200 {
		t.Fatalf("/openapi.json: %d", api.status)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) < 10 {
		t.Fatalf("/openapi.json is not an OpenAPI 3 document: %v %s", err, api.body)
	}

	dir := t.TempDir()
	ctx := testkit.ContextWithin(t, 90*time.Second)
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", c.base+"/docs")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	page := string(dom)
	if !strings.Contains(page, `<h1 id="title">SetuPranali HTTP API</h1>`) {
		t.Fatalf("chromium's DOM has no title:\n%s", page)
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !strings.Contains(page, `data-path="`+path+`"`) || !strings.Contains(page, strings.ToUpper(method)) {
				t.Errorf("/docs as rendered has no %s %s", strings.ToUpper(method), path)
			}
		}
	}
	// And it lays out: a screenshot of the page is an image with content.
	shot := filepath.Join(dir, "docs.png")
	cmd = exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--user-data-dir="+filepath.Join(dir, "profile2"), "--window-size=1200,2000", "--screenshot="+shot, c.base+"/docs")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium screenshot: %v\n%s", err, stderr.String())
	}
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 10000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("screenshot of /docs: %d bytes, %v", len(png), err)
	}
}

// The HTTP API shares the result cache and the per-key rate limits: a repeated /v1/query is a
// cache hit, OData past RATE_LIMIT_ODATA is a 429 in OData's error shape with Retry-After, and
// health reports the cache.
func TestHTTPCacheAndRateLimit(t *testing.T) {
	t.Parallel()
	odataRate, err := ratelimit.ParseRate("3/hour")
	if err != nil {
		t.Fatal(err)
	}
	gw := startTestGateway(t, func(c *Config) {
		c.CacheEnabled = true
		c.RateLimitEnabled = true
		c.RateLimitOData = odataRate
	})
	c := newHTTPClient(t, gw)
	req := map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []string{"orders_count"}, "orderBy": []string{"city"}}
	first, m1 := c.query("tenantB-key", req)
	second, m2 := c.query("tenantB-key", req)
	if !slices.Equal(first, second) || !slices.Equal(first, []string{"Delhi|1", "Indore|1"}) {
		t.Errorf("cached answer differs: %v then %v", first, second)
	}
	if m1["stats"].(map[string]any)["cacheHit"] != false || m2["stats"].(map[string]any)["cacheHit"] != true {
		t.Errorf("cacheHit: %v then %v", m1["stats"], m2["stats"])
	}
	h := c.do("GET", "/v1/health", "", nil).json(t)
	if cache := h["cache"].(map[string]any); cache["enabled"] != true || cache["hits"] != float64(1) {
		t.Errorf("health cache section: %v", cache)
	}

	for i := range 3 {
		if r := c.do("GET", "/odata/orders?$top=1", "tenantA-key", nil); r.status != 200 || r.header.Get("RateLimit-Limit") == "" {
			t.Fatalf("OData request %d: %d %v", i+1, r.status, r.header)
		}
	}
	r := c.do("GET", "/odata/orders?$top=1", "tenantA-key", nil)
	if r.status != 429 || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), `"error":{"code":"rate_limited"`) {
		t.Errorf("OData past its limit: %d %v %s", r.status, r.header, r.body)
	}
	// Another key has its own budget.
	if r := c.do("GET", "/odata/orders?$top=1", "tenantB-key", nil); r.status != 200 {
		t.Errorf("another key: %d", r.status)
	}
	text := string(c.do("GET", "/metrics", "", nil).body)
	if v, ok := metricValue(text, `setu_http_rate_limited_total{endpoint="odata"}`); !ok || v != 1 {
		t.Errorf("setu_http_rate_limited_total = %v, %v", v, ok)
	}
	if _, ok := metricValue(text, "setu_cache_hits_total"); !ok {
		t.Errorf("/metrics lacks the cache's collectors")
	}
}

// With Redis configured, health reports it from the sampler (never waiting on Redis), readiness
// checks it, and its memory use is exported.
func TestHTTPRedisHealthAndMetrics(t *testing.T) {
	t.Parallel()
	url := testkit.RedisURL(t)
	prefix, _ := redisPrefix(t, url)
	gw := startTestGateway(t, withRedis(url, prefix))
	c := newHTTPClient(t, gw)
	// The first sample runs as the server starts; wait for it rather than for a time.
	var cache map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		cache = c.do("GET", "/v1/health", "", nil).json(t)["cache"].(map[string]any)
		if cache["redis_available"] == true || time.Now().After(deadline) {
			break
		}
	}
	if cache["backend"] != "redis" || cache["redis_available"] != true || cache["redis_configured"] != true {
		t.Errorf("health with Redis: %v", cache)
	}
	r := c.do("GET", "/v1/ready", "", nil)
	comps := r.json(t)["components"].(map[string]any)
	if r.status != 200 || comps["redis"].(map[string]any)["status"] != "ok" {
		t.Errorf("ready with Redis: %d %s", r.status, r.body)
	}
	text := string(c.do("GET", "/metrics", "", nil).body)
	if v, ok := metricValue(text, "setu_redis_up"); !ok || v != 1 {
		t.Errorf("setu_redis_up = %v %v", v, ok)
	}
	if v, ok := metricValue(text, "setu_redis_used_memory_bytes"); !ok || v <= 0 {
		t.Errorf("setu_redis_used_memory_bytes = %v %v", v, ok)
	}
	if strings.Contains(text, url) || strings.Contains(string(c.do("GET", "/internal/status", "internal-admin-key", nil).body), url) {
		t.Error("the Redis URL leaked")
	}
}

// demoCatalogWith writes the demo catalog with extra appended (more datasets) to a file of the
// test's own and returns its path.
func demoCatalogWith(t *testing.T, extra string) string {
	t.Helper()
	b, err := os.ReadFile("../catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat := filepath.Join(t.TempDir(), "catalog.yaml")
	testkit.WriteFile(t, cat, string(b)+extra)
	return cat
}
