package gateway

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/ratelimit"
)

// connectErr opens a pg wire connection with key, returning the refusal instead of failing.
func connectErr(gw *Gateway, key string) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, connString(gw, key))
}

// One key holding connections can never lock another tenant out: with the default
// --max-connections of 100, tenantA's key gets half of the slots and tenantB still logs in.
func TestConnectionSlotsFairBetweenKeys(t *testing.T) {
	gw := startTestGateway(t)
	var held []*pgx.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close(context.Background())
		}
	})
	var refused *pgconn.PgError
	for i := range 100 {
		c, err := connectErr(gw, "tenantA-key")
		if err != nil {
			if !errors.As(err, &refused) {
				t.Fatalf("connection %d: %v", i+1, err)
			}
			continue
		}
		held = append(held, c)
	}
	if len(held) != 50 {
		t.Errorf("tenantA holds %d idle connections, want 50 (half of 100)", len(held))
	}
	if refused == nil || refused.Code != "53300" || refused.Severity != "FATAL" ||
		refused.Message != "too many connections for API key demo-tenantA (at most 50 per key)" ||
		!strings.Contains(refused.Hint, "SETU_MAX_CONNECTIONS_PER_KEY") {
		t.Fatalf("refusal past the key's cap: %+v", refused)
	}
	other, err := connectErr(gw, "tenantB-key")
	if err != nil {
		t.Fatalf("tenantB cannot log in while tenantA holds its connections: %v", err)
	}
	defer other.Close(context.Background())
	if rows, err := tryRows(other, "SELECT city FROM orders ORDER BY 1"); err != nil || len(rows) == 0 {
		t.Errorf("tenantB's query: %v %v", rows, err)
	}
	// A connection given back is a slot free again.
	held[0].Close(context.Background())
	held = held[1:]
	testkit.Eventually(t, "tenantA's freed slot", func() bool {
		c, err := connectErr(gw, "tenantA-key")
		if err == nil {
			held = append(held, c)
		}
		return err == nil
	})
}

// The keys of one tenant share a tenant cap; another tenant keeps its slots.
func TestConnectionSlotsPerTenant(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) { c.MaxConnections = 8 }) // 4 per key, 6 per tenant
	var held []*pgx.Conn
	t.Cleanup(func() {
		for _, c := range held {
			c.Close(context.Background())
		}
	})
	take := func(key string, n int) {
		for i := range n {
			c, err := connectErr(gw, key)
			if err != nil {
				t.Fatalf("%s connection %d: %v", key, i+1, err)
			}
			held = append(held, c)
		}
	}
	take("dev-key-123", 4)      // tenant default
	take("readonly-key-456", 2) // tenant default: 6 in all
	_, err := connectErr(gw, "readonly-key-456")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53300" || pe.Message != "too many connections for tenant default (at most 6 per tenant)" {
		t.Fatalf("7th connection of tenant default: %v", err)
	}
	take("tenantB-key", 2)
	// The server's own cap is still the outer bound.
	_, err = connectErr(gw, "tenantA-key")
	if !errors.As(err, &pe) || pe.Code != "53300" || !strings.Contains(pe.Message, "too many clients already") {
		t.Fatalf("9th connection: %v", err)
	}
}

// One key, one concurrency budget, whatever the door: while a pg wire query of tenantA's runs,
// its /v1/query is refused with 53400 (HTTP 429), and another key's is answered.
func TestQueryBudgetSharedAcrossDoors(t *testing.T) {
	gw := startBigGateway(t, time.Hour, func(c *Config) { c.MaxQueriesPerKey = 1 })
	busy := connect(t, gw, "tenantA-key")
	h := newHTTPClient(t, gw)
	long := startLongQuery(busy)
	var last httpResult
	testkit.Eventually(t, "tenantA's HTTP query to be refused while its pg query runs", func() bool {
		long.restartIfRefused(t)
		last = h.do("POST", "/v1/query", "tenantA-key", map[string]any{"dataset": "big", "metrics": []string{"n"}}, "Content-Type", "application/json")
		return last.status == 429
	})
	if body := string(last.body); !strings.Contains(body, "53400") || !strings.Contains(body, "too many concurrent queries for API key demo-tenantA") {
		t.Errorf("refusal: %s", body)
	}
	if r := h.do("POST", "/v1/query", "dev-key-123", map[string]any{"dataset": "big", "metrics": []string{"n"}}, "Content-Type", "application/json"); r.status != 200 {
		t.Errorf("another key: %d %s", r.status, r.body)
	}
	long.stop()
	testkit.Eventually(t, "tenantA's HTTP query once its pg query ended", func() bool {
		return h.do("POST", "/v1/query", "tenantA-key", map[string]any{"dataset": "big", "metrics": []string{"n"}}, "Content-Type", "application/json").status == 200
	})
}

