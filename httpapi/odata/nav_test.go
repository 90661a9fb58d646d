package odata

import (
	"encoding/xml"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
)

// joinCatalog is a small snowflake: orders -> customers -> regions many-to-one, order_items ->
// orders many-to-one (so orders -> order_items is one-to-many), and secrets, which callers in
// the tests below may not always see; notes is joined on a field orders shows in no dimension,
// so no query could follow that join.
const joinCatalog = `datasets:
  - id: orders
    source: {reference: orders}
    primaryKey: order_id
    fields:
      - {name: order_id, type: string}
      - {name: customer_id, type: string}
      - {name: secret_id, type: string}
      - {name: note_id, type: string}
      - {name: city, type: string}
      - {name: revenue, type: double}
    dimensions: [{name: order_id}, {name: customer_id}, {name: secret_id}, {name: city}]
    metrics: [{name: total_revenue, expression: {agg: sum, field: revenue}}]
    joins:
      - {dataset: customers, relationship: many_to_one, on: {customer_id: customer_id}}
      - {dataset: secrets, relationship: many_to_one, on: {secret_id: secret_id}}
      - {dataset: notes, relationship: many_to_one, on: {note_id: note_id}}
  - id: customers
    name: Customers
    source: {reference: customers}
    primaryKey: customer_id
    fields:
      - {name: customer_id, type: string}
      - {name: region_id, type: string}
      - {name: segment, type: string}
    dimensions: [{name: customer_id}, {name: region_id}, {name: segment}]
    metrics: [{name: customers_count, expression: {agg: count, field: customer_id}}]
    joins:
      - {dataset: regions, relationship: many_to_one, on: {region_id: region_id}}
  - id: regions
    source: {reference: regions}
    primaryKey: region_id
    fields:
      - {name: region_id, type: string}
      - {name: region_name, type: string}
    dimensions: [{name: region_id}, {name: region_name}]
  - id: order_items
    source: {reference: order_items}
    primaryKey: item_id
    fields:
      - {name: item_id, type: string}
      - {name: order_id, type: string}
    dimensions: [{name: item_id}, {name: order_id}]
    joins:
      - {dataset: orders, relationship: many_to_one, on: {order_id: order_id}}
  - id: secrets
    source: {reference: secrets}
    primaryKey: secret_id
    fields:
      - {name: secret_id, type: string}
    dimensions: [{name: secret_id}]
  - id: notes
    source: {reference: notes}
    primaryKey: note_id
    fields:
      - {name: note_id, type: string}
    dimensions: [{name: note_id}]
`

// joinRequest parses opts for orders as a caller who sees every dataset but secrets.
func joinRequest(t *testing.T, opts string) (*Request, error) {
	t.Helper()
	m, ds := testModel(t, joinCatalog, "orders")
	var seen []*catalog.Dataset
	for _, d := range m.Datasets() {
		if d.ID != "secrets" {
			seen = append(seen, d)
		}
	}
	m = NewModel(m.cat, seen)
	v, err := url.ParseQuery(opts)
	if err != nil {
		t.Fatal(err)
	}
	return ParseRequest(m, ds, v, 100)
}

