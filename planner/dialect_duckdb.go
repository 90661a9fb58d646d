package planner

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// The DuckDB dialect: where the embedded DuckDB spells PostgreSQL's meaning differently.

// duckdbRules is DuckDB's rules table (see dialect.go).
var duckdbRules = []dialectRule{
	{"integer division", func(f *dialectFixes) {
		for _, e := range f.intDivisions {
			// DuckDB's "/" always yields a fraction; "//" is its integer division, which
			// truncates toward zero like PostgreSQL's int / int.
			e.Name = []*pg_query.Node{pg_query.MakeStrNode("//")}
		}
	}},
	{"to_char and to_timestamp formats", func(f *dialectFixes) {
		for _, n := range f.toChars {
			duckToCharCall(n)
			f.markCreated(n)
		}
		for _, fc := range f.formats {
			duckToChar(fc)
		}
		for _, z := range f.zonedParses {
			// strptime gives a wall-clock timestamp; to_timestamp is that time in the zone.
			inner := &pg_query.FuncCall{Funcname: z.fc.Funcname, Args: z.fc.Args, Funcformat: z.fc.Funcformat, Location: -1}
			wrapped := atTimeZone(&pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: inner}}, z.zone).GetFuncCall()
			z.fc.Funcname, z.fc.Args, z.fc.Funcformat = wrapped.Funcname, wrapped.Args, wrapped.Funcformat
		}
	}},
	{"LIKE ... ESCAPE", func(f *dialectFixes) {
		for _, n := range f.likeEscapes {
			duckLikeEscape(n)
		}
	}},
	{"literal casts", func(f *dialectFixes) {
		for _, tc := range f.literalCasts {
			duckCast(tc)
		}
	}},
	{"numeric casts of numbers", func(f *dialectFixes) {
		for _, c := range f.numericCasts {
			duckNumericCast(c)
		}
	}},
	{"text to date and time", func(f *dialectFixes) {
		for _, tc := range f.textTimes {
			duckTextTime(tc)
		}
	}},
	{"regular expressions and SIMILAR TO", func(f *dialectFixes) {
		for _, m := range f.regexes {
			duckRegex(m)
		}
	}},
	{"format", func(f *dialectFixes) {
		for _, fc := range f.formatCalls {
			duckFormat(fc)
		}
	}},
	{"justify_days", func(f *dialectFixes) {
		for _, n := range f.justifyDays {
			duckJustifyDays(n)
			f.markCreated(n)
		}
	}},
	{"regexp_match", func(f *dialectFixes) {
		for _, m := range f.regexpMatches {
			duckRegexpMatch(m, f.markCreated)
		}
	}},
	{"width_bucket", func(f *dialectFixes) {
		for _, w := range f.widthBuckets {
			duckWidthBucket(w)
			f.markCreated(w.n)
		}
	}},
	{"fractional seconds and the epoch", func(f *dialectFixes) {
		for _, d := range f.dateParts {
			duckDatePart(d)
		}
	}},
	{"centuries and millennia", func(f *dialectFixes) {
		for _, fc := range f.centuryTruncs {
			duckCenturyTrunc(fc)
		}
	}},
	{"initcap and btrim", func(f *dialectFixes) {
		for _, fc := range f.initcaps {
			duckInitcap(fc)
			f.markCreated(&pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: fc}})
		}
		for _, fc := range f.btrims {
			// btrim(s [, chars]) is DuckDB's trim(s [, chars]).
			fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("trim")}
		}
	}},
	{"whole floats as text", func(f *dialectFixes) {
		for _, ft := range f.floatTexts {
			*ft.x = duckFloatText(*ft.x, ft.float)
		}
	}},
}

// compactDate is PostgreSQL's YYYYMMDD date input, alone or before a time.
const compactDate = `^\s*([0-9]{4})([0-9]{2})([0-9]{2})(\s|T|$)`

var compactDateRE = regexp.MustCompile(compactDate)

