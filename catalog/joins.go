package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// UniqueOn reports whether rows are unique on fields: true when the dataset declares a
// primaryKey and fields include every field of it. Joining to a dataset on fields it is unique
// on matches each row with at most one of its rows.
func (d *Dataset) UniqueOn(fields []string) bool {
	if len(d.PrimaryKey) == 0 {
		return false
	}
	for _, k := range d.PrimaryKey {
		if !slices.Contains(fields, k) {
			return false
		}
	}
	return true
}

// From returns the id of the dataset the join leads from.
func (j *Join) From() string { return j.from }

// Reversed reports whether the join is a declared join read backwards (see Catalog.JoinsFrom);
// Line is then the line of the declared join.
func (j *Join) Reversed() bool { return j.reversed }

// ToOne reports whether each row of the dataset the join leads from matches at most one row of
// its target: many_to_one and one_to_one joins, the steps of a many-to-one path.
func (j *Join) ToOne() bool { return j.Relationship == ManyToOne || j.Relationship == OneToOne }

// declared returns the join as the file declares it: j itself, or the join it reverses.
func (j *Join) declared() *Join {
	if j.origin != nil {
		return j.origin
	}
	return j
}

// reverse returns the join read from its target: the relationship flipped and each pair swapped.
func (j *Join) reverse() *Join {
	r := &Join{Dataset: j.from, Line: j.Line, from: j.Dataset, reversed: true, origin: j}
	switch j.Relationship {
	case ManyToOne:
		r.Relationship = OneToMany
	case OneToMany:
		r.Relationship = ManyToOne
	default:
		r.Relationship = j.Relationship
	}
	for _, p := range j.On {
		r.On = append(r.On, JoinPair{Field: p.TargetField, TargetField: p.Field})
	}
	return r
}

// joinIndex lists, for each dataset id, the joins leading from it: its declared joins in file
// order, then the joins of other datasets (and its own self-joins) read backwards, in file
// order. Joins to unknown datasets, and those in skip, are left out.
func joinIndex(datasets []*Dataset, skip map[*Join]bool) map[string][]*Join {
	ids := map[string]bool{}
	for _, ds := range datasets {
		ids[ds.ID] = true
	}
	idx := map[string][]*Join{}
	for _, ds := range datasets {
		for _, j := range ds.Joins {
			if ids[j.Dataset] && !skip[j] {
				idx[ds.ID] = append(idx[ds.ID], j)
			}
		}
	}
	for _, ds := range datasets {
		for _, j := range ds.Joins {
			if ids[j.Dataset] && !skip[j] {
				idx[j.Dataset] = append(idx[j.Dataset], j.reverse())
			}
		}
	}
	return idx
}

// JoinsFrom returns the joins leading from dataset id: first those it declares, in file order,
// then those other datasets declare to it, read backwards (Reversed is true, Dataset is the
// declaring dataset, the relationship is flipped and each pair swapped), in file order. A
// one_to_many from A to B is thus also a many_to_one from B to A. The slice must not be modified.
func (c *Catalog) JoinsFrom(id string) []*Join { return c.joins[id] }

// PathError is why ManyToOnePath found no single path: Paths is empty when no path leads from
// From to To, and holds two different paths when more than one does.
type PathError struct {
	From, To string
	Paths    [][]*Join
}

func (e *PathError) Error() string {
	if len(e.Paths) < 2 {
		return fmt.Sprintf("no many-to-one path of declared joins leads from dataset %q to dataset %q (declare a many_to_one join from %q, or a one_to_many join to it, whose \"on\" pairs the primaryKey of the dataset it leads to)", e.From, e.To, e.From)
	}
	return fmt.Sprintf("dataset %q reaches dataset %q by two many-to-one paths, %s and %s, so which one a query means is ambiguous; remove one of the joins, or declare a second dataset over the same table for the other role",
		e.From, e.To, renderPath(e.From, e.Paths[0]), renderPath(e.From, e.Paths[1]))
}

// renderPath shows a path as "orders -> customers (line 12) -> regions (line 30)"; the lines tell
// apart two joins between the same datasets.
func renderPath(from string, path []*Join) string {
	var b strings.Builder
	b.WriteString(from)
	for _, j := range path {
		fmt.Fprintf(&b, " -> %s (line %d)", j.Dataset, j.Line)
	}
	return b.String()
}

// ManyToOnePath returns the steps that lead from dataset from to dataset to through many-to-one
// and one-to-one joins, each step read from the previous step's dataset (declared or reversed,
// see JoinsFrom), so path[0].From() is from and the last step's Dataset is to. Following it
// matches each row of from with at most one row of to. It is empty when from is to. A loaded
// catalog has at most one such path between two datasets; when there is none the error is a
// *PathError with no paths (two paths, should a catalog that was not loaded have them). An
// unknown id is a plain error.
func (c *Catalog) ManyToOnePath(from, to string) ([]*Join, error) {
	if _, ok := c.byID[from]; !ok {
		return nil, fmt.Errorf("catalog: unknown dataset %q", from)
	}
	if _, ok := c.byID[to]; !ok {
		return nil, fmt.Errorf("catalog: unknown dataset %q", to)
	}
	if from == to {
		return nil, nil
	}
	var found [][]*Join
	steps := 0
	walkToOne(c.joins, from, to, &steps, func(path []*Join) {
		if path[len(path)-1].Dataset == to && len(found) < 2 {
			found = append(found, slices.Clone(path))
		}
	})
	if len(found) != 1 {
		return nil, &PathError{From: from, To: to, Paths: found}
	}
	return found[0], nil
}

// walkToOne calls visit with every simple path (no dataset twice) of to-one steps from from.
// A path is not extended past stop (when stop is not empty). It counts steps taken in *steps and
// gives up, returning false, past maxPathSteps.
func walkToOne(idx map[string][]*Join, from, stop string, steps *int, visit func([]*Join)) bool {
	on := map[string]bool{from: true}
	var path []*Join
	var walk func(at string) bool
	walk = func(at string) bool {
		for _, j := range idx[at] {
			if !j.ToOne() || on[j.Dataset] {
				continue
			}
			if *steps++; *steps > maxPathSteps {
				return false
			}
			path = append(path, j)
			visit(path)
			if j.Dataset != stop {
				on[j.Dataset] = true
				if !walk(j.Dataset) {
					return false
				}
				delete(on, j.Dataset)
			}
			path = path[:len(path)-1]
		}
		return true
	}
	return walk(from)
}
