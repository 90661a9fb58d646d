package joindiff

import (
	"fmt"
	"slices"
	"strings"
)

// Query is one join query: its structure (what the reference evaluates) and its SQL (what the
// gateway answers). Both describe the same question; the generator builds them together.
type Query struct {
	Steps   []Step
	Dims    []ColRef
	Metrics []MetricRef
	Filters []Filter
	// Shape is how the SQL is written: plain, implicit, wrapped (Power BI's aggregate over a
	// pass-through sub-select) or cte.
	Shape string
	// OrderBy adds ORDER BY 1; the test compares rows in any order (engines collate strings
	// differently), so it only checks that the shape plans.
	OrderBy bool
	SQL     string
}

// Step is one FROM item: the first has no join Type and no On.
type Step struct {
	Alias string
	// Dataset is the dataset read; with Derived set, the dataset the sub-select reads.
	Dataset string
	Derived *Derived
	Type    string // "", inner, left, right, full
	On      []On
	// Using writes the condition as USING (columns): every On pair names one column twice.
	Using bool
	// Natural writes the join as NATURAL: On are exactly the pairs of the names this step and
	// the earlier ones have in common, each name of one earlier step only.
	Natural bool
	// Comma writes the step as a comma-separated FROM item with On in WHERE (the old style
	// many tools still emit); Type is inner, and every later step is a comma step too.
	Comma bool
	// Wrap is how many plain sub-selects (SELECT every column FROM ...) the dataset is
	// wrapped in, as Power BI and other tools wrap tables; its rows are the dataset's.
	// WrapCTE writes the levels as CTEs, each reading the one before.
	Wrap    int
	WrapCTE bool
}

// Derived is a sub-select in FROM of one column of a dataset, filtered, and grouped by the
// column (unique on it) or not (one row per dataset row: joining it can repeat rows).
type Derived struct {
	Column  string
	Grouped bool
	Filter  *Filter // its Ref.Alias is empty: a column of Dataset
	// Having, on a grouped sub-select, keeps the groups whose metric is above a value: the
	// filter Tableau's top-N and "sets" join back to the dataset.
	Having *Having
}

// Having is MEASURE(Metric) > Value.
type Having struct {
	Metric string
	Value  float64
}

// On is one equality of a join condition: an earlier step's column = this step's column.
type On struct {
	Left   ColRef
	Column string
}

// ColRef is alias.column.
type ColRef struct{ Alias, Column string }

// MetricRef is a metric of a step's dataset, and the form the SQL writes it in: bare, measure
// or agg (the aggregate that matches its kind).
type MetricRef struct {
	Alias, Metric, Form string
}

// Filter is a WHERE condition on one column.
type Filter struct {
	Ref ColRef
	// Op is one of = <> < > in isnull notnull insub.
	Op     string
	Values []any
	// Sub is the sub-select of insub: Ref IN (SELECT Column FROM Dataset WHERE Filter).
	Sub *Sub
}

// Sub is a one-column sub-select of a dataset, optionally filtered.
type Sub struct {
	Dataset, Column string
	Filter          *Filter
}

// Datasets are the dataset ids the query reads, in order of first use.
func (q *Query) Datasets() []string {
	var out []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for _, s := range q.Steps {
		add(s.Dataset)
	}
	for _, f := range q.Filters {
		if f.Sub != nil {
			add(f.Sub.Dataset)
		}
	}
	return out
}

func (q *Query) step(alias string) (int, *Step) {
	for i := range q.Steps {
		if q.Steps[i].Alias == alias {
			return i, &q.Steps[i]
		}
	}
	return -1, nil
}

