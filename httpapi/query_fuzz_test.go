package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

const fuzzCatalog = `datasets:
  - id: orders
    source: {reference: orders}
    fields:
      - {name: city, type: string}
      - {name: order_date, type: date}
      - {name: revenue, type: double}
      - {name: tenant_id, type: string}
      - {name: order_id, type: string}
      - {name: customer_id, type: string}
    primaryKey: order_id
    dimensions: [{name: city}, {name: order_date}, {name: customer_id}]
    metrics: [{name: total_revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id}
    incremental: {enabled: true, column: order_date, type: date, maxWindowDays: 31}
    joins: [{dataset: customers, relationship: many_to_one, on: {customer_id: customer_id}}]
  - id: customers
    source: {reference: customers}
    primaryKey: customer_id
    fields:
      - {name: customer_id, type: string}
      - {name: region, type: string}
      - {name: tenant_id, type: string}
    dimensions: [{name: customer_id}, {name: region}]
    metrics: [{name: customers_count, expression: {agg: count, field: customer_id}}]
    rls: {enabled: true, column: tenant_id}
`

// The keys each object of a /v1/query body may have. encoding/json matches struct fields
// case-insensitively, so the struct-decoded objects are compared folded.
var (
	topKeys       = keySet("dataset", "dimensions", "metrics", "filters", "orderBy", "limit", "offset", "incrementalFrom", "incrementalTo")
	dimensionKeys = keySet("name", "field", "timeGrain", "alias")
	metricKeys    = keySet("name", "field", "alias")
	orderKeys     = keySet("field", "name", "direction", "order", "desc")
)

func keySet(keys ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range keys {
		m[strings.ToLower(k)] = true
	}
	return m
}

// unknownKey returns a key of an accepted body that the API does not define, or "".
func unknownKey(body map[string]any) string {
	check := func(obj any, allowed map[string]bool) string {
		m, ok := obj.(map[string]any)
		if !ok {
			return ""
		}
		for k := range m {
			if !allowed[strings.ToLower(k)] {
				return k
			}
		}
		return ""
	}
	if k := check(body, topKeys); k != "" {
		return k
	}
	for field, allowed := range map[string]map[string]bool{"dimensions": dimensionKeys, "metrics": metricKeys, "orderby": orderKeys} {
		for k, v := range body {
			if strings.ToLower(k) != field {
				continue
			}
			list, _ := v.([]any)
			for _, item := range list {
				if bad := check(item, allowed); bad != "" {
					return bad
				}
			}
		}
	}
	for k, v := range body {
		if strings.ToLower(k) == "filters" {
			return unknownFilterKey(v)
		}
	}
	return ""
}

func unknownFilterKey(f any) string {
	switch f := f.(type) {
	case []any:
		for _, x := range f {
			if k := unknownFilterKey(x); k != "" {
				return k
			}
		}
	case map[string]any:
		for _, op := range []string{"and", "or", "not"} {
			if v, ok := f[op]; ok {
				return unknownFilterKey(v)
			}
		}
		for k := range f {
			if !conditionKeys[k] {
				return k
			}
		}
	}
	return ""
}

// FuzzQueryBody feeds arbitrary bodies through /v1/query's decoding, the semantic query
// builder and the planner. The oracles: no panic; nothing a client sends is an internal (XX)
// error; and a body that is accepted has no key the API does not define, at any depth.
func FuzzQueryBody(f *testing.F) {
	for _, s := range []string{
		`{"dataset":"orders","dimensions":["city"],"metrics":["total_revenue"]}`,
		`{"dataset":"orders","dimensions":[{"name":"order_date","timeGrain":"month","alias":"m"},"city"],"metrics":[{"name":"total_revenue","alias":"r"}],"orderBy":["-r",{"field":"city","direction":"asc"}],"limit":5,"offset":1}`,
		`{"dataset":"orders","metrics":["total_revenue"],"filters":{"or":[{"field":"city","op":"in","values":["a","b"]},{"not":{"field":"city","op":"contains","value":"x"}}]}}`,
		`{"dataset":"orders","metrics":["total_revenue"],"filters":[{"field":"total_revenue","op":"gt","value":1}],"incrementalFrom":"2025-12-01","incrementalTo":"2025-12-31"}`,
		`{"dataset":"orders","dimensions":[{"name":"city","bogus":1}],"metrics":[{"name":"total_revenue","where":{}}]}`,
		`{"dataset":"orders","dimensions":["city","city"]} {}`,
		`{"dataset":"orders","dimensions":["customers.region"],"metrics":["total_revenue","customers.customers_count"],"filters":[{"field":"customers.region","op":"eq","value":"x"}],"orderBy":["-customers.region"]}`,
		`{"dataset":"customers","dimensions":["region","orders.city"],"metrics":["customers_count","orders.total_revenue"],"filters":[{"field":"orders.total_revenue","op":"gt","value":1}]}`,
	} {
		f.Add(s)
	}
	cat, err := catalog.Load([]byte(fuzzCatalog), "test.yaml")
	if err != nil {
		f.Fatal(err)
	}
	pl := planner.New(cat, planner.Config{MaxRows: 1000})
	sess := planner.Session{Principal: auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, Database: "d", User: "u"}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	internal := func(err error) bool {
		var se *sqlerr.Error
		return errors.As(err, &se) && sqlerr.Class(se.Code) == "XX"
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeQuery([]byte(body))
		if err != nil {
			return
		}
		q, err := buildQuery(cat, func(string) bool { return true }, req, 20, now)
		if err != nil {
			if internal(err) {
				t.Fatalf("%s: internal error %v", body, err)
			}
			return
		}
		// Filters are read by buildQuery, so only now is the whole body accepted.
		var generic map[string]any
		if err := json.Unmarshal([]byte(body), &generic); err == nil {
			if k := unknownKey(generic); k != "" {
				t.Fatalf("%s: accepted with the unknown key %q", body, k)
			}
		}
		node, _, err := semantic.Build(q)
		if err != nil {
			if internal(err) {
				t.Fatalf("%s: building: internal error %v", body, err)
			}
			return
		}
		st, err := planner.StatementFromTree(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: node}}})
		if err != nil {
			t.Fatalf("%s: the built tree is no statement: %v", body, err)
		}
		if _, err := pl.Plan(context.Background(), sess, st); err != nil && internal(err) {
			t.Fatalf("%s: planning %v: internal error %v", body, node, err)
		}
	})
}
