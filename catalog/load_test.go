package catalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustLoad(t *testing.T, path string) *Catalog {
	t.Helper()
	c, err := LoadFile(path)
	if err != nil {
		t.Fatalf("LoadFile(%s): %v", path, err)
	}
	return c
}

func columnNames(ds *Dataset) []string {
	var names []string
	for _, c := range ds.Columns() {
		names = append(names, c.Name())
	}
	return names
}

func TestLoadRootCatalog(t *testing.T) {
	c := mustLoad(t, filepath.Join("..", "catalog.yaml"))
	if got := c.DatasetIDs(); !slices.Equal(got, []string{"orders", "customers"}) {
		t.Fatalf("DatasetIDs = %v", got)
	}
	ds, _ := c.Dataset("orders")
	if got, want := columnNames(ds), []string{"city", "order_date", "order_size", "order_id", "customer_id", "total_revenue", "orders_count", "total_quantity", "cities", "large_order_revenue", "avg_order_value"}; !slices.Equal(got, want) {
		t.Errorf("columns = %v, want %v", got, want)
	}
	if ds.Name != "Orders" || ds.Source != (Source{Engine: "duckdb", Type: "table", Reference: "orders"}) {
		t.Errorf("name %q, source %+v", ds.Name, ds.Source)
	}
	wantRLS := RLS{Enabled: true, Column: "tenant_id", Mode: "equals", AllowAdminBypass: true}
	if ds.RLS != wantRLS {
		t.Errorf("rls = %+v, want %+v", ds.RLS, wantRLS)
	}
	wantInc := Incremental{Enabled: true, Column: "order_date", Type: "date", Mode: "append", MaxWindowDays: 90}
	if ds.Incremental != wantInc {
		t.Errorf("incremental = %+v, want %+v", ds.Incremental, wantInc)
	}
	if !slices.Equal(ds.PrimaryKey, []string{"order_id"}) {
		t.Errorf("orders primaryKey = %v", ds.PrimaryKey)
	}
	path, err := c.ManyToOnePath("orders", "customers")
	if err != nil || len(path) != 1 || path[0] != ds.Joins[0] || ds.Joins[0].Relationship != ManyToOne ||
		!slices.Equal(ds.Joins[0].On, []JoinPair{{Field: "customer_id", TargetField: "customer_id"}}) {
		t.Errorf("orders -> customers: path %s, %v; joins %s", dump(path), err, dump(ds.Joins))
	}
	customers, _ := c.Dataset("customers")
	if got, want := columnNames(customers), []string{"customer_id", "name", "region", "segment", "customers_count"}; !slices.Equal(got, want) {
		t.Errorf("customers columns = %v, want %v", got, want)
	}
	if customers.RLS != wantRLS || !slices.Equal(customers.PrimaryKey, []string{"customer_id"}) {
		t.Errorf("customers rls %+v, primaryKey %v", customers.RLS, customers.PrimaryKey)
	}
}

// TestLoadDefaults checks the values Load fills in when the file leaves them out.
func TestLoadDefaults(t *testing.T) {
	c := mustLoad(t, filepath.Join("testdata", "good", "list.yaml"))
	orders, _ := c.Dataset("orders")
	customers, _ := c.Dataset("customers")
	tests := []struct {
		what      string
		got, want any
	}{
		{"orders timezone", orders.DefaultTimezone, "UTC"},
		{"orders source", orders.Source, Source{Engine: "duckdb", Type: "table", Reference: "orders"}},
		{"customers name", customers.Name, "customers"},
		{"customers source", customers.Source, Source{Engine: "postgres", Type: "table", Reference: "public.customers", SourceID: "warehouse"}},
		{"dimension field", orders.Dimensions[0].Field, "city"},
		{"rls mode", orders.RLS.Mode, "equals"},
		{"expression type", orders.Metrics[0].Expression.Type, "aggregation"},
		{"field type alias", orders.Fields[0].Type, TypeString},
		{"count without field", orders.Metrics[1].Expression, MetricExpression{Type: "aggregation", Agg: AggCount}},
		{"line", orders.Metrics[1].Line, 35},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.what, tc.got, tc.want)
		}
	}
}

