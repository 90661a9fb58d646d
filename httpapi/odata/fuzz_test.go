package odata

import (
	"context"
	"errors"
	"net/url"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// FuzzParseRequest feeds arbitrary query strings ($filter, $select, $orderby, $apply, $top, ...)
// through the OData options parser, the semantic query builder and the planner, as a request to
// /odata/orders would go. The oracle: no panic, and no failure a client could provoke is an
// internal (XX) error.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"",
		"$select=city,total_revenue&$filter=" + url.QueryEscape("city eq 'O''Hare' or not (city in ('a','b') and startswith(toupper(city),'X'))"),
		"$select=city&$filter=" + url.QueryEscape("total_revenue gt 100.5 and year(order_date) eq 2025"),
		"$apply=" + url.QueryEscape("filter(city ne null)/groupby((city),aggregate(total_revenue with sum as rev))") + "&$orderby=rev desc&$top=5&$skip=10",
		"$filter=" + url.QueryEscape("order_date ge 2025-12-01 and order_date lt 2025-12-31T00:00:00Z and contains(city,'x') eq false"),
		"$filter=" + url.QueryEscape("((((city eq 'a'))))") + "&$count=true",
		"$filter=city eq 'unterminated",
		"$orderby=nope&$top=-1&$skip=99999999999999999999",
	} {
		f.Add(s)
	}
	fuzzRequests(f, testCatalog)
}

// FuzzParseRequestJoins is FuzzParseRequest over a catalog with navigation properties, from
// seeds with paths and $expand.
func FuzzParseRequestJoins(f *testing.F) {
	for _, s := range []string{
		"$select=city,customers/segment,customers/regions/region_name&$orderby=customers/segment desc",
		"$expand=" + url.QueryEscape("customers($select=segment)") + "&$select=order_id,customers&$count=true",
		"$apply=" + url.QueryEscape("filter(customers/regions/region_name ne null)/groupby((customers/segment),aggregate(total_revenue with sum as r))"),
		"$filter=" + url.QueryEscape("customers/segment eq 'a' and total_revenue gt 1"),
		"$expand=" + url.QueryEscape("customers($filter=x eq 1)"),
		"$filter=" + url.QueryEscape("customers/any(c: c/segment eq 'a')"),
	} {
		f.Add(s)
	}
	fuzzRequests(f, joinCatalog)
}

// fuzzRequests runs the fuzz body over requests to /odata/orders of the catalog yaml.
func fuzzRequests(f *testing.F, yaml string) {
	cat, err := catalog.Load([]byte(yaml), "test.yaml")
	if err != nil {
		f.Fatal(err)
	}
	ds, _ := cat.Dataset("orders")
	pl := planner.New(cat, planner.Config{MaxRows: 1000})
	sess := planner.Session{Principal: auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, Database: "d", User: "u"}
	internal := func(err error) bool {
		var se *sqlerr.Error
		return errors.As(err, &se) && sqlerr.Class(se.Code) == "XX"
	}
	f.Fuzz(func(t *testing.T, raw string) {
		opts, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := ParseRequest(NewModel(cat, cat.Datasets), ds, opts, 100)
		if err != nil {
			if internal(err) {
				t.Fatalf("%q: internal error %v", raw, err)
			}
			return
		}
		node, _, err := semantic.Build(req.Query)
		if err != nil {
			if internal(err) {
				t.Fatalf("%q: building: internal error %v", raw, err)
			}
			return
		}
		st, err := planner.StatementFromTree(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: node}}})
		if err != nil {
			t.Fatalf("%q: the built tree is no statement: %v", raw, err)
		}
		if _, err := pl.Plan(context.Background(), sess, st); err != nil && internal(err) {
			t.Fatalf("%q: planning %v: internal error %v", raw, node, err)
		}
	})
}
