package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// The dialect pass. The planner speaks PostgreSQL; an engine that spells some of its meaning
// differently has one rules table (dialect_duckdb.go, dialect_postgres.go). Resolve and expand
// note the places a rule may apply (dialectFixes), because only they know the types that decide
// it; once every dataset is resolved the statement's engine is known, and this pass applies
// that engine's rules to the noted places. The same file holds the engine's spelling of the
// value-size guards (guardDialect, valuesize.go). A new engine adds a file with both and an
// entry in dialects and guardDialects.

// dialectRule is one respelling: it rewrites the noted places it is about.
type dialectRule struct {
	name  string
	apply func(*dialectFixes)
}

// dialects are the rules tables by engine name. An engine not here runs the tree as it is.
var dialects = map[string][]dialectRule{
	"":           duckdbRules, // a statement on no dataset runs on the default engine, DuckDB
	"duckdb":     duckdbRules,
	"postgres":   postgresRules,
	"clickhouse": nil, // respelled over the whole tree: treeDialects
}

// treeDialects are engines whose dialect respells the whole tree after their rules, or refuses
// it (an engine that reads less of PostgreSQL's syntax).
var treeDialects = map[string]func(root *pg_query.Node, f *dialectFixes) error{
	"clickhouse": clickhouseTree,
}

// applyDialect is the dialect pass.
func applyDialect(s *planState) error {
	for _, r := range dialects[s.engine] {
		r.apply(&s.fixes)
	}
	if tree := treeDialects[s.engine]; tree != nil {
		return tree(s.root, &s.fixes)
	}
	return nil
}

// dialectFixes are the places of a statement where engines may differ from PostgreSQL.
type dialectFixes struct {
	// intDivisions are "/" operators between integers, PostgreSQL's integer division.
	intDivisions []*pg_query.A_Expr
	// formats are to_char, to_timestamp and to_date calls with a format.
	formats []*pg_query.FuncCall
	// likeEscapes are LIKE ... ESCAPE expressions (see noteLikeEscape).
	likeEscapes []*pg_query.Node
	// literalCasts are casts of literals whose reading depends on the engine (see noteCast).
	literalCasts []*pg_query.TypeCast
	// derivedDivisions are the divisions of expanded derived metrics (see
	// noteDerivedDivisions).
	derivedDivisions []derivedDivision
	// rounds are round(double, n) calls (see noteCall).
	rounds []*pg_query.FuncCall
}

// derivedDivision is a "/" of a derived metric's formula and the type its quotient has.
type derivedDivision struct {
	expr *pg_query.A_Expr
	typ  pgtypes.Type
}

// noteCall notes the calls whose spelling differs between engines, or rejects a form no
// engine gets.
func (b *binder) noteCall(fc *pg_query.FuncCall, name string, args []pgtypes.Type) error {
	switch name {
	case "to_char":
		return b.noteToChar(fc, args)
	case "to_timestamp", "to_date":
		return b.noteParse(fc, name, args)
	case "round":
		if len(args) == 2 && (args[0].OID == pgtypes.Float8.OID || args[0].OID == pgtypes.Float4.OID) {
			b.fixes.rounds = append(b.fixes.rounds, fc)
		}
	}
	return nil
}

// noteToChar notes a to_char call, or rejects a form no engine gets.
func (b *binder) noteToChar(fc *pg_query.FuncCall, args []pgtypes.Type) error {
	if len(args) != 2 {
		return sqlerr.New(sqlerr.UndefinedFunction, "to_char takes a value and a format").WithPosition(b.pos(fc.Location))
	}
	switch args[0].OID {
	case pgtypes.Date.OID, pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char formats dates and times only; cast numbers to text").WithPosition(b.pos(fc.Location))
	}
	if fc.Args[1].GetAConst().GetSval() == nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char needs a constant format").WithPosition(b.pos(fc.Location))
	}
	b.fixes.formats = append(b.fixes.formats, fc)
	return nil
}

// noteParse notes to_timestamp(text, format) and to_date(text, format). to_timestamp(epoch
// seconds) is the same function in every dialect.
func (b *binder) noteParse(fc *pg_query.FuncCall, name string, args []pgtypes.Type) error {
	if len(args) == 1 && name == "to_timestamp" {
		return nil
	}
	if len(args) != 2 || fc.Args[1].GetAConst().GetSval() == nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "%s needs a text value and a constant format", name).WithPosition(b.pos(fc.Location))
	}
	b.fixes.formats = append(b.fixes.formats, fc)
	return nil
}

// noteLikeEscape notes `x LIKE p ESCAPE e`, which the parser keeps as
// `x LIKE pg_catalog.like_escape(p, e)`.
func (f *dialectFixes) noteLikeEscape(n *pg_query.Node, e *pg_query.A_Expr) {
	fc := e.Rexpr.GetFuncCall()
	if fc == nil || len(fc.Args) != 2 {
		return
	}
	if _, name := funcName(fc); name == "like_escape" {
		f.likeEscapes = append(f.likeEscapes, n)
	}
}

// noteCast notes casts whose literal engines read differently: '\xdead'::bytea, and an
// unconstrained numeric cast of a numeric literal.
func (f *dialectFixes) noteCast(tc *pg_query.TypeCast, t pgtypes.Type) {
	lit := tc.Arg.GetAConst()
	if lit == nil {
		return
	}
	switch {
	case t.OID == pgtypes.Bytea.OID && strings.HasPrefix(lit.GetSval().GetSval(), `\x`):
		f.literalCasts = append(f.literalCasts, tc)
	case t.OID == pgtypes.Numeric.OID && len(tc.TypeName.GetTypmods()) == 0 && (lit.GetFval() != nil || lit.GetIval() != nil):
		f.literalCasts = append(f.literalCasts, tc)
	}
}

// noteDerivedDivisions notes the divisions of an expanded derived metric with a fractional
// return type.
func (f *dialectFixes) noteDerivedDivisions(m *catalog.Metric, val *pg_query.Node) {
	t := catalogType(m.ReturnType)
	if t.OID != pgtypes.Float8.OID && t.OID != pgtypes.Numeric.OID {
		// An integer metric asks for integer division, which PostgreSQL does already.
		return
	}
	sqlast.Walk(val, func(n *pg_query.Node) bool {
		if e := n.GetAExpr(); e != nil && isOperator(e, "/") {
			f.derivedDivisions = append(f.derivedDivisions, derivedDivision{expr: e, typ: t})
		}
		return true
	})
}