func TestDerivedReturnTypes(t *testing.T) {
	c := mustLoad(t, filepath.Join("testdata", "good", "list.yaml"))
	want := map[string]FieldType{
		"orders.total_revenue":   TypeDouble, // sum of double
		"orders.orders_count":    TypeInt64,  // count of rows
		"orders.total_quantity":  TypeInt64,  // sum of int32 widens
		"customers.customers":    TypeInt64,  // count_distinct
		"customers.avg_credit":   TypeDouble, // avg of decimal
		"customers.total_credit": TypeDecimal,
		"customers.first_signup": TypeTimestampTZ, // min keeps the type
	}
	for _, ds := range c.Datasets {
		for _, m := range ds.Metrics {
			key := ds.ID + "." + m.Name
			if m.ReturnType != want[key] {
				t.Errorf("%s ReturnType = %q, want %q", key, m.ReturnType, want[key])
			}
			delete(want, key)
		}
	}
	for key := range want {
		t.Errorf("metric %s not loaded", key)
	}
}

func TestLoadAnchors(t *testing.T) {
	c := mustLoad(t, filepath.Join("testdata", "good", "anchors.yaml"))
	for _, id := range []string{"orders_2024", "orders_2025"} {
		ds, ok := c.Dataset(id)
		if !ok {
			t.Fatalf("dataset %s missing", id)
		}
		if got := columnNames(ds); !slices.Equal(got, []string{"city", "total_revenue"}) {
			t.Errorf("%s columns = %v", id, got)
		}
	}
}

func TestLoadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadFile(%s) error = %v, want one naming the path", path, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestLoadLabelsProblemsWithFilename(t *testing.T) {
	_, err := Load([]byte("datasets: []\nextra: 1\n"), "inline.yaml")
	want := `inline.yaml:2: catalog: unknown key "extra" (known keys: datasets)`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestLoadEmptyDatasets(t *testing.T) {
	for _, src := range []string{"datasets: []\n", "datasets: {}\n", "datasets:\n"} {
		c, err := Load([]byte(src), "empty.yaml")
		if err != nil {
			t.Errorf("Load(%q): %v", src, err)
			continue
		}
		if len(c.Datasets) != 0 {
			t.Errorf("Load(%q) has %d datasets", src, len(c.Datasets))
		}
	}
}

func TestLoadSemanticExtensions(t *testing.T) {
	c := mustLoad(t, filepath.Join("testdata", "good", "semantic.yaml"))
	ds, _ := c.Dataset("orders")
	up := ds.Dimensions[0]
	if up.SQL != "upper(city)" || up.Type != TypeString || !reflect.DeepEqual(up.Fields, []string{"city"}) {
		t.Errorf("sql dimension: %+v", up)
	}
	aov := ds.Metrics[0]
	if !aov.Derived() || aov.ReturnType != TypeDouble || !reflect.DeepEqual(aov.Expression.Uses, []string{"total_revenue", "orders_count"}) {
		t.Errorf("derived metric: %+v", aov)
	}
	if paid := ds.Metrics[3]; paid.Expression.Filter != "status = 'paid'" || paid.Derived() {
		t.Errorf("filtered metric: %+v", paid)
	}
	if sd := ds.Metrics[4]; sd.Expression.Agg != AggStddev || sd.ReturnType != TypeDouble {
		t.Errorf("stddev metric: %+v", sd)
	}
}

// TestDocsExamplesLoad loads every complete catalog (a yaml block starting with "datasets:") in
// docs/catalog.md, so the documentation cannot show a file the loader refuses.
func TestDocsExamplesLoad(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "catalog.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, part := range strings.Split(string(data), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if !strings.HasPrefix(block, "datasets:") {
			continue
		}
		blocks++
		if _, err := Load([]byte(block), fmt.Sprintf("docs/catalog.md block %d", blocks)); err != nil {
			t.Errorf("%v", err)
		}
	}
	if blocks < 2 {
		t.Errorf("found %d catalogs in docs/catalog.md, want the format overview and the joins example", blocks)
	}
}
