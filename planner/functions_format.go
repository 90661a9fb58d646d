package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// format(fmt, args...) with PostgreSQL's %s and %%: each %s is the next argument's text, NULL
// as an empty string. DuckDB's format reads {} placeholders, so its dialect joins the pieces
// with ||. The format must be a constant; %I, %L, positions and widths are refused, and so
// are arguments whose text DuckDB spells otherwise (booleans: t/f in PostgreSQL).

// formatCall is a noted format() call: its literal pieces, one more than its arguments used.
type formatCall struct {
	n      *pg_query.Node
	pieces []string
	types  []pgtypes.Type
}

// noteFormat checks a format() call and notes it.
func (b *binder) noteFormat(n *pg_query.Node, fc *pg_query.FuncCall, args []pgtypes.Type) error {
	pos := b.pos(fc.Location)
	if len(fc.Args) == 0 || fc.Args[0].GetAConst().GetSval() == nil {
		return sqlerr.New(sqlerr.FeatureNotSupported, "format needs a constant format string").WithPosition(pos)
	}
	pieces, bad := formatPieces(fc.Args[0].GetAConst().GetSval().Sval)
	switch {
	case bad != "":
		return sqlerr.New(sqlerr.FeatureNotSupported, "format specifier %s is not supported", bad).
			WithHint("format supports %%s and %%%%").WithPosition(pos)
	case len(pieces)-1 > len(fc.Args)-1:
		return sqlerr.New(sqlerr.InvalidParameterValue, "too few arguments for format()").WithPosition(pos)
	}
	for _, t := range args[1:] {
		if t.OID == pgtypes.Bool.OID || t.OID == pgtypes.Interval.OID || t.OID == pgtypes.Bytea.OID || t.OID == pgtypes.Timestamptz.OID {
			return sqlerr.New(sqlerr.FeatureNotSupported, "format of a %s argument is not supported", t.Name).
				WithHint("cast it to text first").WithPosition(pos)
		}
	}
	b.fixes.formatCalls = append(b.fixes.formatCalls, formatCall{n: n, pieces: pieces, types: args[1:]})
	return nil
}

// formatPieces cuts a format at its %s, or returns the first specifier it does not take.
func formatPieces(f string) ([]string, string) {
	var pieces []string
	var cur strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			cur.WriteByte(f[i])
			continue
		}
		if i+1 >= len(f) {
			return nil, "%"
		}
		switch f[i+1] {
		case '%':
			cur.WriteByte('%')
		case 's':
			pieces = append(pieces, cur.String())
			cur.Reset()
		default:
			return nil, f[i : i+2]
		}
		i++
	}
	return append(pieces, cur.String()), ""
}

// duckFormat writes a noted format() call as literal pieces and coalesced argument texts.
func duckFormat(fc formatCall) {
	args := fc.n.GetFuncCall().Args[1:]
	out := pg_query.MakeAConstStrNode(fc.pieces[0], -1)
	for i, lit := range fc.pieces[1:] {
		text := makeCast(args[i], "text")
		if t := fc.types[i]; t.OID == pgtypes.Float8.OID || t.OID == pgtypes.Float4.OID {
			text = duckFloatText(args[i], true)
		}
		arg := &pg_query.Node{Node: &pg_query.Node_CoalesceExpr{CoalesceExpr: &pg_query.CoalesceExpr{
			Args: []*pg_query.Node{text, pg_query.MakeAConstStrNode("", -1)}, Location: -1}}}
		out = makeOp("||", makeOp("||", out, arg), pg_query.MakeAConstStrNode(lit, -1))
	}
	fc.n.Node = out.Node
}
