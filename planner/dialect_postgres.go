package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
)

// The PostgreSQL dialect. The planner speaks PostgreSQL, so a postgres source needs none of
// DuckDB's rewrites (integer division, strftime, like_escape, literal casts): its engine SQL is
// the client's SQL with the semantic passes applied. What remains are the places where the
// gateway's meaning is broader than PostgreSQL's own:
//
//   - A derived metric is a ratio of aggregates: "x / y" is a true division on every engine
//     (DuckDB's "/" always is). PostgreSQL divides two integers (count / count) to an integer,
//     so the dividend is cast to the metric's return type first.
//   - round(x, n) of a double is numeric in the gateway (as DuckDB computes it); PostgreSQL
//     has round(numeric, int) only, so x is cast to numeric.

// pgDialect collects, while binding, the nodes the PostgreSQL dialect rewrites.
type pgDialect struct {
	divisions []derivedDivision
	rounds    []*pg_query.FuncCall
}

// derivedDivision is a "/" of a derived metric's formula and the type its quotient has.
type derivedDivision struct {
	expr *pg_query.A_Expr
	typ  Type
}

// noteDerivedDivisions records the divisions of an expanded derived metric.
func (b *binder) noteDerivedDivisions(m *catalog.Metric, val *pg_query.Node) {
	t := catalogType(m.ReturnType)
	if t.OID != TypeFloat8.OID && t.OID != TypeNumeric.OID {
		// An integer metric asks for integer division, which PostgreSQL does already.
		return
	}
	sqlast.Walk(val, func(n *pg_query.Node) bool {
		if e := n.GetAExpr(); e != nil && isOperator(e, "/") {
			b.pg.divisions = append(b.pg.divisions, derivedDivision{expr: e, typ: t})
		}
		return true
	})
}

// noteRound records round(double, n).
func (b *binder) noteRound(fc *pg_query.FuncCall, args []Type) {
	if len(args) == 2 && (args[0].OID == TypeFloat8.OID || args[0].OID == TypeFloat4.OID) {
		b.pg.rounds = append(b.pg.rounds, fc)
	}
}

// finishPostgres applies the PostgreSQL rewrites once the statement is bound.
func (b *binder) finishPostgres() {
	for _, d := range b.pg.divisions {
		d.expr.Lexpr = castTo(d.expr.Lexpr, d.typ)
	}
	for _, fc := range b.pg.rounds {
		fc.Args[0] = castTo(fc.Args[0], TypeNumeric)
	}
}

// castTo is CAST(x AS t) for the numeric types the dialect needs.
func castTo(x *pg_query.Node, t Type) *pg_query.Node {
	name := "numeric"
	if t.OID == TypeFloat8.OID {
		name = "float8"
	}
	return &pg_query.Node{Node: &pg_query.Node_TypeCast{TypeCast: &pg_query.TypeCast{
		Arg: x,
		TypeName: &pg_query.TypeName{
			Names:    []*pg_query.Node{pg_query.MakeStrNode("pg_catalog"), pg_query.MakeStrNode(name)},
			Typemod:  -1,
			Location: -1,
		},
		Location: -1,
	}}}
}
