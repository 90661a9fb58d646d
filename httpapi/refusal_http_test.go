package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A /v1/query request the API cannot answer as asked is refused with a 4xx in the error shape,
// naming what is wrong; nothing of it is silently dropped.
func TestQueryRefusals(t *testing.T) {
	g := newGateway(t, func(c *Config) { c.MaxBodyBytes = 4 << 10; c.MaxDimensions = 2 })
	cases := []struct {
		name, body      string
		status          int
		code, sqlstate  string
		messageMentions string
	}{
		{"not JSON", `{"dataset":`, 400, "invalid_request", "", "incomplete JSON"},
		{"syntax error", `{"dataset" "orders"}`, 400, "invalid_request", "", "not valid JSON"},
		{"trailing data", `{"dataset":"orders","metrics":["orders_count"]} {}`, 400, "invalid_request", "", "followed by more data"},
		{"duplicate key", `{"dataset":"orders","metrics":["orders_count"],"filters":{"field":"city","op":"eq","value":"Pune"},"filters":null}`, 400, "invalid_request", "", `"filters" appears twice`},
		{"duplicate key in other case", `{"dataset":"orders","Dataset":"products","metrics":["orders_count"]}`, 400, "invalid_request", "", "appears twice"},
		{"unknown key", `{"dataset":"orders","metrics":["orders_count"],"filter":{}}`, 400, "invalid_request", "", `unknown key "filter"`},
		{"unknown key in a metric", `{"dataset":"orders","metrics":[{"name":"orders_count","as":"n"}]}`, 400, "invalid_request", "", `"as"`},
		{"per-metric where", `{"dataset":"orders","metrics":[{"name":"total_revenue","where":{"field":"city","op":"eq","value":"Pune"}}]}`, 400, "invalid_request", "", `per-metric "where" is not supported`},
		{"wrong JSON type", `{"dataset":"orders","metrics":["orders_count"],"limit":"ten"}`, 400, "invalid_request", "", `"limit"`},
		{"name and field", `{"dataset":"orders","metrics":[{"name":"orders_count","field":"total_revenue"}]}`, 400, "invalid_request", "", "use one"},
		{"bad time grain", `{"dataset":"orders","dimensions":[{"name":"order_date","timeGrain":"fortnight"}]}`, 400, "invalid_request", "", "fortnight"},
		{"bad direction", `{"dataset":"orders","metrics":["orders_count"],"orderBy":[{"field":"orders_count","direction":"up"}]}`, 400, "invalid_request", "", `"up"`},
		{"no dataset", `{"metrics":["orders_count"]}`, 400, "invalid_query", "22023", "dataset is required"},
		{"unknown dataset", `{"dataset":"invoices","metrics":["orders_count"]}`, 404, "dataset_not_found", "42P01", `"invoices"`},
		{"nothing asked", `{"dataset":"orders"}`, 400, "invalid_query", "22023", "at least one"},
		{"unknown metric", `{"dataset":"orders","metrics":["profit"]}`, 400, "unknown_field", "42703", `no metric "profit"`},
		{"dimension as metric", `{"dataset":"orders","metrics":["city"]}`, 400, "unknown_field", "42703", `no metric "city"`},
		{"unknown dimension", `{"dataset":"orders","dimensions":["country"]}`, 400, "unknown_field", "42703", `no dimension "country"`},
		{"unknown filter field", `{"dataset":"orders","metrics":["orders_count"],"filters":{"field":"country","op":"eq","value":"IN"}}`, 400, "unknown_field", "42703", `"country"`},
		{"unknown filter key", `{"dataset":"orders","metrics":["orders_count"],"filters":{"field":"city","op":"eq","value":"x","case":"any"}}`, 400, "invalid_query", "22023", `"case"`},
		{"unsupported operator", `{"dataset":"orders","metrics":["orders_count"],"filters":{"field":"city","op":"regex","value":"x"}}`, 501, "not_supported", "0A000", `"regex"`},
		{"mixed or", `{"dataset":"orders","dimensions":["city"],"metrics":["orders_count"],"filters":{"or":[{"field":"city","op":"eq","value":"x"},{"field":"orders_count","op":"gt","value":1}]}}`, 400, "invalid_query", "22023", "combine dimensions and metrics"},
		{"value of the wrong type", `{"dataset":"orders","metrics":["orders_count"],"filters":{"field":"order_date","op":"eq","value":"the first"}}`, 400, "invalid_query", "42804", "does not fit"},
		{"order by what is not selected", `{"dataset":"orders","dimensions":["city"],"metrics":["orders_count"],"orderBy":["total_revenue"]}`, 400, "unknown_field", "42703", "not a selected"},
		{"negative limit", `{"dataset":"orders","metrics":["orders_count"],"limit":-1}`, 400, "invalid_query", "22023", "negative"},
		{"asked twice", `{"dataset":"orders","metrics":["orders_count",{"name":"orders_count","alias":"n"}]}`, 400, "invalid_query", "22023", "asked for twice"},
		{"time grain on text", `{"dataset":"orders","dimensions":[{"name":"city","timeGrain":"month"}]}`, 400, "invalid_query", "22023", "date or timestamp"},
		{"too many dimensions", `{"dataset":"orders","dimensions":["city","order_date",{"name":"order_date","timeGrain":"month","alias":"m"}]}`, 400, "invalid_query", "54000", "the limit is 2"},
		{"oversized", `{"dataset":"orders","metrics":["orders_count"],"filters":{"field":"city","op":"in","values":["` + strings.Repeat("x", 5<<10) + `"]}}`, 413, "request_too_large", "", "over 4096 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := g.query(keyT1, tc.body).checkError(t, tc.status, tc.code, tc.sqlstate)
			if !strings.Contains(msg, tc.messageMentions) {
				t.Errorf("message %q does not mention %q", msg, tc.messageMentions)
			}
		})
	}

	// A declared type other than JSON is refused before the body is read.
	resp := g.do(http.MethodPost, "/v1/query", keyT1, strings.NewReader(`{"dataset":"orders","metrics":["orders_count"]}`), "Content-Type", "text/plain")
	resp.checkError(t, http.StatusUnsupportedMediaType, "unsupported_media_type", "")
	// No type at all is read as JSON.
	if resp := g.do(http.MethodPost, "/v1/query", keyT1, strings.NewReader(`{"dataset":"orders","metrics":["orders_count"]}`)); resp.status != http.StatusOK {
		t.Errorf("a body without Content-Type: %d %s", resp.status, resp.body)
	}
}

