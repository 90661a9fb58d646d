package semantic

import (
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Step is one join of a path from the query's dataset: it reaches Dataset from the relation the
// step before reached (the query's own dataset for the first step), matching rows whose columns
// of each pair are equal.
type Step struct {
	Dataset string
	On      []Pair
}

// Pair equates column From of the relation a step leaves with column To of the dataset it
// reaches. Both are column names as clients name them (dimensions), not source fields.
type Pair struct{ From, To string }

// Ref is what a name "<dataset>.<column>" means: Column of the dataset that Path reaches from
// the query's dataset. An empty Path names the query's own dataset.
type Ref struct {
	Path   []Step
	Column string
}

// Resolver reads a name holding a dot. ok false leaves the name as written, one column of the
// query's own dataset (whose name holds a dot); an error refuses the query, as it stands (the
// caller renders it). A Query without a Resolver reads every name as written. The HTTP front
// doors make theirs from the catalog's declared joins (httpapi's joinResolver).
type Resolver func(name string) (ref Ref, ok bool, err error)

// relation is one relation of the statement's FROM: the query's dataset, or a dataset a join
// path reached. key tells apart two paths to the same dataset, so each gets its own alias.
type relation struct {
	key    string
	alias  string
	parent *relation
	step   Step
}

// joins are the relations a query's names reach, and what each name means. A query none of
// whose names leaves its dataset has no joins, and builds as before joins existed.
type joins struct {
	anchor   *relation
	rels     []*relation
	byKey    map[string]*relation
	aliases  map[string]bool
	names    map[string]colRef
	outNames map[string]bool
}

// colRef is a column of one relation.
type colRef struct {
	rel *relation
	col string
}

// resolveJoins reads every name of q through q.Joins. It returns nil when no name leaves q's
// dataset (and none names it qualified), so such a query builds exactly as before.
func resolveJoins(q *Query) (*joins, error) {
	if q.Joins == nil {
		return nil, nil
	}
	anchor := &relation{alias: identifier(q.Dataset)}
	j := &joins{
		anchor:   anchor,
		byKey:    map[string]*relation{"": anchor},
		aliases:  map[string]bool{anchor.alias: true},
		names:    map[string]colRef{},
		outNames: map[string]bool{},
	}
	for _, it := range q.Items {
		if it.Alias != "" && it.Alias != it.Col {
			j.outNames[it.Alias] = true
		}
	}
	for _, name := range queryNames(q) {
		if _, done := j.names[name]; done || !strings.Contains(name, ".") {
			continue
		}
		ref, ok, err := q.Joins(name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		j.names[name] = colRef{rel: j.reach(ref.Path), col: ref.Column}
	}
	if len(j.names) == 0 {
		return nil, nil
	}
	return j, nil
}

// queryNames are the column names q uses, in the order the statement holds them (so aliases
// are given in that order, the same for the same query). Output names that ORDER BY and GROUP
// BY refer to are included; resolving them is harmless, as an item of that name wins.
func queryNames(q *Query) []string {
	var out []string
	for _, it := range q.Items {
		out = append(out, it.Col)
	}
	out = append(out, Columns(q.Where)...)
	out = append(out, q.GroupBy...)
	out = append(out, Columns(q.Having)...)
	for _, o := range q.OrderBy {
		out = append(out, o.Col)
	}
	return out
}

// reach returns the relation path leads to, adding a relation for each step not reached yet.
func (j *joins) reach(path []Step) *relation {
	at := j.anchor
	for _, s := range path {
		key := at.key + "\x00" + stepKey(s)
		r, ok := j.byKey[key]
		if !ok {
			r = &relation{key: key, alias: j.alias(s.Dataset), parent: at, step: s}
			j.byKey[key] = r
			j.rels = append(j.rels, r)
		}
		at = r
	}
	return at
}

func stepKey(s Step) string {
	var b strings.Builder
	b.WriteString(strconv.Quote(s.Dataset))
	for _, p := range s.On {
		fmt.Fprintf(&b, " %q=%q", p.From, p.To)
	}
	return b.String()
}

// alias is a relation name no other relation of the statement has: the dataset's own name when
// free, else the name with a number, so a dataset reached twice stays two relations.
func (j *joins) alias(dataset string) string {
	a := identifier(dataset)
	for n := 2; j.aliases[a]; n++ {
		suffix := "_" + strconv.Itoa(n)
		a = identifier(dataset)
		if len(a)+len(suffix) > maxIdentifierBytes {
			a = identifier(a[:maxIdentifierBytes-len(suffix)])
		}
		a += suffix
	}
	j.aliases[a] = true
	return a
}

// from is the statement's FROM item: the query's dataset, LEFT JOINed to each relation reached,
// parents before children. LEFT, so a join never drops a row of the query's dataset.
func (j *joins) from(dataset string) *pg_query.Node {
	tree := pg_query.MakeSimpleRangeVarNode(identifier(dataset), noLocation)
	for _, r := range j.rels {
		rv := pg_query.MakeSimpleRangeVarNode(identifier(r.step.Dataset), noLocation)
		if r.alias != identifier(r.step.Dataset) {
			rv.GetRangeVar().Alias = &pg_query.Alias{Aliasname: r.alias}
		}
		var conds []*pg_query.Node
		for _, p := range r.step.On {
			conds = append(conds, operator("=", qualified(r.parent.alias, p.From), qualified(r.alias, p.To)))
		}
		quals := conds[0]
		if len(conds) > 1 {
			quals = pg_query.MakeBoolExprNode(pg_query.BoolExprType_AND_EXPR, conds, noLocation)
		}
		tree = &pg_query.Node{Node: &pg_query.Node_JoinExpr{JoinExpr: &pg_query.JoinExpr{
			Jointype: pg_query.JoinType_JOIN_LEFT,
			Larg:     tree,
			Rarg:     rv,
			Quals:    quals,
		}}}
	}
	return tree
}

// column is the reference a name makes: a column of a joined relation for a name the resolver
// read, an alias of the select list as written where output names are seen (outputs: GROUP BY,
// HAVING after an aggregate's alias, ORDER BY), and otherwise a column of the query's dataset,
// qualified, since a joined dataset may have a column of the same name.
func (j *joins) column(name string, outputs bool) *pg_query.Node {
	if c, ok := j.names[name]; ok {
		return qualified(c.rel.alias, c.col)
	}
	if outputs && j.outNames[name] {
		return column(name)
	}
	return qualified(j.anchor.alias, name)
}

// qualified is relation.column.
func qualified(rel, col string) *pg_query.Node {
	return pg_query.MakeColumnRefNode(names(identifier(rel), identifier(col)), noLocation)
}

// checkSteps refuses a step the FROM could not join on.
func checkSteps(q *Query, j *joins) error {
	if j == nil {
		return nil
	}
	for _, r := range j.rels {
		if len(r.step.On) == 0 {
			return fmt.Errorf("the join of %s to %s pairs no columns", q.Dataset, r.step.Dataset)
		}
	}
	return nil
}
