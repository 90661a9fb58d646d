package querygen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/catalog"
)

// Query is one generated statement.
type Query struct {
	SQL string
	// Ordered is true when the statement's ORDER BY covers every output column, so its rows
	// come in one order; otherwise only the multiset of its rows is determined.
	Ordered bool
	// Shapes name the constructs the statement uses ("cte", "union", "having", ...), for
	// coverage counts and for reading a failure.
	Shapes []string
}

// Generator produces random queries over one dataset. It is not safe for concurrent use.
type Generator struct {
	ds     *catalog.Dataset
	rng    *rand.Rand
	cols   []column // the dataset as a relation: dimensions, then metric carriers
	values map[string][]any
	// database, when set, is the database the queries run in: some name the dataset with it.
	database string
	st       state
}

// state is what one query's generation accumulates.
type state struct {
	ctes   []cte
	shapes []string
	names  int
	// shadow: a CTE named like the dataset hides it for the rest of the statement.
	shadow bool
}

type cte struct {
	name string
	cols []column
}

// kind is a column's type as far as literals and functions care.
type kind uint8

const (
	kindString kind = iota
	kindInt
	kindFloat
	kindNumeric
	kindBool
	kindDate
	kindTimestamp
)

func (k kind) number() bool { return k == kindInt || k == kindFloat || k == kindNumeric }
func (k kind) time() bool   { return k == kindDate || k == kindTimestamp }

func kindOf(t catalog.FieldType) kind {
	switch t {
	case catalog.TypeInt32, catalog.TypeInt64:
		return kindInt
	case catalog.TypeDouble:
		return kindFloat
	case catalog.TypeDecimal:
		return kindNumeric
	case catalog.TypeBoolean:
		return kindBool
	case catalog.TypeDate:
		return kindDate
	case catalog.TypeTimestamp, catalog.TypeTimestampTZ:
		return kindTimestamp
	}
	return kindString
}

// column is a column of a relation a block reads, or of a block's output.
type column struct {
	name string
	kind kind
	// metric is set on a carrier: the metric's per-row values, which the block that
	// aggregates them turns into the metric.
	metric *catalog.Metric
	// origin is the dimension or metric whose values the column shows (for literals), and
	// grains the date grains applied to them in order.
	origin string
	grains []string
}

// relation is the FROM item of a block.
type relation struct {
	from string // the FROM item as written, alias included
	qual string // prefix of column references: `"_".`, `s.`, or ""
	// quote: column names are written quoted.
	quote bool
	cols  []column
}

func (r relation) ref(c column) string { return r.qual + ident(c.name, r.quote) }

func (r relation) split() (carriers, plain []column) {
	for _, c := range r.cols {
		if c.metric != nil {
			carriers = append(carriers, c)
		} else {
			plain = append(plain, c)
		}
	}
	return carriers, plain
}

// New returns a generator of queries over dataset datasetID of cat. It panics when the catalog
// has no such dataset: that is a mistake in the test that calls it.
func New(cat *catalog.Catalog, datasetID string, seed uint64) *Generator {
	ds, ok := cat.Dataset(datasetID)
	if !ok {
		panic(fmt.Sprintf("querygen: the catalog has no dataset %q", datasetID))
	}
	g := &Generator{
		ds:     ds,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		values: map[string][]any{},
	}
	for _, d := range ds.Dimensions {
		t := d.Type
		if f, ok := ds.Field(d.Field); ok && t == "" {
			t = f.Type
		}
		g.cols = append(g.cols, column{name: d.Name, kind: kindOf(t), origin: d.Name})
	}
	for _, m := range ds.Metrics {
		g.cols = append(g.cols, column{name: m.Name, kind: kindOf(m.ReturnType), metric: m, origin: m.Name})
	}
	return g
}

// SetValues gives the values predicates compare a dimension with, or HAVING compares a metric
// with: strings, integers, floats, booleans or time.Time, rendered as literals of the column's
// type. Pass values of every tenant, so that some predicates select rows only other tenants
// have. Columns without values get a few generic literals of their type.
func (g *Generator) SetValues(column string, values ...any) {
	g.values[column] = append([]any(nil), values...)
}

// SetDatabase names the database the queries will run in, so that some of them qualify the
// dataset with it (database.public.dataset), as tools that spell out every name do.
func (g *Generator) SetDatabase(name string) { g.database = name }

// Next returns the SQL of the next query.
func (g *Generator) Next() string { return g.NextQuery().SQL }

// NextQuery returns the next query with what a comparison needs to know about it.
func (g *Generator) NextQuery() Query {
	g.st = state{}
	var with string
	if g.chance(0.15) {
		with = g.withClause()
	}
	var body string
	ordered := false
	x := g.rng.Float64()
	switch {
	case x < 0.12:
		var out []column
		var branchLimit bool
		body, out, branchLimit = g.setOp(1)
		body, ordered = g.topOrder(body, out, !branchLimit)
	case x < 0.19:
		body, ordered = g.powerBI()
	case x < 0.25:
		body, ordered = g.metabase()
	case x < 0.29:
		body, ordered = g.join()
	default:
		b := g.planBlock(roleTop, 2)
		ordered = g.orderAndLimit(b)
		body = g.render(b)
	}
	sql := body
	if with != "" {
		sql = with + " " + body
	}
	shapes := append([]string(nil), g.st.shapes...)
	slices.Sort(shapes)
	return Query{SQL: sql, Ordered: ordered, Shapes: shapes}
}

// The shapes a query can be tagged with.
const (
	ShapeImplicitGroup  = "implicit-group"
	ShapeGroupBy        = "group-by"
	ShapeMeasure        = "measure"
	ShapeMatchingAgg    = "matching-agg"
	ShapeMetricExpr     = "metric-expr"
	ShapePlainAgg       = "plain-agg"
	ShapeWhere          = "where"
	ShapeNestedBool     = "nested-bool"
	ShapeTautology      = "tautology"
	ShapeNullTest       = "null-test"
	ShapeLike           = "like"
	ShapeBetween        = "between"
	ShapeIn             = "in-list"
	ShapeHaving         = "having"
	ShapeGrain          = "grain"
	ShapePassthrough    = "passthrough"
	ShapeSubselect      = "subselect"
	ShapePowerBI        = "powerbi"
	ShapeMetabase       = "metabase"
	ShapeCTE            = "cte"
	ShapeShadowCTE      = "cte-shadowing-dataset"
	ShapeUnion          = "union"
	ShapeSetOp          = "set-op"
	ShapeScalarSub      = "scalar-subselect"
	ShapeInSub          = "in-subselect"
	ShapeExists         = "exists"
	ShapeOrderBy        = "order-by"
	ShapeLimit          = "limit"
	ShapeTopN           = "top-n-subselect"
	ShapeDistinct       = "distinct"
	ShapeStar           = "star"
	ShapeWindow         = "window"
	ShapeRowLevel       = "row-level"
	ShapeQualifiedNames = "qualified-names"
	ShapeCorrelated     = "correlated-subselect"
	ShapeJoin           = "join"
	ShapeExpression     = "dimension-expression"
	ShapeFilterAgg      = "aggregate-filter"
	ShapeUnionLabel     = "union-label"
	ShapeOrderByMetric  = "order-by-metric"
	ShapeColumnAliases  = "column-alias-list"
	ShapeMetricCase     = "metric-case"
)

func (g *Generator) mark(shape string) {
	if !slices.Contains(g.st.shapes, shape) {
		g.st.shapes = append(g.st.shapes, shape)
	}
}

func (g *Generator) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *Generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// fresh returns a name no other column of the statement has.
func (g *Generator) fresh(prefix string) string {
	for {
		name := prefix + strconv.Itoa(g.st.names)
		g.st.names++
		if !slices.ContainsFunc(g.cols, func(c column) bool { return strings.EqualFold(c.name, name) }) {
			return name
		}
	}
}