// render writes q.SQL from its structure.
func (q *Query) render(s *Schema) {
	var from strings.Builder
	var commaConds, ctes []string
	for i, st := range q.Steps {
		rel := st.Dataset
		if st.Derived != nil {
			rel = "(" + derivedSQL(s, st.Dataset, st.Derived) + ")"
		} else if st.Wrap > 0 {
			var defs []string
			rel, defs = wrappedSQL(s, i, st)
			ctes = append(ctes, defs...)
		}
		if i == 0 {
			from.WriteString(rel + " " + st.Alias)
			continue
		}
		conds, using := make([]string, len(st.On)), make([]string, len(st.On))
		for j, on := range st.On {
			conds[j] = on.Left.Alias + "." + on.Left.Column + " = " + st.Alias + "." + on.Column
			using[j] = on.Column
		}
		switch {
		case st.Comma:
			fmt.Fprintf(&from, ", %s %s", rel, st.Alias)
			commaConds = append(commaConds, conds...)
			continue
		case st.Natural:
			fmt.Fprintf(&from, " NATURAL %s JOIN %s %s", strings.ToUpper(st.Type), rel, st.Alias)
			continue
		case st.Using:
			fmt.Fprintf(&from, " %s JOIN %s %s USING (%s)", strings.ToUpper(st.Type), rel, st.Alias, strings.Join(using, ", "))
			continue
		}
		fmt.Fprintf(&from, " %s JOIN %s %s ON %s", strings.ToUpper(st.Type), rel, st.Alias, strings.Join(conds, " AND "))
	}
	var where string
	if conds := commaConds; len(conds)+len(q.Filters) > 0 {
		for _, f := range q.Filters {
			conds = append(conds, filterSQL(s, q, "", &f))
		}
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	var groupBy string
	if len(q.Dims) > 0 {
		pos := make([]string, len(q.Dims))
		for i := range q.Dims {
			pos[i] = fmt.Sprint(i + 1)
		}
		groupBy = " GROUP BY " + strings.Join(pos, ", ")
	}
	items := func(dim func(i int, d ColRef) string, met func(i int, m MetricRef) string) string {
		var out []string
		for i, d := range q.Dims {
			out = append(out, dim(i, d))
		}
		for i, m := range q.Metrics {
			out = append(out, met(i, m))
		}
		return strings.Join(out, ", ")
	}
	outer := func(i int, m MetricRef, ref string) string {
		return metricSQL(s, q, m, ref) + fmt.Sprintf(" AS m%d", i)
	}
	switch q.Shape {
	case "plain", "implicit":
		sel := items(func(i int, d ColRef) string { return fmt.Sprintf("%s.%s AS d%d", d.Alias, d.Column, i) },
			func(i int, m MetricRef) string { return outer(i, m, m.Alias+"."+m.Metric) })
		if q.Shape == "implicit" {
			groupBy = ""
		}
		q.SQL = "SELECT " + sel + " FROM " + from.String() + where + groupBy
	default: // wrapped, cte: the joins in a pass-through sub-select, aggregated outside
		inner := "SELECT " + items(func(i int, d ColRef) string { return fmt.Sprintf("%s.%s AS d%d", d.Alias, d.Column, i) },
			func(i int, m MetricRef) string { return fmt.Sprintf("%s.%s AS c%d", m.Alias, m.Metric, i) }) +
			" FROM " + from.String() + where
		sel := items(func(i int, d ColRef) string { return fmt.Sprintf("d%d", i) },
			func(i int, m MetricRef) string { return outer(i, m, fmt.Sprintf("c%d", i)) })
		if q.Shape == "cte" {
			q.SQL = "WITH " + strings.Join(append(slices.Clone(ctes), "q AS ("+inner+")"), ", ") + " SELECT " + sel + " FROM q" + groupBy
			ctes = nil
		} else {
			q.SQL = "SELECT " + sel + " FROM (" + inner + ") AS q" + groupBy
		}
	}
	if len(ctes) > 0 {
		q.SQL = "WITH " + strings.Join(ctes, ", ") + " " + q.SQL
	}
	if q.OrderBy {
		q.SQL += " ORDER BY 1"
	}
}

// wrappedSQL is dataset step i inside st.Wrap plain sub-selects, each selecting every visible
// column by name or by *; with st.WrapCTE the levels are CTEs (defs, in order) and the step
// reads the last.
func wrappedSQL(s *Schema, i int, st Step) (rel string, defs []string) {
	rel = st.Dataset
	cols := strings.Join(s.Dataset(st.Dataset).Visible(), ", ")
	for level := range st.Wrap {
		list := cols
		if (i+level)%2 == 1 {
			list = "*"
		}
		name := fmt.Sprintf("w%d_%d", i, level)
		if st.WrapCTE {
			defs = append(defs, fmt.Sprintf("%s AS (SELECT %s FROM %s)", name, list, rel))
			rel = name
			continue
		}
		rel = fmt.Sprintf("(SELECT %s FROM %s %s)", list, rel, name)
	}
	return rel, defs
}

func derivedSQL(s *Schema, dataset string, d *Derived) string {
	sql := "SELECT " + d.Column + " FROM " + dataset
	if d.Filter != nil {
		sql += " WHERE " + filterSQL(s, nil, dataset, d.Filter)
	}
	if d.Grouped {
		sql += " GROUP BY " + d.Column
	}
	if d.Having != nil {
		sql += " HAVING MEASURE(" + d.Having.Metric + ") > " + formatFloat(d.Having.Value)
	}
	return sql
}

// columnKind is the kind of a filter's column: of the step's dataset, or of dataset when the
// filter sits in a sub-select (q nil).
func columnKind(s *Schema, q *Query, dataset string, ref ColRef) Kind {
	if q != nil {
		_, st := q.step(ref.Alias)
		dataset = st.Dataset
	}
	c, _ := s.Dataset(dataset).Column(ref.Column)
	return c.Kind
}

// filterSQL renders f; q is nil inside a sub-select, where the column is unqualified and
// belongs to the sub-select's dataset.
func filterSQL(s *Schema, q *Query, dataset string, f *Filter) string {
	col := f.Ref.Column
	if f.Ref.Alias != "" {
		col = f.Ref.Alias + "." + col
	}
	kind := columnKind(s, q, dataset, f.Ref)
	switch f.Op {
	case "isnull":
		return col + " IS NULL"
	case "notnull":
		return col + " IS NOT NULL"
	case "in":
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			vals[i] = Literal(v, kind)
		}
		return col + " IN (" + strings.Join(vals, ", ") + ")"
	case "insub":
		sub := "SELECT " + f.Sub.Column + " FROM " + f.Sub.Dataset
		if f.Sub.Filter != nil {
			sub += " WHERE " + filterSQL(s, nil, f.Sub.Dataset, f.Sub.Filter)
		}
		return col + " IN (" + sub + ")"
	}
	return col + " " + f.Op + " " + Literal(f.Values[0], kind)
}