// Keys: none is a 401 with a WWW-Authenticate challenge, a bad, revoked or expired one a 403;
// a key scoped away from a dataset does not see it at all; a Bearer token works like X-API-Key.
func TestQueryKeys(t *testing.T) {
	g := newGateway(t, nil)
	body := `{"dataset":"orders","metrics":["orders_count"]}`
	resp := g.query("", body)
	resp.checkError(t, http.StatusUnauthorized, "authentication_required", "")
	if resp.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without a WWW-Authenticate challenge")
	}
	for key, code := range map[string]string{"wrong": "invalid_api_key", "revoked": "api_key_revoked", "expired": "api_key_expired"} {
		g.query(key, body).checkError(t, http.StatusForbidden, code, "")
	}
	g.query(keyScoped, body).checkError(t, http.StatusNotFound, "dataset_not_found", "42P01")
	resp = g.do(http.MethodPost, "/v1/query", "", strings.NewReader(body), "Authorization", "Bearer "+keyT1)
	if resp.status != http.StatusOK {
		t.Errorf("bearer key: %d %s", resp.status, resp.body)
	}
	// The internal_admin role reads no rows: the planner refuses it like on every door.
	g.query(keyOps, body).checkError(t, http.StatusForbidden, "forbidden", "42501")
	if strings.Contains(g.logs.String(), "secret-") {
		t.Errorf("a key secret reached the log:\n%s", g.logs.String())
	}
}

// Every response carries a request id: the client's when it is plain, a generated one
// otherwise; the error body and every log line of the request name the same id.
func TestRequestIDs(t *testing.T) {
	g := newGateway(t, nil)
	resp := g.query(keyT1, `{"dataset":"nope","metrics":["x"]}`, "X-Request-ID", "client-req.1:a_b")
	resp.checkError(t, http.StatusNotFound, "dataset_not_found", "42P01")
	if id := resp.header.Get("X-Request-ID"); id != "client-req.1:a_b" {
		t.Errorf("client id replaced by %q", id)
	}
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, hostile := range []string{"", "has space", "<script>", strings.Repeat("a", 129)} {
		var h []string
		if hostile != "" {
			h = []string{"X-Request-ID", hostile}
		}
		resp := g.get("/v1/health", "", h...)
		if id := resp.header.Get("X-Request-ID"); !generated.MatchString(id) {
			t.Errorf("request id %q sent: got %q, want a generated one", hostile, id)
		}
	}
	if resp.header.Get("X-Content-Type-Options") != "nosniff" || resp.header.Get("Cache-Control") != "no-store" {
		t.Errorf("security headers: %v", resp.header)
	}
	var seen bool
	for _, l := range g.logs.lines(t) {
		if l["request_id"] == "client-req.1:a_b" && l["msg"] == "http request" {
			seen = true
			if l["key_id"] != "k-t1" || l["dataset"] != "nope" || l["status"] != float64(404) || l["route"] != "/v1/query" {
				t.Errorf("request log line: %v", l)
			}
		}
		if l["request_id"] == nil || l["request_id"] == "" {
			t.Errorf("log line without a request id: %v", l)
		}
	}
	if !seen {
		t.Errorf("no request log line with the client's id:\n%s", g.logs.String())
	}
}

// Routes that do not exist and methods a route does not take answer in the error shape too.
func TestUnknownRoutes(t *testing.T) {
	g := newGateway(t, nil)
	g.get("/v2/query", keyT1).checkError(t, http.StatusNotFound, "not_found", "")
	g.get("/v1/query", keyT1).checkError(t, http.StatusMethodNotAllowed, "method_not_allowed", "")
}