// sample returns n distinct elements of xs in random order.
func sample[T any](g *Generator, xs []T, n int) []T {
	n = min(n, len(xs))
	out := make([]T, 0, n)
	for _, i := range g.rng.Perm(len(xs))[:n] {
		out = append(out, xs[i])
	}
	return out
}

// role is where a block stands in the statement; it decides what the planner lets it do.
type role uint8

const (
	// roleTop is the statement itself: its result is compared.
	roleTop role = iota
	// roleBranch is a set-operation branch or a scalar sub-select: a complete query.
	roleBranch
	// roleFrom is a FROM sub-select or a CTE body: it may pass metric carriers up unaggregated.
	roleFrom
)

type blockKind uint8

const (
	kindAggregate blockKind = iota // groups: metrics, aggregates, GROUP BY
	kindRows                       // row level: no metric, no aggregate
	kindPass                       // hands metric carriers to the block above
	kindStar                       // SELECT *
)

// item is one select-list entry.
type item struct {
	expr  string
	alias string
	out   column
	// carrierRef: the whole item is a metric carrier reference.
	carrierRef bool
	// carrierExpr: a carrier inside an expression; aggCall: an aggregate or window call.
	carrierExpr, aggCall bool
	// group: a grouping key of an aggregating block; metric: the item aggregates a metric.
	group, metric bool
}

// block is a planned SELECT block. Its WHERE and HAVING conditions are drawn when it is
// rendered, so one plan renders as two different set-operation branches.
type block struct {
	role     role
	kind     blockKind
	src      relation
	star     string
	items    []item
	distinct bool
	where    bool
	having   bool
	// groupBy holds the written GROUP BY keys (none when the planner adds them).
	groupBy []string
	order   []string
	limit   string
	lower   bool // keywords in lower case, as Power BI writes them
	out     []column
}

// source picks a block's FROM item.
func (g *Generator) source(depth int) relation {
	x := g.rng.Float64()
	switch {
	case depth > 0 && x < 0.3:
		return g.subselect(depth - 1)
	case len(g.st.ctes) > 0 && x < 0.65:
		c := pick(g, g.st.ctes)
		r := relation{cols: c.cols, quote: g.chance(0.2)}
		r.from = ident(c.name, r.quote)
		if g.chance(0.4) {
			alias := pick(g, []string{"c", "q", "w"})
			r.from += " " + alias
			r.qual = alias + "."
		} else if g.chance(0.3) {
			r.qual = ident(c.name, r.quote) + "."
		}
		return r
	}
	return g.datasetRelation(true)
}

// datasetRelation is the dataset as a FROM item, spelled one of the ways clients spell it.
func (g *Generator) datasetRelation(varied bool) relation {
	r := relation{cols: g.cols}
	name := ident(g.ds.ID, false)
	if !varied {
		r.from = name
		return r
	}
	r.quote = g.chance(0.25)
	table := ident(g.ds.ID, r.quote)
	switch g.rng.IntN(6) {
	case 0, 1:
		r.from = table
		if !r.quote && plainIdent(g.ds.ID) && g.chance(0.15) {
			// Unquoted names fold to lower case, as clients that upper-case everything rely on.
			r.from = strings.ToUpper(table)
		} else if g.database != "" && g.chance(0.1) {
			// A database qualifier naming the database the client connected to.
			r.from = ident(g.database, false) + ".public." + table
			g.mark(ShapeQualifiedNames)
		}
		if g.chance(0.2) {
			r.qual = table + "."
			g.mark(ShapeQualifiedNames)
		}
	case 2:
		r.from = "public." + table
		if r.quote {
			r.from = `"public".` + table
		}
		if g.chance(0.3) {
			r.qual = r.from + "."
			g.mark(ShapeQualifiedNames)
		}
	case 3:
		r.from = table + " s"
		r.qual = "s."
	case 4:
		r.from = table + " AS t0"
		if g.chance(0.5) {
			r.qual = "t0."
		}
	default:
		r.from = `"public".` + ident(g.ds.ID, true) + ` "_"`
		r.qual, r.quote = `"_".`, true
	}
	if g.st.shadow && !strings.Contains(r.from, "public") {
		// The statement's CTE named like the dataset stands in for it here.
		g.mark(ShapeShadowCTE)
	}
	return r
}

// subselect is a FROM sub-select: a block, or now and then a set operation.
func (g *Generator) subselect(depth int) relation {
	g.mark(ShapeSubselect)
	var sql string
	var cols []column
	if g.chance(0.12) {
		sql, cols, _ = g.setOp(depth)
	} else {
		b := g.planBlock(roleFrom, depth)
		sql, cols = g.render(b), b.out
	}
	cols, list := g.renameAll(cols)
	r := relation{cols: cols, quote: g.chance(0.4)}
	alias := pick(g, []string{"rows", "source", "sub", "x", "t"})
	r.from = "(" + sql + ") " + ident(alias, r.quote) + list
	if g.chance(0.6) {
		r.qual = ident(alias, r.quote) + "."
	}
	return r
}

func (g *Generator) withClause() string {
	g.mark(ShapeCTE)
	var parts []string
	if g.chance(0.15) {
		// WITH sales AS (SELECT * FROM sales ...): the body reads the dataset, the rest of the
		// statement reads the CTE, which has the dataset's columns.
		src := g.datasetRelation(false)
		body := "SELECT * FROM " + src.from
		if g.chance(0.5) {
			body += " WHERE " + g.pred(src, 0, false)
		}
		parts = append(parts, ident(g.ds.ID, false)+" AS ("+body+")")
		g.st.ctes = append(g.st.ctes, cte{name: g.ds.ID, cols: g.cols})
		g.st.shadow = true
		g.mark(ShapeShadowCTE)
	}
	for n := 1 + g.rng.IntN(2); n > 0; n-- {
		b := g.planBlock(roleFrom, 1)
		name := g.fresh("c")
		cols, list := g.renameAll(b.out)
		parts = append(parts, name+list+" AS ("+g.render(b)+")")
		g.st.ctes = append(g.st.ctes, cte{name: name, cols: cols})
	}
	return "WITH " + strings.Join(parts, ", ")
}

// renameAll now and then renames a relation's columns with a column alias list, "(a, b)".
func (g *Generator) renameAll(cols []column) ([]column, string) {
	if !g.chance(0.1) {
		return cols, ""
	}
	g.mark(ShapeColumnAliases)
	out := slices.Clone(cols)
	names := make([]string, len(out))
	for i := range out {
		out[i].name = g.fresh("k")
		names[i] = out[i].name
	}
	return out, "(" + strings.Join(names, ", ") + ")"
}

// planBlock picks a block's source, kind and select list.
func (g *Generator) planBlock(r role, depth int) *block {
	b := &block{role: r, src: g.source(depth)}
	carriers, plain := b.src.split()
	// SELECT * of the whole dataset aggregates every metric by every dimension: the most
	// expensive query there is, so it comes less often where it is not passed through.
	star := 0.03
	if r == roleFrom {
		star = 0.08
	}
	x := g.rng.Float64()
	switch {
	case r == roleFrom && len(carriers) > 0 && x < 0.3:
		g.planPass(b, carriers, plain)
	case x >= 0.3 && x < 0.3+star:
		g.planStar(b)
	case x >= 0.3+star && x < 0.48+star && len(plain) > 0:
		g.planRows(b, plain)
	default:
		g.planAggregate(b, carriers, plain)
	}
	g.finish(b)
	return b
}

// planPass selects carriers (and dimensions) without aggregating: the block above decides
// the metrics' grain.
func (g *Generator) planPass(b *block, carriers, plain []column) {
	b.kind = kindPass
	for _, c := range sample(g, plain, g.rng.IntN(3)) {
		b.items = append(b.items, g.valueItem(b.src, c, 0.3))
	}
	for _, c := range sample(g, carriers, 1+g.rng.IntN(3)) {
		it := item{expr: b.src.ref(c), out: c, carrierRef: true}
		if g.chance(0.1) {
			it.alias = g.fresh("m")
			it.out.name = it.alias
		}
		b.items = append(b.items, it)
	}
	b.where = g.chance(0.4)
}

