package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Parameters ($1, $2, ...) of the extended protocol. A client may declare their types in Parse;
// an undeclared one (OID 0) takes its type from where it stands, as PostgreSQL infers it:
// the other side of a comparison, the left side of IN or BETWEEN, the target of a cast, int8 in
// LIMIT and OFFSET, and text when nothing says otherwise.

// MaxParams is the most parameters one statement may have (PostgreSQL's own limit).
const MaxParams = 65535

// params collects what a statement's parameters are.
type params struct {
	declared []uint32
	types    map[int32]pgtypes.Type
	max      int32
}

// ref is called for every $n: it returns the declared type, or unknown until context says.
func (p *params) ref(pr *pg_query.ParamRef) (pgtypes.Type, error) {
	n := pr.Number
	if n < 1 || n > MaxParams {
		return pgtypes.Type{}, sqlerr.New(sqlerr.UndefinedParameter, "there is no parameter $%d", n).WithPosition(int(pr.Location) + 1)
	}
	p.max = max(p.max, n)
	if int(n) <= len(p.declared) && p.declared[n-1] != 0 {
		t, ok := pgtypes.ByOID(p.declared[n-1])
		if !ok {
			return pgtypes.Type{}, sqlerr.New(sqlerr.FeatureNotSupported, "parameter $%d has type OID %d, which is not supported", n, p.declared[n-1])
		}
		return t, nil
	}
	if t, ok := p.types[n]; ok {
		return t, nil
	}
	return pgtypes.Unknown, nil
}

// infer gives an undeclared parameter the type its context expects.
func (p *params) infer(n *pg_query.Node, t pgtypes.Type) {
	pr := n.GetParamRef()
	if pr == nil || t == pgtypes.Unknown || t.OID == 0 {
		return
	}
	if int(pr.Number) <= len(p.declared) && p.declared[pr.Number-1] != 0 {
		return
	}
	if _, ok := p.types[pr.Number]; !ok {
		p.types[pr.Number] = t
	}
}

// list returns the types of $1..$max; parameters nothing typed are text.
func (p *params) list() []pgtypes.Type {
	n := max(int(p.max), len(p.declared))
	out := make([]pgtypes.Type, n)
	for i := range out {
		t, _ := p.ref(&pg_query.ParamRef{Number: int32(i + 1)})
		if t == pgtypes.Unknown || t.OID == 0 {
			t = pgtypes.Text
		}
		out[i] = t
	}
	return out
}

// inferOperands types the parameters of a comparison, IN list or BETWEEN from the other side
// (for a list, rt is the type its items share).
func (b *binder) inferOperands(e *pg_query.A_Expr, lt, rt pgtypes.Type) {
	b.params.infer(e.Lexpr, rt)
	b.zonedLiteral(e.Lexpr, rt)
	for _, item := range e.Rexpr.GetList().GetItems() {
		b.params.infer(item, lt)
		b.zonedLiteral(item, lt)
	}
	b.params.infer(e.Rexpr, lt)
	b.zonedLiteral(e.Rexpr, lt)
	b.zonedOperands(e, lt, rt)
}

// zonedOperands converts a timestamp or date compared with a timestamptz (=, <, IN, BETWEEN,
// ...) into an instant in the session's TimeZone, as PostgreSQL's implicit cast does; the
// engines would use their own zone, UTC.
func (b *binder) zonedOperands(e *pg_query.A_Expr, lt, rt pgtypes.Type) {
	zone := b.printZone()
	// timestamptz - timestamp (or date) subtracts instants too, the wall side read in the zone.
	if zone == "UTC" || !comparison(e) && !isOperator(e, "-") {
		return
	}
	wall := func(t pgtypes.Type) bool { return t.OID == pgtypes.Timestamp.OID || t.OID == pgtypes.Date.OID }
	instant := func(n *pg_query.Node) *pg_query.Node {
		return &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
			Funcname:   []*pg_query.Node{pg_query.MakeStrNode("timezone")},
			Args:       []*pg_query.Node{pg_query.MakeAConstStrNode(zone, -1), castAs(n, "timestamp")},
			Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
			Location:   -1,
		}}}
	}
	switch {
	case wall(lt) && rt.OID == pgtypes.Timestamptz.OID:
		e.Lexpr = instant(e.Lexpr)
	case lt.OID == pgtypes.Timestamptz.OID && wall(rt) && e.Rexpr.GetList() == nil:
		e.Rexpr = instant(e.Rexpr)
	}
}

// comparison reports whether e compares its operands (rather than computing with them).
func comparison(e *pg_query.A_Expr) bool {
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		switch e.Name[len(e.Name)-1].GetString_().GetSval() {
		case "=", "<>", "!=", "<", ">", "<=", ">=":
			return true
		}
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		return true
	}
	return false
}

// zonedLiteral reads an untyped string compared with a timestamptz as PostgreSQL does: a
// timestamp without an offset is wall-clock time in the session's TimeZone. The engines would
// read it in their own zone, which the gateway pins to UTC.
func (b *binder) zonedLiteral(n *pg_query.Node, t pgtypes.Type) {
	c := n.GetAConst()
	if n == nil || c == nil || c.GetSval() == nil || t.OID != pgtypes.Timestamptz.OID || b.printZone() == "UTC" {
		return
	}
	v := c.GetSval().Sval
	if hasOffset(v) || !strings.ContainsAny(v, "0123456789") {
		return // an instant, or a word such as 'now' or 'infinity'
	}
	// timezone(zone, ts) as a plain call: inside BETWEEN, AT TIME ZONE would not read back.
	n.Node = &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode("timezone")},
		Args:       []*pg_query.Node{pg_query.MakeAConstStrNode(b.printZone(), -1), castAs(pg_query.MakeAConstStrNode(v, -1), "timestamp")},
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:   -1,
	}}
}

// inferArray types an undeclared parameter bound to the array side of ANY or ALL. An earlier
// scalar inference does not hold: PostgreSQL would refuse the statement, and the value is sent
// as the array it stands for.
func (p *params) inferArray(n int32, t pgtypes.Type) {
	if int(n) <= len(p.declared) && p.declared[n-1] != 0 {
		return
	}
	p.types[n] = t
}

// castDeclared writes the type a client declared for a date or time parameter into the
// engine SQL: the engine would otherwise type the value from its context, and a timestamp
// compared with a date column would lose its time of day (PostgreSQL compares the two as
// timestamps).
func (p *params) castDeclared(n *pg_query.Node, t pgtypes.Type) {
	pr := n.GetParamRef()
	if pr.Number < 1 || int(pr.Number) > len(p.declared) || p.declared[pr.Number-1] == 0 {
		return
	}
	switch t.OID {
	case pgtypes.Date.OID, pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
		n.Node = castAs(&pg_query.Node{Node: &pg_query.Node_ParamRef{ParamRef: pr}}, t.Name).Node
	}
}
