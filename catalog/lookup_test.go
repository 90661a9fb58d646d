package catalog

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func TestLookupDataset(t *testing.T) {
	c := mustLoad(t, filepath.Join("testdata", "good", "case.yaml"))
	tests := []struct {
		name          string
		wantID        string // "" for none
		wantAmbiguous bool
	}{
		{"orders", "orders", false},
		{"Orders", "Orders", false},
		{"ORDERS", "", true},
		{"customers", "Customers", false},
		{"CUSTOMERS", "Customers", false},
		{"nope", "", false},
	}
	for _, tc := range tests {
		ds, ambiguous := c.LookupDataset(tc.name)
		var id string
		if ds != nil {
			id = ds.ID
		}
		if id != tc.wantID || ambiguous != tc.wantAmbiguous {
			t.Errorf("LookupDataset(%q) = %q, %v; want %q, %v", tc.name, id, ambiguous, tc.wantID, tc.wantAmbiguous)
		}
	}
	if _, ok := c.Dataset("customers"); ok {
		t.Errorf("Dataset is exact, but found %q", "customers")
	}
	if ds, ok := c.Dataset("Customers"); !ok || ds.ID != "Customers" {
		t.Errorf("Dataset(%q) = %v, %v", "Customers", ds, ok)
	}
	if got := c.DatasetIDs(); !slices.Equal(got, []string{"orders", "Orders", "Customers"}) {
		t.Errorf("DatasetIDs = %v", got)
	}
}

func TestLookupColumn(t *testing.T) {
	c := mustLoad(t, filepath.Join("testdata", "good", "case.yaml"))
	ds, _ := c.Dataset("orders")
	tests := []struct {
		name string
		want string // "" for not found
	}{
		{"city", "city"},
		{"City", "City"},
		{"CITY", ""}, // two columns match ignoring case
		{"Region", "Region"},
		{"region", "Region"},
		{"nope", ""},
	}
	for _, tc := range tests {
		col, ok := ds.LookupColumn(tc.name)
		if (tc.want != "") != ok || ok && col.Name() != tc.want {
			t.Errorf("LookupColumn(%q) = %+v, %v; want %q", tc.name, col, ok, tc.want)
		}
		if !ok && col != (Column{}) {
			t.Errorf("LookupColumn(%q) returned %+v with false", tc.name, col)
		}
	}
	if _, ok := ds.Column("region"); ok {
		t.Errorf("Column is exact, but found %q", "region")
	}
	if f, ok := ds.Field("City"); !ok || f.Name != "City" {
		t.Errorf("Field(%q) = %v, %v", "City", f, ok)
	}
	if _, ok := ds.Field("CITY"); ok {
		t.Errorf("Field is exact, but found %q", "CITY")
	}
}

func TestColumns(t *testing.T) {
	ds, _ := mustLoad(t, rootCatalog).Dataset("orders")
	cols := ds.Columns()
	wantKinds := []ColumnKind{KindDimension, KindDimension, KindDimension, KindDimension, KindDimension, KindMetric, KindMetric, KindMetric, KindMetric, KindMetric, KindMetric}
	if len(cols) != len(wantKinds) {
		t.Fatalf("%d columns, want %d", len(cols), len(wantKinds))
	}
	for i, col := range cols {
		if col.Kind != wantKinds[i] {
			t.Errorf("column %d (%s) kind %v, want %v", i, col.Name(), col.Kind, wantKinds[i])
		}
	}
	m, ok := ds.Column("total_revenue")
	if !ok || m.Kind != KindMetric || m.Metric != ds.Metrics[0] {
		t.Errorf("Column(total_revenue) = %+v, %v", m, ok)
	}
	cols[0] = cols[3]
	if ds.Columns()[0].Name() != "city" {
		t.Errorf("Columns returned the dataset's own slice")
	}
}

// TestConcurrentReads documents that a loaded catalog is safe to share (run with -race).
func TestConcurrentReads(t *testing.T) {
	c := mustLoad(t, rootCatalog)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ds, _ := c.LookupDataset("ORDERS")
			ds.LookupColumn("CITY")
			ds.Columns()
			_ = c.Version()
		})
	}
	wg.Wait()
}