// valueItem selects a non-metric column, a date grain of it, or an expression over it.
func (g *Generator) valueItem(r relation, c column, grainChance float64) item {
	ref := r.ref(c)
	if c.kind.time() && g.chance(grainChance) {
		expr, out := g.grain(ref, c)
		alias := g.fresh("g")
		out.name = alias
		return item{expr: expr, alias: alias, out: out}
	}
	if g.chance(0.08) {
		if expr, out, ok := g.dimensionExpr(ref, c); ok {
			g.mark(ShapeExpression)
			alias := g.fresh("d")
			out.name = alias
			return item{expr: expr, alias: alias, out: out}
		}
	}
	return item{expr: ref, out: c}
}

// dimensionExpr is a CASE bucket, COALESCE or string function over a column.
func (g *Generator) dimensionExpr(ref string, c column) (string, column, bool) {
	switch c.kind {
	case kindString:
		switch g.rng.IntN(6) {
		case 0, 1:
			return "coalesce(" + ref + ", 'none')", column{kind: kindString, origin: c.origin}, true
		case 2:
			return "upper(" + ref + ")", column{kind: kindString}, true
		case 3:
			return "left(" + ref + ", 2)", column{kind: kindString}, true
		case 4:
			return ref + " || '/' || " + pick(g, []string{"'x'", "CAST(length(" + ref + ") AS text)"}), column{kind: kindString}, true
		}
		return "length(" + ref + ")", column{kind: kindInt}, true
	case kindInt, kindFloat, kindNumeric:
		switch g.rng.IntN(4) {
		case 0:
			return ref + " * 2 + 1", column{kind: c.kind}, true
		case 1:
			return "CAST(" + ref + " AS text)", column{kind: kindString}, true
		case 2:
			return pick(g, []string{"greatest(", "least("}) + ref + ", " + g.literal(c) + ")", column{kind: c.kind, origin: c.origin}, true
		}
		lit := g.literal(c)
		return "CASE WHEN " + ref + " IS NULL THEN 'unknown' WHEN " + ref + " >= " + lit + " THEN 'high' ELSE 'low' END",
			column{kind: kindString}, true
	case kindBool:
		return "coalesce(" + ref + ", FALSE)", column{kind: kindBool, origin: c.origin}, true
	case kindDate, kindTimestamp:
		grains := slices.Clip(c.grains)
		switch g.rng.IntN(3) {
		case 0:
			return "to_char(" + ref + ", 'YYYY-MM')", column{kind: kindString, origin: c.origin, grains: append(grains, "yyyy-mm")}, true
		case 1:
			return "date_part('year', " + ref + ")", column{kind: kindFloat, origin: c.origin, grains: append(grains, "yearnum")}, true
		}
		return ref + " + INTERVAL '1 day'", column{kind: kindTimestamp}, true
	}
	return "", column{}, false
}

// grain is a date grain of a date or timestamp column.
func (g *Generator) grain(ref string, c column) (string, column) {
	g.mark(ShapeGrain)
	out := column{origin: c.origin, grains: slices.Clip(c.grains)}
	var expr string
	switch g.rng.IntN(7) {
	case 0:
		expr, out.kind = "date_trunc('day', "+ref+")", kindTimestamp
		out.grains = append(out.grains, "day")
	case 1:
		expr, out.kind = "date_trunc('month', "+ref+")", kindTimestamp
		out.grains = append(out.grains, "month")
	case 2:
		expr, out.kind = "date_trunc('year', "+ref+")", kindTimestamp
		out.grains = append(out.grains, "year")
	case 3:
		expr, out.kind = "extract(year from "+ref+")", kindNumeric
		out.grains = append(out.grains, "yearnum")
	case 4:
		expr, out.kind = "EXTRACT(MONTH FROM "+ref+")", kindNumeric
		out.grains = append(out.grains, "monthnum")
	case 5:
		expr, out.kind = "CAST("+ref+" AS date)", kindDate
		out.grains = append(out.grains, "date")
	default:
		expr, out.kind = ref+"::date", kindDate
		out.grains = append(out.grains, "date")
	}
	return expr, out
}

func (g *Generator) planStar(b *block) {
	b.kind = kindStar
	g.mark(ShapeStar)
	b.star = "*"
	if b.src.qual != "" && !strings.Contains(b.src.qual, "public") && g.chance(0.5) {
		b.star = b.src.qual + "*"
	}
	for _, c := range b.src.cols {
		b.items = append(b.items, item{expr: b.src.ref(c), out: c, carrierRef: c.metric != nil})
	}
	b.where = g.chance(0.4)
	carriers, _ := b.src.split()
	b.having = len(carriers) > 0 && b.role != roleFrom && g.chance(0.1)
}

func (g *Generator) planRows(b *block, plain []column) {
	b.kind = kindRows
	g.mark(ShapeRowLevel)
	for _, c := range sample(g, plain, 1+g.rng.IntN(4)) {
		b.items = append(b.items, g.valueItem(b.src, c, 0.25))
	}
	if g.chance(0.04) {
		b.items = append(b.items, g.scalarItem())
	} else if g.chance(0.05) {
		if it, ok := g.correlatedItem(b.src, plain); ok {
			b.items = append(b.items, it)
		}
	}
	b.distinct = g.chance(0.35)
	if b.distinct {
		g.mark(ShapeDistinct)
	}
	b.where = g.chance(0.6)
}

// scalarItem is a sub-select of a metric total as a select item.
func (g *Generator) scalarItem() item {
	m := g.metricColumn()
	expr := "(" + g.scalarSub(m) + ")"
	alias := g.fresh("s")
	return item{expr: expr, alias: alias, out: column{name: alias, kind: m.kind, origin: m.origin}}
}

// metricColumn picks one of the dataset's metric carriers.
func (g *Generator) metricColumn() column {
	carriers, _ := relation{cols: g.cols}.split()
	return pick(g, carriers)
}

// scalarSub is a one-row, one-column query of a metric's total, possibly filtered.
func (g *Generator) scalarSub(m column) string {
	g.mark(ShapeScalarSub)
	src := g.datasetRelation(false)
	sql := "SELECT " + ident(m.metric.Name, false) + " FROM " + src.from
	if g.chance(0.5) {
		sql += " WHERE " + g.pred(src, 1, false)
	}
	return sql
}

func (g *Generator) planAggregate(b *block, carriers, plain []column) {
	b.kind = kindAggregate
	for _, c := range sample(g, plain, g.rng.IntN(4)) {
		it := g.valueItem(b.src, c, 0.4)
		it.group = true
		b.items = append(b.items, it)
	}
	nAgg := 1 + g.rng.IntN(3)
	if len(b.items) > 0 && g.chance(0.12) {
		nAgg = 0 // GROUP BY of dimensions only
	}
	used := map[string]bool{}
	for range nAgg {
		if len(carriers) > 0 && g.chance(0.8) {
			c := pick(g, carriers)
			if used[c.name] {
				continue
			}
			used[c.name] = true
			b.items = append(b.items, g.metricItem(b.src, c))
		} else {
			b.items = append(b.items, g.plainAggregate(b.src, plain))
		}
	}
	if len(b.items) == 0 {
		b.items = append(b.items, g.plainAggregate(b.src, plain))
	}
	if g.chance(0.06) {
		b.items = append(b.items, g.windowItem(b))
	}
	if g.chance(0.04) {
		b.items = append(b.items, g.scalarItem())
	}

	carrierBased := false
	hasAggregate := false
	for _, it := range b.items {
		carrierBased = carrierBased || it.metric
		hasAggregate = hasAggregate || it.carrierRef || it.carrierExpr || it.aggCall
	}
	var keys []item
	for _, it := range b.items {
		if it.group {
			keys = append(keys, it)
		}
	}
	// A block that selects metrics groups by its other columns without GROUP BY; any other
	// block writes its GROUP BY, as SQL requires.
	if implicit := carrierBased && len(keys) > 0 && g.chance(0.45); !implicit {
		for i, it := range b.items {
			if !it.group {
				continue
			}
			switch x := g.rng.IntN(3); {
			case x == 0 || it.expr == "":
				b.groupBy = append(b.groupBy, strconv.Itoa(i+1))
			case x == 1 && it.alias != "":
				b.groupBy = append(b.groupBy, ident(it.alias, b.src.quote))
			case x == 1 && it.expr == b.src.ref(it.out):
				b.groupBy = append(b.groupBy, ident(it.out.name, b.src.quote))
			default:
				b.groupBy = append(b.groupBy, it.expr)
			}
		}
	}
	if !hasAggregate && len(b.groupBy) == 0 {
		b.items = append(b.items, g.plainAggregate(b.src, plain))
	}
	b.having = g.chance(0.25)
	b.distinct = g.chance(0.05)
	if b.distinct {
		g.mark(ShapeDistinct)
	}
}