// duckTextTime lets DuckDB read the dates PostgreSQL reads as YYYYMMDD (ThoughtSpot builds
// CAST(CAST(20190101 AS varchar) AS date)): a literal is respelled YYYY-MM-DD, any other text
// goes through regexp_replace to the same effect. Other forms keep DuckDB's reading.
func duckTextTime(tc *pg_query.TypeCast) {
	if s := tc.Arg.GetAConst().GetSval(); s != nil {
		s.Sval = compactDateRE.ReplaceAllString(s.Sval, "$1-$2-$3$4")
		return
	}
	if tc.Arg.GetAConst() != nil {
		return
	}
	tc.Arg = makeFunc("regexp_replace", makeCast(tc.Arg, "text"), pg_query.MakeAConstStrNode(compactDate, -1), pg_query.MakeAConstStrNode(`\1-\2-\3\4`, -1))
}

// duckNumericCast gives a numeric cast of a number PostgreSQL's digits, where DuckDB would
// give every value its default DECIMAL(18,3) (0.0001 would be 0.000): an integer keeps its
// digits (DECIMAL(38,0)); a double keeps 15 significant digits, as PostgreSQL's float8 to
// numeric does, as the double nearest them (printf's %.15g read back), which the wire prints
// in numeric's positional form.
func duckNumericCast(c numericCast) {
	if !c.float {
		c.tc.TypeName.Typmods = []*pg_query.Node{pg_query.MakeAConstIntNode(38, -1), pg_query.MakeAConstIntNode(0, -1)}
		return
	}
	c.tc.Arg = makeFunc("printf", pg_query.MakeAConstStrNode("%.15g", -1), c.tc.Arg)
	c.tc.TypeName = &pg_query.TypeName{Names: []*pg_query.Node{pg_query.MakeStrNode("float8")}, Typemod: -1, Location: -1}
}

// duckFloatText prints a float as PostgreSQL does. Both write the same shortest digits, but
// DuckDB writes a whole value as 500.0 where PostgreSQL writes 500, and a float from 1e15 up
// to 1e16 positionally (1500000000000000.0) where PostgreSQL writes 1.5e+15; a whole numeric
// computed as a double (float false) only loses the ".0".
func duckFloatText(x *pg_query.Node, float bool) *pg_query.Node {
	re := func(s *pg_query.Node, pattern, repl string) *pg_query.Node {
		return makeFunc("regexp_replace", s, pg_query.MakeAConstStrNode(pattern, -1), pg_query.MakeAConstStrNode(repl, -1))
	}
	text := makeCast(x, "text")
	if float {
		text = re(re(text, `^(-?)([0-9])([0-9]{15})(\.([0-9]+))?$`, `\1\2.\3\5e+15`), `\.?0+e\+15$`, "e+15")
	}
	return re(text, `\.0$`, "")
}

// duckToChar turns to_char(t, 'YYYY-MM') into DuckDB's strftime(t, '%Y-%m'), and
// to_timestamp(text, format) into strptime(text, format). strptime yields a timestamp;
// announced as a date (to_date), it is sent as one.
func duckToChar(fc *pg_query.FuncCall) {
	format := fc.Args[1].GetAConst().GetSval().GetSval()
	name := "strftime"
	if _, fn := funcName(fc); fn == "to_timestamp" || fn == "to_date" {
		name = "strptime"
	}
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode(name)}
	fc.Args[1] = pg_query.MakeAConstStrNode(strftimeFormat(format), -1)
}

// toCharPatterns maps PostgreSQL's date/time template patterns to strftime's, longest first so
// that "HH24" is not read as "HH" then "24". Numeric patterns match in any case, as in
// PostgreSQL ('yyyy-mm-dd' works); names keep their case, which selects their capitalisation.
var toCharPatterns = []struct {
	pg, strftime string
	anyCase      bool
}{
	{"YYYY", "%Y", true}, {"HH24", "%H", true}, {"HH12", "%I", true},
	{"Month", "%B", false}, {"MONTH", "%B", false}, {"month", "%B", false},
	{"Day", "%A", false}, {"DAY", "%A", false}, {"day", "%A", false},
	{"Mon", "%b", false}, {"MON", "%b", false}, {"mon", "%b", false},
	{"Dy", "%a", false}, {"DY", "%a", false}, {"dy", "%a", false},
	{"YY", "%y", true}, {"MM", "%m", true}, {"DD", "%d", true}, {"HH", "%I", true},
	{"MI", "%M", true}, {"SS", "%S", true}, {"MS", "%g", true}, {"US", "%f", true},
	{"AM", "%p", true}, {"PM", "%p", true}, {"FM", "", true},
}

