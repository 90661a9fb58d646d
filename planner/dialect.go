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

// duckToChar turns to_char(t, 'YYYY-MM') into DuckDB's strftime(t, '%Y-%m').
func duckToChar(fc *pg_query.FuncCall) {
	format := fc.Args[1].GetAConst().GetSval().GetSval()
	fc.Funcname = []*pg_query.Node{pg_query.MakeStrNode("strftime")}
	fc.Args[1] = pg_query.MakeAConstStrNode(strftimeFormat(format), -1)
}

// toCharPatterns maps PostgreSQL's date/time template patterns to strftime's, longest first so
// that "HH24" is not read as "HH" then "24".
var toCharPatterns = []struct{ pg, strftime string }{
	{"YYYY", "%Y"}, {"HH24", "%H"}, {"HH12", "%I"}, {"Month", "%B"}, {"MONTH", "%B"}, {"month", "%B"},
	{"Day", "%A"}, {"DAY", "%A"}, {"day", "%A"}, {"Mon", "%b"}, {"MON", "%b"}, {"mon", "%b"},
	{"Dy", "%a"}, {"DY", "%a"}, {"dy", "%a"}, {"YY", "%y"}, {"MM", "%m"}, {"DD", "%d"},
	{"HH", "%I"}, {"MI", "%M"}, {"SS", "%S"}, {"MS", "%g"}, {"US", "%f"}, {"AM", "%p"}, {"PM", "%p"},
	{"FM", ""},
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
			if strings.HasPrefix(pg[i:], p.pg) {
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
