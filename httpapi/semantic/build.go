package semantic

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// noLocation marks a node as built, not parsed: it points at no place in any SQL text.
const noLocation = -1

// Build makes q into the parse tree of a SELECT statement (a SelectStmt node); args[i] is the
// value of the parameter $i+1 in it.
//
// Names holding a dot are read through q.Joins when set (see Resolver): a column of another
// dataset makes the statement LEFT JOIN the datasets on the path to it, and every column is
// then named with its relation.
func Build(q *Query) (*pg_query.Node, []Value, error) {
	j, err := resolveJoins(q)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSteps(q, j); err != nil {
		return nil, nil, err
	}
	b := &builder{joins: j}
	sel, err := b.selectStmt(q)
	if err != nil {
		return nil, nil, err
	}
	if err := checkNames(q, j); err != nil {
		return nil, nil, err
	}
	return selectNode(sel), b.args, nil
}

// ErrZeroByte marks a name holding a zero byte: SQL text cannot carry one (it would end the
// statement there), so as text such a query was a syntax error, and so it stays.
var ErrZeroByte = errors.New("zero byte in an identifier")

// checkNames refuses a name SQL text could not have held.
func checkNames(q *Query, j *joins) error {
	names := []string{q.Dataset}
	if j != nil {
		for _, r := range j.rels {
			names = append(names, r.step.Dataset)
			for _, p := range r.step.On {
				names = append(names, p.From, p.To)
			}
		}
		for _, c := range j.names {
			names = append(names, c.col)
		}
	}
	for _, it := range q.Items {
		names = append(names, it.Col, it.Alias)
	}
	for _, o := range q.OrderBy {
		names = append(names, o.Col)
	}
	names = append(names, q.GroupBy...)
	names = append(names, Columns(q.Where)...)
	names = append(names, Columns(q.Having)...)
	for _, n := range names {
		if strings.IndexByte(n, 0) >= 0 {
			return fmt.Errorf("%w: %q", ErrZeroByte, n)
		}
	}
	return nil
}

// BuildCount makes the tree of a query counting q's result rows (ORDER BY, LIMIT and OFFSET
// dropped). q must aggregate explicitly (GroupBy set, or aggregates only): inside a sub-select a
// bare metric is passed through at row grain rather than aggregated.
func BuildCount(q *Query) (*pg_query.Node, []Value, error) {
	inner := *q
	inner.OrderBy, inner.Limit, inner.Offset = nil, nil, nil
	sub, args, err := Build(&inner)
	if err != nil {
		return nil, nil, err
	}
	count := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   names("count"),
		AggStar:    true,
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:   noLocation,
	}}}
	from := &pg_query.Node{Node: &pg_query.Node_RangeSubselect{RangeSubselect: &pg_query.RangeSubselect{
		Subquery: sub,
		Alias:    &pg_query.Alias{Aliasname: "result"},
	}}}
	return selectNode(&pg_query.SelectStmt{
		TargetList:  []*pg_query.Node{pg_query.MakeResTargetNodeWithNameAndVal("count", count, noLocation)},
		FromClause:  []*pg_query.Node{from},
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
		Op:          pg_query.SetOperation_SETOP_NONE,
	}), args, nil
}

func selectNode(sel *pg_query.SelectStmt) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: sel}}
}

// builder numbers the parameters in the order the statement holds them, the order the SQL text
// had them in: WHERE, HAVING, LIMIT, OFFSET (the select list and GROUP BY hold none).
type builder struct {
	args  []Value
	joins *joins
	// outputs: names may be the select list's aliases (HAVING); elsewhere in expressions
	// (select list, WHERE) every name is a column.
	outputs bool
}

// column is the reference name makes: as written in a query of one dataset, through joins
// otherwise.
func (b *builder) column(name string) *pg_query.Node {
	if b.joins == nil {
		return column(name)
	}
	return b.joins.column(name, b.outputs)
}

// outputColumn is column where output names are seen (GROUP BY, ORDER BY): an alias of the
// select list stays as written.
func (b *builder) outputColumn(name string) *pg_query.Node {
	if b.joins == nil {
		return column(name)
	}
	return b.joins.column(name, true)
}

// from is the FROM item: the dataset, joined to the datasets the query's names reach.
func (b *builder) from(dataset string) *pg_query.Node {
	if b.joins == nil {
		return pg_query.MakeSimpleRangeVarNode(identifier(dataset), noLocation)
	}
	return b.joins.from(dataset)
}