func TestMetadataNavigationProperties(t *testing.T) {
	m, _ := testModel(t, joinCatalog, "orders")
	var seen []*catalog.Dataset
	for _, d := range m.Datasets() {
		if d.ID != "secrets" {
			seen = append(seen, d)
		}
	}
	doc := Metadata(NewModel(m.cat, seen))
	// Well-formed, and read back into CSDL's shape.
	var parsed struct {
		Schema struct {
			Types []struct {
				Name string `xml:"Name,attr"`
				Navs []struct {
					Name     string `xml:"Name,attr"`
					Type     string `xml:"Type,attr"`
					Nullable string `xml:"Nullable,attr"`
				} `xml:"NavigationProperty"`
			} `xml:"EntityType"`
			Sets []struct {
				Name     string `xml:"Name,attr"`
				Bindings []struct {
					Path   string `xml:"Path,attr"`
					Target string `xml:"Target,attr"`
				} `xml:"NavigationPropertyBinding"`
			} `xml:"EntityContainer>EntitySet"`
		} `xml:"DataServices>Schema"`
	}
	if err := xml.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("$metadata is not well-formed XML: %v\n%s", err, doc)
	}
	navs := map[string][]string{}
	for _, et := range parsed.Schema.Types {
		for _, n := range et.Navs {
			if n.Nullable != "true" {
				t.Errorf("%s/%s Nullable=%q", et.Name, n.Name, n.Nullable)
			}
			navs[et.Name] = append(navs[et.Name], n.Name+":"+n.Type)
		}
	}
	want := map[string][]string{"orders": {"customers:SetuPranali.customers"}, "customers": {"regions:SetuPranali.regions"}, "order_items": {"orders:SetuPranali.orders"}}
	if !reflect.DeepEqual(navs, want) {
		t.Errorf("navigation properties %v, want %v (no one-to-many, none to secrets)", navs, want)
	}
	bindings := map[string][]string{}
	for _, s := range parsed.Schema.Sets {
		for _, b := range s.Bindings {
			bindings[s.Name] = append(bindings[s.Name], b.Path+"->"+b.Target)
		}
	}
	if want := map[string][]string{"orders": {"customers->customers"}, "customers": {"regions->regions"}, "order_items": {"orders->orders"}}; !reflect.DeepEqual(bindings, want) {
		t.Errorf("bindings %v, want %v", bindings, want)
	}
	for _, absent := range []string{"secrets", `NavigationProperty Name="notes"`, "ReferentialConstraint", "Partner"} {
		if strings.Contains(string(doc), absent) {
			t.Errorf("$metadata mentions %s:\n%s", absent, doc)
		}
	}
	// CSDL orders an entity type's children: key, properties, then navigation properties.
	s := string(doc)
	if i, j := strings.Index(s, `<Property Name="total_revenue"`), strings.Index(s, `<NavigationProperty Name="customers"`); i < 0 || j < i {
		t.Errorf("navigation property not after the properties:\n%s", s)
	}
}

// Paths become dotted semantic names, shown nested under their navigation properties.
func TestNavigationPaths(t *testing.T) {
	req, err := joinRequest(t, "$select=city,customers/segment,customers/regions/region_name,total_revenue&$filter="+
		url.QueryEscape("customers/regions/region_name eq 'North' and total_revenue gt 5")+"&$orderby=customers/segment desc")
	if err != nil {
		t.Fatal(err)
	}
	q := req.Query
	wantItems := []semantic.Item{{Col: "city"}, {Col: "customers.segment", Alias: "customers.segment"},
		{Col: "regions.region_name", Alias: "regions.region_name"}, {Col: "total_revenue"}}
	if !reflect.DeepEqual(q.Items, wantItems) {
		t.Errorf("items %+v, want %+v", q.Items, wantItems)
	}
	wantWhere := semantic.Cmp{Op: "=", L: semantic.Col{Name: "regions.region_name"}, R: semantic.Lit{Value: semantic.String("North")}}
	if !reflect.DeepEqual(q.Where, wantWhere) {
		t.Errorf("where %+v", q.Where)
	}
	if c, ok := q.Having.(semantic.Cmp); !ok || c.L != (semantic.Col{Name: "total_revenue"}) {
		t.Errorf("having %+v", q.Having)
	}
	wantOrder := []semantic.Order{{Col: "customers.segment", Desc: true}, {Col: "city"}, {Col: "regions.region_name"}}
	if !reflect.DeepEqual(q.OrderBy, wantOrder) {
		t.Errorf("order %+v, want %+v", q.OrderBy, wantOrder)
	}
	if !reflect.DeepEqual(req.KeyColumns, []int{0, 1, 2}) {
		t.Errorf("key columns %v", req.KeyColumns)
	}
	// city, customers{segment, regions{region_name}}, total_revenue.
	sh := req.Shape
	if len(sh.Props) != 3 || sh.Props[0].Name != "city" || sh.Props[1].Name != "customers" || sh.Props[2].Name != "total_revenue" {
		t.Fatalf("shape %+v", sh.Props)
	}
	cust := sh.Props[1].Related
	if cust == nil || cust.Key != "_key" || len(cust.Present) != 0 || len(cust.Props) != 2 || cust.Props[0].Name != "segment" || cust.Props[0].Column != 1 {
		t.Fatalf("customers shape %+v", cust)
	}
	reg := cust.Props[1].Related
	if cust.Props[1].Name != "regions" || reg == nil || len(reg.Props) != 1 || reg.Props[0].Name != "region_name" || reg.Props[0].Column != 2 {
		t.Fatalf("regions shape %+v", reg)
	}
}