// strftimeFormat translates a to_char template. Quoted text stays literal, as in PostgreSQL.
func strftimeFormat(pg string) string {
	var out strings.Builder
	for i := 0; i < len(pg); {
		if pg[i] == '"' {
			end := strings.IndexByte(pg[i+1:], '"')
			if end < 0 {
				end = len(pg) - i - 1
			}
			out.WriteString(strings.ReplaceAll(pg[i+1:i+1+end], "%", "%%"))
			i += end + 2
			continue
		}
		matched := false
		for _, p := range toCharPatterns {
			head := pg[i:min(i+len(p.pg), len(pg))]
			if head == p.pg || p.anyCase && strings.EqualFold(head, p.pg) {
				out.WriteString(p.strftime)
				i += len(p.pg)
				matched = true
				break
			}
		}
		if !matched {
			if pg[i] == '%' {
				out.WriteByte('%')
			}
			out.WriteByte(pg[i])
			i++
		}
	}
	return out.String()
}

// duckLikeEscape turns `x [NOT] [I]LIKE like_escape(p, e)` into DuckDB's
// `[NOT] [i]like_escape(x, p, e)`.
func duckLikeEscape(n *pg_query.Node) {
	e := n.GetAExpr()
	fc := e.Rexpr.GetFuncCall()
	name := "like_escape"
	if e.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE {
		name = "ilike_escape"
	}
	call := &pg_query.Node{Node: &pg_query.Node_FuncCall{FuncCall: &pg_query.FuncCall{
		Funcname:   []*pg_query.Node{pg_query.MakeStrNode(name)},
		Args:       []*pg_query.Node{e.Lexpr, fc.Args[0], fc.Args[1]},
		Funcformat: pg_query.CoercionForm_COERCE_EXPLICIT_CALL,
		Location:   -1,
	}}}
	op := e.Name[len(e.Name)-1].GetString_().GetSval()
	if op == "!~~" || op == "!~~*" {
		call = pg_query.MakeBoolExprNode(pg_query.BoolExprType_NOT_EXPR, []*pg_query.Node{call}, -1)
	}
	n.Node = call.Node
}

// duckCast rewrites a cast noted by noteCast: DuckDB reads '\xdead'::bytea as one escaped
// byte then text, where PostgreSQL reads hex; and it gives an unconstrained numeric cast of a
// literal its default DECIMAL(18,3) instead of the literal's own scale.
func duckCast(tc *pg_query.TypeCast) {
	lit := tc.Arg.GetAConst()
	if s := lit.GetSval(); s != nil {
		hex := strings.TrimPrefix(s.Sval, `\x`)
		var out strings.Builder
		for i := 0; i+1 < len(hex); i += 2 {
			out.WriteString(`\x`)
			out.WriteString(hex[i : i+2])
		}
		tc.Arg = pg_query.MakeAConstStrNode(out.String(), -1)
		return
	}
	scale := 0
	if f := lit.GetFval(); f != nil {
		if _, frac, ok := strings.Cut(f.Fval, "."); ok {
			scale = len(frac)
		}
	}
	tc.TypeName.Typmods = []*pg_query.Node{pg_query.MakeAConstIntNode(38, -1), pg_query.MakeAConstIntNode(int64(min(scale, 37)), -1)}
}

// duckdbGuards spell the value-size guards (valuesize.go) in DuckDB: error() refuses.
var duckdbGuards = guardDialect{
	bytes:      func(a string) string { return "strlen(CAST(" + a + " AS VARCHAR))" },
	raise:      func(msg, typ string) string { return "CAST(error(" + msg + ") AS " + typ + ")" },
	countType:  "BIGINT",
	lengthType: "INTEGER",
	textType:   "VARCHAR",
}
