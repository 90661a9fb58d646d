package joindiff

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// edge is a way to join two datasets: From.FromCol = To.ToCol. Declared joins give edges both
// ways; orders.ship_customer_id is the second way to customers (the dataset joined twice
// under two aliases); the self edges on non-key columns are the self-join trap.
type edge struct {
	from, fromCol, to, toCol string
}

// groupable are the columns the generator groups and filters by, per dataset.
var groupable = map[string][]string{
	"regions":           {"region_name", "country", "region_id"},
	"customers":         {"segment", "region_id", "tenant_id", "customer_id"},
	"customer_profiles": {"tier"},
	"orders":            {"status", "customer_id", "order_date", "tenant_id"},
	"order_items":       {"product_id", "line_no"},
	"products":          {"category", "brand", "product_id"},
	"product_tags":      {"tag"},
}

// Generator produces random join queries over a schema. It is not safe for concurrent use.
type Generator struct {
	s      *Schema
	rng    *rand.Rand
	edges  []edge
	values map[string][]any // "dataset.column" -> distinct non-NULL values over all tenants
	quoted bool             // this query's aliases are quoted names
}

// alias names the i-th step of a query over dataset.
func (g *Generator) alias(dataset string, i int) string {
	if g.quoted {
		return fmt.Sprintf(`"%s%s %d"`, strings.ToUpper(dataset[:1]), dataset[1:], i)
	}
	return fmt.Sprintf("t%d", i)
}

// NewGenerator returns a generator of queries over s, seeded.
func NewGenerator(s *Schema, seed uint64) *Generator {
	g := &Generator{s: s, rng: rand.New(rand.NewPCG(seed, 1)), values: map[string][]any{}}
	for _, d := range s.Datasets {
		for _, j := range d.Joins {
			for i := range j.Fields {
				g.edges = append(g.edges, edge{d.ID, j.Fields[i], j.Dataset, j.TargetFields[i]},
					edge{j.Dataset, j.TargetFields[i], d.ID, j.Fields[i]})
			}
		}
		for _, c := range d.Columns {
			seen := map[any]bool{}
			for _, r := range d.Rows {
				if v := r[c.Name]; v != nil && !seen[v] {
					seen[v] = true
					g.values[d.ID+"."+c.Name] = append(g.values[d.ID+"."+c.Name], v)
				}
			}
			slices.SortFunc(g.values[d.ID+"."+c.Name], compare)
		}
	}
	g.edges = append(g.edges,
		edge{"orders", "ship_customer_id", "customers", "customer_id"},
		edge{"customers", "customer_id", "orders", "ship_customer_id"},
		edge{"orders", "status", "orders", "status"},
		edge{"customers", "segment", "customers", "segment"},
	)
	return g
}

func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *Generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// Next returns the next query.
func (g *Generator) Next() *Query {
	q := &Query{}
	// Metabase and Tableau name joined tables with quoted, capitalised aliases.
	g.quoted = g.chance(0.2)
	start := pick(g, []string{"orders", "orders", "order_items", "order_items", "customers", "products", "customer_profiles", "product_tags", "regions"})
	first := Step{Alias: g.alias(start, 0), Dataset: start}
	first.Wrap, first.WrapCTE = g.wrap()
	q.Steps = append(q.Steps, first)
	for n := 1 + g.rng.IntN(3); len(q.Steps) <= n; {
		if !g.addJoin(q) {
			break
		}
	}
	g.commas(q)

	var datasetSteps []Step
	for _, st := range q.Steps {
		if st.Derived == nil {
			datasetSteps = append(datasetSteps, st)
		}
	}
	for range g.rng.IntN(3) {
		st := pick(g, q.Steps)
		col := st.Column()
		if col == "" {
			col = pick(g, groupable[st.Dataset])
		}
		ref := ColRef{st.Alias, col}
		if !slices.Contains(q.Dims, ref) {
			q.Dims = append(q.Dims, ref)
		}
	}
	for range 1 + g.rng.IntN(2) {
		st := pick(g, datasetSteps)
		m := pick(g, g.s.Dataset(st.Dataset).Metrics)
		form := pick(g, []string{"bare", "measure", "agg"})
		if m.Agg == "ratio" && form == "agg" {
			form = "measure" // no aggregate matches a derived metric
		}
		q.Metrics = append(q.Metrics, MetricRef{Alias: st.Alias, Metric: m.Name, Form: form})
	}
	for range g.rng.IntN(3) {
		st := pick(g, q.Steps)
		if f := g.filter(q, st); f != nil {
			q.Filters = append(q.Filters, *f)
		}
	}
	q.Shape = pick(g, []string{"plain", "plain", "plain", "implicit", "wrapped", "cte"})
	if q.Shape == "implicit" {
		for i := range q.Metrics {
			q.Metrics[i].Form = "bare"
		}
	}
	q.OrderBy = g.chance(0.2)
	q.render(g.s)
	return q
}

