package gateway

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// Every object of a /v1/query body is decoded strictly: a key the API does not know is a 400
// naming it, wherever it sits, rather than a query answered as if the key were not there.
func TestHTTPQueryUnknownKeysRefused(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	for _, tc := range []struct {
		name, body, mention string
	}{
		{"the issue's reproduction", `{"dataset":"orders","dimensions":[{"name":"city","bogus":1}],"metrics":[{"name":"total_revenue","where":{"field":"city","op":"eq","value":"Indore"}}]}`, `"bogus"`},
		{"per-metric where", `{"dataset":"orders","dimensions":["city"],"metrics":[{"name":"total_revenue","where":{"field":"city","op":"eq","value":"Indore"}}]}`, `"where"`},
		{"top level", `{"dataset":"orders","metrics":["total_revenue"],"filter":{"field":"city","op":"eq","value":"Indore"}}`, `"filter"`},
		{"dimension object", `{"dataset":"orders","dimensions":[{"name":"city","grain":"month"}],"metrics":["total_revenue"]}`, `"grain"`},
		{"metric object", `{"dataset":"orders","metrics":[{"name":"total_revenue","agg":"avg"}]}`, `"agg"`},
		{"orderBy item", `{"dataset":"orders","dimensions":["city"],"metrics":["total_revenue"],"orderBy":[{"field":"city","nulls":"last"}]}`, `"nulls"`},
		{"filter condition", `{"dataset":"orders","metrics":["total_revenue"],"filters":{"field":"city","op":"eq","value":"Indore","caseInsensitive":true}}`, `"caseInsensitive"`},
		{"condition nested under or/not", `{"dataset":"orders","metrics":["total_revenue"],"filters":{"or":[{"field":"city","op":"eq","value":"Indore"},{"not":{"field":"city","op":"eq","value":"Delhi","negate":true}}]}}`, `"negate"`},
		{"two names for one field", `{"dataset":"orders","dimensions":[{"name":"city","field":"order_date"}],"metrics":["total_revenue"]}`, `"field"`},
		{"a key twice, the second dropping the filter", `{"dataset":"orders","metrics":["total_revenue"],"filters":{"field":"city","op":"eq","value":"Indore"},"filters":null}`, `"filters"`},
		{"a key twice in another case", `{"dataset":"orders","metrics":["total_revenue"],"Metrics":["orders_count"]}`, `"Metrics"`},
		{"value on is_null", `{"dataset":"orders","metrics":["total_revenue"],"filters":{"field":"city","op":"is_null","value":"Indore"}}`, "takes no value"},
	} {
		r := c.do("POST", "/v1/query", "tenantA-key", tc.body)
		if r.status != 400 || !strings.Contains(r.json(t)["message"].(string), tc.mention) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.status, r.body, tc.mention)
		}
	}
}

