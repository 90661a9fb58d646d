package planner

import (
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// width_bucket(x, low, high, count), the histogram bucket of x (Superset), which DuckDB lacks.
// Its bounds and count must be constants, so the binder can refuse what PostgreSQL refuses
// (count <= 0, equal bounds) and the dialect knows the buckets' direction. DuckDB gets
// PostgreSQL's own arithmetic: for doubles count * ((x - low) / (high - low)), truncated and
// capped at count; for integers and numerics the exact quotient (x - low) * count /
// (high - low), floored. Below the range is 0, at or past its end count + 1.

// widthBucket is a noted width_bucket call.
type widthBucket struct {
	n *pg_query.Node
	// float says a double argument: PostgreSQL's float8 form.
	float bool
	// descending says low > high.
	descending bool
}

// constNumber reads a numeric constant, possibly cast.
func constNumber(n *pg_query.Node) (float64, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.Arg
	}
	c := n.GetAConst()
	switch {
	case c == nil:
		return 0, false
	case c.GetIval() != nil:
		return float64(c.GetIval().Ival), true
	case c.GetFval() != nil:
		f, err := strconv.ParseFloat(c.GetFval().Fval, 64)
		return f, err == nil
	}
	return 0, false
}

// noteWidthBucket checks a width_bucket call and notes it.
func (b *binder) noteWidthBucket(n *pg_query.Node, fc *pg_query.FuncCall, args []pgtypes.Type) error {
	pos := b.pos(fc.Location)
	if len(args) != 4 {
		return sqlerr.New(sqlerr.UndefinedFunction, "width_bucket takes a value, two bounds and a count").WithPosition(pos)
	}
	for _, t := range args {
		if t != pgtypes.Unknown && !pgtypes.IsNumeric(t) {
			return sqlerr.New(sqlerr.UndefinedFunction, "width_bucket takes numbers, not %s", t.Name).WithPosition(pos)
		}
	}
	low, ok1 := constNumber(fc.Args[1])
	high, ok2 := constNumber(fc.Args[2])
	count, ok3 := constNumber(fc.Args[3])
	if !ok1 || !ok2 || !ok3 || count != float64(int32(count)) {
		return sqlerr.New(sqlerr.FeatureNotSupported, "width_bucket needs constant bounds and a constant integer count").WithPosition(pos)
	}
	switch {
	case count <= 0:
		return sqlerr.New(sqlerr.InvalidArgumentForWidthBucket, "count must be greater than zero").WithPosition(pos)
	case low == high:
		return sqlerr.New(sqlerr.InvalidArgumentForWidthBucket, "lower bound cannot equal upper bound").WithPosition(pos)
	}
	float := false
	for _, t := range args[:3] {
		float = float || t.OID == pgtypes.Float8.OID || t.OID == pgtypes.Float4.OID
	}
	b.fixes.widthBuckets = append(b.fixes.widthBuckets, widthBucket{n: n, float: float, descending: low > high})
	return nil
}

// duckWidthBucket writes a noted width_bucket call as a CASE.
func duckWidthBucket(w widthBucket) {
	fc := w.n.GetFuncCall()
	x, low, high, count := fc.Args[0], fc.Args[1], fc.Args[2], fc.Args[3]
	c := cloneNode
	below, above := "<", ">="
	from, span := makeOp("-", c(x), c(low)), makeOp("-", c(high), c(low))
	if w.descending {
		below, above = ">", "<="
		from, span = makeOp("-", c(low), c(x)), makeOp("-", c(low), c(high))
	}
	var inside *pg_query.Node
	if w.float {
		k := makeFunc("trunc", makeOp("*", c(count), makeOp("/", from, span)))
		inside = makeFunc("least", makeCast(k, "int4"), makeOp("-", c(count), pg_query.MakeAConstIntNode(1, -1)))
	} else {
		inside = makeCast(makeFunc("floor", makeOp("/", makeOp("*", from, c(count)), span)), "int4")
	}
	when := func(cond, val *pg_query.Node) *pg_query.Node { return pg_query.MakeCaseWhenNode(cond, val, -1) }
	// A NULL x is NULL: first, since least() below would skip it.
	isNull := &pg_query.Node{Node: &pg_query.Node_NullTest{NullTest: &pg_query.NullTest{Arg: c(x), Nulltesttype: pg_query.NullTestType_IS_NULL, Location: -1}}}
	null := makeCast(&pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}, "int4")
	w.n.Node = pg_query.MakeCaseExprNode(nil, []*pg_query.Node{
		when(isNull, null),
		when(makeOp(below, x, low), pg_query.MakeAConstIntNode(0, -1)),
		when(makeOp(above, c(x), high), makeOp("+", count, pg_query.MakeAConstIntNode(1, -1))),
	}, -1).Node
	w.n.GetCaseExpr().Defresult = makeOp("+", inside, pg_query.MakeAConstIntNode(1, -1))
}