// metricItem aggregates a carrier the ways the README allows: bare (implicitly), MEASURE(),
// the metric's own aggregate, or an expression over it.
func (g *Generator) metricItem(r relation, c column) item {
	it := g.metricForm(r, c)
	it.metric = true
	return it
}

func (g *Generator) metricForm(r relation, c column) item {
	ref := r.ref(c)
	m := c.metric
	out := column{kind: c.kind, origin: c.origin}
	x := g.rng.IntN(10)
	switch {
	case x < 3:
		// finish decides whether the block aggregates the carrier or passes it on.
		it := item{expr: ref, out: c, carrierRef: true}
		if g.chance(0.2) {
			it.alias = g.fresh("a")
			it.out.name = it.alias
		}
		return it
	case x < 5:
		g.mark(ShapeMeasure)
		return g.named(item{expr: pick(g, []string{"MEASURE(", "measure("}) + ref + ")", out: out, aggCall: true}, "a")
	case x < 8 && g.matching(m) != "":
		g.mark(ShapeMatchingAgg)
		fn := g.matching(m)
		if fn == "SUM(" && g.chance(0.2) {
			// A cast inside the aggregate casts the metric's value.
			out.kind, out.origin = kindNumeric, ""
			return g.named(item{expr: "SUM(CAST(" + ref + " AS decimal(18,2)))", out: out, aggCall: true}, "a")
		}
		return g.named(item{expr: fn + ref + ")", out: out, aggCall: true}, "a")
	case c.kind == kindInt || c.kind == kindFloat:
		g.mark(ShapeMetricExpr)
		out.origin = ""
		if g.chance(0.3) {
			g.mark(ShapeMetricCase)
			if g.chance(0.5) {
				return g.named(item{expr: "coalesce(" + ref + ", 0)", out: out, carrierExpr: true}, "e")
			}
			out.kind = kindString
			return g.named(item{expr: "CASE WHEN " + ref + " >= " + g.literal(c) + " THEN 'high' ELSE 'low' END", out: out, carrierExpr: true}, "e")
		}
		expr := pick(g, []string{ref + " * 2", ref + " + 1", "abs(" + ref + ")", "MEASURE(" + ref + ") - 1"})
		return g.named(item{expr: expr, out: out, carrierExpr: true}, "e")
	}
	g.mark(ShapeMeasure)
	return g.named(item{expr: "MEASURE(" + ref + ")", out: out, aggCall: true}, "a")
}

func (g *Generator) named(it item, prefix string) item {
	it.alias = g.fresh(prefix)
	it.out.name = it.alias
	return it
}

// matching is an SQL aggregate that fits a metric, up to its argument ("SUM("), or "".
func (g *Generator) matching(m *catalog.Metric) string {
	if m.Derived() {
		// A derived metric is one value per group: BI tools' SUM/MIN/MAX/AVG of it mean it.
		return pick(g, []string{"SUM(", "MIN(", "MAX(", "AVG("})
	}
	switch m.Expression.Agg {
	case catalog.AggSum:
		return "SUM("
	case catalog.AggCount:
		return pick(g, []string{"SUM(", "SUM(", "COUNT("})
	case catalog.AggAvg:
		return "AVG("
	case catalog.AggMin:
		return "MIN("
	case catalog.AggMax:
		return "MAX("
	case catalog.AggCountDistinct:
		return "COUNT(DISTINCT "
	case catalog.AggStddev:
		return "STDDEV("
	case catalog.AggVariance:
		return "VARIANCE("
	}
	return ""
}

// plainAggregate is an ordinary aggregate over non-metric columns.
func (g *Generator) plainAggregate(r relation, plain []column) item {
	g.mark(ShapePlainAgg)
	if len(plain) == 0 || g.chance(0.25) {
		return g.named(item{expr: "count(*)", out: column{kind: kindInt}, aggCall: true}, "n")
	}
	c := pick(g, plain)
	ref := r.ref(c)
	var opts []item
	opts = append(opts,
		item{expr: "count(" + ref + ")", out: column{kind: kindInt}},
		item{expr: "count(DISTINCT " + ref + ")", out: column{kind: kindInt}})
	if c.kind != kindBool {
		opts = append(opts,
			item{expr: "min(" + ref + ")", out: column{kind: c.kind, origin: c.origin, grains: c.grains}},
			item{expr: "max(" + ref + ")", out: column{kind: c.kind, origin: c.origin, grains: c.grains}})
	}
	if c.kind.number() {
		sumKind := kindNumeric
		if c.kind == kindFloat {
			sumKind = kindFloat
		}
		opts = append(opts,
			item{expr: "sum(" + ref + ")", out: column{kind: sumKind}},
			item{expr: "avg(" + ref + ")", out: column{kind: sumKind}})
	}
	it := pick(g, opts)
	it.aggCall = true
	if g.chance(0.1) {
		g.mark(ShapeFilterAgg)
		it.expr += " FILTER (WHERE " + g.atom(r, pick(g, plain)) + ")"
	}
	return g.named(it, "p")
}

// windowItem ranks the block's groups by one of its aggregates.
func (g *Generator) windowItem(b *block) item {
	g.mark(ShapeWindow)
	key := "count(*)"
	for _, it := range b.items {
		if (it.aggCall || it.carrierRef || it.carrierExpr) && it.out.kind != kindBool {
			key = it.expr
			break
		}
	}
	fn := pick(g, []string{"rank()", "dense_rank()"})
	var keys []item
	for _, it := range b.items {
		if it.group {
			keys = append(keys, it)
		}
	}
	for _, it := range b.items {
		if (it.metric || it.aggCall) && (it.out.kind == kindInt || it.out.kind == kindFloat) && !strings.Contains(it.expr, " OVER ") && g.chance(0.6) {
			if len(keys) > 0 && g.chance(0.5) {
				// A running total in the order of a grouping key; peers (ties) share a value,
				// so the result does not depend on the engine's order.
				return g.named(item{expr: "sum(" + it.expr + ") OVER (ORDER BY " + pick(g, keys).expr + ")", out: column{kind: kindFloat}, aggCall: true}, "w")
			}
			// Share of the total: a window over the aggregated rows.
			return g.named(item{expr: it.expr + " * 100.0 / NULLIF(sum(" + it.expr + ") OVER (), 0)", out: column{kind: kindFloat}, aggCall: true}, "w")
		}
	}
	over := "ORDER BY " + key + " DESC"
	if len(keys) > 0 && g.chance(0.4) {
		over = "PARTITION BY " + pick(g, keys).expr + " " + over
	}
	return g.named(item{expr: fn + " OVER (" + over + ")", out: column{kind: kindInt}, aggCall: true}, "w")
}

