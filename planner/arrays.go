package planner

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Arrays. A client compares a column with a list as `x = ANY(array)` or `x <> ALL(array)`,
// the array written as a literal ('{Indore,Bhopal}'), an ARRAY[...] constructor, either cast
// ('{1,2}'::int8[]), or a bound parameter (lib/pq's pq.Array, pgx and psycopg lists, pgjdbc's
// setArray, pgcli's `relkind = ANY($1)`). Both engines evaluate `x op ANY(list)` with
// PostgreSQL's three-valued logic, so the planner only spells the array the same way for
// both: a literal becomes ARRAY[...] of its elements cast to the compared type, and a
// parameter is cast to the list type it is bound as (pgwire/arrayparams.go). An empty array
// needs no engine: ANY over it is false and ALL true, whatever x is, as in PostgreSQL.

// arrayCompare binds `x op ANY(array)` and `x op ALL(array)` in n.
func (b *binder) arrayCompare(n *pg_query.Node, e *pg_query.A_Expr, sc *scope, c exprCtx) (pgtypes.Type, error) {
	op := ""
	if len(e.Name) > 0 {
		op = e.Name[len(e.Name)-1].GetString_().GetSval()
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
	default:
		return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "operator %s with ANY or ALL is not supported", op).WithPosition(b.pos(e.Location))
	}
	lt, err := b.expr(e.Lexpr, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	empty, err := b.arrayOperand(e, lt, sc, c)
	if err != nil {
		return pgtypes.Type{}, err
	}
	if empty {
		n.Node = (&pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{
			Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: e.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL}}, Location: -1,
		}}}).Node
	}
	return pgtypes.Bool, nil
}

// arrayOperand binds and respells the array side of e; empty reports an array with no
// elements. lt is the compared value's type, which an untyped array takes its elements' type
// from, as in PostgreSQL.
func (b *binder) arrayOperand(e *pg_query.A_Expr, lt pgtypes.Type, sc *scope, c exprCtx) (empty bool, err error) {
	elem, ok := elemFor(lt)
	if !ok {
		return false, sqlerr.New(sqlerr.FeatureNotSupported, "arrays of type %s are not supported", pgtypes.SQLName(lt)).WithPosition(b.pos(e.Location))
	}
	arr := e.Rexpr
	if tc := arr.GetTypeCast(); tc != nil {
		t, ok := arrayCastType(tc.TypeName)
		if !ok {
			return false, sqlerr.New(sqlerr.FeatureNotSupported, "this array type is not supported").WithPosition(b.pos(tc.Location))
		}
		elem, arr = t, tc.Arg
	}
	switch {
	case arr.GetParamRef() != nil:
		return false, b.arrayParam(e, arr, elem)
	case arr.GetAArrayExpr() != nil:
		items := arr.GetAArrayExpr().Elements
		for _, item := range items {
			if _, err := b.expr(item, sc, c); err != nil {
				return false, err
			}
			b.params.infer(item, elem)
		}
		e.Rexpr = arrayOf(items, elem)
		return len(items) == 0, nil
	case arr.GetAConst() != nil && arr.GetAConst().GetSval() != nil:
		vals, nulls, err := parseArrayLiteral(arr.GetAConst().GetSval().Sval)
		if err != nil {
			return false, err.(*sqlerr.Error).WithPosition(b.pos(e.Location))
		}
		items := make([]*pg_query.Node, len(vals))
		for i, v := range vals {
			if nulls[i] {
				items[i] = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}
				continue
			}
			if items[i], err = b.arrayItem(v, elem); err != nil {
				return false, err.(*sqlerr.Error).WithPosition(b.pos(e.Location))
			}
		}
		e.Rexpr = arrayOf(items, elem)
		return len(items) == 0, nil
	}
	return false, sqlerr.New(sqlerr.FeatureNotSupported, "ANY and ALL take an array literal, ARRAY[...] or a parameter here").
		WithHint("for a sub-select, write IN (SELECT ...)").WithPosition(b.pos(e.Location))
}

