package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// checkJoins checks what a join says about other datasets, once all are read: the target
// exists, the paired fields exist and have one type, the relationship agrees with the declared
// primary keys, no relationship is declared twice, and many-to-one paths are unique.
func (l *loader) checkJoins(datasets []*Dataset) {
	byID := map[string]*Dataset{}
	for _, ds := range datasets {
		if _, dup := byID[ds.ID]; !dup {
			byID[ds.ID] = ds
		}
	}
	// declared maps a join's identity (both ends, the pairs as a set) to where it was first
	// declared; a join read backwards from the other end has the same identity.
	type declared struct {
		from string
		line int
	}
	seen := map[string]declared{}
	duplicates := map[*Join]bool{}
	for _, ds := range datasets {
		for _, j := range ds.Joins {
			src := l.joins[j]
			if src == nil || j.Dataset == "" {
				continue
			}
			target, ok := byID[j.Dataset]
			if !ok {
				hint := ""
				for id := range byID {
					if strings.EqualFold(id, j.Dataset) {
						hint = fmt.Sprintf(" (ids are exact: did you mean %q?)", id)
					}
				}
				l.addf(src.datasetLine, "%s: %q is not a dataset of the catalog%s", src.ctx, j.Dataset, hint)
				continue
			}
			l.checkPairs(ds, target, j, src)
			l.checkRelationship(ds, target, j, src)
			key, reverse := joinIdentity(ds.ID, j), joinIdentity(j.Dataset, j.reverse())
			if first, dup := seen[key]; dup {
				where := fmt.Sprintf("on line %d", first.line)
				if first.from != ds.ID {
					where = fmt.Sprintf("from dataset %q on line %d", first.from, first.line)
				}
				l.addf(j.Line, "%s: duplicate join: these fields of %q and %q are already joined %s", src.ctx, ds.ID, j.Dataset, where)
				duplicates[j] = true
				continue
			}
			seen[key] = declared{ds.ID, j.Line}
			if _, ok := seen[reverse]; !ok {
				seen[reverse] = declared{ds.ID, j.Line}
			}
		}
	}
	l.checkPaths(datasets, duplicates)
}

// joinIdentity names what a join connects: its two ends and its pairs, in any order.
func joinIdentity(from string, j *Join) string {
	pairs := make([]string, len(j.On))
	for i, p := range j.On {
		pairs[i] = fmt.Sprintf("%q=%q", p.Field, p.TargetField)
	}
	slices.Sort(pairs)
	return fmt.Sprintf("%q>%q:%s", from, j.Dataset, strings.Join(pairs, ","))
}

// checkPairs checks each pair's target field and that both fields of a pair have one type. The
// integer widths mix (both engines compare int4 with int8 exactly); other types do not: a
// string key equal to a number, or a timestamp to a timestamptz, would depend on a cast.
func (l *loader) checkPairs(ds, target *Dataset, j *Join, src *joinSource) {
	for i, p := range j.On {
		tf := fieldNamed(target, p.TargetField)
		if tf == nil {
			l.addf(src.targetLines[i], "%s: field %q is not a field of dataset %q", src.ctx, p.TargetField, target.ID)
			continue
		}
		f := fieldNamed(ds, p.Field)
		if f == nil || f.Type == "" || tf.Type == "" {
			continue // reported already
		}
		if !keyTypesMatch(f.Type, tf.Type) {
			l.addf(src.fieldLines[i], "%s: %s.%s is %s but %s.%s is %s; paired fields must have the same type",
				src.ctx, ds.ID, p.Field, f.Type, target.ID, p.TargetField, tf.Type)
		}
	}
}

func keyTypesMatch(a, b FieldType) bool {
	integer := func(t FieldType) bool { return t == TypeInt32 || t == TypeInt64 }
	return a == b || integer(a) && integer(b)
}