// outputName is the name an item is selected under: none for a bare column of the dataset,
// which keeps its own name, as a client would write it; a joined column is named by its dotted
// name, which a relation.column reference would not keep.
func (b *builder) outputName(it Item) string {
	if it.Alias != "" || it.Agg != "" || it.Grain != "" {
		return identifier(it.Name())
	}
	if b.joins != nil {
		if _, ok := b.joins.names[it.Col]; ok {
			return identifier(it.Name())
		}
	}
	return ""
}

func (b *builder) selectStmt(q *Query) (*pg_query.SelectStmt, error) {
	if len(q.Items) == 0 {
		return nil, fmt.Errorf("nothing selected")
	}
	sel := &pg_query.SelectStmt{
		FromClause:  []*pg_query.Node{b.from(q.Dataset)},
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
		Op:          pg_query.SetOperation_SETOP_NONE,
	}
	for _, it := range q.Items {
		e, err := b.itemExpr(it)
		if err != nil {
			return nil, err
		}
		sel.TargetList = append(sel.TargetList, pg_query.MakeResTargetNodeWithNameAndVal(b.outputName(it), e, noLocation))
	}
	var err error
	if q.Where != nil {
		if sel.WhereClause, err = b.expr(q.Where); err != nil {
			return nil, err
		}
	}
	for _, g := range q.GroupBy {
		sel.GroupClause = append(sel.GroupClause, b.groupExpr(q.Items, g))
	}
	if q.Having != nil {
		// HAVING may name an aggregate by its alias (OData's filter after $apply).
		b.outputs = true
		sel.HavingClause, err = b.expr(q.Having)
		b.outputs = false
		if err != nil {
			return nil, err
		}
	}
	for _, o := range q.OrderBy {
		dir, nulls := pg_query.SortByDir_SORTBY_ASC, pg_query.SortByNulls_SORTBY_NULLS_FIRST
		if o.Desc {
			dir, nulls = pg_query.SortByDir_SORTBY_DESC, pg_query.SortByNulls_SORTBY_NULLS_LAST
		}
		sel.SortClause = append(sel.SortClause, pg_query.MakeSortByNode(b.orderExpr(q.Items, o.Col), dir, nulls, noLocation))
	}
	if q.Limit != nil || q.Offset != nil {
		sel.LimitOption = pg_query.LimitOption_LIMIT_OPTION_COUNT
	}
	if q.Limit != nil {
		sel.LimitCount = b.param(Int(*q.Limit))
	}
	if q.Offset != nil {
		sel.LimitOffset = b.param(Int(*q.Offset))
	}
	return sel, nil
}

// itemExpr is an item's expression, without its alias.
func (b *builder) itemExpr(it Item) (*pg_query.Node, error) {
	col := b.column(it.Col)
	if it.Grain != "" {
		if it.Agg != "" {
			return nil, fmt.Errorf("a time grain applies to a dimension, not to an aggregate")
		}
		if !Grains[it.Grain] {
			return nil, fmt.Errorf("time grain %q is not supported", it.Grain)
		}
		e := call("date_trunc", pg_query.MakeAConstStrNode(it.Grain, noLocation), col)
		if it.GrainAsDate {
			e = cast(e, "date")
		}
		return e, nil
	}
	switch it.Agg {
	case "":
		return col, nil
	case "sum", "min", "max", "avg", "measure":
		return call(it.Agg, col), nil
	case "countdistinct":
		e := call("count", col)
		e.GetFuncCall().AggDistinct = true
		return e, nil
	}
	return nil, fmt.Errorf("aggregation %q is not supported", it.Agg)
}

// groupExpr is what GROUP BY holds for name: the expression of the item of that output name
// (GROUP BY prefers an input column over an output name, so an alias or a grain is spelt out),
// else the column itself.
func (b *builder) groupExpr(items []Item, name string) *pg_query.Node {
	for _, it := range items {
		if it.Name() == name && it.Agg == "" {
			if e, err := b.itemExpr(it); err == nil {
				return e
			}
		}
	}
	return b.outputColumn(name)
}

// orderExpr is what ORDER BY holds for name: the output column of that name as written (ORDER
// BY prefers an output name over an input column), else the column name makes.
func (b *builder) orderExpr(items []Item, name string) *pg_query.Node {
	for _, it := range items {
		if it.Name() == name {
			return column(name)
		}
	}
	return b.outputColumn(name)
}