// arrayParam types the parameter an array is bound to and casts it to the list the engine
// compares with.
func (b *binder) arrayParam(e *pg_query.A_Expr, p *pg_query.Node, elem pgtypes.Type) error {
	pr := p.GetParamRef()
	t, err := b.params.ref(pr)
	if err != nil {
		return err
	}
	if elem.OID == pgtypes.Numeric.OID || t.OID == pgtypes.NumericArray.OID {
		// The embedded engine would read a list of exact decimals at a fixed scale.
		return sqlerr.New(sqlerr.FeatureNotSupported, "numeric[] parameters are not supported").
			WithHint("write the values in the statement, or bind a float8[]").WithPosition(b.pos(e.Location))
	}
	switch {
	case t == pgtypes.Unknown || t.OID == 0:
		at, _ := pgtypes.ArrayOf(elem)
		b.params.inferArray(pr.Number, at)
	case pgtypes.IsArray(t):
		elem, _ = pgtypes.Elem(t)
	default:
		return sqlerr.New(sqlerr.WrongObjectType, "op ANY/ALL (array) requires array on right side").WithPosition(b.pos(e.Location))
	}
	e.Rexpr = castArray(p, engineListType(elem))
	return nil
}

// arrayItem is one element of an array literal as a value of type elem. A numeric stays an
// exact number literal (a cast to numeric would be rounded to DuckDB's default scale); a
// timestamptz written without an offset is the session zone's wall-clock time, as PostgreSQL
// reads it.
func (b *binder) arrayItem(v string, elem pgtypes.Type) (*pg_query.Node, error) {
	switch elem.OID {
	case pgtypes.Numeric.OID:
		v = strings.TrimPrefix(strings.TrimSpace(v), "+")
		if !decimalText.MatchString(v) {
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", v)
		}
		// The parser's own node for the number, so the engine SQL reads back the same.
		tree, err := pg_query.Parse("SELECT " + v)
		if err != nil {
			return nil, sqlerr.New(sqlerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", v)
		}
		return tree.Stmts[0].Stmt.GetSelectStmt().TargetList[0].GetResTarget().Val, nil
	case pgtypes.Timestamptz.OID:
		if !hasOffset(v) {
			return atTimeZone(castAs(pg_query.MakeAConstStrNode(v, -1), "timestamp"), b.printZone()), nil
		}
	}
	return castAs(pg_query.MakeAConstStrNode(v, -1), elem.Name), nil
}

// decimalText is a number as a numeric literal writes it (NaN and the infinities are not read).
var decimalText = regexp.MustCompile(`^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// hasOffset reports whether a timestamp's text names its zone: an offset or Z after the
// clock (a date's own dashes are not one).
func hasOffset(v string) bool {
	v = strings.TrimSpace(v)
	clock := strings.IndexAny(v, " T")
	if clock < 0 {
		return false
	}
	rest := v[clock+1:]
	return strings.HasSuffix(rest, "Z") || strings.ContainsAny(rest, "+-") || strings.ContainsAny(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY")
}

// elemFor is the element type an array compared with a value of type t has: t itself,
// text for an untyped value or a text-like one. ok is false where there is no such array.
func elemFor(t pgtypes.Type) (pgtypes.Type, bool) {
	if t == pgtypes.Unknown || t.OID == pgtypes.Varchar.OID {
		return pgtypes.Text, true
	}
	_, ok := pgtypes.ArrayOf(t)
	return t, ok
}

// arrayCastType reads the element type of a cast to an array type (text[], int4[], ...).
func arrayCastType(tn *pg_query.TypeName) (pgtypes.Type, bool) {
	if tn == nil || len(tn.ArrayBounds) != 1 {
		return pgtypes.Type{}, false
	}
	bare := &pg_query.TypeName{Names: tn.Names, Typmods: tn.Typmods, Typemod: tn.Typemod}
	t, _, ok := typeFromName(bare)
	if !ok {
		return pgtypes.Type{}, false
	}
	_, ok = pgtypes.ArrayOf(t)
	return t, ok
}

// engineListType is the list type an array parameter of elements elem is bound as: the widest
// type of its kind, which the Go values decoded from any of them fit (pgwire/arrayparams.go).
func engineListType(elem pgtypes.Type) string {
	switch {
	case pgtypes.IsInteger(elem):
		return "int8"
	case elem.OID == pgtypes.Float4.OID || elem.OID == pgtypes.Float8.OID:
		return "float8"
	case elem.OID == pgtypes.Bool.OID, elem.OID == pgtypes.Date.OID, elem.OID == pgtypes.Timestamp.OID,
		elem.OID == pgtypes.Timestamptz.OID:
		return elem.Name
	}
	return "text"
}

// arrayOf is ARRAY[items], cast to elem[] when it has no items (an empty ARRAY[] has no type).
func arrayOf(items []*pg_query.Node, elem pgtypes.Type) *pg_query.Node {
	arr := &pg_query.Node{Node: &pg_query.Node_AArrayExpr{AArrayExpr: &pg_query.A_ArrayExpr{Elements: items, Location: -1}}}
	if len(items) > 0 {
		return arr
	}
	return castArray(arr, elem.Name)
}

// castArray is CAST(x AS elem[]).
func castArray(x *pg_query.Node, elem string) *pg_query.Node {
	cast := castAs(x, elem)
	cast.GetTypeCast().TypeName.ArrayBounds = []*pg_query.Node{{Node: &pg_query.Node_Integer{Integer: &pg_query.Integer{Ival: -1}}}}
	return cast
}

// parseArrayLiteral reads a one-dimensional array in PostgreSQL's text form ({a,"b c",NULL}):
// each element's text, and whether it is NULL (an unquoted NULL, in any case).
func parseArrayLiteral(s string) (vals []string, nulls []bool, err error) {
	malformed := sqlerr.New(sqlerr.InvalidTextRepresentation, "malformed array literal: %q", s)
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, nil, malformed.WithDetail(`Array value must start with "{" or dimension information.`)
	}
	body := s[1 : len(s)-1]
	if strings.TrimSpace(body) == "" {
		return nil, nil, nil
	}
	for i := 0; ; {
		v, quoted, next, ok := arrayElement(body, i)
		if !ok {
			return nil, nil, malformed
		}
		vals = append(vals, v)
		nulls = append(nulls, !quoted && strings.EqualFold(v, "NULL"))
		if next >= len(body) {
			return vals, nulls, nil
		}
		i = next + 1 // past the comma
	}
}

// arrayElement reads the element starting at i: its text, whether it was quoted, and the index
// of the comma after it (len(body) at the end).
func arrayElement(body string, i int) (string, bool, int, bool) {
	for i < len(body) && body[i] == ' ' {
		i++
	}
	var out strings.Builder
	quoted := i < len(body) && body[i] == '"'
	if quoted {
		i++
	}
	for ; i < len(body); i++ {
		ch := body[i]
		switch {
		case ch == '\\' && i+1 < len(body):
			i++
			out.WriteByte(body[i])
		case quoted && ch == '"':
			j := i + 1
			for j < len(body) && body[j] == ' ' {
				j++
			}
			if j < len(body) && body[j] != ',' {
				return "", false, 0, false
			}
			return out.String(), true, j, true
		case !quoted && ch == ',':
			return strings.TrimRight(out.String(), " "), false, i, true
		case !quoted && (ch == '{' || ch == '}' || ch == '"'):
			return "", false, 0, false // nested arrays and stray quotes
		default:
			out.WriteByte(ch)
		}
	}
	if quoted {
		return "", false, 0, false
	}
	v := strings.TrimRight(out.String(), " ")
	if v == "" {
		return "", false, 0, false
	}
	return v, false, len(body), true
}

// arrayAggType is array_agg's type: an array of its argument's (text[] for an untyped one).
// A type with no array here is aggregated as text, as its elements print.
func arrayAggType(args []pgtypes.Type) pgtypes.Type {
	if len(args) > 0 {
		if at, ok := pgtypes.ArrayOf(args[0]); ok {
			return at
		}
	}
	return pgtypes.TextArray
}