func fieldNamed(ds *Dataset, name string) *Field {
	for _, f := range ds.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// checkRelationship checks that the declared keys back the relationship: the side said to be
// "one" must have its whole primaryKey in "on", or a row of the other side could match several
// of its rows and a metric over the other side would count that row more than once.
func (l *loader) checkRelationship(ds, target *Dataset, j *Join, src *joinSource) {
	fields := make([]string, len(j.On))
	targetFields := make([]string, len(j.On))
	for i, p := range j.On {
		fields[i], targetFields[i] = p.Field, p.TargetField
	}
	check := func(one, many *Dataset, onFields []string) {
		if len(one.PrimaryKey) == 0 {
			l.addf(src.relLine, "%s: relationship %s needs dataset %q to declare its primaryKey (add `primaryKey: <field>`, or a list for a composite key, to dataset %q)",
				src.ctx, j.Relationship, one.ID, one.ID)
			return
		}
		if !one.UniqueOn(onFields) {
			l.addf(src.relLine, "%s: relationship %s says a row of %q matches at most one row of %q, but \"on\" does not pair every field of its primaryKey (%s)",
				src.ctx, j.Relationship, many.ID, one.ID, strings.Join(one.PrimaryKey, ", "))
		}
	}
	switch j.Relationship {
	case ManyToOne:
		check(target, ds, targetFields)
	case OneToMany:
		check(ds, target, fields)
	case OneToOne:
		check(target, ds, targetFields)
		check(ds, target, fields)
	}
}

// maxPathSteps bounds the search for ambiguous paths: a catalog whose joins form more simple
// paths than this is refused rather than searched for minutes at every load.
const maxPathSteps = 100000

// checkPaths refuses join graphs in which some dataset reaches another by two many-to-one paths:
// which one a query means would be a guess. Each ambiguity is reported once, for the pair of
// datasets where the paths part and meet again (paths that share their first or last step are
// the same ambiguity seen from further away).
// Duplicates (reported already) are left out: they would only repeat that problem.
func (l *loader) checkPaths(datasets []*Dataset, duplicates map[*Join]bool) {
	idx := joinIndex(datasets, duplicates)
	reported := map[[2]string]bool{}
	walked := map[string]bool{}
	steps := 0
	for _, ds := range datasets {
		if len(idx[ds.ID]) == 0 || walked[ds.ID] {
			continue
		}
		walked[ds.ID] = true
		byTarget := map[string][][]*Join{}
		var targets []string
		ok := walkToOne(idx, ds.ID, "", &steps, func(path []*Join) {
			to := path[len(path)-1].Dataset
			if _, seen := byTarget[to]; !seen {
				targets = append(targets, to)
			}
			byTarget[to] = append(byTarget[to], slices.Clone(path))
		})
		if !ok {
			line := 0
			if len(ds.Joins) > 0 {
				line = ds.Joins[0].Line
			}
			l.addf(line, "the joins form more than %d many-to-one paths to check for ambiguity; declare fewer joins", maxPathSteps)
			return
		}
		for _, to := range targets {
			a, b, ok := partingPaths(byTarget[to])
			pair := [2]string{min(ds.ID, to), max(ds.ID, to)}
			if !ok || reported[pair] {
				continue
			}
			reported[pair] = true
			line := 0
			for _, j := range slices.Concat(a, b) {
				line = max(line, j.Line)
			}
			l.addf(line, "%s", (&PathError{From: ds.ID, To: to, Paths: [][]*Join{a, b}}).Error())
		}
	}
}

// partingPaths returns two paths that differ in both their first and their last step.
func partingPaths(paths [][]*Join) (a, b []*Join, ok bool) {
	for i := range paths {
		for k := i + 1; k < len(paths); k++ {
			p, q := paths[i], paths[k]
			if p[0] != q[0] && p[len(p)-1] != q[len(q)-1] {
				return p, q, true
			}
		}
	}
	return nil, nil, false
}
