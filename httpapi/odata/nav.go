package odata

import (
	"strings"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/httpapi/semantic"
)

// Model is the part of the catalog one caller sees through OData: the datasets of its entity
// sets, and the declared joins between them that are navigation properties.
type Model struct {
	cat      *catalog.Catalog
	datasets []*catalog.Dataset
	visible  map[string]*catalog.Dataset
}

// NewModel is the model of cat as a caller who may see datasets (in catalog order) sees it. A
// join to a dataset outside datasets is no navigation property: the caller cannot learn of
// the dataset through it, nor reach its rows.
func NewModel(cat *catalog.Catalog, datasets []*catalog.Dataset) *Model {
	m := &Model{cat: cat, datasets: datasets, visible: map[string]*catalog.Dataset{}}
	for _, ds := range datasets {
		m.visible[ds.ID] = ds
	}
	return m
}

// Datasets are the entity sets of the model.
func (m *Model) Datasets() []*catalog.Dataset { return m.datasets }

// Navigation is a navigation property: a declared join leading from a dataset to at most one
// row of its target (many_to_one or one_to_one read from this side, catalog.Join.ToOne).
type Navigation struct {
	// Name is the property's name: the target dataset's id.
	Name   string
	Target *catalog.Dataset
	Join   *catalog.Join
	// Step is the join as a semantic query follows it: its field pairs as the dimensions
	// showing those fields.
	Step semantic.Step
}

// Navigations are ds's navigation properties, in the order catalog.JoinsFrom gives its joins.
// Left out: joins that may match several target rows (a one-to-many navigation would be a
// collection, which paths and $expand do not follow), self-joins (a dotted name could not
// tell the dataset's own columns from its related row's), joins to datasets the caller may
// not see, a join whose target's id is already the name of one of ds's properties (CSDL
// forbids two properties of one name), and a join on a field that no plain dimension shows on
// either side (a semantic query sees datasets through their dimensions only, so it could not
// join there).
func (m *Model) Navigations(ds *catalog.Dataset) []Navigation {
	var out []Navigation
	for _, j := range m.cat.JoinsFrom(ds.ID) {
		if !j.ToOne() || j.Dataset == ds.ID {
			continue
		}
		target, ok := m.visible[j.Dataset]
		if !ok {
			continue
		}
		if _, taken := ds.Column(j.Dataset); taken || j.Dataset == KeyProperty(ds) {
			continue
		}
		step, ok := joinStep(ds, target, j)
		if !ok {
			continue
		}
		out = append(out, Navigation{Name: j.Dataset, Target: target, Join: j, Step: step})
	}
	return out
}

// joinStep is j's step in a semantic query, if every field it pairs is shown by a dimension.
func joinStep(from, to *catalog.Dataset, j *catalog.Join) (semantic.Step, bool) {
	step := semantic.Step{Dataset: to.ID}
	for _, p := range j.On {
		a, ok := plainDimension(from, p.Field)
		if !ok {
			return semantic.Step{}, false
		}
		b, ok := plainDimension(to, p.TargetField)
		if !ok {
			return semantic.Step{}, false
		}
		step.On = append(step.On, semantic.Pair{From: a, To: b})
	}
	return step, len(step.On) > 0
}

// plainDimension is the name of a dimension of ds showing field as is.
func plainDimension(ds *catalog.Dataset, field string) (string, bool) {
	for _, d := range ds.Dimensions {
		if d.SQL == "" && d.Field == field {
			return d.Name, true
		}
	}
	return "", false
}

// resolver reads the names semanticName gives ("<dataset>.<dimension>") for queries over ds:
// the navigation steps to that dataset, found breadth-first (a loaded catalog has at most one
// many-to-one path between two datasets, so the first found is the one). Another name is left
// as written: an output alias, or a column of ds.
func (m *Model) resolver(ds *catalog.Dataset) semantic.Resolver {
	return func(name string) (semantic.Ref, bool, error) {
		id, col, ok := strings.Cut(name, ".")
		if !ok {
			return semantic.Ref{}, false, nil
		}
		steps := m.pathTo(ds, id)
		if steps == nil {
			return semantic.Ref{}, false, nil
		}
		return semantic.Ref{Path: steps, Column: col}, true, nil
	}
}

// pathTo is the semantic steps along navigation properties from ds to the dataset id, nil when
// none leads there.
func (m *Model) pathTo(ds *catalog.Dataset, id string) []semantic.Step {
	type at struct {
		ds    *catalog.Dataset
		steps []semantic.Step
	}
	seen := map[string]bool{ds.ID: true}
	queue := []at{{ds: ds}}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range m.Navigations(cur.ds) {
			if seen[n.Target.ID] {
				continue
			}
			seen[n.Target.ID] = true
			steps := append(append([]semantic.Step(nil), cur.steps...), n.Step)
			if n.Target.ID == id {
				return steps
			}
			queue = append(queue, at{ds: n.Target, steps: steps})
		}
	}
	return nil
}