// Column is the one column of a derived step, or "" for a dataset step.
func (st Step) Column() string {
	if st.Derived != nil {
		return st.Derived.Column
	}
	return ""
}

// addJoin joins one more step to a random earlier one along an edge.
func (g *Generator) addJoin(q *Query) bool {
	type cand struct {
		left Step
		e    edge
	}
	var cands []cand
	for _, st := range q.Steps {
		for _, e := range g.edges {
			if e.from != st.Dataset || (st.Derived != nil && st.Derived.Column != e.fromCol) {
				continue
			}
			// A dataset appears once, but for the second alias of customers and the self
			// edges (which join a sub-select).
			again := e.from == e.to || e.fromCol == "ship_customer_id" || e.toCol == "ship_customer_id"
			if again || !slices.ContainsFunc(q.Steps, func(o Step) bool { return o.Dataset == e.to && o.Derived == nil }) {
				cands = append(cands, cand{st, e})
			}
		}
	}
	if len(cands) == 0 {
		return false
	}
	c := pick(g, cands)
	st := Step{Alias: g.alias(c.e.to, len(q.Steps)), Dataset: c.e.to, On: []On{{ColRef{c.left.Alias, c.e.fromCol}, c.e.toCol}}}
	if c.e.from == c.e.to || g.chance(0.15) {
		// A sub-select of the target's join column: grouped it is unique on the key (a
		// semi-join); not grouped it repeats the other side once per row.
		st.Derived = &Derived{Column: c.e.toCol, Grouped: g.chance(0.5)}
		if g.chance(0.5) {
			st.Derived.Filter = g.filter(q, Step{Dataset: c.e.to})
		}
		if st.Derived.Grouped && g.chance(0.4) {
			st.Derived.Having = g.having(c.e.to, c.e.toCol)
		}
	}
	switch x := g.rng.IntN(100); {
	case x < 55:
		st.Type = "inner"
	case x < 88:
		st.Type = "left"
	case x < 96:
		st.Type = "right"
	default:
		st.Type = "full"
	}
	if st.Derived == nil {
		st.Wrap, st.WrapCTE = g.wrap()
		if left := c.left; left.Derived == nil && g.s.Dataset(left.Dataset).RLS && g.s.Dataset(st.Dataset).RLS && g.chance(0.3) {
			// Equating the tenant too: rows of several tenants (the admin's) share keys,
			// and a key with the tenant column is unique across them.
			st.On = append(st.On, On{ColRef{left.Alias, TenantColumn}, TenantColumn})
		}
	}
	if on, ok := g.natural(q, st); ok && g.chance(0.15) && slices.Contains(on, st.On[0]) {
		st.On, st.Natural = on, true
	} else if c.e.fromCol == c.e.toCol && (st.Type == "inner" || st.Type == "left") && g.chance(0.2) && g.usableAll(q, st.On) {
		st.Using = true
	}
	q.Steps = append(q.Steps, st)
	return true
}

// wrap is how many plain sub-selects a dataset step is wrapped in (mostly none, sometimes
// up to three levels), and whether they are written as CTEs.
func (g *Generator) wrap() (int, bool) {
	if g.chance(0.15) {
		return 1 + g.rng.IntN(3), g.chance(0.4)
	}
	return 0, false
}

// commas writes a trailing run of inner joins, sometimes, as comma-separated FROM items with
// their conditions in WHERE: the same joins in the old style (a comma item cannot be followed
// by a JOIN that refers to an item before it, so the run reaches the last step).
func (g *Generator) commas(q *Query) {
	if len(q.Steps) < 2 || !g.chance(0.2) {
		return
	}
	first := len(q.Steps)
	for first > 1 && q.Steps[first-1].Type == "inner" {
		first--
	}
	if first == len(q.Steps) {
		return
	}
	for i := first + g.rng.IntN(len(q.Steps)-first); i < len(q.Steps); i++ {
		q.Steps[i].Comma, q.Steps[i].Using, q.Steps[i].Natural = true, false, false
	}
}

// visible are the column names a client sees for step st: a sub-select's one column, or
// the dataset's columns and metrics.
func (g *Generator) visible(st Step) []string {
	if st.Derived != nil {
		return []string{st.Derived.Column}
	}
	return g.s.Dataset(st.Dataset).Visible()
}

