package odata

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
)

const testCatalog = `datasets:
  - id: orders
    source: {reference: orders}
    fields:
      - {name: city, type: string}
      - {name: order_date, type: date}
      - {name: revenue, type: double}
      - {name: tenant_id, type: string}
    dimensions: [{name: city, label: City}, {name: order_date}]
    metrics: [{name: total_revenue, label: Total Revenue, expression: {agg: sum, field: revenue}}]
    rls: {enabled: true, column: tenant_id}
    incremental: {enabled: true, column: order_date, type: date, maxWindowDays: 31}
`

func testDataset(t *testing.T) *catalog.Dataset {
	_, ds := testModel(t, testCatalog, "orders")
	return ds
}

// testModel loads a catalog and returns its model as a caller who sees every dataset, and the
// dataset id.
func testModel(t *testing.T, yaml, id string) (*Model, *catalog.Dataset) {
	t.Helper()
	cat, err := catalog.Load([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds, ok := cat.Dataset(id)
	if !ok {
		t.Fatalf("no dataset %s", id)
	}
	return NewModel(cat, cat.Datasets), ds
}

// sqlOf is the request's tree, deparsed.
func sqlOf(t *testing.T, opts string) (string, []semantic.Value, error) {
	t.Helper()
	v, err := url.ParseQuery(opts)
	if err != nil {
		t.Fatal(err)
	}
	m, ds := testModel(t, testCatalog, "orders")
	req, err := ParseRequest(m, ds, v, 100)
	if err != nil {
		return "", nil, err
	}
	node, args, err := semantic.Build(req.Query)
	if err != nil {
		return "", nil, err
	}
	return deparse(t, &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: node}}}), args, nil
}

// deparse is PostgreSQL's own spelling of a tree.
func deparse(t *testing.T, tree *pg_query.ParseResult) string {
	t.Helper()
	if tree.Version == 0 {
		empty, err := pg_query.Parse("")
		if err != nil {
			t.Fatal(err)
		}
		tree.Version = empty.Version
	}
	sql, err := pg_query.Deparse(tree)
	if err != nil {
		t.Fatal(err)
	}
	return sql
}

// normalized is sql as the deparser spells it.
func normalized(t *testing.T, sql string) string {
	t.Helper()
	tree, err := pg_query.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	return deparse(t, tree)
}

// TestParseRequest holds, for each request, the SQL text the builder that wrote SQL produced
// for it; the tree built now must deparse as that text does.
func TestParseRequest(t *testing.T) {
	for _, tc := range []struct{ opts, sql string }{
		{"", `SELECT "city", "order_date", "total_revenue" FROM "orders" ORDER BY "city" ASC NULLS FIRST, "order_date" ASC NULLS FIRST LIMIT $1`},
		{"$select=city,total_revenue,city,_key", `SELECT "city", "total_revenue" FROM "orders" ORDER BY "city" ASC NULLS FIRST LIMIT $1`},
		{"$select=city,total_revenue&$filter=" + url.QueryEscape("city eq 'O''Hare' or not (city in ('a','b') and startswith(toupper(city),'X'))"),
			`SELECT "city", "total_revenue" FROM "orders" WHERE (("city" = $1) OR (NOT (("city" IN ($2, $3)) AND (CAST(upper("city") AS text) LIKE $4 ESCAPE '\')))) ORDER BY "city" ASC NULLS FIRST LIMIT $5`},
		{"$select=city&$filter=" + url.QueryEscape("total_revenue gt 100.5 and year(order_date) eq 2025"),
			`SELECT "city" FROM "orders" WHERE (CAST(EXTRACT(YEAR FROM "order_date") AS integer) = $1) GROUP BY "city" HAVING ("total_revenue" > $2) ORDER BY "city" ASC NULLS FIRST LIMIT $3`},
		{"$apply=" + url.QueryEscape("filter(city ne null)/groupby((city),aggregate(total_revenue with sum as rev))") + "&$orderby=rev desc&$top=5&$skip=10",
			`SELECT "city", SUM("total_revenue") AS "rev" FROM "orders" WHERE ("city" IS NOT NULL) GROUP BY "city" ORDER BY "rev" DESC NULLS LAST, "city" ASC NULLS FIRST LIMIT $1 OFFSET $2`},
		{"$filter=" + url.QueryEscape("order_date ge 2025-12-01 and order_date lt 2025-12-31T00:00:00Z and contains(city,'x') eq false"),
			`SELECT "city", "order_date", "total_revenue" FROM "orders" WHERE ((("order_date" >= $1) AND ("order_date" < $2)) AND (NOT (CAST("city" AS text) LIKE $3 ESCAPE '\'))) ORDER BY "city" ASC NULLS FIRST, "order_date" ASC NULLS FIRST LIMIT $4`},
	} {
		sql, _, err := sqlOf(t, tc.opts)
		if err != nil {
			t.Errorf("%s: %v", tc.opts, err)
			continue
		}
		if want := normalized(t, tc.sql); sql != want {
			t.Errorf("%s\n got %s\nwant %s", tc.opts, sql, want)
		}
	}
}

