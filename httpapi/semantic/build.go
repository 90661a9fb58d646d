package semantic

import (
	"fmt"
	"strconv"
	"strings"
)

// Quote writes an identifier as a quoted SQL identifier.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Build writes q as semantic SQL; args[i] is the value of $i+1.
func Build(q *Query) (string, []Value, error) {
	b := &builder{}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	if len(q.Items) == 0 {
		return "", nil, fmt.Errorf("nothing selected")
	}
	for i, it := range q.Items {
		if i > 0 {
			sb.WriteString(", ")
		}
		e, err := itemExpr(it)
		if err != nil {
			return "", nil, err
		}
		sb.WriteString(e)
		if it.Alias != "" || it.Agg != "" || it.Grain != "" {
			sb.WriteString(" AS " + Quote(it.Name()))
		}
	}
	sb.WriteString(" FROM " + Quote(q.Dataset))
	if q.Where != nil {
		s, err := b.expr(q.Where)
		if err != nil {
			return "", nil, err
		}
		sb.WriteString(" WHERE " + s)
	}
	if len(q.GroupBy) > 0 {
		sb.WriteString(" GROUP BY ")
		for i, g := range q.GroupBy {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(groupExpr(q.Items, g))
		}
	}
	if q.Having != nil {
		s, err := b.expr(q.Having)
		if err != nil {
			return "", nil, err
		}
		sb.WriteString(" HAVING " + s)
	}
	if len(q.OrderBy) > 0 {
		sb.WriteString(" ORDER BY ")
		for i, o := range q.OrderBy {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(Quote(o.Col))
			if o.Desc {
				sb.WriteString(" DESC NULLS LAST")
			} else {
				sb.WriteString(" ASC NULLS FIRST")
			}
		}
	}
	if q.Limit != nil {
		sb.WriteString(" LIMIT " + b.param(Int(*q.Limit)))
	}
	if q.Offset != nil {
		sb.WriteString(" OFFSET " + b.param(Int(*q.Offset)))
	}
	return sb.String(), b.args, nil
}

// itemExpr is an item's expression, without its alias.
func itemExpr(it Item) (string, error) {
	col := Quote(it.Col)
	if it.Grain != "" {
		if it.Agg != "" {
			return "", fmt.Errorf("a time grain applies to a dimension, not to an aggregate")
		}
		if !Grains[it.Grain] {
			return "", fmt.Errorf("time grain %q is not supported", it.Grain)
		}
		// The grain is one of a fixed set of words, never client text.
		e := "date_trunc('" + it.Grain + "', " + col + ")"
		if it.GrainAsDate {
			e = "CAST(" + e + " AS date)"
		}
		return e, nil
	}
	switch it.Agg {
	case "":
		return col, nil
	case "sum", "min", "max", "avg":
		return strings.ToUpper(it.Agg) + "(" + col + ")", nil
	case "countdistinct":
		return "COUNT(DISTINCT " + col + ")", nil
	case "measure":
		return "MEASURE(" + col + ")", nil
	}
	return "", fmt.Errorf("aggregation %q is not supported", it.Agg)
}

// groupExpr is what GROUP BY writes for name: the expression of the item of that output name
// (GROUP BY prefers an input column over an output name, so an alias or a grain is spelt out),
// else the column itself.
func groupExpr(items []Item, name string) string {
	for _, it := range items {
		if it.Name() == name && it.Agg == "" {
			if e, err := itemExpr(it); err == nil {
				return e
			}
		}
	}
	return Quote(name)
}

type builder struct {
	args []Value
}

func (b *builder) param(v Value) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

