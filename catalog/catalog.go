package catalog

// newCatalog indexes validated datasets and fixes the catalog's version.
func newCatalog(datasets []*Dataset) *Catalog {
	c := &Catalog{Datasets: datasets, byID: make(map[string]*Dataset, len(datasets))}
	for _, ds := range datasets {
		c.byID[ds.ID] = ds
		ds.index()
	}
	c.joins = joinIndex(datasets, nil)
	c.version = computeVersion(datasets)
	return c
}

// index builds a dataset's exact-name lookup maps.
func (d *Dataset) index() {
	d.fields = make(map[string]*Field, len(d.Fields))
	for _, f := range d.Fields {
		d.fields[f.Name] = f
	}
	d.columns = make(map[string]Column, len(d.Dimensions)+len(d.Metrics))
	for _, c := range d.Columns() {
		d.columns[c.Name()] = c
	}
}
