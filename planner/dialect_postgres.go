package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/setupranali/setupranali/pgtypes"
)

// The PostgreSQL dialect. The planner speaks PostgreSQL, so a postgres source needs none of
// DuckDB's rewrites (integer division, strftime, like_escape, literal casts): its engine SQL is
// the client's SQL with the semantic passes applied. What remains are the places where the
// gateway's meaning is broader than PostgreSQL's own:
//
//   - A derived metric is a ratio of aggregates: "x / y" is a true division on every engine
//     (DuckDB's "/" always is). PostgreSQL divides two integers (count / count) to an integer,
//     so the dividend is cast to the metric's return type first.
//   - to_timestamp(text, format) reads the text in the client's session zone, not the source
//     connection's.
//   - round(x, n) of a double is numeric in the gateway (as DuckDB computes it); PostgreSQL
//     has round(numeric, int) only, so x is cast to numeric.

// postgresRules is PostgreSQL's rules table (see dialect.go).
var postgresRules = []dialectRule{
	{"true division in derived metrics", func(f *dialectFixes) {
		for _, d := range f.derivedDivisions {
			d.expr.Lexpr = castTo(d.expr.Lexpr, d.typ)
		}
	}},
	{"to_timestamp in the session's zone", func(f *dialectFixes) {
		for _, z := range f.zonedParses {
			// The source parses in its own connection's zone; the wall-clock time read back
			// in that zone is the text's, which is then read in the client's.
			inner := &pg_query.FuncCall{Funcname: z.fc.Funcname, Args: z.fc.Args, Funcformat: z.fc.Funcformat, Location: -1}
			wall := makeCast(&pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: inner}}, "timestamp")
			wrapped := atTimeZone(wall, z.zone).GetFuncCall()
			z.fc.Funcname, z.fc.Args, z.fc.Funcformat = wrapped.Funcname, wrapped.Args, wrapped.Funcformat
		}
	}},
	{"round of a double", func(f *dialectFixes) {
		for _, fc := range f.rounds {
			fc.Args[0] = castTo(fc.Args[0], pgtypes.Numeric)
		}
	}},
}

// castTo is CAST(x AS t) for the numeric types the dialect needs.
func castTo(x *pg_query.Node, t pgtypes.Type) *pg_query.Node {
	name := "numeric"
	if t.OID == pgtypes.Float8.OID {
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

// postgresGuards spell the value-size guards (valuesize.go) in PostgreSQL, which has no error
// function outside PL/pgSQL, and sources are read through read-only
// transactions that cannot create one; an integer cast of the marker text raises 22P02 with
// that text, which engine/postgres maps back. The text always depends on the values being
// sized, so PostgreSQL's constant folding cannot raise it while planning a branch that is
// not taken.
var postgresGuards = guardDialect{
	bytes:      func(a string) string { return "CAST(octet_length(CAST(" + a + " AS text)) AS bigint)" },
	raise:      func(msg, typ string) string { return "CAST(CAST(" + msg + " AS integer) AS " + typ + ")" },
	countType:  "integer",
	lengthType: "integer",
	textType:   "text",
}
