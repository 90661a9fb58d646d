package httpapi

import (
	"errors"
	"fmt"
	"testing"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
	"github.com/setupranali/setupranali/sqlerr"
)

// A catalog whose join fields are shown by dimensions of other names, one only through SQL, and
// a dimension whose own name holds a dot.
const renamedJoinCatalog = `datasets:
  - id: regions
    source: {engine: duckdb, type: table, reference: regions}
    primaryKey: [region_code, country]
    fields: [{name: region_code, type: string}, {name: country, type: string}, {name: label, type: string}]
    dimensions: [{name: code, field: region_code}, {name: nation, field: country}, {name: label}]
  - id: customers
    source: {engine: duckdb, type: table, reference: customers}
    primaryKey: cid
    fields: [{name: cid, type: string}, {name: rcode, type: string}, {name: rcountry, type: string}]
    dimensions: [{name: customer, field: cid}, {name: region_ref, field: rcode}, {name: country_ref, field: rcountry}]
    metrics: [{name: n, expression: {agg: count, field: cid}}]
    joins:
      - {dataset: regions, relationship: many_to_one, on: {rcode: region_code, rcountry: country}}
  - id: orders
    source: {engine: duckdb, type: table, reference: orders}
    primaryKey: oid
    fields: [{name: oid, type: string}, {name: buyer, type: string}]
    dimensions:
      - {name: order, field: oid}
      - {name: "a.b", field: buyer}
      - {name: buyer_upper, sql: "upper(buyer)", type: string}
    metrics: [{name: orders_n, expression: {agg: count, field: oid}}]
    joins:
      - {dataset: customers, relationship: many_to_one, on: {buyer: cid}}
`

func TestJoinResolverPairsDimensionsNotFields(t *testing.T) {
	cat, err := catalog.Load([]byte(renamedJoinCatalog), "catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	resolve := func(anchor, name string) (semantic.Ref, bool, error) {
		ds, _ := cat.Dataset(anchor)
		return joinResolver(cat, ds, all)(name)
	}
	for _, tc := range []struct {
		anchor, name, want string
	}{
		// Two steps, the second on a composite key, each pair as the dimensions showing it.
		{"orders", "regions.label", `[{customers [{a.b customer}]} {regions [{region_ref code} {country_ref nation}]}] label`},
		// Backwards, for a metric: the pairs swapped, the steps reversed.
		{"regions", "orders.orders_n", `[{customers [{code region_ref} {nation country_ref}]} {orders [{customer a.b}]}] orders_n`},
		{"orders", "orders.order", `[] order`},
	} {
		ref, ok, err := resolve(tc.anchor, tc.name)
		if err != nil || !ok {
			t.Fatalf("%s from %s: %v %v", tc.name, tc.anchor, ok, err)
		}
		if got := fmt.Sprintf("%v %s", ref.Path, ref.Column); got != tc.want {
			t.Errorf("%s from %s:\n got %s\nwant %s", tc.name, tc.anchor, got, tc.want)
		}
	}
	// The anchor's own column whose name holds a dot is itself.
	if _, ok, err := resolve("orders", "a.b"); ok || err != nil {
		t.Errorf("a.b: %v %v", ok, err)
	}
	// A dimension of a dataset reached only one-to-many is refused, naming it.
	_, _, err = resolve("regions", "orders.order")
	if e := sqlerr.From(err); e.Code != sqlerr.InvalidColumnReference {
		t.Errorf("orders.order from regions: %v", err)
	}
	// Out of scope is no dataset.
	ds, _ := cat.Dataset("orders")
	_, _, err = joinResolver(cat, ds, func(id string) bool { return id != "regions" })("regions.label")
	if e := sqlerr.From(err); e.Code != sqlerr.UndefinedColumn {
		t.Errorf("regions out of scope: %v", err)
	}
	// A path through a dataset out of scope is no path the key may read.
	_, _, err = joinResolver(cat, ds, func(id string) bool { return id != "customers" })("regions.label")
	if e := sqlerr.From(err); e.Code != sqlerr.InvalidColumnReference {
		t.Errorf("customers out of scope: %v", err)
	}
	var se *sqlerr.Error
	if !errors.As(err, &se) {
		t.Errorf("%T is no *sqlerr.Error: run would not pass it on", err)
	}
}
