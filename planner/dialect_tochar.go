package planner

import (
	"fmt"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// to_char(time, format) on DuckDB. strftime covers the numeric fields, but PostgreSQL pads day
// and month names to nine characters (unless FM), spells them in the pattern's case ('DAY' is
// FRIDAY, 'day' friday), drops leading zeros after FM, and has fields strftime lacks (Q, D).
// A format is cut into pieces: runs strftime prints as PostgreSQL would, and expressions for
// the rest, joined with ||. A pattern neither covers is refused when the call is bound, on
// every engine, rather than printed as its letters.

// toCharField is one PostgreSQL template pattern.
type toCharField struct {
	pg string
	// strf is strftime's spelling; strfFM the one without leading zeros (FM).
	strf, strfFM string
	// name is a day or month name: padded to 9 unless FM (pad), in the pattern's case.
	name, pad bool
	// expr writes a field strftime lacks; fmExpr the field without leading zeros, where
	// strftime has no such spelling.
	expr, fmExpr func(t *pg_query.Node) *pg_query.Node
}

// toCharFields are the patterns translated, longest first so that "HH24" is not read as "HH"
// then "24". Numeric patterns match in any case, as in PostgreSQL; names keep their case.
var toCharFields = []toCharField{
	{pg: "HH24", strf: "%H", strfFM: "%-H"}, {pg: "HH12", strf: "%I", strfFM: "%-I"},
	{pg: "IYYY", strf: "%G"}, {pg: "YYYY", strf: "%Y"},
	{pg: "MONTH", strf: "%B", name: true, pad: true}, {pg: "Month", strf: "%B", name: true, pad: true}, {pg: "month", strf: "%B", name: true, pad: true},
	{pg: "DAY", strf: "%A", name: true, pad: true}, {pg: "Day", strf: "%A", name: true, pad: true}, {pg: "day", strf: "%A", name: true, pad: true},
	{pg: "MON", strf: "%b", name: true}, {pg: "Mon", strf: "%b", name: true}, {pg: "mon", strf: "%b", name: true},
	{pg: "DDD", strf: "%j", strfFM: "%-j"},
	{pg: "DY", strf: "%a", name: true}, {pg: "Dy", strf: "%a", name: true}, {pg: "dy", strf: "%a", name: true},
	{pg: "HH", strf: "%I", strfFM: "%-I"}, {pg: "MI", strf: "%M", strfFM: "%-M"}, {pg: "SS", strf: "%S", strfFM: "%-S"},
	{pg: "MS", strf: "%g"}, {pg: "US", strf: "%f"}, {pg: "YY", strf: "%y", strfFM: "%-y"},
	{pg: "MM", strf: "%m", strfFM: "%-m"}, {pg: "DD", strf: "%d", strfFM: "%-d"},
	{pg: "IW", strf: "%V", fmExpr: func(t *pg_query.Node) *pg_query.Node { return makeCast(makeFunc("week", t), "text") }},
	{pg: "ID", strf: "%u"},
	{pg: "AM", strf: "%p", name: true}, {pg: "PM", strf: "%p", name: true}, {pg: "am", strf: "%p", name: true}, {pg: "pm", strf: "%p", name: true},
	{pg: "Q", expr: func(t *pg_query.Node) *pg_query.Node { return makeCast(makeFunc("quarter", t), "text") }},
	{pg: "D", expr: func(t *pg_query.Node) *pg_query.Node {
		// PostgreSQL's D is 1 on Sunday; DuckDB's dayofweek is 0 then.
		return makeCast(makeOp("+", makeFunc("dayofweek", t), pg_query.MakeAConstIntNode(1, -1)), "text")
	}},
}

// toCharUnsupported are PostgreSQL patterns neither strftime nor an expression here writes.
var toCharUnsupported = []string{
	"Y,YYY", "SSSSS", "SSSS", "IDDD", "IYY", "YYY", "A.D.", "B.C.", "A.M.", "P.M.", "TZH", "TZM",
	"IY", "CC", "WW", "TZ", "OF", "RM", "AD", "BC", "TH", "FX", "TM", "SP", "Y", "I", "J", "W",
}

// toCharPiece is a run of strftime format or an expression.
type toCharPiece struct {
	strf  string
	field *toCharField
}

// toCharPieces cuts a format into pieces, or returns the first pattern it cannot translate.
func toCharPieces(format string) ([]toCharPiece, string) {
	var pieces []toCharPiece
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			pieces = append(pieces, toCharPiece{strf: run.String()})
			run.Reset()
		}
	}
	fm := false
	for i := 0; i < len(format); {
		rest := format[i:]
		switch {
		case rest[0] == '"':
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				end = len(rest) - 1
			}
			run.WriteString(strings.ReplaceAll(rest[1:1+end], "%", "%%"))
			i += end + 2
			continue
		case len(rest) >= 2 && strings.EqualFold(rest[:2], "FM"):
			fm = true
			i += 2
			continue
		}
		f := matchToCharField(rest)
		for _, u := range toCharUnsupported {
			if len(rest) >= len(u) && strings.EqualFold(rest[:len(u)], u) && (f == nil || len(u) > len(f.pg)) {
				return nil, u
			}
		}
		if f != nil {
			i += len(f.pg)
			switch {
			case fm && f.fmExpr != nil:
				flush()
				pieces = append(pieces, toCharPiece{field: &toCharField{pg: f.pg, expr: f.fmExpr}})
			case f.expr != nil || f.name:
				flush()
				field := *f
				field.pad = f.pad && !fm
				pieces = append(pieces, toCharPiece{field: &field})
			case fm && f.strfFM != "":
				run.WriteString(f.strfFM)
			default:
				run.WriteString(f.strf)
			}
			fm = false
			continue
		}
		if rest[0] == '%' {
			run.WriteByte('%')
		}
		run.WriteByte(rest[0])
		i++
	}
	flush()
	return pieces, ""
}