func TestParseRequestRefuses(t *testing.T) {
	for _, tc := range []struct {
		opts    string
		notImpl bool
		mention string
	}{
		{"$expand=x", false, "$expand"},
		{"$search=x", true, "$search"},
		{"$bogus=1", false, "$bogus"},
		{"$filter=" + url.QueryEscape("city add 1 eq 2"), true, "add"},
		{"$filter=" + url.QueryEscape("substring(city,1) eq 'a'"), true, "substring"},
		{"$filter=" + url.QueryEscape("nope eq 1"), false, "nope"},
		{"$filter=" + url.QueryEscape("city eq 'open"), false, "unterminated"},
		{"$filter=" + url.QueryEscape("city eq"), false, "end"},
		{"$filter=" + url.QueryEscape("Orders/city eq 'a'"), false, "Orders"},
		{"$filter=" + url.QueryEscape("city eq 'a' or total_revenue gt 1"), true, "combining"},
		{"$filter=" + url.QueryEscape("order_date ge 2025-01-01 and order_date le 2025-12-31"), false, "maxWindowDays"},
		{"$top=-1", false, "$top"},
		{"$count=maybe", false, "$count"},
		{"$format=xml", true, "$format"},
		{"$orderby=nope", false, "nope"},
		{"$apply=" + url.QueryEscape("groupby((city),aggregate(total_revenue with median as x))"), true, "median"},
		{"$apply=" + url.QueryEscape("groupby((total_revenue))"), false, "total_revenue"},
		{"$apply=" + url.QueryEscape("topcount(2,total_revenue)"), true, "topcount"},
		{"$apply=" + url.QueryEscape("groupby((city),aggregate(total_revenue with sum as city))"), false, "twice"},
		{"$apply=" + url.QueryEscape("groupby((city,city))"), false, "twice"},
		{"$apply=" + url.QueryEscape("aggregate(total_revenue with sum as t,total_revenue with max as t)"), false, "twice"},
		{"$apply=" + url.QueryEscape("aggregate(total_revenue with sum as _key)"), false, "twice"},
		{"$filter=" + url.QueryEscape(strings.Repeat("(", 200)+"city eq 'a'"+strings.Repeat(")", 200)), false, "deeper"},
	} {
		_, _, err := sqlOf(t, tc.opts)
		var oe *Error
		if !errors.As(err, &oe) {
			t.Errorf("%s: %v, want an odata.Error", tc.opts, err)
			continue
		}
		if oe.NotImplemented != tc.notImpl || !strings.Contains(oe.Message, tc.mention) {
			t.Errorf("%s: %+v, want notImplemented=%v mentioning %q", tc.opts, oe, tc.notImpl, tc.mention)
		}
	}
}

func TestMetadataNamesEveryProperty(t *testing.T) {
	m, _ := testModel(t, testCatalog, "orders")
	doc := string(Metadata(m))
	for _, want := range []string{
		`<EntityType Name="orders">`, `<PropertyRef Name="_key">`,
		`<Property Name="_key" Type="Edm.String" Nullable="false">`,
		`<Property Name="city" Type="Edm.String" Nullable="true">`,
		`<Property Name="order_date" Type="Edm.Date" Nullable="true">`,
		`<Property Name="total_revenue" Type="Edm.Double" Nullable="true">`,
		`<Annotation Term="Core.Description" String="Total Revenue">`,
		`<EntitySet Name="orders" EntityType="SetuPranali.orders">`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("$metadata lacks %s:\n%s", want, doc)
		}
	}
}

// The window check covers a closed range on the incremental column only: a lone bound is an
// ordinary filter ("since X"), whatever day it is.
func TestIncrementalWindowCoversClosedRangesOnly(t *testing.T) {
	for _, tc := range []struct {
		filter  string
		refused bool
	}{
		{"order_date gt 2020-01-01", false},
		{"order_date ge 2020-01-01 and city eq 'Indore'", false},
		{"order_date lt 2020-01-01", false},
		{"order_date ge 2025-12-01 and order_date lt 2025-12-31", false},
		{"order_date ge 2025-12-01 and order_date le 2026-01-01", false},
		{"order_date ge 2025-12-01 and order_date le 2026-01-02", true},
		{"order_date gt 2024-01-01 and city eq 'x' and order_date lt 2025-01-01T00:00:00Z", true},
		// Not one window: the bounds sit under or, so no range is asked for as a whole.
		{"order_date ge 2020-01-01 or order_date lt 2025-01-01", false},
	} {
		_, _, err := sqlOf(t, "$filter="+url.QueryEscape(tc.filter))
		var oe *Error
		switch {
		case !tc.refused && err != nil:
			t.Errorf("%s: refused: %v", tc.filter, err)
		case tc.refused && (!errors.As(err, &oe) || oe.Code != "incremental_window_exceeded" || !strings.Contains(oe.Message, "maxWindowDays of 31")):
			t.Errorf("%s: %v, want incremental_window_exceeded", tc.filter, err)
		}
	}
}

// A column already named _key pushes the synthetic key aside rather than shadow it.
func TestKeyPropertyAvoidsColumns(t *testing.T) {
	m, ds := testModel(t, strings.Replace(testCatalog, "{name: order_date}]", "{name: order_date}, {name: _key, field: city}]", 1), "orders")
	if k := KeyProperty(ds); k != "__key" {
		t.Errorf("key property %q, want __key", k)
	}
	req, err := ParseRequest(m, ds, url.Values{"$select": {"__key,total_revenue,_key"}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if req.Key != "__key" || len(req.KeyColumns) != 1 || req.Query.Items[req.KeyColumns[0]].Col != "_key" {
		t.Errorf("request key %q columns %v items %+v", req.Key, req.KeyColumns, req.Query.Items)
	}
}