func TestApplyGroupByPath(t *testing.T) {
	req, err := joinRequest(t, "$apply="+url.QueryEscape("filter(customers/segment ne null)/groupby((customers/regions/region_name),aggregate(total_revenue with sum as rev))"))
	if err != nil {
		t.Fatal(err)
	}
	q := req.Query
	want := []semantic.Item{{Col: "regions.region_name", Alias: "regions.region_name"}, {Col: "total_revenue", Agg: "sum", Alias: "rev"}}
	if !reflect.DeepEqual(q.Items, want) || !reflect.DeepEqual(q.GroupBy, []string{"regions.region_name"}) {
		t.Errorf("items %+v group by %v", q.Items, q.GroupBy)
	}
	if w, ok := q.Where.(semantic.IsNull); ok || q.Where == nil {
		t.Errorf("where %+v %v", q.Where, w)
	}
	if cols := semantic.Columns(q.Where); !reflect.DeepEqual(cols, []string{"customers.segment"}) {
		t.Errorf("where columns %v", cols)
	}
	if p := req.Shape.Props; len(p) != 2 || p[0].Name != "customers" || p[0].Related.Props[0].Related.Props[0].Name != "region_name" || p[1].Name != "rev" {
		t.Errorf("shape %+v", p)
	}
}

// $expand shows the related entity's dimensions and reads its join key to tell a missing row.
func TestExpand(t *testing.T) {
	req, err := joinRequest(t, "$select=order_id,customers&$expand="+url.QueryEscape("customers($select=segment)"))
	if err != nil {
		t.Fatal(err)
	}
	want := []semantic.Item{{Col: "order_id"}, {Col: "customers.segment", Alias: "customers.segment"}, {Col: "customers.customer_id", Alias: "customers.customer_id"}}
	if !reflect.DeepEqual(req.Query.Items, want) {
		t.Fatalf("items %+v", req.Query.Items)
	}
	// Dimensions only: every row its own group.
	if !reflect.DeepEqual(req.Query.GroupBy, []string{"order_id", "customers.segment", "customers.customer_id"}) {
		t.Errorf("group by %v", req.Query.GroupBy)
	}
	c := req.Shape.Props[1].Related
	if req.Shape.Props[1].Name != "customers" || !reflect.DeepEqual(c.Present, []int{2}) || len(c.Props) != 1 || !reflect.DeepEqual(c.KeyColumns, []int{1, 2}) {
		t.Errorf("customers shape %+v", c)
	}
	req, err = joinRequest(t, "$expand=customers")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range req.Query.Items {
		names = append(names, it.Name())
	}
	if want := []string{"order_id", "customer_id", "secret_id", "city", "total_revenue", "customers.customer_id", "customers.region_id", "customers.segment"}; !reflect.DeepEqual(names, want) {
		t.Errorf("items %v, want %v", names, want)
	}
	if c := req.Shape.Props[5].Related; c == nil || len(c.Props) != 3 || !reflect.DeepEqual(c.Present, []int{5}) {
		t.Errorf("customers shape %+v", req.Shape.Props)
	}
}