// finish works out what the planner will make of the block: whether it passes carriers
// through or aggregates them, and so its output columns.
func (g *Generator) finish(b *block) {
	carrier, expr, agg := false, false, false
	for _, it := range b.items {
		carrier = carrier || it.carrierRef || it.carrierExpr
		expr = expr || it.carrierExpr
		agg = agg || it.aggCall
	}
	pass := b.role == roleFrom && carrier && !agg && !expr && len(b.groupBy) == 0 && !b.having &&
		!b.distinct && b.limit == ""
	if pass {
		g.mark(ShapePassthrough)
	}
	if carrier && !pass && len(b.groupBy) == 0 {
		for _, it := range b.items {
			if !it.carrierRef && !it.carrierExpr && !it.aggCall && !strings.HasPrefix(it.expr, "(") {
				g.mark(ShapeImplicitGroup)
				break
			}
		}
	}
	if len(b.groupBy) > 0 {
		g.mark(ShapeGroupBy)
	}
	b.out = b.out[:0]
	for _, it := range b.items {
		c := it.out
		if it.carrierRef && !pass {
			c.metric = nil
		}
		b.out = append(b.out, c)
	}
	if b.role == roleFrom && b.kind == kindAggregate && !pass && g.chance(0.1) {
		// A top-N sub-select: deterministic because it orders by every column.
		g.mark(ShapeTopN)
		b.order = g.orderKeys(b.out, false)
		b.limit = g.limitClause(true)
	}
}

// orderAndLimit gives a top-level block its ORDER BY and LIMIT; it reports whether the rows
// are then in one order.
func (g *Generator) orderAndLimit(b *block) bool {
	if !g.chance(0.6) {
		if g.chance(0.05) {
			b.limit = "LIMIT 1000001" // Power BI's row probe: larger than any result here
			g.mark(ShapeLimit)
		}
		return false
	}
	b.order = g.orderKeys(b.out, true)
	if carriers, _ := b.src.split(); b.kind == kindAggregate && !b.distinct && len(carriers) > 0 && g.chance(0.15) {
		// A metric that is not selected orders the groups first (ties broken by every column).
		g.mark(ShapeOrderByMetric)
		c := pick(g, carriers)
		b.order = append([]string{pick(g, []string{b.src.ref(c), "MEASURE(" + b.src.ref(c) + ")"}) + " DESC"}, b.order...)
	}
	if g.chance(0.35) {
		b.limit = g.limitClause(false)
	}
	return true
}

// orderKeys orders by every output column, by position or by name.
func (g *Generator) orderKeys(out []column, names bool) []string {
	g.mark(ShapeOrderBy)
	keys := make([]string, len(out))
	for i, c := range out {
		k := strconv.Itoa(i + 1)
		if names && g.chance(0.4) && c.name != "" && unique(out, c.name) {
			k = ident(c.name, g.chance(0.3))
		}
		switch g.rng.IntN(5) {
		case 0:
			k += " DESC"
		case 1:
			k += " ASC"
		case 2:
			if g.chance(0.3) {
				k += pick(g, []string{" NULLS FIRST", " DESC NULLS LAST"})
			}
		}
		keys[i] = k
	}
	if g.chance(0.3) {
		g.rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	}
	return keys
}

func unique(out []column, name string) bool {
	n := 0
	for _, c := range out {
		if strings.EqualFold(c.name, name) {
			n++
		}
	}
	return n == 1
}

func (g *Generator) limitClause(mustLimit bool) string {
	g.mark(ShapeLimit)
	n := 1 + g.rng.IntN(8)
	switch x := g.rng.IntN(5); {
	case x == 0:
		return fmt.Sprintf("LIMIT %d OFFSET %d", n, g.rng.IntN(4))
	case x == 1:
		if g.chance(0.3) {
			return fmt.Sprintf("OFFSET %d ROWS FETCH NEXT %d ROWS ONLY", g.rng.IntN(3), n)
		}
		return fmt.Sprintf("FETCH FIRST %d ROWS ONLY", n)
	case x == 2 && !mustLimit:
		return fmt.Sprintf("OFFSET %d", 1+g.rng.IntN(4))
	}
	return fmt.Sprintf("LIMIT %d", n)
}

// render writes a block out, drawing fresh WHERE and HAVING conditions.
func (g *Generator) render(b *block) string {
	kw := func(s string) string {
		if b.lower {
			return strings.ToLower(s)
		}
		return s
	}
	var s strings.Builder
	s.WriteString(kw("SELECT "))
	if b.distinct {
		s.WriteString(kw("DISTINCT "))
	}
	if b.kind == kindStar {
		s.WriteString(b.star)
	} else {
		for i, it := range b.items {
			if i > 0 {
				s.WriteString(", ")
			}
			s.WriteString(it.expr)
			if it.alias != "" {
				s.WriteString(kw(" AS ") + ident(it.alias, b.src.quote || b.lower))
			}
		}
	}
	s.WriteString(kw(" FROM ") + b.src.from)
	if b.where {
		g.mark(ShapeWhere)
		s.WriteString(kw(" WHERE ") + g.pred(b.src, 0, true))
	}
	if len(b.groupBy) > 0 {
		s.WriteString(kw(" GROUP BY ") + strings.Join(b.groupBy, ", "))
	}
	if b.having {
		g.mark(ShapeHaving)
		s.WriteString(kw(" HAVING ") + g.havingPred(b.src, 0))
	}
	if len(b.order) > 0 {
		s.WriteString(kw(" ORDER BY ") + strings.Join(b.order, ", "))
	}
	if b.limit != "" {
		s.WriteString(" " + kw(b.limit))
	}
	return s.String()
}

// setOp combines two renderings of one block plan: same columns, different filters. It
// reports whether the branches are top-N queries with their own ORDER BY and LIMIT.
func (g *Generator) setOp(depth int) (string, []column, bool) {
	g.mark(ShapeSetOp)
	b := g.planBlock(roleBranch, depth)
	branchLimit := false
	if g.chance(0.1) {
		g.mark(ShapeTopN)
		b.order = g.orderKeys(b.out, false)
		b.limit = g.limitClause(true)
		branchLimit = true
	}
	op := pick(g, []string{"UNION", "UNION ALL", "UNION ALL", "UNION", "INTERSECT", "EXCEPT", "INTERSECT ALL", "EXCEPT ALL"})
	if strings.HasPrefix(op, "UNION") {
		g.mark(ShapeUnion)
	}
	label := -1
	if b.kind != kindStar && g.chance(0.25) {
		// Each branch says where its rows come from, as a report stacking two periods does.
		g.mark(ShapeUnionLabel)
		label = len(b.items)
		name := g.fresh("src")
		b.items = append(b.items, item{expr: "'left'", alias: name, out: column{name: name, kind: kindString}})
		b.out = append(b.out, b.items[label].out)
		if len(b.order) > 0 {
			b.order = append(b.order, strconv.Itoa(len(b.out)))
		}
	}
	left := g.render(b)
	if label >= 0 {
		b.items[label].expr = "'right'"
	}
	right := g.render(b)
	if branchLimit {
		left, right = "("+left+")", "("+right+")"
	}
	return left + " " + op + " " + right, b.out, branchLimit
}

// topOrder orders a set operation's result by all its columns (positions or names).
func (g *Generator) topOrder(body string, out []column, mayLimit bool) (string, bool) {
	if !g.chance(0.6) {
		return body, false
	}
	body += " ORDER BY " + strings.Join(g.orderKeys(out, true), ", ")
	if mayLimit && g.chance(0.3) {
		body += " " + g.limitClause(false)
	}
	return body, true
}

