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
	"mysql":      mysqlRules,
	"clickhouse": nil, // respelled over the whole tree: treeDialects
}

// treeDialects are engines whose dialect respells the whole tree after their rules, or refuses
// it (an engine that reads less of PostgreSQL's syntax).
var treeDialects = map[string]func(root *pg_query.Node, f *dialectFixes) error{
	"clickhouse": clickhouseTree,
}

// applyDialect is the dialect pass.
func applyDialect(s *planState) error {
	s.fixes.created = s.bindCreated
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
	// formats are to_timestamp and to_date calls with a format.
	formats []*pg_query.FuncCall
	// zonedParses are the to_timestamp(text, format) calls of formats, with the zone their
	// wall-clock reading is in.
	zonedParses []zonedParse
	// toChars are to_char calls of a time with a constant format.
	toChars []*pg_query.Node
	// likeEscapes are LIKE ... ESCAPE expressions (see noteLikeEscape).
	likeEscapes []*pg_query.Node
	// literalCasts are casts of literals whose reading depends on the engine (see noteCast).
	literalCasts []*pg_query.TypeCast
	// derivedDivisions are the divisions of expanded derived metrics (see
	// noteDerivedDivisions).
	derivedDivisions []derivedDivision
	// rounds are round(double, n) calls (see noteCall).
	rounds []*pg_query.FuncCall
	// numericCasts are unconstrained numeric casts of numbers (see noteNumericCast).
	numericCasts []numericCast
	// created records the column references a rule writes (copies of bound ones, a lambda's
	// parameter) as bound, so the prune pass still prunes (bindCreated).
	created func(*pg_query.Node)
	// textTimes are casts of text to a date or time stamp (see noteCast).
	textTimes []*pg_query.TypeCast
	// floatTexts are the places where a number becomes text and PostgreSQL prints a whole
	// float without a fraction (see noteFloatText).
	floatTexts []floatText
	// regexes are ~, ~*, !~, !~* and SIMILAR TO (see noteRegex).
	regexes []regexMatch
	// formatCalls are format() calls (see noteFormat).
	formatCalls []formatCall
	// justifyDays are justify_days calls (see duckJustifyDays).
	justifyDays []*pg_query.Node
	// widthBuckets are width_bucket calls (see noteWidthBucket).
	widthBuckets []widthBucket
	// dateParts are extract and date_part calls of seconds, milliseconds and the epoch.
	dateParts []datePart
	// centuryTruncs are date_trunc calls to a century or millennium (see canonicalUnit).
	centuryTruncs []*pg_query.FuncCall
	// initcaps and btrims are calls of functions DuckDB names or lacks (see noteCall).
	initcaps, btrims []*pg_query.FuncCall
	// regexpMatches are regexp_match calls (see dialect_regex.go).
	regexpMatches []regexpMatchCall
}

// derivedDivision is a "/" of a derived metric's formula and the type its quotient has.
type derivedDivision struct {
	expr *pg_query.A_Expr
	typ  pgtypes.Type
}

// noteCall notes the calls whose spelling differs between engines, or rejects a form no
// engine gets.
func (b *binder) noteCall(n *pg_query.Node, fc *pg_query.FuncCall, name string, args []pgtypes.Type) error {
	switch name {
	case "to_char":
		return b.noteToChar(n, fc, args)
	case "to_timestamp", "to_date":
		return b.noteParse(fc, name, args)
	case "format":
		return b.noteFormat(n, fc, args)
	case "justify_days":
		b.fixes.justifyDays = append(b.fixes.justifyDays, n)
	case "width_bucket":
		return b.noteWidthBucket(n, fc, args)
	case "initcap":
		b.fixes.initcaps = append(b.fixes.initcaps, fc)
	case "regexp_match":
		return b.noteRegexpMatch(n, fc, args)
	case "btrim":
		b.fixes.btrims = append(b.fixes.btrims, fc)
	case "round":
		if len(args) == 2 && (args[0].OID == pgtypes.Float8.OID || args[0].OID == pgtypes.Float4.OID) {
			b.fixes.rounds = append(b.fixes.rounds, fc)
		}
	}
	return nil
}