// matchToCharField finds the pattern at the start of s.
func matchToCharField(s string) *toCharField {
	for i := range toCharFields {
		f := &toCharFields[i]
		if len(s) < len(f.pg) {
			continue
		}
		head := s[:len(f.pg)]
		if head == f.pg || !f.name && strings.EqualFold(head, f.pg) {
			return f
		}
	}
	return nil
}

// duckToCharExpr writes to_char(t, format) for DuckDB from the pieces of format.
func duckToCharExpr(t *pg_query.Node, pieces []toCharPiece) *pg_query.Node {
	var out *pg_query.Node
	for k, p := range pieces {
		arg := t
		if k > 0 {
			arg = cloneNode(t)
		}
		var x *pg_query.Node
		switch {
		case p.field == nil:
			x = makeFunc("strftime", arg, pg_query.MakeAConstStrNode(p.strf, -1))
		case p.field.expr != nil:
			x = p.field.expr(arg)
		default:
			x = makeFunc("strftime", arg, pg_query.MakeAConstStrNode(p.field.strf, -1))
			switch {
			case p.field.pg == strings.ToUpper(p.field.pg) && p.field.pg != "AM" && p.field.pg != "PM":
				x = makeFunc("upper", x)
			case p.field.pg == strings.ToLower(p.field.pg):
				x = makeFunc("lower", x)
			}
			if p.field.pad {
				x = makeFunc("rpad", x, pg_query.MakeAConstIntNode(9, -1), pg_query.MakeAConstStrNode(" ", -1))
			}
		}
		if out == nil {
			out = x
		} else {
			out = makeOp("||", out, x)
		}
	}
	if out == nil {
		// PostgreSQL's to_char of an empty format is NULL.
		return makeCast(&pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}, "text")
	}
	return out
}

// duckToCharCall writes a noted to_char call for DuckDB: one strftime when the format is one
// run, else the pieces joined.
func duckToCharCall(n *pg_query.Node) {
	fc := n.GetFuncCall()
	format := fc.Args[1].GetAConst().GetSval().GetSval()
	pieces, _ := toCharPieces(format)
	if len(pieces) == 0 && format != "" {
		// Only empty text (a TZ of a timestamp): PostgreSQL prints an empty string, or
		// NULL for a NULL time.
		n.Node = makeFunc("left", makeCast(fc.Args[0], "text"), pg_query.MakeAConstIntNode(0, -1)).Node
		return
	}
	if len(pieces) == 1 && pieces[0].field == nil {
		fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("strftime")}
		fc.Args[1] = pg_query.MakeAConstStrNode(pieces[0].strf, -1)
		return
	}
	n.Node = duckToCharExpr(fc.Args[0], pieces).Node
}