// powerBI is Power BI's DirectQuery shape: a pass-through sub-select of the dataset aliased
// "_", wrapped in "rows", aggregated with the metrics' own aggregates.
func (g *Generator) powerBI() (string, bool) {
	g.mark(ShapePowerBI)
	ds := relation{cols: g.cols, quote: true, qual: `"_".`, from: `"public".` + ident(g.ds.ID, true) + ` "_"`}
	carriers, plain := ds.split()
	inner := &block{role: roleFrom, src: ds, lower: true, kind: kindPass}
	dims := sample(g, plain, g.rng.IntN(3))
	mets := sample(g, carriers, 1+g.rng.IntN(2))
	for _, c := range dims {
		inner.items = append(inner.items, item{expr: ds.ref(c), out: c})
	}
	for _, c := range mets {
		inner.items = append(inner.items, item{expr: ds.ref(c), out: c, carrierRef: true})
	}
	inner.where = g.chance(0.3)
	g.finish(inner)
	rows := relation{cols: inner.out, quote: true, qual: `"rows".`, from: "(" + g.render(inner) + `) "rows"`}
	outer := &block{role: roleTop, src: rows, lower: true, kind: kindAggregate}
	for _, c := range dims {
		outer.items = append(outer.items, item{expr: rows.ref(c), alias: c.name, out: c, group: true})
		outer.groupBy = append(outer.groupBy, ident(c.name, true))
	}
	for _, c := range mets {
		fn := strings.ToLower(g.matching(c.metric))
		if fn == "" {
			fn = "measure("
		}
		outer.items = append(outer.items, g.named(item{expr: fn + rows.ref(c) + ")", out: column{kind: c.kind, origin: c.origin}, aggCall: true, metric: true}, "a"))
	}
	outer.where = g.chance(0.2)
	outer.having = g.chance(0.1)
	g.finish(outer)
	ordered := false
	if g.chance(0.5) {
		outer.order = g.orderKeys(outer.out, false)
		ordered = true
		if g.chance(0.3) {
			outer.limit = g.limitClause(true)
		}
	} else if g.chance(0.5) {
		outer.limit = "limit 1000001"
	}
	return g.render(outer), ordered
}

// metabase is Metabase's shape: an aggregating sub-select "source" whose columns the outer
// query selects, filters (metrics included, as plain values now) and orders.
func (g *Generator) metabase() (string, bool) {
	g.mark(ShapeMetabase)
	inner := &block{role: roleFrom, src: g.datasetRelation(true)}
	carriers, plain := inner.src.split()
	g.planAggregate(inner, carriers, plain)
	if len(inner.groupBy) == 0 && !slices.ContainsFunc(inner.items, func(it item) bool { return it.aggCall }) {
		// Make sure the sub-select aggregates rather than passing metrics through.
		inner.items = append(inner.items, g.plainAggregate(inner.src, plain))
	}
	g.finish(inner)
	src := relation{cols: inner.out, quote: true, qual: `"source".`, from: "(" + g.render(inner) + `) "source"`}
	outer := &block{role: roleTop, src: src, kind: kindRows}
	for _, c := range src.cols {
		outer.items = append(outer.items, item{expr: src.ref(c), alias: c.name, out: c})
	}
	outer.where = g.chance(0.5)
	g.finish(outer)
	ordered := g.orderAndLimit(outer)
	return g.render(outer), ordered
}

// correlatable returns the columns of r a sub-select can correlate with: dimensions as they
// are, referred to through a qualifier, so they cannot bind to the sub-select's own columns.
func (g *Generator) correlatable(r relation, plain []column) []column {
	if r.qual == "" {
		return nil
	}
	var out []column
	for _, c := range plain {
		if len(c.grains) == 0 && c.origin == c.name && g.isDimension(c.origin) {
			out = append(out, c)
		}
	}
	return out
}

// correlatedItem is a metric of the dataset's rows that match the current row's dimension.
func (g *Generator) correlatedItem(r relation, plain []column) (item, bool) {
	cs := g.correlatable(r, plain)
	if len(cs) == 0 {
		return item{}, false
	}
	g.mark(ShapeCorrelated)
	g.mark(ShapeScalarSub)
	c := pick(g, cs)
	m := g.metricColumn()
	expr := "(SELECT i." + ident(m.name, false) + " FROM " + ident(g.ds.ID, false) + " i WHERE i." + ident(c.origin, false) + " = " + r.ref(c) + ")"
	alias := g.fresh("s")
	return item{expr: expr, alias: alias, out: column{name: alias, kind: m.kind, origin: m.origin}}, true
}

// join is a self-join of the dataset, on dimensions or on aggregated sub-selects (a "blend").
func (g *Generator) join() (string, bool) {
	g.mark(ShapeJoin)
	var dims []column
	for _, c := range g.cols {
		if c.metric == nil && c.kind != kindBool {
			dims = append(dims, c)
		}
	}
	if len(dims) == 0 {
		return g.render(g.planBlock(roleTop, 1)), false
	}
	on := pick(g, dims)
	kindJoin := pick(g, []string{"JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN"})
	b := block{role: roleTop, kind: kindRows}
	if g.chance(0.5) {
		// Rows of one tenant joined to rows of the same tenant: counted by dimensions.
		a := relation{cols: g.cols, qual: "a."}
		bb := relation{cols: g.cols, qual: "b."}
		from := ident(g.ds.ID, false) + " a " + kindJoin + " " + ident(g.ds.ID, false) + " b ON " + a.ref(on) + " = " + bb.ref(on)
		if g.chance(0.3) {
			from += " AND " + g.atom(bb, pick(g, dims))
		}
		b.src = relation{from: from, qual: "a.", cols: dims}
		key := pick(g, dims)
		b.items = append(b.items, item{expr: a.ref(key), alias: "k", out: column{name: "k", kind: key.kind, origin: key.origin}})
		b.items = append(b.items, g.named(item{expr: "count(*)", out: column{kind: kindInt}}, "n"))
		b.items = append(b.items, g.named(item{expr: "count(DISTINCT " + bb.ref(key) + ")", out: column{kind: kindInt}}, "n"))
		b.groupBy = []string{"1"}
		b.where = g.chance(0.4)
	} else {
		// Two aggregating sub-selects joined on their dimension, as BI tools blend sources.
		m1, m2 := g.metricColumn(), g.metricColumn()
		x := "(SELECT " + ident(on.name, false) + ", " + ident(m1.name, false) + " AS m FROM " + ident(g.ds.ID, false) + " GROUP BY 1) x"
		y := "(SELECT " + ident(on.name, false) + ", MEASURE(" + ident(m2.name, false) + ") AS m FROM " + ident(g.ds.ID, false)
		if g.chance(0.5) {
			dsRel := g.datasetRelation(false)
			y += " WHERE " + g.pred(dsRel, 1, false)
		}
		y += " GROUP BY " + ident(on.name, false) + ") y"
		b.src = relation{from: x + " " + kindJoin + " " + y + " ON x." + ident(on.name, false) + " = y." + ident(on.name, false)}
		b.items = append(b.items,
			item{expr: "x." + ident(on.name, false), alias: "k", out: column{name: "k", kind: on.kind, origin: on.origin}},
			item{expr: "x.m", alias: "m1", out: column{name: "m1", kind: m1.kind, origin: m1.origin}},
			item{expr: "y.m", alias: "m2", out: column{name: "m2", kind: m2.kind, origin: m2.origin}})
	}
	for _, it := range b.items {
		b.out = append(b.out, it.out)
	}
	ordered := g.orderAndLimit(&b)
	return g.render(&b), ordered
}

