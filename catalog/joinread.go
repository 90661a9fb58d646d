package catalog

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	joinKeys      = []string{"dataset", "relationship", "on"}
	relationships = []string{string(ManyToOne), string(OneToMany), string(OneToOne)}
)

// joinSource remembers where a join's parts are in the file, for the checks that need every
// dataset read first (targets, target fields, keys, duplicates, paths).
type joinSource struct {
	ctx                     string
	datasetLine, relLine    int
	fieldLines, targetLines []int
}

// readPrimaryKey reads "primaryKey": one field name, or a list of them for a composite key.
func (s *scope) readPrimaryKey(ds *object) {
	v := ds.value("primaryKey")
	if isNull(v) {
		return
	}
	var names []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		names = []*yaml.Node{v}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			ds.l.addf(v.Line, "%s: %q must name at least one field", ds.ctx, "primaryKey")
		}
		for i, item := range ds.list("primaryKey") {
			if item.Kind != yaml.ScalarNode || isNull(item) {
				ds.l.addf(item.Line, "%s: item %d of %q must be a field name, got %s", ds.ctx, i+1, "primaryKey", describe(item))
				continue
			}
			names = append(names, item)
		}
	default:
		ds.l.addf(v.Line, "%s: %q must be a field name or a list of field names, got %s", ds.ctx, "primaryKey", describe(v))
		return
	}
	for _, n := range names {
		switch {
		case strings.TrimSpace(n.Value) == "":
			ds.l.addf(n.Line, "%s: %q must not name an empty field", ds.ctx, "primaryKey")
			continue
		case slices.Contains(s.ds.PrimaryKey, n.Value):
			ds.l.addf(n.Line, "%s: %q names field %q twice", ds.ctx, "primaryKey", n.Value)
			continue
		}
		if _, ok := s.fields[n.Value]; !ok {
			ds.l.addf(n.Line, "%s: primaryKey field %q is not a field of %s", ds.ctx, n.Value, s.ctx)
		}
		s.ds.PrimaryKey = append(s.ds.PrimaryKey, n.Value)
	}
}

// readJoins reads "joins". What needs only this dataset (its own fields, the form of each join)
// is checked here; the rest waits for checkJoins, once every dataset is read.
func (s *scope) readJoins(ds *object) {
	for i, n := range ds.list("joins") {
		ctx := fmt.Sprintf("%s join #%d", s.ctx, i+1)
		if n.Kind == yaml.MappingNode {
			if target := peek(n, "dataset"); strings.TrimSpace(target) != "" {
				ctx = fmt.Sprintf("%s join to %q", s.ctx, target)
			}
		}
		o := ds.item("joins", i, n, ctx, joinKeys)
		if o == nil {
			continue
		}
		j := &Join{Dataset: o.required("dataset"), Line: n.Line, from: s.ds.ID}
		src := &joinSource{ctx: ctx, datasetLine: o.lineOf("dataset"), relLine: o.lineOf("relationship")}
		if rel := o.required("relationship"); rel != "" {
			if !slices.Contains(relationships, rel) {
				o.l.addf(o.lineOf("relationship"), "%s: unknown relationship %q (supported: %s)", ctx, rel, strings.Join(relationships, ", "))
			}
			j.Relationship = Relationship(rel)
		}
		if !o.has("on") {
			o.l.addf(o.lineOf("on"), "%s: missing required key %q (a mapping from this dataset's fields to the target's, e.g. {customer_id: customer_id})", ctx, "on")
		}
		on := o.sub("on", ctx+" on", nil)
		for _, f := range on.keys {
			fieldLine := on.entries[f].key.Line
			if _, ok := s.fields[f]; !ok {
				o.l.addf(fieldLine, "%s: field %q is not a field of %s", ctx, f, s.ctx)
			}
			target, ok := on.str(f)
			if !ok {
				if on.blank(f) {
					o.l.addf(on.lineOf(f), "%s: field %q must be paired with a field of the target", ctx, f)
				}
				continue
			}
			j.On = append(j.On, JoinPair{Field: f, TargetField: target})
			src.fieldLines = append(src.fieldLines, fieldLine)
			src.targetLines = append(src.targetLines, on.lineOf(f))
		}
		if o.has("on") && !on.absent && len(on.keys) == 0 {
			o.l.addf(o.lineOf("on"), "%s: %q must pair at least one field", ctx, "on")
		}
		s.ds.Joins = append(s.ds.Joins, j)
		o.l.joins[j] = src
	}
}