func (b *builder) param(v Value) *pg_query.Node {
	b.args = append(b.args, v)
	return pg_query.MakeParamRefNode(int32(len(b.args)), noLocation)
}

var cmpOps = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (b *builder) expr(e Expr) (*pg_query.Node, error) {
	switch e := e.(type) {
	case Col:
		return b.column(e.Name), nil
	case Lit:
		return b.literal(e.Value), nil
	case Cmp:
		return b.compare(e)
	case Logic:
		return b.logic(e)
	case Not:
		x, err := b.expr(e.X)
		if err != nil {
			return nil, err
		}
		return pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{x}, noLocation), nil
	case In:
		return b.in(e)
	case IsNull:
		x, err := b.expr(e.X)
		if err != nil {
			return nil, err
		}
		test := pg_query.NullTestType_IS_NULL
		if e.Negate {
			test = pg_query.NullTestType_IS_NOT_NULL
		}
		return &pg_query.Node{Node: &pg_query.Node_NullTest{NullTest: &pg_query.NullTest{
			Arg: x, Nulltesttype: test, Location: noLocation,
		}}}, nil
	case Between:
		return b.between(e)
	case Match:
		return b.match(e)
	case Call:
		return b.call(e)
	}
	return nil, fmt.Errorf("expression %T is not supported", e)
}

// literal is NULL, TRUE or FALSE as constants (keywords, not client text); every other value
// is a parameter.
func (b *builder) literal(v Value) *pg_query.Node {
	switch v.Kind {
	case KindNull:
		return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: noLocation}}}
	case KindBool:
		return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{
			Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: v.Bool}}, Location: noLocation,
		}}}
	}
	return b.param(v)
}

func (b *builder) compare(e Cmp) (*pg_query.Node, error) {
	if !cmpOps[e.Op] {
		return nil, fmt.Errorf("operator %q is not supported", e.Op)
	}
	// A comparison with null means IS [NOT] NULL, as OData and JSON filters intend.
	if e.Op == "=" || e.Op == "<>" {
		if isNull(e.R) {
			return b.expr(IsNull{X: e.L, Negate: e.Op == "<>"})
		}
		if isNull(e.L) {
			return b.expr(IsNull{X: e.R, Negate: e.Op == "<>"})
		}
	}
	l, err := b.expr(e.L)
	if err != nil {
		return nil, err
	}
	r, err := b.expr(e.R)
	if err != nil {
		return nil, err
	}
	return operator(e.Op, l, r), nil
}

func isNull(e Expr) bool {
	l, ok := e.(Lit)
	return ok && l.Value.Kind == KindNull
}

// logic joins the conditions with AND or OR into the tree PostgreSQL's parser makes of
// `(a AND b AND c)`: one BoolExpr over all of them, which also takes in the terms of a first
// argument that is itself the same operator (the parser flattens the left operand only). Equal
// trees deparse to equal engine SQL, so a request and the same query sent as text share cache
// entries.
func (b *builder) logic(e Logic) (*pg_query.Node, error) {
	op := pg_query.BoolExprType_AND_EXPR
	switch e.Op {
	case "and":
	case "or":
		op = pg_query.BoolExprType_OR_EXPR
	default:
		return nil, fmt.Errorf("logical operator %q is not supported", e.Op)
	}
	if len(e.Args) == 0 {
		return nil, fmt.Errorf("%s needs at least one condition", e.Op)
	}
	var acc *pg_query.Node
	for i, a := range e.Args {
		x, err := b.expr(a)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0:
			acc = x
		case acc.GetBoolExpr() != nil && acc.GetBoolExpr().Boolop == op:
			be := acc.GetBoolExpr()
			be.Args = append(be.Args, x)
		default:
			acc = pg_query.MakeBoolExprNode(op, []*pg_query.Node{acc, x}, noLocation)
		}
	}
	return acc, nil
}

func (b *builder) in(e In) (*pg_query.Node, error) {
	if len(e.List) == 0 {
		return nil, fmt.Errorf("in needs at least one value")
	}
	x, err := b.expr(e.X)
	if err != nil {
		return nil, err
	}
	list := make([]*pg_query.Node, len(e.List))
	for i, a := range e.List {
		if list[i], err = b.expr(a); err != nil {
			return nil, err
		}
	}
	op := "="
	if e.Negate {
		op = "<>"
	}
	return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_IN, names(op), x, pg_query.MakeListNode(list), noLocation), nil
}