// timeGrain truncates a time dimension and alias names an output column; the numbers are
// hand-computed from demo.sql (tenantB: o3 2025-12-02 Indore 250, o4 2025-12-03 Delhi 1200).
func TestHTTPQueryTimeGrainAndAlias(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) { c.MaxDimensions = 3 })
	c := newHTTPClient(t, gw)
	for _, tc := range []struct {
		grain string
		want  []string
	}{
		{"day", []string{"2025-12-02|250|1", "2025-12-03|1200|1"}},
		{"week", []string{"2025-12-01|1450|2"}}, // 2025-12-01 is a Monday
		{"month", []string{"2025-12-01|1450|2"}},
		{"quarter", []string{"2025-10-01|1450|2"}},
		{"year", []string{"2025-01-01|1450|2"}},
	} {
		got, m := c.query("tenantB-key", map[string]any{"dataset": "orders",
			"dimensions": []any{map[string]any{"name": "order_date", "timeGrain": tc.grain}},
			"metrics":    []string{"total_revenue", "orders_count"}, "orderBy": []string{"order_date"}})
		if !slices.Equal(got, tc.want) {
			t.Errorf("timeGrain %s: %v, want %v", tc.grain, got, tc.want)
		}
		if typ := m["columns"].([]any)[0].(map[string]any)["type"]; typ != "date" {
			t.Errorf("timeGrain %s of a date dimension has type %v", tc.grain, typ)
		}
	}
	// Dimensions alone are grouped at their grain too.
	if got, _ := c.query("tenantB-key", map[string]any{"dataset": "orders",
		"dimensions": []any{map[string]any{"field": "order_date", "timeGrain": "MONTH"}}}); !slices.Equal(got, []string{"2025-12-01"}) {
		t.Errorf("month alone: %v", got)
	}
	// Aliases name the columns; orderBy may use them; one dimension at two grains is two columns.
	got, m := c.query("tenantB-key", map[string]any{"dataset": "orders",
		"dimensions": []any{map[string]any{"name": "city", "alias": "town"}, map[string]any{"name": "order_date", "timeGrain": "month", "alias": "month"},
			map[string]any{"name": "order_date", "timeGrain": "day"}},
		"metrics": []any{map[string]any{"name": "total_revenue", "alias": "rev"}}, "orderBy": []any{"-rev"}})
	var names []string
	for _, col := range m["columns"].([]any) {
		names = append(names, col.(map[string]any)["name"].(string))
	}
	if !slices.Equal(names, []string{"town", "month", "order_date", "rev"}) {
		t.Errorf("aliased columns: %v", names)
	}
	rows := rowStrings(m["rows"].([]any), names)
	if want := []string{"Delhi|2025-12-01|2025-12-03|1200", "Indore|2025-12-01|2025-12-02|250"}; !slices.Equal(rows, want) || len(got) != 2 {
		t.Errorf("aliased rows: %v, want %v", rows, want)
	}

	for _, tc := range []struct {
		name, body, mention, sqlstate string
	}{
		{"grain of a string", `{"dataset":"orders","dimensions":[{"name":"city","timeGrain":"month"}],"metrics":["total_revenue"]}`, "date or timestamp", ""},
		{"unknown grain", `{"dataset":"orders","dimensions":[{"name":"order_date","timeGrain":"hour"}],"metrics":["total_revenue"]}`, "hour", ""},
		{"alias taken by a dimension", `{"dataset":"orders","dimensions":["city",{"name":"order_date","alias":"city"}],"metrics":["total_revenue"]}`, `"city"`, ""},
		{"alias taken by a metric", `{"dataset":"orders","dimensions":[{"name":"city","alias":"orders_count"}],"metrics":["orders_count"]}`, `"orders_count"`, ""},
		{"repeated dimension", `{"dataset":"orders","dimensions":["city","city"],"metrics":["total_revenue"]}`, "twice", ""},
		{"repeated dimension under an alias", `{"dataset":"orders","dimensions":["city",{"name":"city","alias":"c2"}]}`, "twice", ""},
		{"repeated metric", `{"dataset":"orders","metrics":["total_revenue",{"name":"total_revenue","alias":"r2"}]}`, "twice", ""},
		// Four dimension expressions over two distinct dimensions: the planner's guard counts
		// two, this one four.
		{"expressions over the limit", `{"dataset":"orders","dimensions":["city",{"name":"order_date","timeGrain":"day"},{"name":"order_date","timeGrain":"month","alias":"m"},{"name":"order_date","timeGrain":"year","alias":"y"}],"metrics":["orders_count"]}`, "limit is 3", "54000"},
	} {
		r := c.do("POST", "/v1/query", "tenantB-key", tc.body)
		m := r.json(t)
		if r.status != 400 || !strings.Contains(m["message"].(string), tc.mention) || tc.sqlstate != "" && m["sqlstate"] != tc.sqlstate {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.name, r.status, r.body, tc.mention)
		}
	}
	// A repeated dimension never yields rows with a key twice, however often it is repeated.
	dims := make([]string, 21)
	for i := range dims {
		dims[i] = "city"
	}
	if r := c.do("POST", "/v1/query", "tenantB-key", map[string]any{"dataset": "orders", "dimensions": dims, "metrics": []string{"orders_count"}}); r.status != 400 {
		t.Errorf("21 times city: %d %s", r.status, r.body)
	}
}