// pred is a WHERE condition over the non-metric columns of r.
func (g *Generator) pred(r relation, depth int, subs bool) string {
	_, plain := r.split()
	x := g.rng.Float64()
	switch {
	case depth < 3 && x < 0.2:
		if depth > 0 {
			g.mark(ShapeNestedBool)
		}
		op := pick(g, []string{" AND ", " OR "})
		n := 2 + g.rng.IntN(2)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "(" + g.pred(r, depth+1, subs) + ")"
		}
		return strings.Join(parts, op)
	case depth < 3 && x < 0.27:
		return "NOT (" + g.pred(r, depth+1, subs) + ")"
	case depth < 3 && x < 0.33:
		g.mark(ShapeTautology)
		return "(" + g.pred(r, depth+1, subs) + ") OR 1 = 1"
	case x < 0.36:
		g.mark(ShapeTautology)
		return pick(g, []string{"1 = 1", "TRUE", "1 = 0", "NOT FALSE", "'a' = 'a'"})
	case subs && x < 0.44:
		return g.subPred(r, plain)
	case len(plain) == 0:
		return "1 = 1"
	}
	return g.atom(r, pick(g, plain))
}

// subPred is a condition with a sub-select of the dataset: IN, EXISTS, or a comparison with
// a metric total.
func (g *Generator) subPred(r relation, plain []column) string {
	ds := g.datasetRelation(false)
	var dimIn []column
	var numbers []column
	for _, c := range plain {
		if len(c.grains) == 0 && c.origin != "" && g.isDimension(c.origin) {
			dimIn = append(dimIn, c)
		}
		if c.kind.number() {
			numbers = append(numbers, c)
		}
	}
	switch x := g.rng.IntN(3); {
	case x == 0 && len(dimIn) > 0:
		g.mark(ShapeInSub)
		c := pick(g, dimIn)
		col := ident(c.origin, false)
		var conds []string
		if g.chance(0.7) {
			conds = append(conds, "("+g.pred(ds, 1, false)+")")
		}
		not := ""
		if g.chance(0.2) {
			// NOT IN over a NULL matches nothing; keep it meaningful.
			not = "NOT "
			conds = append(conds, col+" IS NOT NULL")
		}
		sub := "SELECT " + col + " FROM " + ds.from
		if len(conds) > 0 {
			sub += " WHERE " + strings.Join(conds, " AND ")
		}
		if not == "" && g.chance(0.3) {
			return r.ref(c) + " = ANY (" + sub + ")"
		}
		return r.ref(c) + " " + not + "IN (" + sub + ")"
	case x == 1 && len(numbers) > 0:
		c := pick(g, numbers)
		var mets []column
		for _, m := range g.cols {
			if m.metric != nil && m.kind.number() {
				mets = append(mets, m)
			}
		}
		if len(mets) > 0 {
			m := pick(g, mets)
			return r.ref(c) + " " + pick(g, []string{"<", ">=", "<>", "<="}) + " (" + g.scalarSub(m) + ")"
		}
	}
	g.mark(ShapeExists)
	not := ""
	if g.chance(0.3) {
		not = "NOT "
	}
	if cs := g.correlatable(r, plain); len(cs) > 0 && g.chance(0.5) {
		g.mark(ShapeCorrelated)
		c := pick(g, cs)
		inner := relation{from: ds.from + " i", qual: "i.", cols: g.cols}
		return not + "EXISTS (SELECT 1 FROM " + inner.from + " WHERE i." + ident(c.origin, false) + " = " + r.ref(c) +
			" AND (" + g.pred(inner, 1, false) + "))"
	}
	return not + "EXISTS (SELECT 1 FROM " + ds.from + " WHERE " + g.pred(ds, 1, false) + ")"
}

func (g *Generator) isDimension(name string) bool {
	for _, d := range g.ds.Dimensions {
		if d.Name == name {
			return true
		}
	}
	return false
}

// atom is a simple condition on one column.
func (g *Generator) atom(r relation, c column) string {
	ref := r.ref(c)
	if g.chance(0.1) {
		g.mark(ShapeNullTest)
		return ref + pick(g, []string{" IS NULL", " IS NOT NULL"})
	}
	lit := func() string { return g.literal(c) }
	// BETWEEN SYMMETRIC is left out: the planner passes it to DuckDB, which does not implement
	// it ("Expression type T_List").
	if g.chance(0.03) {
		return ref + pick(g, []string{" IS DISTINCT FROM ", " IS NOT DISTINCT FROM "}) + lit()
	}
	list := func() string {
		g.mark(ShapeIn)
		n := 1 + g.rng.IntN(3)
		items := make([]string, n)
		for i := range items {
			items[i] = lit()
		}
		return "(" + strings.Join(items, ", ") + ")"
	}
	between := func() string {
		g.mark(ShapeBetween)
		return lit() + " AND " + lit()
	}
	switch c.kind {
	case kindBool:
		return pick(g, []string{ref, "NOT " + ref, ref + " = TRUE", ref + " = FALSE", ref + " IS TRUE",
			ref + " IS NOT FALSE", ref + " IS FALSE", ref + " <> TRUE"})
	case kindString:
		if g.chance(0.1) {
			g.mark(ShapeExpression)
			switch g.rng.IntN(3) {
			case 0:
				return "coalesce(" + ref + ", 'none') = " + pick(g, []string{"'none'", g.literal(c)})
			case 1:
				return "length(" + ref + ") " + pick(g, []string{">", "<=", "="}) + " " + strconv.Itoa(g.rng.IntN(8))
			}
			g.mark(ShapeLike)
			return "upper(" + ref + ") LIKE upper(" + g.likePattern(c) + ")"
		}
		switch g.rng.IntN(10) {
		case 0, 1:
			return ref + " = " + lit()
		case 2:
			return ref + " <> " + lit()
		case 3:
			return ref + " IN " + list()
		case 4:
			return ref + " NOT IN " + list()
		case 5:
			g.mark(ShapeLike)
			return ref + " LIKE " + g.likePattern(c)
		case 6:
			g.mark(ShapeLike)
			switch g.rng.IntN(3) {
			case 0:
				return ref + " ILIKE " + strings.ToLower(g.likePattern(c))
			case 1:
				return ref + " LIKE " + g.escapedPattern(c) + " ESCAPE '!'"
			}
			return ref + " NOT LIKE " + g.likePattern(c)
		case 7:
			return ref + " BETWEEN " + between()
		case 8:
			return ref + pick(g, []string{" < ", " >= "}) + lit()
		default:
			return "lower(" + ref + ") = lower(" + lit() + ")"
		}
	case kindInt, kindFloat, kindNumeric:
		switch g.rng.IntN(8) {
		case 0:
			return ref + " = " + lit()
		case 1:
			return ref + " <> " + lit()
		case 2:
			return ref + " IN " + list()
		case 3:
			return ref + " BETWEEN " + between()
		case 4:
			return ref + " NOT BETWEEN " + between()
		case 5:
			if c.kind == kindInt {
				return ref + " % 2 = " + pick(g, []string{"0", "1"})
			}
		}
		return ref + pick(g, []string{" < ", " <= ", " > ", " >= "}) + lit()
	}
	// Dates and timestamps.
	switch g.rng.IntN(8) {
	case 0:
		return ref + " = " + lit()
	case 1:
		return ref + " BETWEEN " + between()
	case 2:
		g.mark(ShapeGrain)
		return "extract(year from " + ref + ") = " + g.literal(column{kind: kindNumeric, origin: c.origin, grains: append(slices.Clip(c.grains), "yearnum")})
	case 3:
		g.mark(ShapeGrain)
		return "date_trunc('month', " + ref + ") = " + g.literal(column{kind: kindTimestamp, origin: c.origin, grains: append(slices.Clip(c.grains), "month")})
	case 4:
		if c.kind == kindTimestamp {
			g.mark(ShapeGrain)
			return "CAST(" + ref + " AS date) = " + g.literal(column{kind: kindDate, origin: c.origin, grains: append(slices.Clip(c.grains), "date")})
		}
	case 5:
		// An untyped literal takes the column's type, as in PostgreSQL.
		return ref + pick(g, []string{" >= ", " < "}) + pick(g, []string{"'2024-06-01'", "'2025-01-01'", "'2025-07-15'"})
	case 6:
		return ref + pick(g, []string{" + INTERVAL '1 day' > ", " - INTERVAL '2 hours' <= "}) + lit()
	}
	return ref + pick(g, []string{" < ", " >= ", " <> "}) + lit()
}