func (b *builder) between(e Between) (*pg_query.Node, error) {
	x, err := b.expr(e.X)
	if err != nil {
		return nil, err
	}
	lo, err := b.expr(e.Lo)
	if err != nil {
		return nil, err
	}
	hi, err := b.expr(e.Hi)
	if err != nil {
		return nil, err
	}
	return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_BETWEEN, names("BETWEEN"), x,
		pg_query.MakeListNode([]*pg_query.Node{lo, hi}), noLocation), nil
}

// match is `CAST(x AS text) [NOT] LIKE $n ESCAPE '\'` with the client's text a parameter whose
// LIKE wildcards are escaped.
func (b *builder) match(e Match) (*pg_query.Node, error) {
	x, err := b.expr(e.X)
	if err != nil {
		return nil, err
	}
	lit, ok := e.Pattern.(Lit)
	if !ok || lit.Value.Kind != KindString {
		return nil, fmt.Errorf("%s needs a string literal", e.Mode)
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
		return nil, fmt.Errorf("%s is not supported", e.Mode)
	}
	op := "~~"
	if e.Negate {
		op = "!~~"
	}
	pattern := systemCall("like_escape", b.param(String(p)), pg_query.MakeAConstStrNode(`\`, noLocation))
	return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_LIKE, names(op), cast(x, "text"), pattern, noLocation), nil
}

func (b *builder) call(e Call) (*pg_query.Node, error) {
	f, ok := Funcs[e.Fn]
	if !ok {
		return nil, fmt.Errorf("function %s is not supported", e.Fn)
	}
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("%s takes one argument", e.Fn)
	}
	a, err := b.expr(e.Args[0])
	if err != nil {
		return nil, err
	}
	return f(a), nil
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// names is a qualified name as a list of String nodes.
func names(parts ...string) []*pg_query.Node {
	out := make([]*pg_query.Node, len(parts))
	for i, p := range parts {
		out[i] = pg_query.MakeStrNode(p)
	}
	return out
}

// column is a reference to a column by its exact name (as a quoted identifier would be).
func column(name string) *pg_query.Node {
	return pg_query.MakeColumnRefNode(names(identifier(name)), noLocation)
}

// maxIdentifierBytes is PostgreSQL's identifier length (NAMEDATALEN - 1).
const maxIdentifierBytes = 63

// identifier is name as PostgreSQL's parser keeps a quoted identifier: cut to 63 bytes at a
// character boundary. A longer catalog name or alias then means what it means in SQL text.
func identifier(name string) string {
	if len(name) <= maxIdentifierBytes {
		return name
	}
	cut := maxIdentifierBytes
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut]
}

// call is fn(args...) as written in a query.
func call(fn string, args ...*pg_query.Node) *pg_query.Node {
	return pg_query.MakeFuncCallNode(names(fn), args, noLocation)
}

// systemCall is pg_catalog.fn(args...), the name the parser gives the functions behind SQL's
// own syntax (LIKE ... ESCAPE, EXTRACT).
func systemCall(fn string, args ...*pg_query.Node) *pg_query.Node {
	return pg_query.MakeFuncCallNode(names("pg_catalog", fn), args, noLocation)
}

// operator is `l op r`.
func operator(op string, l, r *pg_query.Node) *pg_query.Node {
	return pg_query.MakeAExprNode(pg_query.A_Expr_Kind_AEXPR_OP, names(op), l, r, noLocation)
}

// cast is CAST(x AS typ) for a type the parser names by its own word (text, date).
func cast(x *pg_query.Node, typ string) *pg_query.Node {
	return castTo(x, names(typ))
}

func castTo(x *pg_query.Node, typ []*pg_query.Node) *pg_query.Node {
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg:      x,
		TypeName: &pg_query.TypeName{Names: typ, Typemod: -1, Location: noLocation},
		Location: noLocation,
	}}}
}

// extractInt is CAST(EXTRACT(field FROM x) AS integer), the tree the parser makes of it.
func extractInt(field string, x *pg_query.Node) *pg_query.Node {
	e := systemCall("extract", pg_query.MakeAConstStrNode(field, noLocation), x)
	e.GetFuncCall().Funcformat = pg_query.CoercionForm_COERCE_SQL_SYNTAX
	return castTo(e, names("pg_catalog", "int4"))
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
