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
	// unchecked are the joins left out of the path check: it would only repeat their problems.
	unchecked := map[*Join]bool{}
	for _, ds := range datasets {
		for _, j := range ds.Joins {
			src := l.joins[j]
			// A join without a target or without pairs was reported as it was read; checking
			// it further would only add problems that fixing the first one removes.
			if src == nil || j.Dataset == "" || len(j.On) == 0 {
				unchecked[j] = true
				continue
			}
			target, ok := byID[j.Dataset]
			if !ok {
				hint := ""
				if c := caseMatches(datasets, j.Dataset); len(c) == 1 {
					hint = fmt.Sprintf(" (ids are exact: did you mean %q?)", c[0])
				}
				l.addf(src.datasetLine, "%s: %q is not a dataset of the catalog%s", src.ctx, j.Dataset, hint)
				unchecked[j] = true
				continue
			}
			key, reverse := joinIdentity(ds.ID, j), joinIdentity(j.Dataset, j.reverse())
			if first, dup := seen[key]; dup {
				where := fmt.Sprintf("on line %d", first.line)
				if first.from != ds.ID {
					where = fmt.Sprintf("from dataset %q on line %d", first.from, first.line)
				}
				l.addf(j.Line, "%s: duplicate join: these fields of %q and %q are already joined %s", src.ctx, ds.ID, j.Dataset, where)
				unchecked[j] = true
				continue
			}
			seen[key] = declared{ds.ID, j.Line}
			if _, ok := seen[reverse]; !ok {
				seen[reverse] = declared{ds.ID, j.Line}
			}
			l.checkPairs(ds, target, j, src)
			l.checkRelationship(ds, target, j, src)
		}
	}
	l.checkPaths(datasets, unchecked)
}

// caseMatches returns the ids that equal id ignoring case.
func caseMatches(datasets []*Dataset, id string) []string {
	var out []string
	for _, ds := range datasets {
		if strings.EqualFold(ds.ID, id) && !slices.Contains(out, ds.ID) {
			out = append(out, ds.ID)
		}
	}
	return out
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
// which one a query means would be a guess. Each ambiguity is reported once, where it arises:
// for two paths that share no dataset but their ends (paths through a common dataset are that
// dataset's ambiguity seen from further away), and once per set of joins involved (a cycle of
// one_to_one joins makes every pair on it ambiguous by the same joins). Joins in unchecked
// are left out.
func (l *loader) checkPaths(datasets []*Dataset, unchecked map[*Join]bool) {
	idx := joinIndex(datasets, unchecked)
	reported := map[string]bool{}
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
			l.addf(ds.Joins[0].Line, "the joins form more than %d many-to-one steps to check for ambiguity; declare fewer joins", maxPathSteps)
			return
		}
		for _, to := range targets {
			a, b, ok := partingPaths(byTarget[to])
			if !ok {
				continue
			}
			involved := joinSet(slices.Concat(a, b))
			if reported[involved] {
				continue
			}
			reported[involved] = true
			line := 0
			for _, j := range slices.Concat(a, b) {
				line = max(line, j.Line)
			}
			l.addf(line, "%s", (&PathError{From: ds.ID, To: to, Paths: [][]*Join{a, b}}).Error())
		}
	}
}

// partingPaths returns two paths that share no dataset but their first and last.
func partingPaths(paths [][]*Join) (a, b []*Join, ok bool) {
	for i := range paths {
		for k := i + 1; k < len(paths); k++ {
			if disjoint(paths[i], paths[k]) {
				return paths[i], paths[k], true
			}
		}
	}
	return nil, nil, false
}

// disjoint reports whether two paths from one dataset to another pass through no common
// dataset between their ends, and do not consist of the very same step.
func disjoint(p, q []*Join) bool {
	if len(p) == 1 && len(q) == 1 {
		return p[0] != q[0]
	}
	inner := map[string]bool{}
	for _, j := range p[:len(p)-1] {
		inner[j.Dataset] = true
	}
	for _, j := range q[:len(q)-1] {
		if inner[j.Dataset] {
			return false
		}
	}
	return true
}

// joinSet names the declared joins behind steps, as a set.
func joinSet(steps []*Join) string {
	var ids []string
	for _, j := range steps {
		d := j.declared()
		ids = append(ids, fmt.Sprintf("%s:%d:%p", d.from, d.Line, d))
	}
	slices.Sort(ids)
	return strings.Join(slices.Compact(ids), ",")
}