// The zone patterns TZ (the zone's abbreviation, tz in lower case) and OF (its UTC offset).
// PostgreSQL prints them for a timestamptz (and a date, which it reads as one) in the
// session's TimeZone, and an empty TZ and an OF of +00 for a timestamp. Where the session's
// zone has one abbreviation and one offset for all time, the answer is a constant the binder
// writes into the format as quoted text, the same on every engine. A zone whose abbreviation
// depends on the date (CET and CEST, IST and MMT) would need the zone rules per value, which
// the engines do not share with PostgreSQL, so it is refused.

// fixedZoneProbes are instants from before standard time to the far future: a zone with
// transitions has local mean time at the first and a standard zone at the others, so a zone
// that answers the same at each has none.
var fixedZoneProbes = func() []time.Time {
	var out []time.Time
	for _, y := range []int{1800, 1850, 1890, 1910, 1930, 1945, 1960, 1975, 1990, 2005, 2025, 2050, 2100} {
		out = append(out, time.Date(y, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(y, 7, 15, 12, 0, 0, 0, time.UTC))
	}
	return out
}()

// fixedZone returns the abbreviation and offset in seconds of a zone that has one of each for
// all time, or ok false.
func fixedZone(name string) (abbr string, offset int, ok bool) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return "", 0, false
	}
	abbr, offset = fixedZoneProbes[0].In(loc).Zone()
	for _, p := range fixedZoneProbes[1:] {
		if a, o := p.In(loc).Zone(); a != abbr || o != offset {
			return "", 0, false
		}
	}
	return abbr, offset, true
}

// zoneOffsetText prints an offset as PostgreSQL's OF does: +05, -03, +05:30.
func zoneOffsetText(offset int) string {
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	s := fmt.Sprintf("%s%02d", sign, offset/3600)
	if m := offset % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// toCharZoneFormat writes the zone patterns of format as quoted text: for an instant
// (instant true) in zone, or for a wall-clock time. It returns the zone a pattern needs and
// cannot be printed exactly in ("" when none).
func toCharZoneFormat(format string, instant bool, zone string) (string, string) {
	var out strings.Builder
	for i := 0; i < len(format); {
		rest := format[i:]
		fm := len(rest) >= 2 && strings.EqualFold(rest[:2], "FM")
		if fm {
			rest = rest[2:]
		}
		lit, n, bad := toCharZoneField(rest, instant, zone)
		switch {
		case bad != "":
			return "", bad
		case n > 0:
			// FM before a zone pattern is spent on it, as in PostgreSQL.
			out.WriteString(`"` + lit + `"`)
			i += n
			if fm {
				i += 2
			}
			continue
		case fm:
			out.WriteString(format[i : i+2])
			i += 2
			continue
		}
		n = 1
		switch {
		case rest[0] == '"':
			if end := strings.IndexByte(rest[1:], '"'); end >= 0 {
				n = end + 2
			} else {
				n = len(rest)
			}
		case len(rest) >= 3 && (strings.EqualFold(rest[:3], "TZH") || strings.EqualFold(rest[:3], "TZM")):
			n = 3 // refused by toCharPieces
		default:
			if f := matchToCharField(rest); f != nil {
				n = len(f.pg)
			}
		}
		out.WriteString(rest[:n])
		i += n
	}
	return out.String(), ""
}

// toCharZoneField reads a zone pattern at the start of s: its text and length, or the zone
// it cannot be printed in.
func toCharZoneField(s string, instant bool, zone string) (lit string, n int, bad string) {
	if len(s) < 2 || len(s) >= 3 && (strings.EqualFold(s[:3], "TZH") || strings.EqualFold(s[:3], "TZM")) {
		return "", 0, ""
	}
	head := s[:2]
	if head != "TZ" && head != "tz" && !strings.EqualFold(head, "OF") {
		return "", 0, ""
	}
	if !instant {
		if head == "TZ" || head == "tz" {
			return "", 2, ""
		}
		return "+00", 2, ""
	}
	abbr, offset, ok := fixedZone(zone)
	switch {
	case !ok:
		return "", 0, zone
	case head == "TZ":
		return abbr, 2, ""
	case head == "tz":
		return strings.ToLower(abbr), 2, ""
	}
	return zoneOffsetText(offset), 2, ""
}
