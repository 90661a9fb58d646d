package catalog

import "testing"

func TestDatasetCacheOverride(t *testing.T) {
	src := `
datasets:
  - id: live
    source: { reference: t }
    fields: [{ name: a, type: string }]
    dimensions: [{ name: a, field: a }]
    cache: { ttlSeconds: 0 }
  - id: slow
    source: { reference: t }
    fields: [{ name: a, type: string }]
    dimensions: [{ name: a, field: a }]
    cache:
      ttlSeconds: 600
  - id: plain
    source: { reference: t }
    fields: [{ name: a, type: string }]
    dimensions: [{ name: a, field: a }]
`
	c, err := Load([]byte(src), "inline")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]Cache{
		"live":  {Override: true, TTLSeconds: 0},
		"slow":  {Override: true, TTLSeconds: 600},
		"plain": {},
	} {
		ds, _ := c.Dataset(id)
		if ds.Cache != want {
			t.Errorf("%s: cache = %+v, want %+v", id, ds.Cache, want)
		}
	}
}