// noteToChar notes a to_char call, or rejects a form no engine gets.
func (b *binder) noteToChar(n *pg_query.Node, fc *pg_query.FuncCall, args []pgtypes.Type) error {
	if len(args) != 2 {
		return sqlerr.New(sqlerr.UndefinedFunction, "to_char takes a value and a format").WithPosition(b.pos(fc.Location))
	}
	switch args[0].OID {
	case pgtypes.Date.OID, pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char formats dates and times only; cast numbers to text").WithPosition(b.pos(fc.Location))
	}
	format := fc.Args[1].GetAConst().GetSval()
	if format == nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char needs a constant format").WithPosition(b.pos(fc.Location))
	}
	zoned, zone := toCharZoneFormat(format.Sval, args[0].OID != pgtypes.Timestamp.OID, b.printZone())
	if zone != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char zone patterns (TZ, OF) are not supported in time zone %s", zone).
			WithHint(`set TimeZone to UTC or a fixed zone such as Etc/GMT-5, or cast the value to timestamp`).WithPosition(b.pos(fc.Location))
	}
	format.Sval = zoned
	if zone := b.printZone(); args[0].OID == pgtypes.Timestamptz.OID && !strings.EqualFold(zone, "UTC") {
		// PostgreSQL formats an instant as the session zone's wall clock; the engines run in
		// UTC, so the value is turned into that wall-clock time first.
		fc.Args[0] = atTimeZone(fc.Args[0], zone)
	}
	if _, bad := toCharPieces(format.Sval); bad != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char pattern %s is not supported", bad).
			WithHint(`put literal text in double quotes; the README lists the patterns`).WithPosition(b.pos(fc.Location))
	}
	b.fixes.toChars = append(b.fixes.toChars, n)
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
	// strptime reads the patterns strftime writes; a pattern only an expression writes
	// (Q, D) or none (WW, CC, ...) cannot be read back.
	pieces, bad := toCharPieces(fc.Args[1].GetAConst().GetSval().Sval)
	for _, p := range pieces {
		if p.field != nil && p.field.expr != nil && bad == "" {
			bad = p.field.pg
		}
	}
	if bad != "" {
		return sqlerr.New(sqlerr.FeatureNotSupported, "%s pattern %s is not supported", name, bad).WithPosition(b.pos(fc.Location))
	}
	b.fixes.formats = append(b.fixes.formats, fc)
	if name == "to_timestamp" {
		// PostgreSQL reads the wall-clock time in the session's zone.
		zone := b.sess.TimeZone
		if zone == "" {
			zone = "UTC"
		}
		b.fixes.zonedParses = append(b.fixes.zonedParses, zonedParse{fc: fc, zone: zone})
	}
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
func (f *dialectFixes) noteCast(tc *pg_query.TypeCast, from, t pgtypes.Type) {
	isText := from == pgtypes.Unknown || from.OID == pgtypes.Text.OID || from.OID == pgtypes.Varchar.OID
	switch t.OID {
	case pgtypes.Date.OID, pgtypes.Timestamp.OID, pgtypes.Timestamptz.OID:
		if isText {
			f.textTimes = append(f.textTimes, tc)
		}
	case pgtypes.Text.OID, pgtypes.Varchar.OID:
		f.noteFloatText(&tc.Arg, from)
	}
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

// noteNumericCast notes an unconstrained numeric cast of a metric's value inside its aggregate
// (sum(cast(m AS decimal)), Power BI's idiom for every measure): PostgreSQL keeps an integer's
// digits and a double's 15 significant digits (float8 to numeric), where an engine may fix a
// scale. Only there: the value is the aggregate's answer, not an operand of round(x, n),
// whose numeric scale the engine's decimal keeps.
func (f *dialectFixes) noteNumericCast(tc *pg_query.TypeCast, from, t pgtypes.Type) {
	if t.OID != pgtypes.Numeric.OID || len(tc.TypeName.GetTypmods()) != 0 {
		return
	}
	switch {
	case pgtypes.IsInteger(from):
		f.numericCasts = append(f.numericCasts, numericCast{tc: tc})
	case from.OID == pgtypes.Float8.OID || from.OID == pgtypes.Float4.OID:
		f.numericCasts = append(f.numericCasts, numericCast{tc: tc, float: true})
	}
}

// numericCast is a noted numeric cast of an integer or (float) a double.
type numericCast struct {
	tc    *pg_query.TypeCast
	float bool
}

// noteFloatText notes a number that becomes text (a cast to text, an operand of ||) where
// PostgreSQL prints a whole value without a fraction and an engine may not: a float (500, not
// 500.0), or a numeric expression whose value is whole (floor, ceil, round and trunc to an
// integer, and sums and products of those), which an engine may compute as a double.
func (f *dialectFixes) noteFloatText(x **pg_query.Node, t pgtypes.Type) {
	float := t.OID == pgtypes.Float8.OID || t.OID == pgtypes.Float4.OID
	if float || t.OID == pgtypes.Numeric.OID && wholeNumber(*x) {
		f.floatTexts = append(f.floatTexts, floatText{x: x, float: float})
	}
}

// floatText is a noted place where a number becomes text; float says PostgreSQL prints it as
// a float (exponential from 1e15), else as a numeric (positional).
type floatText struct {
	x     **pg_query.Node
	float bool
}

// noteConcat notes the number operands of a || b (see noteFloatText).
func (f *dialectFixes) noteConcat(e *pg_query.A_Expr, lt, rt pgtypes.Type) {
	if e.Lexpr != nil {
		f.noteFloatText(&e.Lexpr, lt)
	}
	f.noteFloatText(&e.Rexpr, rt)
}

// wholeNumber reports whether an expression's value is always a whole number in PostgreSQL.
func wholeNumber(n *pg_query.Node) bool {
	switch {
	case n.GetAConst() != nil:
		return n.GetAConst().GetIval() != nil
	case n.GetFuncCall() != nil:
		fc := n.GetFuncCall()
		_, name := funcName(fc)
		switch name {
		case "floor", "ceil", "ceiling":
			return true
		case "round", "trunc":
			return len(fc.Args) == 1
		}
	case n.GetAExpr() != nil:
		e := n.GetAExpr()
		return e.Kind == pg_query.A_Expr_Kind_AEXPR_OP && e.Lexpr != nil &&
			(isOperator(e, "+") || isOperator(e, "-") || isOperator(e, "*")) && wholeNumber(e.Lexpr) && wholeNumber(e.Rexpr)
	case n.GetTypeCast() != nil:
		t, _, ok := typeFromName(n.GetTypeCast().TypeName)
		return ok && pgtypes.IsInteger(t)
	}
	return false
}

// markCreated records the column references of a rewritten expression as bound.
func (f *dialectFixes) markCreated(n *pg_query.Node) {
	if f.created != nil {
		f.created(n)
	}
}

// zonedParse is a to_timestamp(text, format) call and the session's zone.
type zonedParse struct {
	fc   *pg_query.FuncCall
	zone string
}
