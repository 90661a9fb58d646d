package gateway

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/setupranali/setupranali/ratelimit"
)

var queriesLine = regexp.MustCompile(`(?m)^setu_queries_total\{class="([^"]+)",protocol="([^"]+)"\} (\S+)$`)

// queryCounts reads setu_queries_total from /metrics as "protocol/class" -> count.
func queryCounts(t *testing.T, c *httpClient) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range queriesLine.FindAllStringSubmatch(string(c.do("GET", "/metrics", "", nil).body), -1) {
		n, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[m[2]+"/"+m[1]] = int(n)
	}
	return out
}

// Every door counts its refusals in setu_queries_total by SQLSTATE class, each request once:
// HTTP's 401 (28), 400 before planning (22), 429 rate limit (53, like pg wire's 53400), and a
// planner refusal (42) counted by the planner and not again by the door. $metadata is not a query.
func TestHTTPRefusalsCountedAsQueries(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t, func(c *Config) {
		c.RateLimitEnabled = true
		c.RateLimitQuery = ratelimit.Rate{N: 3, Per: time.Hour}
	})
	c := newHTTPClient(t, gw)
	good := map[string]any{"dataset": "orders", "dimensions": []string{"city"}, "metrics": []string{"total_revenue"}}
	before := queryCounts(t, c)
	steps := []struct {
		method, path, key string
		body              any
		status            int
	}{
		{"POST", "/v1/query", "", good, 401},
		{"POST", "/v1/query", "tenantA-key", `{"dataset": `, 400},
		{"POST", "/v1/query", "tenantA-key", map[string]any{"dataset": "nope", "metrics": []string{"total_revenue"}}, 404},
		{"POST", "/v1/query", "tenantA-key", good, 200},
		{"POST", "/v1/query", "tenantA-key", good, 429},
		{"GET", "/odata/orders", "", nil, 401},
		{"GET", "/odata/$metadata", "", nil, 401},
		{"GET", "/odata/orders", "nope-not-a-key", nil, 403},
	}
	for _, s := range steps {
		if r := c.do(s.method, s.path, s.key, s.body); r.status != s.status {
			t.Fatalf("%s %s: %d %s, want %d", s.method, s.path, r.status, r.body, s.status)
		}
	}
	after := queryCounts(t, c)
	want := map[string]int{"rest/28": 1, "rest/22": 1, "rest/42": 1, "rest/00": 1, "rest/53": 1, "odata/28": 2}
	for k := range after {
		if _, listed := want[k]; !listed && after[k] != before[k] {
			t.Errorf("setu_queries_total %s went up by %d, want %d", k, after[k]-before[k], want[k])
		}
	}
	for k, n := range want {
		if after[k]-before[k] != n {
			t.Errorf("setu_queries_total %s went up by %d, want %d", k, after[k]-before[k], n)
		}
	}
}