// An OData refresh is charged once for the feed, not once per nextLink page; a nextLink is
// single-use and bound to its key, so replaying or borrowing one is charged like any request.
func TestODataFeedChargedOnce(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) {
		c.RateLimitEnabled = true
		c.RateLimitOData = ratelimit.Rate{N: 2, Per: time.Hour}
		c.ODataPageSize = 1
	})
	h := newHTTPClient(t, gw)
	next := "/odata/orders?$select=city,order_date&$orderby=city,order_date"
	var links []string
	for page := 1; next != ""; page++ {
		r := h.do("GET", next, "dev-key-123", nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", page, r.status, r.body)
		}
		m := r.json(t)
		if rows := m["value"].([]any); len(rows) != 1 {
			t.Fatalf("page %d has %d rows", page, len(rows))
		}
		next, _ = m["@odata.nextLink"].(string)
		if next != "" {
			links = append(links, next)
		}
	}
	if len(links) < 2 {
		t.Fatalf("the feed had %d nextLinks; the test needs at least 2", len(links))
	}
	// The whole feed cost one request of 2: a replayed nextLink is charged (the second), and
	// then refused.
	if r := h.do("GET", links[0], "dev-key-123", nil); r.status != 200 {
		t.Fatalf("first replay: %d %s", r.status, r.body)
	}
	if r := h.do("GET", links[0], "dev-key-123", nil); r.status != 429 {
		t.Errorf("second replay of a used nextLink: %d, want 429", r.status)
	}
	// Another key cannot ride on the admin's unused link, nor on a forged token.
	u, err := url.Parse(links[len(links)-1])
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if r := h.do("GET", u.RequestURI(), "tenantB-key", nil); i < 2 && r.status != 200 || i == 2 && r.status != 429 {
			t.Errorf("tenantB using the admin's nextLink, request %d: %d", i+1, r.status)
		}
	}
	q := u.Query()
	q.Set("$skiptoken", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	if r := h.do("GET", "/odata/orders?"+q.Encode(), "readonly-key-456", nil); r.status != 200 {
		t.Errorf("a forged token is charged like a first page: %d", r.status)
	}
	text := string(h.do("GET", "/metrics", "", nil).body)
	if v, ok := metricValue(text, `setu_http_rate_limited_total{endpoint="odata"}`); !ok || v != 2 {
		t.Errorf("setu_http_rate_limited_total{odata} = %v, want 2", v)
	}
}

// One key cannot occupy every connection of the catalog engine: with two of them, tenantA's
// second concurrent catalog query is refused with 53400 while its first runs, and tenantB's
// lookup takes the connection left.
func TestCatalogQueriesCappedPerKey(t *testing.T) {
	gw := startTestGateway(t, func(c *Config) {
		c.CatalogConnections = 2 // one catalog query per key at a time
		c.CatalogTimeout = 60 * time.Second
	})
	heavy := connect(t, gw, "tenantA-key")
	done := make(chan error, 1)
	start := func() {
		go func() {
			_, err := heavy.Exec(context.Background(), heavyCatalogQuery)
			done <- err
		}()
	}
	start()
	t.Cleanup(func() {
		heavy.PgConn().CancelRequest(context.Background())
		<-done
	})
	probe := connect(t, gw, "tenantA-key")
	var refused *pgconn.PgError
	testkit.Eventually(t, "tenantA's second catalog query to be refused", func() bool {
		select {
		case err := <-done:
			// The probe held the key's one catalog slot when the heavy query arrived: start it
			// again. Any other end is a failure.
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "53400" {
				t.Fatalf("the heavy catalog query ended early: %v", err)
			}
			start()
		default:
		}
		_, err := tryRows(probe, "SELECT count(*) FROM pg_catalog.pg_class")
		return errors.As(err, &refused) && refused.Code == "53400"
	})
	if !strings.Contains(refused.Message, "too many concurrent catalog queries for API key demo-tenantA") ||
		!strings.Contains(refused.Hint, "SETU_MAX_CATALOG_QUERIES_PER_KEY") {
		t.Errorf("refusal %q hint %q", refused.Message, refused.Hint)
	}
	other := connect(t, gw, "tenantB-key")
	if got, err := tryRows(other, "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname = 'orders'"); err != nil || len(got) != 1 {
		t.Errorf("tenantB's lookup beside tenantA's heavy query: %v %v", got, err)
	}
}
