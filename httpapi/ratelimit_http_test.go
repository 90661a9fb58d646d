package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/ratelimit"
)

// rateLimited is a gateway whose keys may make queryRate /v1/query and odataRate OData
// requests an hour, through the admission point every door uses.
func rateLimited(t *testing.T, queryRate, odataRate int, edit func(*Config)) *gateway {
	t.Helper()
	lim := ratelimit.New(ratelimit.Config{Rates: map[string]ratelimit.Rate{
		ratelimit.ClassQuery: {N: queryRate, Per: time.Hour},
		ratelimit.ClassOData: {N: odataRate, Per: time.Hour},
	}})
	return newGateway(t, func(c *Config) {
		c.Admission = admission.New(admission.Config{Limiter: lim})
		if edit != nil {
			edit(c)
		}
	})
}

// Past its budget a key is refused with 429, SQLSTATE 53400 and the RateLimit headers; another
// key's budget is its own.
func TestQueryRateLimit(t *testing.T) {
	g := rateLimited(t, 2, 100, nil)
	body := `{"dataset":"orders","metrics":["orders_count"]}`
	for i := range 2 {
		resp := g.query(keyT1, body)
		resp.rows(t, "orders_count")
		if resp.header.Get("RateLimit-Limit") != "2" || resp.header.Get("RateLimit-Remaining") != strconv.Itoa(1-i) {
			t.Errorf("request %d: RateLimit-Limit %q Remaining %q", i, resp.header.Get("RateLimit-Limit"), resp.header.Get("RateLimit-Remaining"))
		}
	}
	resp := g.query(keyT1, body)
	msg := resp.checkError(t, http.StatusTooManyRequests, "rate_limited", "53400")
	retry, err := strconv.Atoi(resp.header.Get("Retry-After"))
	if err != nil || retry <= 0 || retry > 3600 || resp.header.Get("RateLimit-Remaining") != "0" {
		t.Errorf("refusal headers: Retry-After %q Remaining %q", resp.header.Get("Retry-After"), resp.header.Get("RateLimit-Remaining"))
	}
	if !strings.Contains(msg, "2 queries per hour per API key") {
		t.Errorf("refusal message %q does not say the rate", msg)
	}
	// A refused request is not planned: a bad body past the budget is still a 429.
	g.query(keyT1, `{"nonsense":true}`).checkError(t, http.StatusTooManyRequests, "rate_limited", "53400")
	g.query(keyT2, body).rows(t, "orders_count")
	// The OData budget is separate.
	if resp := g.get("/odata/orders?$top=1", keyT1); resp.status != http.StatusOK {
		t.Errorf("OData after the query budget ran out: %d %s", resp.status, resp.body)
	}
	text := string(g.get("/metrics", "").body)
	if got := metricValue(t, text, `setu_http_rate_limited_total{endpoint="query"}`); got != 2 {
		t.Errorf("rate limited count %v, want 2", got)
	}
	if got := metricValue(t, text, `setu_queries_total{class="53",protocol="rest"}`); got != 2 {
		t.Errorf("refusals counted under class 53: %v, want 2", got)
	}
}

// An OData feed is charged once: the nextLinks it hands out carry a token that lets exactly
// the next page through free. A token used twice, or one for another offset, is charged.
func TestODataFeedChargedOnce(t *testing.T) {
	g := rateLimited(t, 100, 2, func(c *Config) { c.ODataPageSize = 5 })
	want := groupOrders(g.orders, ofTenant("t1"), byCity)
	path := "/odata/orders?$select=city,order_date,orders_count"
	var links []string
	n := 0
	for next := path; next != ""; {
		if len(links) > 200 {
			t.Fatal("the nextLinks do not end")
		}
		var rows []map[string]any
		rows, _, next = g.odataRows(next, keyT1)
		for _, r := range rows {
			n += int(integer(t, r["orders_count"]))
		}
		if next != "" {
			if !strings.Contains(next, "%24skiptoken=") {
				t.Fatalf("nextLink without a token: %s", next)
			}
			links = append(links, next)
		}
	}
	var total int64
	for _, s := range want {
		total += s.count
	}
	if int64(n) != total || len(links) < 3 {
		t.Fatalf("read %d orders through %d nextLinks, want %d through at least 3", n, len(links), total)
	}
	// One request of the budget of two is spent: a replayed link is charged, and the one after
	// it is refused in OData's error shape.
	if resp := g.get(links[0], keyT1); resp.status != http.StatusOK {
		t.Fatalf("replayed link: %d %s", resp.status, resp.body)
	}
	resp := g.get(links[1], keyT1)
	resp.checkODataError(t, http.StatusTooManyRequests, "rate_limited")
	if resp.header.Get("Retry-After") == "" {
		t.Error("OData 429 without Retry-After")
	}
	// Another key cannot use this key's link for free either: it is charged to its own budget.
	if resp := g.get(links[1], keyT2); resp.status != http.StatusOK {
		t.Errorf("another key's first request: %d", resp.status)
	}
}
