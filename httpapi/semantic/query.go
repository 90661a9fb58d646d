package semantic

import (
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Kind is a literal's type as the client wrote it.
type Kind int

// Literal kinds.
const (
	KindNull Kind = iota
	KindString
	KindInt
	KindFloat
	KindBool
	KindDate
	KindTimestamp
)

// Value is a literal a client sent. Text holds numbers as written (exact), strings as is.
type Value struct {
	Kind Kind
	Text string
	Bool bool
	Time time.Time
}

// String, Int, ... make literals.
func String(s string) Value  { return Value{Kind: KindString, Text: s} }
func Int(n int64) Value      { return Value{Kind: KindInt, Text: strconv.FormatInt(n, 10)} }
func Number(s string) Value  { return Value{Kind: numberKind(s), Text: s} }
func Bool(b bool) Value      { return Value{Kind: KindBool, Bool: b, Text: strconv.FormatBool(b)} }
func Date(t time.Time) Value { return Value{Kind: KindDate, Time: t, Text: t.Format(time.DateOnly)} }
func Timestamp(t time.Time) Value {
	return Value{Kind: KindTimestamp, Time: t, Text: t.Format(time.RFC3339Nano)}
}

func numberKind(s string) Kind {
	if strings.ContainsAny(s, ".eE") {
		return KindFloat
	}
	return KindInt
}

// Expr is a condition or value expression: one of the types below.
type Expr interface{ expr() }

// Col names a dimension, a metric, or an alias of the query's output.
type Col struct{ Name string }

// Lit is a literal value.
type Lit struct{ Value Value }

// Cmp compares: Op is one of = <> < <= > >=.
type Cmp struct {
	Op   string
	L, R Expr
}

// Logic is AND or OR over its arguments (Op "and" or "or").
type Logic struct {
	Op   string
	Args []Expr
}

// Not negates.
type Not struct{ X Expr }

// In is X IN (List...), or NOT IN when Negate.
type In struct {
	X      Expr
	List   []Expr
	Negate bool
}

// IsNull is X IS NULL, or IS NOT NULL when Negate.
type IsNull struct {
	X      Expr
	Negate bool
}

// Match is a substring test: Mode "contains", "startswith" or "endswith"; Fold compares
// case-insensitively. The pattern is a bound parameter with LIKE's wildcards escaped.
type Match struct {
	X       Expr
	Mode    string
	Pattern Expr
	Negate  bool
}

// Call is a function of the fixed set Funcs.
type Call struct {
	Fn   string
	Args []Expr
}

// Between is X BETWEEN Lo AND Hi.
type Between struct{ X, Lo, Hi Expr }

func (Col) expr()     {}
func (Lit) expr()     {}
func (Cmp) expr()     {}
func (Logic) expr()   {}
func (Not) expr()     {}
func (In) expr()      {}
func (IsNull) expr()  {}
func (Match) expr()   {}
func (Call) expr()    {}
func (Between) expr() {}

// Funcs are the functions a request may use, each making its call's tree from its argument.
var Funcs = map[string]func(arg *pg_query.Node) *pg_query.Node{
	"tolower": func(a *pg_query.Node) *pg_query.Node { return call("lower", a) },
	"toupper": func(a *pg_query.Node) *pg_query.Node { return call("upper", a) },
	"year":    func(a *pg_query.Node) *pg_query.Node { return extractInt("year", a) },
	"month":   func(a *pg_query.Node) *pg_query.Node { return extractInt("month", a) },
	"day":     func(a *pg_query.Node) *pg_query.Node { return extractInt("day", a) },
}

// Item is one output column: a column, or an aggregate (Agg "sum", "min", "max", "avg",
// "countdistinct", or "measure" for the metric as defined) of a metric, named Alias when set.
// Grain truncates a time dimension (one of Grains); GrainAsDate keeps a date dimension's
// truncation a date rather than the timestamp date_trunc returns.
type Item struct {
	Col         string
	Agg         string
	Alias       string
	Grain       string
	GrainAsDate bool
}

// Grains are the truncations an Item's Grain may name.
var Grains = map[string]bool{"day": true, "week": true, "month": true, "quarter": true, "year": true}

// Name is the item's output column name.
func (it Item) Name() string {
	if it.Alias != "" {
		return it.Alias
	}
	return it.Col
}

// Order is one ORDER BY key.
type Order struct {
	Col  string
	Desc bool
}

// Query is one semantic query over one dataset.
type Query struct {
	Dataset string
	Items   []Item
	Where   Expr
	Having  Expr
	// GroupBy lists dimensions to group by explicitly; nil leaves grouping implicit (by the
	// selected dimensions), as semantic SQL allows. A name that is an item's output name groups
	// by that item's expression (its time grain, not the raw column under an alias).
	GroupBy []string
	OrderBy []Order
	Limit   *int64
	Offset  *int64
	// Joins reads names "<dataset>.<column>" as columns of other datasets (see Resolver and
	// Build); nil reads every name as a column of Dataset.
	Joins Resolver
}

// And joins conditions with AND, leaving out nil ones: nil for none, the condition itself for one.
func And(es ...Expr) Expr {
	var kept []Expr
	for _, e := range es {
		if e != nil {
			kept = append(kept, e)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return Logic{Op: "and", Args: kept}
}

// Conjuncts splits a condition into the conditions its (nested) ANDs join.
func Conjuncts(e Expr) []Expr {
	if l, ok := e.(Logic); ok && l.Op == "and" {
		var out []Expr
		for _, a := range l.Args {
			out = append(out, Conjuncts(a)...)
		}
		return out
	}
	return []Expr{e}
}