// metricSQL writes metric m over ref (a carrier column) in its form.
func metricSQL(s *Schema, q *Query, m MetricRef, ref string) string {
	switch m.Form {
	case "measure":
		return "MEASURE(" + ref + ")"
	case "agg":
		_, st := q.step(m.Alias)
		switch s.Dataset(st.Dataset).Metric(m.Metric).Agg {
		case "sum", "count":
			return "SUM(" + ref + ")"
		case "avg":
			return "AVG(" + ref + ")"
		case "min":
			return "MIN(" + ref + ")"
		case "max":
			return "MAX(" + ref + ")"
		case "count_distinct":
			return "COUNT(DISTINCT " + ref + ")"
		}
	}
	return ref
}

// Lookup reports whether q only looks rows up: every join is inner or left, to a dataset on
// all of its primary key or to a sub-select grouped by its join column, and every metric is of
// the first step. Such a join never repeats a row of the first step, so the issue says it
// needs no declaration and is never refused.
func (q *Query) Lookup(s *Schema) bool {
	for _, st := range q.Steps[1:] {
		if st.Type != "inner" && st.Type != "left" {
			return false
		}
		var cols []string
		for _, on := range st.On {
			cols = append(cols, on.Column)
		}
		if st.Derived != nil {
			if !st.Derived.Grouped {
				return false
			}
			continue
		}
		for _, k := range s.Dataset(st.Dataset).PrimaryKey {
			if !slices.Contains(cols, k) {
				return false
			}
		}
	}
	for _, m := range q.Metrics {
		if m.Alias != q.Steps[0].Alias {
			return false
		}
	}
	return true
}

// LookupAcrossTenants reports whether q is a Lookup also for a principal that reads several
// tenants' rows (the admin): keys are unique only within a tenant, so every join to a dataset
// with RLS must equate the tenant column too.
func (q *Query) LookupAcrossTenants(s *Schema) bool {
	if !q.Lookup(s) {
		return false
	}
	for _, st := range q.Steps[1:] {
		if st.Derived != nil || !s.Dataset(st.Dataset).RLS {
			continue
		}
		if !slices.ContainsFunc(st.On, func(o On) bool { return o.Column == TenantColumn }) {
			return false
		}
	}
	return true
}
