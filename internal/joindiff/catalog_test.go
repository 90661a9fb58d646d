package joindiff

import (
	"slices"
	"testing"

	"github.com/setupranali/setupranali/catalog"
)

// The generated catalog loads strictly and declares what the schema says: keys, joins, RLS,
// and the snowflake path order_items -> orders -> customers -> regions.
func TestCatalogLoads(t *testing.T) {
	s := Generate(1)
	for _, engine := range []string{DuckDB, Postgres} {
		cat, err := catalog.Load([]byte(s.YAML(engine, "sch")), "joindiff.yaml")
		if err != nil {
			t.Fatalf("%s catalog: %v\n%s", engine, err, s.YAML(engine, "sch"))
		}
		for _, d := range s.Datasets {
			ds, _ := cat.LookupDataset(d.ID)
			if ds == nil {
				t.Fatalf("%s: dataset %s missing", engine, d.ID)
			}
			if !slices.Equal(ds.PrimaryKey, d.PrimaryKey) || len(ds.Joins) != len(d.Joins) || ds.RLS.Enabled != d.RLS {
				t.Errorf("%s: %s loads as key %v, %d joins, rls %v", engine, d.ID, ds.PrimaryKey, len(ds.Joins), ds.RLS.Enabled)
			}
			if ds.Source.Engine != engine || ds.Source.Reference != "sch."+d.ID {
				t.Errorf("%s: source %+v", d.ID, ds.Source)
			}
		}
		path, err := cat.ManyToOnePath("order_items", "regions")
		if err != nil || len(path) != 3 {
			t.Errorf("%s: path order_items -> regions: %d steps, %v", engine, len(path), err)
		}
	}
}
