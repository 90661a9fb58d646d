package catalog

import "strings"

// Version identifies the catalog's meaning: equal for files that differ only in formatting,
// comments, key order or spelled-out defaults, different for any semantic change.
func (c *Catalog) Version() string { return c.version }

// DatasetIDs returns the dataset ids in file order.
func (c *Catalog) DatasetIDs() []string {
	ids := make([]string, len(c.Datasets))
	for i, ds := range c.Datasets {
		ids[i] = ds.ID
	}
	return ids
}

// Dataset returns the dataset with exactly this id.
func (c *Catalog) Dataset(id string) (*Dataset, bool) {
	ds, ok := c.byID[id]
	return ds, ok
}

// LookupDataset resolves a name as a SQL client wrote it: an exact id match first, else the one
// dataset whose id matches ignoring case. When several match ignoring case, ds is nil and
// ambiguous is true, so the caller can ask for a quoted name instead of guessing.
func (c *Catalog) LookupDataset(name string) (ds *Dataset, ambiguous bool) {
	if ds, ok := c.byID[name]; ok {
		return ds, false
	}
	for _, d := range c.Datasets {
		if strings.EqualFold(d.ID, name) {
			if ds != nil {
				return nil, true
			}
			ds = d
		}
	}
	return ds, false
}

// Field returns the physical field with exactly this name.
func (d *Dataset) Field(name string) (*Field, bool) {
	f, ok := d.fields[name]
	return f, ok
}

// Column returns the dimension or metric with exactly this name.
func (d *Dataset) Column(name string) (Column, bool) {
	c, ok := d.columns[name]
	return c, ok
}

// LookupColumn resolves a column name: exact first, else the one column matching ignoring case.
// It reports false when none or several match ignoring case.
func (d *Dataset) LookupColumn(name string) (Column, bool) {
	if c, ok := d.columns[name]; ok {
		return c, true
	}
	var found Column
	n := 0
	for _, c := range d.Columns() {
		if strings.EqualFold(c.Name(), name) {
			found = c
			n++
		}
	}
	if n != 1 {
		return Column{}, false
	}
	return found, true
}

// Columns returns the dataset's columns as clients see them: dimensions in order, then metrics
// in order. The slice is new on each call; the columns it points to must not be modified.
func (d *Dataset) Columns() []Column {
	cols := make([]Column, 0, len(d.Dimensions)+len(d.Metrics))
	for _, dim := range d.Dimensions {
		cols = append(cols, Column{Kind: KindDimension, Dimension: dim})
	}
	for _, m := range d.Metrics {
		cols = append(cols, Column{Kind: KindMetric, Metric: m})
	}
	return cols
}
