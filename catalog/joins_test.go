package catalog

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func joinsCatalog(t *testing.T) *Catalog {
	return mustLoad(t, filepath.Join("testdata", "good", "joins.yaml"))
}

func TestLoadJoins(t *testing.T) {
	c := joinsCatalog(t)
	orders, _ := c.Dataset("orders")
	items, _ := c.Dataset("order_items")
	products, _ := c.Dataset("products")
	if !slices.Equal(orders.PrimaryKey, []string{"order_id"}) {
		t.Errorf("orders primaryKey = %v", orders.PrimaryKey)
	}
	if !slices.Equal(items.PrimaryKey, []string{"order_id", "line_no"}) {
		t.Errorf("order_items primaryKey = %v", items.PrimaryKey)
	}
	if !slices.Equal(products.PrimaryKey, []string{"sku"}) {
		t.Errorf("products primaryKey = %v (a one-item list)", products.PrimaryKey)
	}
	want := []*Join{
		{Dataset: "customers", Relationship: ManyToOne, On: []JoinPair{{"customer_id", "customer_id"}}, Line: 22, from: "orders"},
		{Dataset: "order_items", Relationship: OneToMany, On: []JoinPair{{"order_id", "order_id"}}, Line: 25, from: "orders"},
	}
	if !reflect.DeepEqual(orders.Joins, want) {
		t.Errorf("orders joins = %s, want %s", dump(orders.Joins), dump(want))
	}
	if ds, _ := c.Dataset("products"); ds.Joins != nil {
		t.Errorf("products declares no joins, got %s", dump(ds.Joins))
	}
}

