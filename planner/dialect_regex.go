package planner

import (
	"regexp/syntax"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// regexp_match(string, pattern [, flags]): PostgreSQL's text[] of the first match's capture
// groups (the whole match when the pattern has none), NULL when nothing matches. A PostgreSQL
// source runs it as written. DuckDB has no such function: its regexp_extract gives one group
// of the first match, so the call becomes
//
//	CASE WHEN regexp_matches(s, p) THEN list_value(regexp_extract(s, p, 1), ...) END
//
// DuckDB's RE2 and PostgreSQL's advanced regular expressions agree only on part of the
// syntax, so the pattern must be a constant the binder checks, on every engine: it refuses
// what reads differently (alternation, where PostgreSQL prefers the longest match and RE2 the
// first; non-greedy quantifiers; \b, which is a backspace to PostgreSQL; class escapes and
// POSIX classes, which are ASCII to RE2 and the locale's to PostgreSQL; (?...) groups other
// than (?:) and a capture that may not take part in a match, which regexp_extract prints as
// an empty string where PostgreSQL has NULL). Flags: none, i (case-insensitive) or c.
// PostgreSQL's dot matches a newline, RE2's only with (?s), which the translation adds.

// regexpMatchCall is a noted regexp_match call with its checked pattern.
type regexpMatchCall struct {
	n *pg_query.Node
	// pattern is the pattern as DuckDB reads it (flags written in front); groups the number
	// of capture groups.
	pattern string
	groups  int
}

// regexEscapes are the escapes that mean the same to RE2 and to PostgreSQL.
const regexEscapes = "ntrfA"

// noteRegexpMatch checks a regexp_match call and notes it for the dialect pass.
func (b *binder) noteRegexpMatch(n *pg_query.Node, fc *pg_query.FuncCall, args []pgtypes.Type) error {
	refuse := func(format string, a ...any) error {
		return sqlerr.New(sqlerr.FeatureNotSupported, "regexp_match: "+format, a...).
			WithHint("the gateway answers regexp_match with a constant pattern in the syntax PostgreSQL and RE2 read alike: no |, no lazy quantifiers, [0-9] rather than \\d or [[:digit:]], captures that always take part").
			WithPosition(b.pos(fc.Location))
	}
	if len(args) < 2 || len(args) > 3 {
		return sqlerr.New(sqlerr.UndefinedFunction, "regexp_match takes a text, a pattern and optional flags").WithPosition(b.pos(fc.Location))
	}
	pat := fc.Args[1].GetAConst().GetSval()
	if pat == nil {
		return refuse("the pattern must be a constant")
	}
	flags := ""
	if len(args) == 3 {
		f := fc.Args[2].GetAConst().GetSval()
		if f == nil {
			return refuse("the flags must be a constant")
		}
		flags = f.Sval
	}
	prefix := "(?s)"
	for _, c := range flags {
		switch c {
		case 'i':
			prefix = "(?si)"
		case 'c':
			prefix = "(?s)"
		case 'g':
			return sqlerr.New(sqlerr.InvalidParameterValue, "regexp_match does not support the \"global\" option").
				WithHint("use the regexp_matches function instead").WithPosition(b.pos(fc.Location))
		default:
			return refuse("flag %q is not supported", string(c))
		}
	}
	if bad := regexSyntaxGap(pat.Sval); bad != "" {
		return refuse("pattern %s is not supported", bad)
	}
	re, err := syntax.Parse(pat.Sval, syntax.Perl)
	if err != nil {
		return refuse("the pattern does not read the same on every engine")
	}
	if bad := regexTreeGap(re, false); bad != "" {
		return refuse("%s", bad)
	}
	b.fixes.regexpMatches = append(b.fixes.regexpMatches, regexpMatchCall{n: n, pattern: prefix + pat.Sval, groups: re.MaxCap()})
	return nil
}

// regexSyntaxGap finds text of a pattern the two engines read differently, before parsing.
func regexSyntaxGap(p string) string {
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			c := p[i+1]
			if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') && !strings.ContainsRune(regexEscapes, rune(c)) {
				return p[i : i+2]
			}
			i++
		case strings.HasPrefix(p[i:], "[:"), strings.HasPrefix(p[i:], "[."), strings.HasPrefix(p[i:], "[="):
			return p[i : i+2]
		case strings.HasPrefix(p[i:], "(?") && !strings.HasPrefix(p[i:], "(?:"):
			return p[i : i+2]
		}
	}
	return ""
}

// regexTreeGap finds a construct of a parsed pattern that matches differently, or a capture
// that may not take part in a match (optional: under ?, * or a repeat from zero).
func regexTreeGap(re *syntax.Regexp, optional bool) string {
	switch re.Op {
	case syntax.OpAlternate:
		return "alternation (|) is not supported"
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return `\b and \B are not supported`
	case syntax.OpCapture:
		if optional {
			return "a capture group that may not take part in the match is not supported"
		}
	case syntax.OpStar, syntax.OpQuest, syntax.OpPlus, syntax.OpRepeat:
		if re.Flags&syntax.NonGreedy != 0 {
			return "non-greedy quantifiers are not supported"
		}
		if re.Op != syntax.OpPlus && (re.Op != syntax.OpRepeat || re.Min == 0) {
			optional = true
		}
	}
	for _, sub := range re.Sub {
		if bad := regexTreeGap(sub, optional); bad != "" {
			return bad
		}
	}
	return ""
}

// duckRegexpMatch writes a noted regexp_match call for DuckDB.
func duckRegexpMatch(m regexpMatchCall, created func(*pg_query.Node)) {
	fc := m.n.GetFuncCall()
	s := fc.Args[0]
	pat := func() *pg_query.Node { return pg_query.MakeAConstStrNode(m.pattern, -1) }
	var items []*pg_query.Node
	for g := 1; g <= m.groups || g == 1 && m.groups == 0; g++ {
		group := g
		if m.groups == 0 {
			group = 0
		}
		arg := cloneNode(s)
		created(arg)
		items = append(items, makeFunc("regexp_extract", arg, pat(), pg_query.MakeAConstIntNode(int64(group), -1)))
	}
	list := makeFunc("list_value", items...)
	cond := makeOp("=", makeFunc("regexp_matches", s, pat()), &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Boolval{Boolval: &pg_query.Boolean{Boolval: true}}, Location: -1}}})
	m.n.Node = &pg_query.Node_CaseExpr{CaseExpr: &pg_query.CaseExpr{
		Args:     []*pg_query.Node{{Node: &pg_query.Node_CaseWhen{CaseWhen: &pg_query.CaseWhen{Expr: cond, Result: list, Location: -1}}}},
		Location: -1,
	}}
}