func (m *Model) navigation(ds *catalog.Dataset, name string) (Navigation, bool) {
	for _, n := range m.Navigations(ds) {
		if n.Name == name {
			return n, true
		}
	}
	return Navigation{}, false
}

// oneToMany reports whether name is a dataset the caller sees that ds joins one-to-many: valid
// OData navigation in the model's terms, which this server does not follow.
func (m *Model) oneToMany(ds *catalog.Dataset, name string) bool {
	if _, ok := m.visible[name]; !ok {
		return false
	}
	for _, j := range m.cat.JoinsFrom(ds.ID) {
		if j.Dataset == name && !j.ToOne() {
			return true
		}
	}
	return false
}

// ref is a property a request names: a column of the entity set's dataset, or (Steps not
// empty) a dimension of a dataset reached along navigation properties.
type ref struct {
	Steps []Navigation
	Col   catalog.Column
}

// semanticName is the ref's name in a semantic query: the column's own name, or for a related
// dataset's dimension "<dataset>.<dimension>", the name httpapi/semantic resolves along the one
// many-to-one path of declared joins to that dataset (the catalog allows no second path, so
// the dataset alone names it).
func (r ref) semanticName() string {
	if len(r.Steps) == 0 {
		return r.Col.Name()
	}
	return r.Steps[len(r.Steps)-1].Target.ID + "." + r.Col.Name()
}

// props is the ref's place in an entity's JSON: the navigation properties, then the property.
func (r ref) props() []string {
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Name)
	}
	return append(out, r.Col.Name())
}

// splitPath splits "customers/region" into its segments.
func splitPath(path string) []string {
	parts := strings.Split(path, "/")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// follow walks the navigation segments of a path from ds: every segment must be a navigation
// property of the dataset before it.
func (m *Model) follow(ds *catalog.Dataset, segs []string, option string) ([]Navigation, *catalog.Dataset, error) {
	var steps []Navigation
	at := ds
	for _, s := range segs {
		n, ok := m.navigation(at, s)
		if !ok {
			return nil, nil, m.notNavigable(at, s, option)
		}
		steps = append(steps, n)
		at = n.Target
	}
	return steps, at, nil
}

// notNavigable is why segment s of a path in option does not lead on from ds.
func (m *Model) notNavigable(ds *catalog.Dataset, s, option string) error {
	switch {
	case m.oneToMany(ds, s):
		return unsupported("%s: navigation from %s to %s is one-to-many; only many-to-one navigation paths are supported (query the entity set %s)", option, ds.ID, s, s)
	case s == "$ref" || s == "$count" || s == "$value" || strings.Contains(s, "."):
		return unsupported("%s: path segment %q is not supported", option, s)
	}
	if _, ok := ds.Column(s); ok {
		return badf("%s: %q is a property of %s, not a navigation property", option, s, ds.ID)
	}
	return badf("%s: unknown navigation property %q of %s", option, s, ds.ID)
}

// resolve reads a property path in option ("city", "customers/region"): its last segment a
// property of the dataset the navigation segments before it lead to. A related dataset's
// property must be a dimension: its metrics aggregate its own rows, which a path from another
// entity set does not select.
func (m *Model) resolve(ds *catalog.Dataset, path, option string) (ref, error) {
	segs := splitPath(path)
	steps, at, err := m.follow(ds, segs[:len(segs)-1], option)
	if err != nil {
		return ref{}, err
	}
	last := segs[len(segs)-1]
	c, ok := at.Column(last)
	if !ok {
		if _, nav := m.navigation(at, last); nav {
			return ref{}, unsupported("%s: %q is a navigation property; name one of its properties (%s/<property>)", option, path, path)
		}
		if m.oneToMany(at, last) {
			return ref{}, m.notNavigable(at, last, option)
		}
		if len(steps) == 0 {
			return ref{}, badf("unknown property %q in %s", path, option)
		}
		return ref{}, badf("%s: unknown property %q of %s in %q", option, last, at.ID, path)
	}
	if len(steps) > 0 && c.Kind != catalog.KindDimension {
		return ref{}, unsupported("%s: %q is a metric of the related dataset %s; a path may name its dimensions only (query the entity set %s for its metrics)", option, path, at.ID, at.ID)
	}
	return ref{Steps: steps, Col: c}, nil
}
