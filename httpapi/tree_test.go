package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// TestRequestTreePlansAsTheOldSQL plans /v1/query requests from the trees they are built into,
// and the SQL text the builder that wrote SQL made of the same requests (recorded from it before
// it was replaced): same engine SQL, which the result cache is keyed by, same columns and
// parameter types; and the request's values bind to the tree's parameters.
func TestRequestTreePlansAsTheOldSQL(t *testing.T) {
	cat, err := catalog.Load([]byte(fuzzCatalog), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pl := planner.New(cat, planner.Config{MaxRows: 1000})
	sess := planner.Session{Principal: auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, Database: "d", User: "k"}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ body, old string }{
		{`{"dataset":"orders","dimensions":["city"],"metrics":["total_revenue"]}`,
			`SELECT "city", "total_revenue" FROM "orders"`},
		{`{"dataset":"orders","dimensions":[{"name":"order_date","timeGrain":"month","alias":"m"},"city"],"metrics":[{"name":"total_revenue","alias":"r"}],"orderBy":["-r",{"field":"city","direction":"asc"}],"limit":5,"offset":1}`,
			`SELECT CAST(date_trunc('month', "order_date") AS date) AS "m", "city", "total_revenue" AS "r" FROM "orders" ORDER BY "r" DESC NULLS LAST, "city" ASC NULLS FIRST LIMIT $1 OFFSET $2`},
		{`{"dataset":"orders","metrics":["total_revenue"],"filters":{"or":[{"field":"city","op":"in","values":["a","b"]},{"not":{"field":"city","op":"contains","value":"x"}}]}}`,
			`SELECT "total_revenue" FROM "orders" WHERE (("city" IN ($1, $2)) OR (NOT (CAST("city" AS text) LIKE $3 ESCAPE '\')))`},
		{`{"dataset":"orders","metrics":["total_revenue"],"filters":[{"field":"total_revenue","op":"gt","value":1}],"incrementalFrom":"2025-12-01","incrementalTo":"2025-12-31"}`,
			`SELECT "total_revenue" FROM "orders" WHERE (("order_date" >= $1) AND ("order_date" <= $2)) HAVING ("total_revenue" > $3)`},
		{`{"dataset":"orders","dimensions":["city","order_date"],"filters":{"and":[{"field":"order_date","op":"between","values":["2025-12-01","2025-12-20"]},{"field":"city","op":"is_not_null"},{"field":"city","op":"ne","value":null},{"field":"city","op":"starts_with","value":"B_%"},{"or":[{"field":"city","op":"not_in","values":["x"]},{"field":"city","op":"eq","value":"O'Hare"}]}]},"orderBy":[{"field":"order_date","direction":"desc"}],"limit":3}`,
			`SELECT "city", "order_date" FROM "orders" WHERE (("order_date" BETWEEN $1 AND $2) AND ("city" IS NOT NULL) AND ("city" IS NOT NULL) AND (CAST("city" AS text) LIKE $3 ESCAPE '\') AND (("city" NOT IN ($4)) OR ("city" = $5))) GROUP BY "city", "order_date" ORDER BY "order_date" DESC NULLS LAST LIMIT $6`},
		{`{"dataset":"orders","dimensions":[{"name":"order_date","timeGrain":"week"}],"metrics":["total_revenue"],"filters":[{"field":"total_revenue","op":"lte","value":1000.5},{"field":"city","op":"ends_with","value":"burg"}],"orderBy":["order_date"]}`,
			`SELECT CAST(date_trunc('week', "order_date") AS date) AS "order_date", "total_revenue" FROM "orders" WHERE (CAST("city" AS text) LIKE $1 ESCAPE '\') HAVING ("total_revenue" <= $2) ORDER BY "order_date" ASC NULLS FIRST`},
	} {
		req, err := decodeQuery([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		q, err := buildQuery(cat, func(string) bool { return true }, req, 20, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		node, vals, err := semantic.Build(q)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		st, err := planner.StatementFromTree(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: node}}})
		if err != nil {
			t.Fatal(err)
		}
		fromTree, err := pl.Plan(context.Background(), sess, st)
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		stmts, err := pl.Parse(tc.old)
		if err != nil || len(stmts) != 1 {
			t.Fatalf("%s: %v", tc.old, err)
		}
		fromText, err := pl.Plan(context.Background(), sess, stmts[0])
		if err != nil {
			t.Fatalf("%s: %v", tc.old, err)
		}
		if fromTree.SQL != fromText.SQL {
			t.Errorf("%s: engine SQL\ntree %s\ntext %s", tc.body, fromTree.SQL, fromText.SQL)
		}
		if len(fromTree.Columns) != len(fromText.Columns) {
			t.Fatalf("%s: columns %v, want %v", tc.body, fromTree.Columns, fromText.Columns)
		}
		for i, c := range fromTree.Columns {
			if c.Name != fromText.Columns[i].Name || c.Type.OID != fromText.Columns[i].Type.OID {
				t.Errorf("%s: column %d is %s %s, want %s %s", tc.body, i, c.Name, c.Type.Name, fromText.Columns[i].Name, fromText.Columns[i].Type.Name)
			}
		}
		if len(fromTree.Params) != len(fromText.Params) {
			t.Fatalf("%s: params %v, want %v", tc.body, fromTree.Params, fromText.Params)
		}
		for i, p := range fromTree.Params {
			if p.OID != fromText.Params[i].OID {
				t.Errorf("%s: $%d is %s, want %s", tc.body, i+1, p.Name, fromText.Params[i].Name)
			}
		}
		if _, err := bindValues(fromTree.Params, vals); err != nil {
			t.Errorf("%s: binding %v: %v", tc.body, vals, err)
		}
	}
}

// A request the builder refuses is answered as when it was SQL text: a shape it cannot build is
// 0A000 (501), a name with a zero byte (which ended the SQL text early) a syntax error (400). Both
// are refused before any plan or execution.
func TestRunTreeRefusals(t *testing.T) {
	cat, err := catalog.Load([]byte(fuzzCatalog), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: Config{Planner: planner.New(cat, planner.Config{MaxRows: 1000}), Database: "d"}}
	caller := admission.Caller{Principal: auth.Principal{KeyID: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, Protocol: admission.REST}
	for _, tc := range []struct {
		q      *semantic.Query
		code   string
		status int
	}{
		{&semantic.Query{Dataset: "orders", Items: []semantic.Item{{Col: "city", Alias: "a\x00b"}}}, sqlerr.SyntaxError, http.StatusBadRequest},
		{&semantic.Query{Dataset: "orders", Items: []semantic.Item{{Col: "total_revenue", Agg: "median"}}}, sqlerr.FeatureNotSupported, http.StatusNotImplemented},
	} {
		for _, build := range []func(*semantic.Query) (*pg_query.Node, []semantic.Value, error){semantic.Build, semantic.BuildCount} {
			rr, err := s.runTree(context.Background(), caller, build, tc.q, nil)
			if got := sqlerr.Code(err); got != tc.code || rr.plan != nil {
				t.Errorf("%+v: %v (plan %v), want %s", tc.q, err, rr.plan, tc.code)
			}
			if status, _ := statusOf(sqlerr.Code(err)); status != tc.status {
				t.Errorf("%+v: status %d, want %d", tc.q, status, tc.status)
			}
		}
	}
}
