package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/metrics"
	"github.com/setupranali/setupranali/planner"
)

// The HTTP tests of this package drive the real Server over the real planner and a real DuckDB
// executor holding the rows of fixtureOrders. Expected answers are computed from those rows in
// Go (groupOrders), never from what the gateway rewrote, so a wrong tenant filter, a dropped
// condition or a repeated row shows as a wrong number.

const httpCatalog = `datasets:
  - id: orders
    name: Orders
    description: One row per order.
    tags: [sales]
    source: {engine: duckdb, type: table, reference: orders}
    fields:
      - {name: order_id, type: int64, semanticType: identifier}
      - {name: tenant_id, type: string, semanticType: dimension}
      - {name: order_date, type: date, semanticType: time}
      - {name: city, type: string, semanticType: dimension}
      - {name: revenue, type: double, semanticType: metric}
      - {name: quantity, type: int64, semanticType: metric}
    dimensions:
      - {name: city, field: city, label: City}
      - {name: order_date, field: order_date, label: Order Date}
    metrics:
      - {name: total_revenue, label: Revenue, expression: {type: aggregation, agg: sum, field: revenue}, returnType: double, format: currency}
      - {name: orders_count, expression: {type: aggregation, agg: count, field: order_id}, returnType: int64}
      - {name: total_quantity, expression: {type: aggregation, agg: sum, field: quantity}}
    rls: {enabled: true, column: tenant_id, mode: equals, allowAdminBypass: true}
    incremental: {enabled: true, column: order_date, type: date, maxWindowDays: 31}
  - id: products
    name: Products
    source: {engine: duckdb, type: table, reference: products}
    fields:
      - {name: sku, type: string}
      - {name: category, type: string}
      - {name: price, type: double}
    dimensions: [{name: sku}, {name: category}]
    metrics: [{name: list_value, expression: {agg: sum, field: price}}]
`

// order is one row of the orders table.
type order struct {
	id       int
	tenant   string
	city     string // "" is NULL
	date     time.Time
	revenue  float64
	quantity int64
}

var (
	fixtureCities  = []string{"Indore", "Bhopal", "Pune", "O'Hare"}
	fixtureTenants = []string{"t1", "t2", "t3"}
	fixtureStart   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// fixtureOrders are the rows every HTTP test queries: three tenants, four cities (one with a
// quote in its name) and a NULL city, over the 75 days from fixtureStart. Revenues are quarters,
// so every sum is exact in float64 whatever order the engine adds in.
func fixtureOrders() []order {
	r := rand.New(rand.NewPCG(16, 7))
	var out []order
	for i := range 300 {
		o := order{
			id:       i + 1,
			tenant:   fixtureTenants[r.IntN(len(fixtureTenants))],
			city:     fixtureCities[r.IntN(len(fixtureCities))],
			date:     fixtureStart.AddDate(0, 0, r.IntN(75)),
			revenue:  float64(r.IntN(40000)) / 4,
			quantity: int64(1 + r.IntN(9)),
		}
		if i%50 == 7 {
			// Two NULL cities for each tenant.
			o.city, o.tenant = "", fixtureTenants[(i/50)%len(fixtureTenants)]
		}
		out = append(out, o)
	}
	return out
}

// initSQL creates and fills the engine's tables.
func initSQL(orders []order) []string {
	var b strings.Builder
	b.WriteString("CREATE TABLE orders (order_id BIGINT, tenant_id VARCHAR, order_date DATE, city VARCHAR, revenue DOUBLE, quantity BIGINT);\nINSERT INTO orders VALUES ")
	for i, o := range orders {
		if i > 0 {
			b.WriteString(",\n")
		}
		city := "NULL"
		if o.city != "" {
			city = "'" + strings.ReplaceAll(o.city, "'", "''") + "'"
		}
		fmt.Fprintf(&b, "(%d, '%s', DATE '%s', %s, %v, %d)", o.id, o.tenant, o.date.Format(time.DateOnly), city, o.revenue, o.quantity)
	}
	b.WriteString(";\nCREATE TABLE products AS SELECT * FROM (VALUES ('p1', 'tea', 2.5), ('p2', 'tea', 4.0), ('p3', 'coffee', 7.25)) t(sku, category, price);")
	return []string{b.String()}
}

// The keys the test authenticator knows.
const (
	keyT1       = "secret-t1"
	keyT2       = "secret-t2"
	keyAdmin    = "secret-admin"
	keyScoped   = "secret-scoped"
	keyOps      = "secret-ops"
	keyNoTenant = "secret-none"
)

var httpPrincipals = staticAuth{
	keyT1:       {KeyID: "k-t1", Tenants: []string{"t1"}, Role: auth.RoleViewer},
	keyT2:       {KeyID: "k-t2", Tenants: []string{"t2"}, Role: auth.RoleViewer},
	keyAdmin:    {KeyID: "k-admin", Role: auth.RoleAdmin},
	keyScoped:   {KeyID: "k-scoped", Tenants: []string{"t1"}, Role: auth.RoleViewer, Scopes: []string{"products"}},
	keyOps:      {KeyID: "k-ops", Role: auth.RoleInternalAdmin},
	keyNoTenant: {KeyID: "k-none", Role: auth.RoleViewer},
}

// lockedBuffer is a log sink the server's goroutines and the test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines are the JSON log records written so far.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		out = append(out, m)
	}
	return out
}

// gateway is a Server over the fixture, served by an httptest server.
type gateway struct {
	t      *testing.T
	srv    *Server
	url    string
	orders []order
	logs   *lockedBuffer
	cat    *catalog.Catalog
}