// havingPred is a HAVING condition: on metrics (bare, MEASURE, own aggregate, against a
// metric total) or on ordinary aggregates.
func (g *Generator) havingPred(r relation, depth int) string {
	if depth < 2 && g.chance(0.2) {
		op := pick(g, []string{" AND ", " OR "})
		return "(" + g.havingPred(r, depth+1) + ")" + op + "(" + g.havingPred(r, depth+1) + ")"
	}
	carriers, plain := r.split()
	if len(carriers) > 0 && g.chance(0.8) {
		c := pick(g, carriers)
		ref := r.ref(c)
		form := ref
		switch x := g.rng.IntN(3); {
		case x == 1:
			form = "MEASURE(" + ref + ")"
		case x == 2:
			if fn := g.matching(c.metric); fn != "" {
				form = fn + ref + ")"
			}
		}
		val := column{kind: c.kind, origin: c.origin}
		switch g.rng.IntN(10) {
		case 0:
			return form + " IS NOT NULL"
		case 1, 2:
			g.mark(ShapeBetween)
			return form + " BETWEEN " + g.literal(val) + " AND " + g.literal(val)
		case 3:
			return form + pick(g, []string{" >= ", " < "}) + "(" + g.scalarSub(c) + ")"
		}
		return form + pick(g, []string{" > ", " >= ", " < ", " <= ", " = ", " <> "}) + g.literal(val)
	}
	if len(plain) == 0 || g.chance(0.4) {
		return "count(*) " + pick(g, []string{">", ">=", "<", "="}) + " " + strconv.Itoa(g.rng.IntN(6))
	}
	c := pick(g, plain)
	ref := r.ref(c)
	if c.kind.number() && g.chance(0.5) {
		return "sum(" + ref + ") " + pick(g, []string{">", "<="}) + " " + g.literal(column{kind: c.kind})
	}
	if c.kind == kindBool {
		return "count(DISTINCT " + ref + ") > 1"
	}
	return "max(" + ref + ") " + pick(g, []string{">=", "<"}) + " " + g.literal(c)
}

func (g *Generator) likePattern(c column) string {
	v := g.rawString(c)
	rs := []rune(v)
	if len(rs) == 0 {
		return "'%'"
	}
	k := 1 + g.rng.IntN(min(3, len(rs)))
	var p string
	switch g.rng.IntN(4) {
	case 0:
		p = string(rs[:k]) + "%"
	case 1:
		p = "%" + string(rs[len(rs)-k:])
	case 2:
		p = "%" + string(rs[len(rs)/2:len(rs)/2+1]) + "%"
	default:
		p = "_" + string(rs[1:])
	}
	return quoteString(p)
}

// escapedPattern matches a value's prefix literally, wildcards in it escaped with '!'.
func (g *Generator) escapedPattern(c column) string {
	v := []rune(g.rawString(c))
	v = v[:min(len(v), 1+g.rng.IntN(6))]
	var b strings.Builder
	for _, r := range v {
		if r == '%' || r == '_' || r == '!' {
			b.WriteRune('!')
		}
		b.WriteRune(r)
	}
	return quoteString(b.String() + "%")
}

func (g *Generator) rawString(c column) string {
	if pool := g.values[c.origin]; len(pool) > 0 {
		if s, ok := pick(g, pool).(string); ok {
			return s
		}
	}
	return pick(g, []string{"North", "zzz", "a"})
}

// literal is a literal of the column's type, drawn from its values when it has some.
func (g *Generator) literal(c column) string {
	pool := g.values[c.origin]
	if len(pool) > 0 && g.chance(0.9) {
		v := pick(g, pool)
		for _, gr := range c.grains {
			v = applyGrain(v, gr)
		}
		if s, ok := render(v, c.kind); ok {
			return s
		}
	}
	switch c.kind {
	case kindString:
		return quoteString(pick(g, []string{"zzz", "", "North", "a'b", "%"}))
	case kindInt:
		return pick(g, []string{"0", "1", "2", "3", "5", "10", "20", "100", "-1"})
	case kindFloat:
		return pick(g, []string{"0", "0.5", "1", "10", "99.75", "100", "1000", "2500.5", "-1.5"})
	case kindNumeric:
		return pick(g, []string{"0", "1", "6", "12", "2024", "2025", "100"})
	case kindBool:
		return pick(g, []string{"TRUE", "FALSE"})
	case kindDate:
		return pick(g, []string{"DATE '2024-01-01'", "DATE '2024-06-30'", "DATE '2025-01-01'", "DATE '2025-12-31'"})
	}
	return pick(g, []string{"TIMESTAMP '2024-01-01 00:00:00'", "TIMESTAMP '2024-07-01 00:00:00'", "TIMESTAMP '2025-03-15 12:30:00'"})
}

// applyGrain maps a value the way a date grain maps the column.
func applyGrain(v any, grain string) any {
	t, ok := v.(time.Time)
	if !ok {
		return v
	}
	switch grain {
	case "day", "date":
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	case "year":
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	case "yearnum":
		return t.Year()
	case "monthnum":
		return int(t.Month())
	case "yyyy-mm":
		return t.Format("2006-01")
	}
	return v
}

// render writes a Go value as a SQL literal of kind k.
func render(v any, k kind) (string, bool) {
	switch x := v.(type) {
	case string:
		if k != kindString {
			return "", false
		}
		return quoteString(x), true
	case bool:
		if k != kindBool {
			return "", false
		}
		if x {
			return "TRUE", true
		}
		return "FALSE", true
	case int:
		return renderNumber(float64(x), strconv.Itoa(x), k)
	case int64:
		return renderNumber(float64(x), strconv.FormatInt(x, 10), k)
	case float64:
		return renderNumber(x, strconv.FormatFloat(x, 'f', -1, 64), k)
	case time.Time:
		switch k {
		case kindDate:
			return "DATE '" + x.Format("2006-01-02") + "'", true
		case kindTimestamp:
			return "TIMESTAMP '" + x.Format("2006-01-02 15:04:05") + "'", true
		}
	}
	return "", false
}

func renderNumber(f float64, s string, k kind) (string, bool) {
	switch k {
	case kindInt:
		if f != float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10), true
		}
		return s, true
	case kindFloat, kindNumeric:
		return s, true
	}
	return "", false
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ident writes an identifier, quoted when asked or when it must be.
func ident(name string, quote bool) string {
	if quote || !plainIdent(name) {
		return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
	}
	return name
}

func plainIdent(name string) bool {
	if name == "" || reserved[name] {
		return false
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// reserved are the PostgreSQL keywords that cannot be column names unquoted.
var reserved = map[string]bool{
	"all": true, "analyse": true, "analyze": true, "and": true, "any": true, "array": true, "as": true,
	"asc": true, "asymmetric": true, "both": true, "case": true, "cast": true, "check": true,
	"collate": true, "column": true, "constraint": true, "create": true, "current_catalog": true,
	"current_date": true, "current_role": true, "current_time": true, "current_timestamp": true,
	"current_user": true, "default": true, "deferrable": true, "desc": true, "distinct": true,
	"do": true, "else": true, "end": true, "except": true, "false": true, "fetch": true, "for": true,
	"foreign": true, "from": true, "grant": true, "group": true, "having": true, "in": true,
	"initially": true, "intersect": true, "into": true, "lateral": true, "leading": true,
	"limit": true, "localtime": true, "localtimestamp": true, "not": true, "null": true,
	"offset": true, "on": true, "only": true, "or": true, "order": true, "placing": true,
	"primary": true, "references": true, "returning": true, "select": true, "session_user": true,
	"some": true, "symmetric": true, "system_user": true, "table": true, "then": true, "to": true,
	"trailing": true, "true": true, "union": true, "unique": true, "user": true, "using": true,
	"variadic": true, "when": true, "where": true, "window": true, "with": true,
}