// natural is the join condition NATURAL means for step st after q's steps: one pair per name
// st and an earlier step have in common. ok is false where the gateway would refuse it: a
// common name of several earlier steps (ambiguous) or one that is a metric.
func (g *Generator) natural(q *Query, st Step) ([]On, bool) {
	var on []On
	for _, name := range g.visible(st) {
		var from []Step
		for _, o := range q.Steps {
			if slices.Contains(g.visible(o), name) {
				from = append(from, o)
			}
		}
		switch {
		case len(from) == 0:
			continue
		case len(from) > 1, g.isMetric(st, name), g.isMetric(from[0], name):
			return nil, false
		}
		on = append(on, On{ColRef{from[0].Alias, name}, name})
	}
	return on, len(on) > 0
}

func (g *Generator) isMetric(st Step, name string) bool {
	return st.Derived == nil && g.s.Dataset(st.Dataset).Metric(name) != nil
}

// usableAll reports whether USING could write every pair of on (usable, and the same name on
// both sides).
func (g *Generator) usableAll(q *Query, on []On) bool {
	for _, o := range on {
		if o.Left.Column != o.Column || !g.usable(q, o.Left.Alias, o.Column) {
			return false
		}
	}
	return true
}

// filter is a random condition on a column of step st (alias empty: inside a sub-select).
func (g *Generator) filter(q *Query, st Step) *Filter {
	col := st.Column()
	if col == "" {
		col = pick(g, groupable[st.Dataset])
	}
	vals := g.values[st.Dataset+"."+col]
	if len(vals) == 0 {
		return nil
	}
	f := &Filter{Ref: ColRef{st.Alias, col}}
	switch x := g.rng.IntN(100); {
	case x < 35:
		f.Op, f.Values = "=", []any{pick(g, vals)}
	case x < 50:
		f.Op, f.Values = "in", []any{pick(g, vals), pick(g, vals)}
	case x < 60:
		f.Op, f.Values = "<>", []any{pick(g, vals)}
	case x < 70:
		f.Op, f.Values = pick(g, []string{"<", ">"}), []any{pick(g, vals)}
	case x < 78:
		f.Op = pick(g, []string{"isnull", "notnull"})
	default:
		if st.Alias == "" {
			f.Op, f.Values = "=", []any{pick(g, vals)}
			break
		}
		// IN (sub-select) along an edge from this column, filtered on the other side.
		var es []edge
		for _, e := range g.edges {
			if e.from == st.Dataset && e.fromCol == col {
				es = append(es, e)
			}
		}
		if len(es) == 0 {
			f.Op, f.Values = "notnull", nil
			break
		}
		e := pick(g, es)
		f.Op, f.Sub = "insub", &Sub{Dataset: e.to, Column: e.toCol}
		f.Sub.Filter = g.filter(q, Step{Dataset: e.to})
	}
	return f
}

// usable reports whether USING (col) would name only left.col on the left side: no other
// step before it has a column of that name, or the join would be ambiguous.
func (g *Generator) usable(q *Query, left, col string) bool {
	for _, st := range q.Steps {
		if st.Alias == left {
			continue
		}
		if st.Derived != nil && st.Derived.Column == col {
			return false
		}
		if _, ok := g.s.Dataset(st.Dataset).Column(col); ok && st.Derived == nil {
			return false
		}
	}
	return true
}

// having is a threshold on a numeric metric of dataset per value of col: one of the values
// tenantA's groups take, so some groups pass it and some do not.
func (g *Generator) having(dataset, col string) *Having {
	d := g.s.Dataset(dataset)
	var ms []*Metric
	for i, m := range d.Metrics {
		if m.Agg == "sum" || m.Agg == "count" || m.Agg == "avg" {
			ms = append(ms, &d.Metrics[i])
		}
	}
	m := pick(g, ms)
	groups := map[string][]Row{}
	for _, r := range g.s.rows(dataset, "tenantA") {
		if v := r[col]; v != nil {
			groups[text(v)] = append(groups[text(v)], r)
		}
	}
	var vals []float64
	for _, rows := range groups {
		if v := g.s.aggregate(dataset, m, rows); v != nil {
			vals = append(vals, toFloat(v))
		}
	}
	if len(vals) == 0 {
		return &Having{Metric: m.Name}
	}
	slices.Sort(vals) // map order must not reach the seeded choice
	return &Having{Metric: m.Name, Value: pick(g, vals)}
}