func dump(js []*Join) string {
	var parts []string
	for _, j := range js {
		parts = append(parts, fmt.Sprintf("%+v", *j))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestUniqueOn(t *testing.T) {
	c := joinsCatalog(t)
	items, _ := c.Dataset("order_items")
	employees, _ := c.Dataset("employees")
	for _, tc := range []struct {
		ds     *Dataset
		fields []string
		want   bool
	}{
		{items, []string{"order_id", "line_no"}, true},
		{items, []string{"line_no", "sku", "order_id"}, true},
		{items, []string{"order_id"}, false},
		{items, nil, false},
		{employees, []string{"employee_id"}, true},
		{employees, []string{"manager_id"}, false},
		{&Dataset{ID: "nokey"}, []string{"anything"}, false},
		{&Dataset{ID: "nokey"}, nil, false},
	} {
		if got := tc.ds.UniqueOn(tc.fields); got != tc.want {
			t.Errorf("%s.UniqueOn(%v) = %v, want %v", tc.ds.ID, tc.fields, got, tc.want)
		}
	}
}

// steps renders joins as "from>to:relationship:pairs" for comparison.
func steps(js []*Join) []string {
	var out []string
	for _, j := range js {
		var pairs []string
		for _, p := range j.On {
			pairs = append(pairs, p.Field+"="+p.TargetField)
		}
		s := fmt.Sprintf("%s>%s:%s:%s", j.From(), j.Dataset, j.Relationship, strings.Join(pairs, ","))
		if j.Reversed() {
			s += " (reversed)"
		}
		out = append(out, s)
	}
	return out
}

func TestJoinsFrom(t *testing.T) {
	c := joinsCatalog(t)
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"orders", []string{
			"orders>customers:many_to_one:customer_id=customer_id",
			"orders>order_items:one_to_many:order_id=order_id",
		}},
		{"order_items", []string{
			"order_items>products:many_to_one:sku=sku",
			"order_items>orders:many_to_one:order_id=order_id (reversed)",
		}},
		{"customers", []string{
			"customers>regions:many_to_one:region_code=code",
			"customers>orders:one_to_many:customer_id=customer_id (reversed)",
		}},
		{"region_profiles", []string{
			"region_profiles>regions:one_to_one:region_code=code (reversed)",
		}},
		{"employees", []string{
			"employees>employees:many_to_one:manager_id=employee_id",
			"employees>employees:one_to_many:employee_id=manager_id (reversed)",
		}},
		{"nosuch", nil},
	} {
		if got := steps(c.JoinsFrom(tc.id)); !slices.Equal(got, tc.want) {
			t.Errorf("JoinsFrom(%q) =\n\t%s\nwant\n\t%s", tc.id, strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
		}
	}
}

func TestManyToOnePath(t *testing.T) {
	c := joinsCatalog(t)
	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{"orders", "customers", []string{"orders>customers:many_to_one:customer_id=customer_id"}},
		{"order_items", "region_profiles", []string{
			"order_items>orders:many_to_one:order_id=order_id (reversed)",
			"orders>customers:many_to_one:customer_id=customer_id",
			"customers>regions:many_to_one:region_code=code",
			"regions>region_profiles:one_to_one:code=region_code",
		}},
		{"region_profiles", "regions", []string{"region_profiles>regions:one_to_one:region_code=code (reversed)"}},
		{"order_items", "products", []string{"order_items>products:many_to_one:sku=sku"}},
		{"orders", "orders", nil},
	} {
		path, err := c.ManyToOnePath(tc.from, tc.to)
		if err != nil {
			t.Errorf("ManyToOnePath(%q, %q): %v", tc.from, tc.to, err)
			continue
		}
		if got := steps(path); !slices.Equal(got, tc.want) {
			t.Errorf("ManyToOnePath(%q, %q) =\n\t%s\nwant\n\t%s", tc.from, tc.to, strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
		}
	}
}

func TestManyToOnePathNone(t *testing.T) {
	c := joinsCatalog(t)
	for _, tc := range []struct{ from, to string }{
		{"customers", "orders"}, // one-to-many: a customer has many orders
		{"products", "order_items"},
		{"orders", "products"},  // through order_items, which is "many" from orders
		{"employees", "orders"}, // not connected
	} {
		path, err := c.ManyToOnePath(tc.from, tc.to)
		var pe *PathError
		if !errors.As(err, &pe) || len(pe.Paths) != 0 || path != nil {
			t.Errorf("ManyToOnePath(%q, %q) = %v, %v; want a *PathError without paths", tc.from, tc.to, steps(path), err)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("no many-to-one path of declared joins leads from dataset %q to dataset %q", tc.from, tc.to)) {
			t.Errorf("error %q", err)
		}
	}
	for _, tc := range []struct{ from, to string }{{"nosuch", "orders"}, {"orders", "nosuch"}} {
		if _, err := c.ManyToOnePath(tc.from, tc.to); err == nil || !strings.Contains(err.Error(), `unknown dataset "nosuch"`) {
			t.Errorf("ManyToOnePath(%q, %q) error = %v", tc.from, tc.to, err)
		}
	}
}

// TestManyToOnePathAmbiguous builds the catalog without validation (Load refuses it), to show
// that ManyToOnePath never picks one of two paths on its own.
func TestManyToOnePathAmbiguous(t *testing.T) {
	ds := func(id, pk string, joins ...*Join) *Dataset {
		for _, j := range joins {
			j.from = id
		}
		return &Dataset{ID: id, PrimaryKey: []string{pk}, Joins: joins}
	}
	c := newCatalog([]*Dataset{
		ds("orders", "order_id",
			&Join{Dataset: "customers", Relationship: ManyToOne, On: []JoinPair{{"customer_id", "customer_id"}}, Line: 10},
			&Join{Dataset: "stores", Relationship: ManyToOne, On: []JoinPair{{"store_id", "store_id"}}, Line: 11}),
		ds("customers", "customer_id", &Join{Dataset: "regions", Relationship: ManyToOne, On: []JoinPair{{"region", "code"}}, Line: 20}),
		ds("stores", "store_id"),
		ds("regions", "code", &Join{Dataset: "stores", Relationship: OneToMany, On: []JoinPair{{"code", "region"}}, Line: 40}),
	})
	_, err := c.ManyToOnePath("orders", "regions")
	var pe *PathError
	if !errors.As(err, &pe) || len(pe.Paths) != 2 {
		t.Fatalf("error = %v, want a *PathError with two paths", err)
	}
	want := `dataset "orders" reaches dataset "regions" by two many-to-one paths, orders -> customers (line 10) -> regions (line 20) and orders -> stores (line 11) -> regions (line 40), so which one a query means is ambiguous`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error\n\t%s\nwant it to start with\n\t%s", err, want)
	}
	if path, err := c.ManyToOnePath("customers", "regions"); err != nil || len(path) != 1 {
		t.Errorf("an unambiguous path in the same catalog: %v, %v", steps(path), err)
	}
}