// newGateway starts a gateway; edit may change the Server's config before it is built (its
// Admission, page size, body limit ...).
func newGateway(t *testing.T, edit func(*Config)) *gateway {
	t.Helper()
	ctx := testkit.Context(t)
	orders := fixtureOrders()
	cat, err := catalog.Load([]byte(httpCatalog), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	be, err := duckdb.Open(ctx, duckdb.Config{InitSQL: initSQL(orders), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	pl := planner.New(cat, planner.Config{})
	t.Cleanup(func() { pl.Close() })
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mset := metrics.New()
	cfg := Config{
		Authenticator: httpPrincipals,
		Planner:       mset.Planner(metrics.ProtocolREST, pl),
		Catalog:       pl.Catalog,
		Log:           log,
		Version:       "test-1",
		QueryMetrics:  mset,
		Ready: []Check{{Name: "duckdb", Check: func(ctx context.Context) error {
			rows, err := be.Query(ctx, "SELECT 1", nil)
			if err != nil {
				return err
			}
			rows.Close()
			return rows.Err()
		}}},
	}
	var adm *admission.Controller
	if edit != nil {
		edit(&cfg)
		if a, ok := cfg.Admission.(*admission.Controller); ok {
			adm = a
		}
	}
	ecfg := engine.Config{Backends: map[string]engine.Backend{"duckdb": be}, Default: "duckdb", Log: log}
	if adm != nil {
		ecfg.Admission = adm
	}
	cfg.Executor = mset.Executor(metrics.ProtocolREST, engine.New(ecfg))
	reg := prometheus.NewRegistry()
	cfg.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	srv := New(cfg)
	reg.MustRegister(srv.Collectors()...)
	reg.MustRegister(mset.Collectors()...)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &gateway{t: t, srv: srv, url: ts.URL, orders: orders, logs: logs, cat: cat}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body, numbers as json.Number so values compare exactly.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("body is not a JSON object (%d): %s", r.status, r.body)
	}
	return m
}

// do sends a request with key (none when empty) and header pairs.
func (g *gateway) do(method, path, key string, body io.Reader, header ...string) response {
	g.t.Helper()
	req, err := http.NewRequestWithContext(testkit.Context(g.t), method, g.url+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (g *gateway) get(path, key string, header ...string) response {
	g.t.Helper()
	return g.do(http.MethodGet, path, key, nil, header...)
}

// query posts a /v1/query body (a string is sent as is, anything else as its JSON).
func (g *gateway) query(key string, body any, header ...string) response {
	g.t.Helper()
	var text string
	switch b := body.(type) {
	case string:
		text = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			g.t.Fatal(err)
		}
		text = string(j)
	}
	return g.do(http.MethodPost, "/v1/query", key, strings.NewReader(text), append([]string{"Content-Type", "application/json"}, header...)...)
}

// rows are a /v1/query answer's rows, after checking it is a 200 with the expected columns.
func (r response) rows(t *testing.T, columns ...string) []map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	var names []string
	for _, c := range m["columns"].([]any) {
		names = append(names, c.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != strings.Join(columns, ",") {
		t.Fatalf("columns %v, want %v", names, columns)
	}
	var out []map[string]any
	for _, row := range m["rows"].([]any) {
		out = append(out, row.(map[string]any))
	}
	return out
}

// totals are the metrics of one group of fixture rows.
type totals struct {
	revenue  float64
	count    int64
	quantity int64
}

// groupOrders sums the rows keep accepts by the key of each: the ground truth of a query.
func groupOrders(orders []order, keep func(order) bool, key func(order) string) map[string]totals {
	out := map[string]totals{}
	for _, o := range orders {
		if keep != nil && !keep(o) {
			continue
		}
		k := key(o)
		s := out[k]
		s.revenue += o.revenue
		s.count++
		s.quantity += o.quantity
		out[k] = s
	}
	return out
}

func ofTenant(tenant string) func(order) bool {
	return func(o order) bool { return o.tenant == tenant }
}

func byCity(o order) string { return cityKey(o.city) }

// cityKey is how a city shows in a result: NULL as "<null>".
func cityKey(city string) string {
	if city == "" {
		return "<null>"
	}
	return city
}

// str is a JSON value as a map key: null as "<null>".
func str(v any) string {
	if v == nil {
		return "<null>"
	}
	return fmt.Sprint(v)
}

// num reads a JSON number exactly as float64.
func num(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// integer reads a JSON number that must be an integer.
func integer(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an integer: %v", v, err)
	}
	return i
}

// checkError checks the JSON API's error shape: status, code word, SQLSTATE (when want is not
// empty) and the request id, which must be the response's X-Request-ID. It returns the message.
func (r response) checkError(t *testing.T, status int, code, sqlstate string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q", ct)
	}
	m := r.json(t)
	for k := range m {
		switch k {
		case "error", "message", "sqlstate", "hint", "request_id":
		default:
			t.Errorf("error body has an unexpected key %q: %s", k, r.body)
		}
	}
	if m["error"] != code {
		t.Errorf("error %v, want %q: %s", m["error"], code, r.body)
	}
	if sqlstate != "" && m["sqlstate"] != sqlstate {
		t.Errorf("sqlstate %v, want %q: %s", m["sqlstate"], sqlstate, r.body)
	}
	if id := r.header.Get("X-Request-ID"); id == "" || m["request_id"] != id {
		t.Errorf("request_id %v, header %q", m["request_id"], id)
	}
	msg, _ := m["message"].(string)
	if msg == "" {
		t.Errorf("error without a message: %s", r.body)
	}
	return msg
}
