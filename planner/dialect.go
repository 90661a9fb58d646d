package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// Dialect: the planner speaks PostgreSQL; where the embedded DuckDB spells the same meaning
// differently, calls are noted while binding and rewritten once the statement's engine is known
// (finishDialect).

// noteToChar records a to_char call for the dialect pass, or rejects a form no engine gets.
func (b *binder) noteToChar(fc *pg_query.FuncCall, args []Type) error {
	if len(args) != 2 {
		return sqlerr.New(sqlerr.UndefinedFunction, "to_char takes a value and a format").WithPosition(b.pos(fc.Location))
	}
	switch args[0].OID {
	case TypeDate.OID, TypeTimestamp.OID, TypeTimestamptz.OID:
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char formats dates and times only; cast numbers to text").WithPosition(b.pos(fc.Location))
	}
	if fc.Args[1].GetAConst().GetSval() == nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "to_char needs a constant format").WithPosition(b.pos(fc.Location))
	}
	b.toChars = append(b.toChars, fc)
	return nil
}

// duckToChar turns to_char(t, 'YYYY-MM') into DuckDB's strftime(t, '%Y-%m'), and
// to_timestamp(text, format) into strptime(text, format).
func duckToChar(fc *pg_query.FuncCall) {
	format := fc.Args[1].GetAConst().GetSval().GetSval()
	name := "strftime"
	if _, fn := funcName(fc); fn == "to_timestamp" || fn == "to_date" {
		name = "strptime"
	}
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode(name)}
	fc.Args[1] = pg_query.MakeAConstStrNode(strftimeFormat(format), -1)
}

// noteParse records to_timestamp(text, format) and to_date(text, format) for the dialect pass.
// to_timestamp(epoch seconds) is the same function in both dialects.
func (b *binder) noteParse(fc *pg_query.FuncCall, name string, args []Type) error {
	if len(args) == 1 && name == "to_timestamp" {
		return nil
	}
	if len(args) != 2 || fc.Args[1].GetAConst().GetSval() == nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "%s needs a text value and a constant format", name).WithPosition(b.pos(fc.Location))
	}
	// strptime yields a timestamp; announced as a date (to_date), it is sent as one.
	b.toChars = append(b.toChars, fc)
	return nil
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

// noteLikeEscape records `x LIKE p ESCAPE e`, which the parser keeps as
// `x LIKE pg_catalog.like_escape(p, e)`; DuckDB has no such two-argument function.
func (b *binder) noteLikeEscape(n *pg_query.Node, e *pg_query.A_Expr) {
	fc := e.Rexpr.GetFuncCall()
	if fc == nil || len(fc.Args) != 2 {
		return
	}
	if _, name := funcName(fc); name == "like_escape" {
		b.likeEscapes = append(b.likeEscapes, n)
	}
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

// noteCast records casts whose literal DuckDB reads differently: '\xdead'::bytea is hex in
// PostgreSQL but one escaped byte then text in DuckDB, and an unconstrained numeric cast of a
// literal would get DuckDB's default DECIMAL(18,3) instead of the literal's own scale.
func (b *binder) noteCast(tc *pg_query.TypeCast, t Type) {
	lit := tc.Arg.GetAConst()
	if lit == nil {
		return
	}
	switch {
	case t.OID == TypeBytea.OID && strings.HasPrefix(lit.GetSval().GetSval(), `\x`):
		b.castFixes = append(b.castFixes, tc)
	case t.OID == TypeNumeric.OID && len(tc.TypeName.GetTypmods()) == 0 && (lit.GetFval() != nil || lit.GetIval() != nil):
		b.castFixes = append(b.castFixes, tc)
	}
}

// duckCast rewrites a cast noted by noteCast.
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
