package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// Regular expressions and SIMILAR TO. PostgreSQL's ~ matches anywhere in the text, ~* ignoring
// case; DuckDB's ~ must match the whole text, and its SIMILAR TO reads the pattern as a
// regular expression, not as SQL's pattern (where % and _ are wildcards). The binder notes
// each such operator (noteRegex) and DuckDB's dialect writes them with regexp_matches and
// regexp_full_match. A SIMILAR TO pattern must be a constant, translated here once.

// regexMatch is a noted regular expression operator.
type regexMatch struct {
	e *pg_query.A_Expr
	// similar is the SIMILAR TO pattern as a regular expression ("" for ~ and its kin).
	similar string
	// fold and negate say ~* / !~ and !~*.
	fold, negate bool
}

// noteRegex notes ~, ~*, !~, !~* and SIMILAR TO.
func (b *binder) noteRegex(e *pg_query.A_Expr, op string) error {
	switch e.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		switch op {
		case "~", "~*", "!~", "!~*":
			b.fixes.regexes = append(b.fixes.regexes, regexMatch{e: e, fold: strings.HasSuffix(op, "*"), negate: op[0] == '!'})
		}
	case pg_query.A_Expr_Kind_AEXPR_SIMILAR:
		fc := e.Rexpr.GetFuncCall()
		if fc == nil || len(fc.Args) == 0 || fc.Args[0].GetAConst().GetSval() == nil {
			return sqlerr.New(sqlerr.FeatureNotSupported, "SIMILAR TO needs a constant pattern").WithPosition(b.pos(e.Location))
		}
		escape := `\`
		if len(fc.Args) > 1 {
			s := fc.Args[1].GetAConst().GetSval()
			if s == nil || len([]rune(s.Sval)) > 1 {
				return sqlerr.New(sqlerr.FeatureNotSupported, "SIMILAR TO needs a constant escape character").WithPosition(b.pos(e.Location))
			}
			escape = s.Sval
		}
		b.fixes.regexes = append(b.fixes.regexes, regexMatch{e: e, similar: similarRegex(fc.Args[0].GetAConst().GetSval().Sval, escape), negate: op == "!~"})
	}
	return nil
}

// similarRegex translates a SQL SIMILAR TO pattern into a regular expression matched against
// the whole text: % is any text, _ any character, the escape character makes the next one
// literal, a dot, ^ and $ are literal; | * + ? {m,n} ( ) and brackets keep their meaning.
func similarRegex(pat, escape string) string {
	var out strings.Builder
	rs := []rune(pat)
	esc := []rune(escape)
	inBracket := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case len(esc) == 1 && r == esc[0] && i+1 < len(rs):
			i++
			out.WriteString(regexpQuote(rs[i]))
		case inBracket:
			if r == ']' {
				inBracket = false
			}
			out.WriteRune(r)
		case r == '[':
			inBracket = true
			out.WriteRune(r)
		case r == '%':
			out.WriteString(".*")
		case r == '_':
			out.WriteString(".")
		case strings.ContainsRune(`.^$\`, r):
			out.WriteString(regexpQuote(r))
		default:
			out.WriteRune(r)
		}
	}
	return out.String()
}

// regexpQuote writes r as a literal in a regular expression.
func regexpQuote(r rune) string {
	if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
		return `\` + string(r)
	}
	return string(r)
}

// duckRegex writes a noted operator as DuckDB's regexp_matches (anywhere) or
// regexp_full_match (SIMILAR TO) compared with true, which keeps the operator's NULLs.
func duckRegex(m regexMatch) {
	var call *pg_query.Node
	if m.similar != "" || m.e.Kind == pg_query.A_Expr_Kind_AEXPR_SIMILAR {
		call = makeFunc("regexp_full_match", m.e.Lexpr, pg_query.MakeAConstStrNode(m.similar, -1))
	} else {
		args := []*pg_query.Node{m.e.Lexpr, m.e.Rexpr}
		if m.fold {
			args = append(args, pg_query.MakeAConstStrNode("i", -1))
		}
		call = makeFunc("regexp_matches", args...)
	}
	op := "="
	if m.negate {
		op = "<>"
	}
	m.e.Kind = pg_query.A_Expr_Kind_AEXPR_OP
	m.e.Name = []*pg_query.Node{pg_query.MakeStrNode(op)}
	m.e.Lexpr = call
	m.e.Rexpr = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: true}}, Location: -1}}}
}

// duckInitcap writes initcap(s) for DuckDB, which lacks it: the text is cut into runs of
// letters and digits and runs of anything else, and each run gets its first character upper
// case and the rest lower case, which is PostgreSQL's initcap.
func duckInitcap(fc *pg_query.FuncCall) {
	runs := makeFunc("regexp_extract_all", fc.Args[0], pg_query.MakeAConstStrNode(`[\pL\pN]+|[^\pL\pN]+`, -1))
	w := func() *pg_query.Node {
		return pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode("w")}, -1)
	}
	first := &pg_query.Node{Node: &pg_query.Node_AIndirection{AIndirection: &pg_query.A_Indirection{Arg: w(),
		Indirection: []*pg_query.Node{{Node: &pg_query.Node_AIndices{AIndices: &pg_query.A_Indices{Uidx: pg_query.MakeAConstIntNode(1, -1)}}}}}}}
	rest := &pg_query.Node{Node: &pg_query.Node_AIndirection{AIndirection: &pg_query.A_Indirection{Arg: w(),
		Indirection: []*pg_query.Node{{Node: &pg_query.Node_AIndices{AIndices: &pg_query.A_Indices{IsSlice: true, Lidx: pg_query.MakeAConstIntNode(2, -1)}}}}}}}
	word := makeOp("||", makeFunc("upper", first), makeFunc("lower", rest))
	lambda := makeOp("->", w(), word)
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("array_to_string")}
	fc.Args = []*pg_query.Node{makeFunc("list_transform", runs, lambda), pg_query.MakeAConstStrNode("", -1)}
}