func TestNavigationRefusals(t *testing.T) {
	for _, tc := range []struct {
		opts    string
		notImpl bool
		mention string
	}{
		{"$expand=order_items", true, "one-to-many"},
		{"$filter=" + url.QueryEscape("order_items/item_id eq 'a'"), true, "one-to-many"},
		{"$expand=secrets", false, "secrets"},
		{"$expand=notes", false, "notes"},
		{"$filter=" + url.QueryEscape("secrets/secret_id eq 'a'"), false, "secrets"},
		{"$expand=customers/regions", true, "nested"},
		{"$expand=" + url.QueryEscape("customers($expand=regions)"), true, "$expand"},
		{"$expand=" + url.QueryEscape("customers($filter=segment eq 'a')"), true, "$filter"},
		{"$expand=" + url.QueryEscape("customers($top=1)"), true, "$top"},
		{"$expand=" + url.QueryEscape("customers($levels=2)"), true, "$levels"},
		{"$expand=" + url.QueryEscape("customers($select=customers_count)"), true, "customers_count"},
		{"$expand=" + url.QueryEscape("customers($select=nope)"), false, "nope"},
		{"$expand=*", true, "*"},
		{"$expand=customers/$ref", true, "$ref"},
		{"$expand=city", false, "city"},
		{"$expand=customers,customers", false, "twice"},
		{"$select=customers/customers_count", true, "customers_count"},
		{"$select=customers/nope", false, "nope"},
		{"$select=nope/segment", false, "nope"},
		{"$select=city/segment", false, "city"},
		{"$filter=" + url.QueryEscape("customers eq null"), true, "customers"},
		{"$filter=" + url.QueryEscape("customers/any(c: c/segment eq 'a')"), true, "any"},
		{"$apply=" + url.QueryEscape("groupby((customers/customers_count))"), true, "customers_count"},
		{"$apply=groupby((customers))", true, "customers"},
		{"$apply=groupby((city))&$expand=customers", true, "$apply"},
		{"$orderby=customers/segment", false, "not a selected"},
	} {
		_, err := joinRequest(t, tc.opts)
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

// A path's dotted name reaches httpapi/semantic with the navigation's join, made of the
// dimensions showing the joined fields.
func TestPathBuildsTheDeclaredJoin(t *testing.T) {
	req, err := joinRequest(t, "$select=city,customers/regions/region_name&$count=true")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []*semantic.Query{req.Query, req.CountQuery} {
		node, _, err := semantic.Build(q)
		if err != nil {
			t.Fatal(err)
		}
		sql := deparse(t, &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: node}}})
		for _, want := range []string{`FROM orders LEFT JOIN customers ON orders.customer_id = customers.customer_id`,
			`LEFT JOIN regions ON customers.region_id = regions.region_id`, `regions.region_name AS "regions.region_name"`} {
			if !strings.Contains(sql, want) {
				t.Errorf("%s\nlacks %s", sql, want)
			}
		}
	}
}

// /{set}/$count counts the entities the options give, $expand's split included.
func TestCountQueryWithNavigation(t *testing.T) {
	m, ds := testModel(t, joinCatalog, "orders")
	for _, opts := range []string{"", "$expand=customers", "$filter=customers/segment eq 'a'", "$apply=groupby((customers/segment))"} {
		v, _ := url.ParseQuery(opts)
		q, err := CountQuery(m, ds, v)
		if err != nil || q == nil {
			t.Fatalf("%s: %v %v", opts, q, err)
		}
		if _, _, err := semantic.BuildCount(q); err != nil {
			t.Errorf("%s: %v", opts, err)
		}
	}
	v, _ := url.ParseQuery("$expand=customers")
	q, _ := CountQuery(m, ds, v)
	if n := len(q.GroupBy); n != 7 {
		t.Errorf("count of $expand=customers groups by %v, want the 4 own and 3 related dimensions", q.GroupBy)
	}
}
