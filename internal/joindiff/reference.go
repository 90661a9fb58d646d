package joindiff

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// AllTenants, as Truth's tenant, reads every tenant's rows: what a join that lost its tenant
// filters would see. The test uses it to check that the data can tell a leak from the truth.
const AllTenants = ""

// Truth computes q's answer for tenant by the invariant, naively: every row of the result is
// its cells normalised (see Normalize) and joined by " | "; the order is unspecified.
//
// Tuples are built by nested loops over the tenant's rows of each step (a dataset without RLS
// is the same for every tenant), in step order, with SQL's join semantics (NULL never equals,
// left/right/full keep unmatched rows with NULLs). WHERE keeps tuples; tuples group by the
// dimensions (no dimensions: exactly one group, even of no tuples); a metric aggregates the
// distinct rows of its own step that the group's tuples hold, each once.
func (s *Schema) Truth(q *Query, tenant string) []string {
	rel := make([][]Row, len(q.Steps))
	for i, st := range q.Steps {
		rel[i] = s.relation(st, tenant)
	}
	tuples := [][]int{}
	for i := range rel[0] {
		tuples = append(tuples, []int{i})
	}
	for k := 1; k < len(q.Steps); k++ {
		tuples = joinStep(q, rel, tuples, k)
	}

	value := func(t []int, ref ColRef) any {
		i, _ := q.step(ref.Alias)
		if t[i] < 0 {
			return nil
		}
		return rel[i][t[i]][ref.Column]
	}
	type group struct {
		dims []any
		rows []map[int]bool // per metric: the row numbers of its step
	}
	groups := map[string]*group{}
	var order []string
	newGroup := func(key string, dims []any) *group {
		g := &group{dims: dims, rows: make([]map[int]bool, len(q.Metrics))}
		for i := range g.rows {
			g.rows[i] = map[int]bool{}
		}
		groups[key] = g
		order = append(order, key)
		return g
	}
	if len(q.Dims) == 0 {
		newGroup("", nil)
	}
tuples:
	for _, t := range tuples {
		for i := range q.Filters {
			f := &q.Filters[i]
			if !s.holds(f, value(t, f.Ref), tenant) {
				continue tuples
			}
		}
		dims := make([]any, len(q.Dims))
		keys := make([]string, len(q.Dims))
		for i, d := range q.Dims {
			dims[i] = value(t, d)
			keys[i] = text(dims[i])
		}
		key := strings.Join(keys, "\x01")
		g := groups[key]
		if g == nil {
			g = newGroup(key, dims)
		}
		for i, m := range q.Metrics {
			if st, _ := q.step(m.Alias); t[st] >= 0 {
				g.rows[i][t[st]] = true
			}
		}
	}

	out := make([]string, 0, len(order))
	for _, key := range order {
		g := groups[key]
		cells := make([]string, 0, len(q.Dims)+len(q.Metrics))
		for _, v := range g.dims {
			cells = append(cells, Normalize(text(v), v == nil))
		}
		for i, m := range q.Metrics {
			st, step := q.step(m.Alias)
			def := s.Dataset(step.Dataset).Metric(m.Metric)
			rows := make([]Row, 0, len(g.rows[i]))
			for _, r := range slices.Sorted(maps.Keys(g.rows[i])) {
				rows = append(rows, rel[st][r])
			}
			v := s.aggregate(step.Dataset, def, rows)
			cells = append(cells, Normalize(text(v), v == nil))
		}
		out = append(out, strings.Join(cells, " | "))
	}
	return out
}

// relation is a step's rows as the tenant sees them.
func (s *Schema) relation(st Step, tenant string) []Row {
	rows := s.rows(st.Dataset, tenant)
	if st.Derived == nil {
		return rows
	}
	d := st.Derived
	var out []Row
	groups := map[string][]Row{}
	for _, r := range rows {
		if d.Filter != nil && !s.holds(d.Filter, r[d.Filter.Ref.Column], tenant) {
			continue
		}
		v := r[d.Column]
		if d.Grouped {
			key := text(v) + fmt.Sprint(v == nil)
			groups[key] = append(groups[key], r)
			if len(groups[key]) > 1 {
				continue
			}
		}
		out = append(out, Row{d.Column: v})
	}
	if d.Having == nil {
		return out
	}
	kept := out[:0]
	for _, r := range out {
		v := r[d.Column]
		m := s.aggregate(st.Dataset, s.Dataset(st.Dataset).Metric(d.Having.Metric), groups[text(v)+fmt.Sprint(v == nil)])
		if m != nil && toFloat(m) > d.Having.Value {
			kept = append(kept, r)
		}
	}
	return kept
}

// rows are a dataset's rows the tenant sees: its own, or all of a dataset without RLS.
func (s *Schema) rows(dataset, tenant string) []Row {
	d := s.Dataset(dataset)
	if !d.RLS || tenant == AllTenants {
		return d.Rows
	}
	var out []Row
	for _, r := range d.Rows {
		if r[TenantColumn] == tenant {
			out = append(out, r)
		}
	}
	return out
}