var cmpOps = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (b *builder) expr(e Expr) (string, error) {
	switch e := e.(type) {
	case Col:
		return Quote(e.Name), nil
	case Lit:
		// NULL, TRUE and FALSE are keywords, not client text; everything else is a parameter.
		switch e.Value.Kind {
		case KindNull:
			return "NULL", nil
		case KindBool:
			if e.Value.Bool {
				return "TRUE", nil
			}
			return "FALSE", nil
		}
		return b.param(e.Value), nil
	case Cmp:
		if !cmpOps[e.Op] {
			return "", fmt.Errorf("operator %q is not supported", e.Op)
		}
		// A comparison with null means IS [NOT] NULL, as OData and JSON filters intend.
		if l, ok := e.R.(Lit); ok && l.Value.Kind == KindNull && (e.Op == "=" || e.Op == "<>") {
			return b.expr(IsNull{X: e.L, Negate: e.Op == "<>"})
		}
		if l, ok := e.L.(Lit); ok && l.Value.Kind == KindNull && (e.Op == "=" || e.Op == "<>") {
			return b.expr(IsNull{X: e.R, Negate: e.Op == "<>"})
		}
		l, err := b.expr(e.L)
		if err != nil {
			return "", err
		}
		r, err := b.expr(e.R)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + e.Op + " " + r + ")", nil
	case Logic:
		if e.Op != "and" && e.Op != "or" {
			return "", fmt.Errorf("logical operator %q is not supported", e.Op)
		}
		if len(e.Args) == 0 {
			return "", fmt.Errorf("%s needs at least one condition", e.Op)
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			s, err := b.expr(a)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(e.Op)+" ") + ")", nil
	case Not:
		s, err := b.expr(e.X)
		if err != nil {
			return "", err
		}
		return "(NOT " + s + ")", nil
	case In:
		if len(e.List) == 0 {
			return "", fmt.Errorf("in needs at least one value")
		}
		x, err := b.expr(e.X)
		if err != nil {
			return "", err
		}
		parts := make([]string, len(e.List))
		for i, a := range e.List {
			if parts[i], err = b.expr(a); err != nil {
				return "", err
			}
		}
		op := " IN ("
		if e.Negate {
			op = " NOT IN ("
		}
		return "(" + x + op + strings.Join(parts, ", ") + "))", nil
	case IsNull:
		x, err := b.expr(e.X)
		if err != nil {
			return "", err
		}
		if e.Negate {
			return "(" + x + " IS NOT NULL)", nil
		}
		return "(" + x + " IS NULL)", nil
	case Between:
		x, err := b.expr(e.X)
		if err != nil {
			return "", err
		}
		lo, err := b.expr(e.Lo)
		if err != nil {
			return "", err
		}
		hi, err := b.expr(e.Hi)
		if err != nil {
			return "", err
		}
		return "(" + x + " BETWEEN " + lo + " AND " + hi + ")", nil
	case Match:
		x, err := b.expr(e.X)
		if err != nil {
			return "", err
		}
		lit, ok := e.Pattern.(Lit)
		if !ok || lit.Value.Kind != KindString {
			return "", fmt.Errorf("%s needs a string literal", e.Mode)
		}
		p := escapeLike(lit.Value.Text)
		switch e.Mode {
		case "contains":
			p = "%" + p + "%"
		case "startswith":
			p += "%"
		case "endswith":
			p = "%" + p
		default:
			return "", fmt.Errorf("%s is not supported", e.Mode)
		}
		op := " LIKE "
		if e.Negate {
			op = " NOT LIKE "
		}
		return "(CAST(" + x + " AS text)" + op + b.param(String(p)) + " ESCAPE '\\')", nil
	case Call:
		f, ok := Funcs[e.Fn]
		if !ok {
			return "", fmt.Errorf("function %s is not supported", e.Fn)
		}
		if len(e.Args) != 1 {
			return "", fmt.Errorf("%s takes one argument", e.Fn)
		}
		a, err := b.expr(e.Args[0])
		if err != nil {
			return "", err
		}
		return f([]string{a}), nil
	}
	return "", fmt.Errorf("expression %T is not supported", e)
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// Columns returns the names of the columns e references.
func Columns(e Expr) []string {
	var out []string
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case Col:
			out = append(out, e.Name)
		case Cmp:
			walk(e.L)
			walk(e.R)
		case Logic:
			for _, a := range e.Args {
				walk(a)
			}
		case Not:
			walk(e.X)
		case In:
			walk(e.X)
			for _, a := range e.List {
				walk(a)
			}
		case IsNull:
			walk(e.X)
		case Match:
			walk(e.X)
			walk(e.Pattern)
		case Call:
			for _, a := range e.Args {
				walk(a)
			}
		case Between:
			walk(e.X)
			walk(e.Lo)
			walk(e.Hi)
		}
	}
	if e != nil {
		walk(e)
	}
	return out
}

// BuildCount writes a query counting q's result rows (ORDER BY, LIMIT and OFFSET dropped). q
// must aggregate explicitly (GroupBy set, or aggregates only): inside a sub-select a bare metric
// is passed through at row grain rather than aggregated.
func BuildCount(q *Query) (string, []Value, error) {
	inner := *q
	inner.OrderBy, inner.Limit, inner.Offset = nil, nil, nil
	sql, args, err := Build(&inner)
	if err != nil {
		return "", nil, err
	}
	return `SELECT COUNT(*) AS "count" FROM (` + sql + `) AS "result"`, args, nil
}