// timeGrain on a PostgreSQL source, over two years of orders, against the same aggregation
// asked of PostgreSQL directly (not through the gateway), for a date and a timestamp dimension.
func TestHTTPQueryTimeGrainMatchesPostgres(t *testing.T) {
	t.Parallel()
	schema := testkit.PostgresSchema(t)
	admin, adminDSN := testkit.PostgresConn(t), testkit.PostgresDSN(t)
	if _, err := admin.Exec(testkit.Context(t), fmt.Sprintf(`CREATE TABLE %[1]s.orders AS
  SELECT 'o' || i AS order_id, (ARRAY['tenantA', 'tenantB', 'default'])[i %% 3 + 1] AS tenant_id,
         DATE '2024-01-01' + (i * 7) %% 731 AS order_date,
         TIMESTAMP '2024-01-01 00:00:00' + ((i * 7) %% 731) * INTERVAL '1 day' + (i %% 24) * INTERVAL '1 hour' AS placed_at,
         i * 1.5 AS revenue
  FROM generate_series(1, 600) AS i;`, schema)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cat := testkit.TempFile(t, "catalog.yaml", fmt.Sprintf(`datasets:
  - id: pg_orders
    source: { engine: postgres, type: table, reference: %s.orders }
    fields:
      - { name: order_id, type: string }
      - { name: tenant_id, type: string }
      - { name: order_date, type: date }
      - { name: placed_at, type: timestamp }
      - { name: revenue, type: double }
    dimensions:
      - { name: order_date, field: order_date }
      - { name: placed_at, field: placed_at }
    metrics:
      - { name: total_revenue, expression: { type: aggregation, agg: sum, field: revenue } }
      - { name: orders_count, expression: { type: aggregation, agg: count, field: order_id } }
    rls: { enabled: true, column: tenant_id, mode: equals }
`, schema))
	gw := startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(adminDSN) })
	c := newHTTPClient(t, gw)
	for _, grain := range []string{"day", "week", "month", "quarter", "year"} {
		for _, dim := range []string{"order_date", "placed_at"} {
			trunc := fmt.Sprintf("date_trunc('%s', %s)", grain, dim)
			label := "to_char(" + trunc + `, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
			if dim == "order_date" {
				label = "CAST(CAST(" + trunc + " AS date) AS text)"
			}
			rows, err := admin.Query(ctx, fmt.Sprintf("SELECT %s, sum(revenue)::float8, count(order_id) FROM %s.orders WHERE tenant_id = 'tenantA' GROUP BY 1 ORDER BY 1", label, schema))
			if err != nil {
				t.Fatal(err)
			}
			want, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
				var k string
				var sum float64
				var n int64
				err := r.Scan(&k, &sum, &n)
				return k + "|" + strconv.FormatFloat(sum, 'f', -1, 64) + "|" + strconv.FormatInt(n, 10), err
			})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := c.query("tenantA-key", map[string]any{"dataset": "pg_orders",
				"dimensions": []any{map[string]any{"name": dim, "timeGrain": grain, "alias": "period"}},
				"metrics":    []string{"total_revenue", "orders_count"}, "orderBy": []string{"period"}, "limit": 1000})
			if !slices.Equal(got, want) {
				t.Errorf("%s by %s: %d rows %v, want %d rows %v", dim, grain, len(got), got, len(want), want)
			}
			if len(want) < 2 && grain != "year" {
				t.Errorf("%s by %s: only %d groups; the data should span several", dim, grain, len(want))
			}
		}
	}
}

// The body cap and strict JSON cover the whole body, and only JSON is read as a query.
func TestHTTPQueryBodyStrictness(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	const q = `{"dataset":"orders","metrics":["total_revenue"]}`
	for _, tc := range []struct {
		name, body string
		header     []string
		status     int
		code       string
	}{
		{"no Content-Type", q, nil, 200, ""},
		{"JSON with charset", q, []string{"Content-Type", "application/json; charset=utf-8"}, 200, ""},
		{"trailing whitespace", q + "\n \t\n", []string{"Content-Type", "application/json"}, 200, ""},
		{"whitespace past the cap", q + strings.Repeat(" ", 1<<20), nil, 413, "request_too_large"},
		{"a second value", q + `{"dataset":"orders","metrics":["orders_count"]}`, nil, 400, "invalid_request"},
		{"trailing garbage", q + "]", nil, 400, "invalid_request"},
		{"curl -d's form type", q, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"plain text", q, []string{"Content-Type", "text/plain"}, 415, "unsupported_media_type"},
		{"malformed type", q, []string{"Content-Type", "application/json; ==="}, 415, "unsupported_media_type"},
	} {
		r := c.do("POST", "/v1/query", "tenantA-key", tc.body, tc.header...)
		if r.status != tc.status || tc.code != "" && r.json(t)["error"] != tc.code {
			t.Errorf("%s: %d %.200s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
		if r.status == 200 && r.json(t)["rows"].([]any)[0].(map[string]any)["total_revenue"] != float64(1500) {
			t.Errorf("%s: %s, want tenantA's total 1500", tc.name, r.body)
		}
	}
}

// $metadata declares every dimension nullable and keys each entity type on a synthetic,
// never-null property; the feed carries it, distinct per entity, also where a dimension is NULL.
func TestODataNullableDimensionsAndKey(t *testing.T) {
	t.Parallel()
	cat := demoCatalogWith(t, `
  - id: big_orders
    source: {reference: orders}
    fields: [{name: city, type: string}, {name: tenant_id, type: string}, {name: revenue, type: double}]
    dimensions: [{name: big_city, sql: "CASE WHEN revenue >= 1000 THEN city END", type: string}]
    metrics: [{name: revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id}
`)
	gw := startTestGateway(t, func(c *Config) { c.Catalog = cat })
	c := newHTTPClient(t, gw)
	var doc csdl
	if err := xml.Unmarshal(c.do("GET", "/odata/$metadata", "tenantA-key", nil).body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, et := range doc.Schemas[0].Types {
		if len(et.Key) != 1 || et.Key[0].Name != "_key" {
			t.Errorf("%s: key %v, want _key", et.Name, et.Key)
		}
		for _, p := range et.Props {
			want := "true"
			if p.Name == "_key" {
				want = "false"
			}
			if p.Nullable != want {
				t.Errorf("%s.%s: Nullable=%q, want %q", et.Name, p.Name, p.Nullable, want)
			}
		}
	}
	// tenantA: o1 Indore 1000 (big), o2 Bhopal 500 (not: NULL).
	r := c.do("GET", "/odata/big_orders?$orderby=big_city", "tenantA-key", nil)
	if r.status != 200 {
		t.Fatalf("feed: %d %s", r.status, r.body)
	}
	var feed struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(r.body, &feed); err != nil {
		t.Fatal(err)
	}
	got := rowStrings(toAny(feed.Value), []string{"_key", "big_city", "revenue"})
	if want := []string{`[null]|NULL|500`, `["Indore"]|Indore|1000`}; !slices.Equal(got, want) {
		t.Errorf("feed rows %v, want %v", got, want)
	}
	// Selecting the key is allowed (Power BI keeps key columns in $select); a total has one key.
	got, _ = c.odata("tenantA-key", "/odata/orders?$select=_key,total_revenue", "_key", "total_revenue")
	if !slices.Equal(got, []string{"[]|1500"}) {
		t.Errorf("total with its key: %v", got)
	}
	got, _ = c.odata("tenantA-key", "/odata/orders?$select=city,order_date,orders_count", "_key", "orders_count")
	if !slices.Equal(got, []string{`["Bhopal","2025-12-01"]|1`, `["Indore","2025-12-01"]|1`}) {
		t.Errorf("keys of two dimensions: %v", got)
	}
}

func toAny(rows []map[string]any) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

// A lone date bound on the incremental column is an ordinary filter whatever today is; only a
// closed range longer than maxWindowDays (90 in the demo) is refused, with the documented code.
func TestODataLoneIncrementalBound(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	// dev-key-123 is admin and orders allows the bypass: all six orders; after 2025-12-02
	// come o4 (Delhi) and o6 (Chennai), both on 2025-12-03.
	for _, f := range []string{"order_date gt 2025-12-02", "order_date ge 2025-12-03", "order_date gt 2020-01-01 and order_date gt 2025-12-02"} {
		got, _ := c.odata("dev-key-123", "/odata/orders?$select=order_date,orders_count&$filter="+url.QueryEscape(f), "order_date", "orders_count")
		if !slices.Equal(got, []string{"2025-12-03|2"}) {
			t.Errorf("%s: %v", f, got)
		}
	}
	if got, _ := c.odata("dev-key-123", "/odata/orders?$select=orders_count&$filter="+url.QueryEscape("order_date lt 2025-12-02"), "orders_count"); !slices.Equal(got, []string{"2"}) {
		t.Errorf("lone upper bound: %v", got)
	}
	if r := c.do("GET", "/odata/orders/$count?$filter="+url.QueryEscape("order_date gt 2025-12-02"), "dev-key-123", nil); r.status != 200 || string(r.body) != "2" {
		t.Errorf("$count with a lone bound: %d %s", r.status, r.body)
	}
	r := c.do("GET", "/odata/orders?$filter="+url.QueryEscape("order_date ge 2025-01-01 and order_date lt 2025-12-31"), "dev-key-123", nil)
	e, _ := r.json(t)["error"].(map[string]any)
	if r.status != 400 || e["code"] != "incremental_window_exceeded" || !strings.Contains(e["message"].(string), "incremental window of 364 days") {
		t.Errorf("window over maxWindowDays: %d %s", r.status, r.body)
	}
}

// An internal_admin key is for operations: it reads no dataset rows on any door, while the
// operations endpoints and catalog discovery keep working.
func TestInternalAdminReadsNoRows(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	c := newHTTPClient(t, gw)
	const key = "internal-admin-key"
	r := c.do("POST", "/v1/query", key, map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []string{"total_revenue"}})
	if m := r.json(t); r.status != 403 || m["sqlstate"] != "42501" {
		t.Errorf("/v1/query: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/odata/orders", "/odata/orders?$select=total_revenue", "/odata/orders/$count", "/odata/orders?$apply=" + url.QueryEscape("aggregate(total_revenue with sum as t)")} {
		if r := c.do("GET", path, key, nil); r.status != 403 {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	for _, path := range []string{"/internal/status", "/odata/$metadata", "/v1/datasets/orders"} {
		if r := c.do("GET", path, key, nil); r.status != 200 {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}

	conn := connect(t, gw, key)
	for _, sql := range []string{
		"SELECT city, total_revenue FROM orders",
		"SELECT count(*) FROM (SELECT city FROM public.orders) s",
		"WITH o AS (SELECT * FROM orders) SELECT city FROM o",
		"SELECT 1 WHERE EXISTS (SELECT 1 FROM orders)",
	} {
		_, err := tryRows(conn, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s: %v, want 42501", sql, err)
		}
	}
	if got := testkit.RowsText(t, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"); !slices.Equal(got, []string{"customers", "orders"}) {
		t.Errorf("discovery: %v", got)
	}
	if got := testkit.RowsText(t, conn, "SELECT 1 + 1"); !slices.Equal(got, []string{"2"}) {
		t.Errorf("a query of no dataset: %v", got)
	}
	// The extended protocol describes before it runs: the refusal comes there too.
	if _, err := conn.Prepare(context.Background(), "s1", "SELECT total_revenue FROM orders"); err == nil {
		t.Error("prepared a statement reading orders")
	}
}