func joinStep(q *Query, rel [][]Row, tuples [][]int, k int) [][]int {
	st := q.Steps[k]
	match := func(t []int, j int) bool {
		for _, on := range st.On {
			li, _ := q.step(on.Left.Alias)
			if t[li] < 0 {
				return false
			}
			l, r := rel[li][t[li]][on.Left.Column], rel[k][j][on.Column]
			if l == nil || r == nil || compare(l, r) != 0 {
				return false
			}
		}
		return true
	}
	// Candidates by the first equality's value: the nested loop, without visiting rows that
	// cannot match (match still checks every equality).
	first := st.On[0]
	byKey := map[string][]int{}
	for j, r := range rel[k] {
		if v := r[first.Column]; v != nil {
			byKey[text(v)] = append(byKey[text(v)], j)
		}
	}
	li, _ := q.step(first.Left.Alias)
	extend := func(t []int, j int) []int { return append(slices.Clone(t), j) }
	var out [][]int
	matchedRight := make([]bool, len(rel[k]))
	for _, t := range tuples {
		matched := false
		var cands []int
		if t[li] >= 0 {
			if v := rel[li][t[li]][first.Left.Column]; v != nil {
				cands = byKey[text(v)]
			}
		}
		for _, j := range cands {
			if match(t, j) {
				out = append(out, extend(t, j))
				matched, matchedRight[j] = true, true
			}
		}
		if !matched && (st.Type == "left" || st.Type == "full") {
			out = append(out, extend(t, -1))
		}
	}
	if st.Type == "right" || st.Type == "full" {
		for j, m := range matchedRight {
			if !m {
				t := make([]int, k+1)
				for i := range k {
					t[i] = -1
				}
				t[k] = j
				out = append(out, t)
			}
		}
	}
	return out
}

// holds evaluates f on v with SQL's rules: a comparison with NULL is not true.
func (s *Schema) holds(f *Filter, v any, tenant string) bool {
	switch f.Op {
	case "isnull":
		return v == nil
	case "notnull":
		return v != nil
	}
	if v == nil {
		return false
	}
	switch f.Op {
	case "=":
		return compare(v, f.Values[0]) == 0
	case "<>":
		return compare(v, f.Values[0]) != 0
	case "<":
		return compare(v, f.Values[0]) < 0
	case ">":
		return compare(v, f.Values[0]) > 0
	case "in":
		for _, x := range f.Values {
			if compare(v, x) == 0 {
				return true
			}
		}
		return false
	case "insub":
		for _, r := range s.rows(f.Sub.Dataset, tenant) {
			if f.Sub.Filter != nil && !s.holds(f.Sub.Filter, r[f.Sub.Filter.Ref.Column], tenant) {
				continue
			}
			if x := r[f.Sub.Column]; x != nil && compare(v, x) == 0 {
				return true
			}
		}
		return false
	}
	panic("joindiff: filter op " + f.Op)
}

// compare orders two non-NULL values of one kind.
func compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		return cmpNum(float64(x), toFloat(b))
	case float64:
		return cmpNum(x, toFloat(b))
	case string:
		return strings.Compare(x, b.(string))
	}
	panic(fmt.Sprintf("joindiff: compare %T", a))
}

func toFloat(v any) float64 {
	if i, ok := v.(int64); ok {
		return float64(i)
	}
	return v.(float64)
}

func cmpNum(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// aggregate is the metric over rows, each once, as SQL aggregates it: NULLs skipped, NULL over
// no values (but 0 for counts).
func (s *Schema) aggregate(dataset string, m *Metric, rows []Row) any {
	if m.Agg == "ratio" {
		// A derived metric divides its parts, each aggregated over the same rows.
		d := s.Dataset(dataset)
		num, den := s.aggregate(dataset, d.Metric(m.Num), rows), s.aggregate(dataset, d.Metric(m.Den), rows)
		if num == nil || den == nil || toFloat(den) == 0 {
			return nil
		}
		return toFloat(num) / toFloat(den)
	}
	if m.Agg == "count" && m.Field == "" {
		return int64(len(rows))
	}
	var vals []any
	for _, r := range rows {
		if v := r[m.Field]; v != nil {
			vals = append(vals, v)
		}
	}
	switch m.Agg {
	case "count":
		return int64(len(vals))
	case "count_distinct":
		seen := map[string]bool{}
		for _, v := range vals {
			seen[text(v)] = true
		}
		return int64(len(seen))
	}
	if len(vals) == 0 {
		return nil
	}
	switch m.Agg {
	case "sum", "avg":
		var sum float64
		isInt := true
		for _, v := range vals {
			sum += toFloat(v)
			_, ok := v.(int64)
			isInt = isInt && ok
		}
		if m.Agg == "avg" {
			return sum / float64(len(vals))
		}
		if isInt {
			return int64(sum)
		}
		return sum
	case "min", "max":
		best := vals[0]
		for _, v := range vals[1:] {
			if c := compare(v, best); (m.Agg == "min" && c < 0) || (m.Agg == "max" && c > 0) {
				best = v
			}
		}
		return best
	}
	panic("joindiff: aggregation " + m.Agg)
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return formatFloat(x)
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Null is how Normalize writes SQL NULL.
const Null = "NULL"

// Normalize makes one result cell comparable across engines and the reference: a number is
// rounded to 9 significant digits (an average computed in another order, numeric vs double
// output); NULL is Null; anything else stays as it is.
func Normalize(cell string, null bool) string {
	if null {
		return Null
	}
	f, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return cell
	}
	if math.Abs(f) < 1e-9 {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', 9, 64)
}

// Same reports whether two answers hold the same rows in any order. Rows are compared cell by
// cell after sorting; numbers may differ in the last of their 9 rounded digits (an average
// summed in another order can round either way), anything else must be equal.
func Same(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	for i := range g {
		if g[i] == w[i] {
			continue
		}
		gc, wc := strings.Split(g[i], " | "), strings.Split(w[i], " | ")
		if len(gc) != len(wc) {
			return false
		}
		for j := range gc {
			if gc[j] == wc[j] {
				continue
			}
			a, errA := strconv.ParseFloat(gc[j], 64)
			b, errB := strconv.ParseFloat(wc[j], 64)
			if errA != nil || errB != nil || math.Abs(a-b) > 1e-8*math.Max(math.Abs(a), math.Abs(b)) {
				return false
			}
		}
	}
	return true
}
