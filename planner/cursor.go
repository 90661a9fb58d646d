package planner

import (
	"math"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// SQL cursors (DECLARE, FETCH, MOVE, CLOSE) and COPY (query) TO STDOUT. The query inside DECLARE
// or COPY is planned exactly as it would be on its own, so it gets the same tenant filters and
// row cap; the front door runs it and hands its rows out as the statement says.

// CursorCommand describes DECLARE, FETCH, MOVE and CLOSE.
type CursorCommand struct {
	// Name is the cursor's name; "" with CLOSE ALL.
	Name string
	// Declare options: SCROLL (backward fetches are refused all the same), WITH HOLD (the cursor
	// outlives its transaction), BINARY (rows in binary format).
	Scroll, Hold, Binary bool
	// Count is how many rows FETCH or MOVE reads forward; 0 means ALL.
	Count int64
	// Move is MOVE: rows are skipped, not sent.
	Move bool
}

// CopyCommand describes COPY ... TO STDOUT.
type CopyCommand struct {
	// CSV is FORMAT csv; otherwise text.
	CSV bool
	// Header sends the column names first.
	Header bool
	// Delimiter separates columns: tab in text, comma in CSV unless set.
	Delimiter byte
	// Null is how NULL is written: \N in text, empty in CSV unless set.
	Null string
}

// Cursor option bits of DeclareCursorStmt.Options (PostgreSQL's CURSOR_OPT_*).
const (
	cursorOptBinary = 0x1
	cursorOptScroll = 0x2
	cursorOptHold   = 0x20
)

// wrappedQuery plans DECLARE ... CURSOR FOR query and COPY (query) TO STDOUT, or reports that the
// statement is neither.
func (p *Planner) wrappedQuery(snap *Snapshot, s Session, st *Statement, node *pg_query.Node, paramOIDs []uint32) (*Plan, bool, error) {
	switch v := node.Node.(type) {
	case *pg_query.Node_DeclareCursorStmt:
		d := v.DeclareCursorStmt
		inner, err := p.planQuery(snap, s, st, d.Query, paramOIDs)
		if err != nil {
			return nil, true, err
		}
		return &Plan{
			Kind: KindDeclare, Tag: "DECLARE CURSOR", Inner: inner, Params: inner.Params,
			Cursor: &CursorCommand{
				Name:   d.Portalname,
				Binary: d.Options&cursorOptBinary != 0,
				Scroll: d.Options&cursorOptScroll != 0,
				Hold:   d.Options&cursorOptHold != 0,
			},
			Datasets: inner.Datasets, cacheable: inner.cacheable,
		}, true, nil
	case *pg_query.Node_CopyStmt:
		c := v.CopyStmt
		if c.IsFrom || c.Filename != "" || c.IsProgram || (c.Query == nil && c.Relation == nil) {
			// COPY FROM and COPY to a file or program: rejectStatement explains.
			return nil, false, nil
		}
		if c.Query == nil {
			// COPY table [(columns)] TO STDOUT is COPY (SELECT columns FROM table) TO STDOUT.
			c.Query = copyTableQuery(c)
		}
		cmd, err := copyOptions(c.Options)
		if err != nil {
			return nil, true, err
		}
		inner, err := p.planQuery(snap, s, st, c.Query, paramOIDs)
		if err != nil {
			return nil, true, err
		}
		return &Plan{
			Kind: KindCopyOut, Tag: "COPY", Inner: inner, Params: inner.Params, Copy: cmd,
			Datasets: inner.Datasets, cacheable: inner.cacheable,
		}, true, nil
	}
	return nil, false, nil
}

// fetchStatement plans FETCH and MOVE. Only forward reads are served: the engine streams rows
// once, so there is no going back.
func fetchStatement(f *pg_query.FetchStmt) (*Plan, error) {
	verb := "FETCH"
	if f.Ismove {
		verb = "MOVE"
	}
	if f.Direction != pg_query.FetchDirection_FETCH_FORWARD || f.HowMany <= 0 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "%s supports only forward reads (NEXT, FORWARD n, FORWARD ALL, ALL, n)", verb).
			WithHint("cursors here read their rows once, in order")
	}
	count := f.HowMany
	if count == math.MaxInt64 {
		count = 0 // FETCH ALL
	}
	return &Plan{Kind: KindFetch, Tag: verb, Cursor: &CursorCommand{Name: f.Portalname, Count: count, Move: f.Ismove}}, nil
}

// copyOptions reads COPY's options; binary output and the rarer options are refused.
func copyOptions(opts []*pg_query.Node) (*CopyCommand, error) {
	cmd := &CopyCommand{}
	var delim, null *string
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		arg := defElemText(d.Arg)
		switch strings.ToLower(d.Defname) {
		case "format":
			switch strings.ToLower(arg) {
			case "text":
				cmd.CSV = false
			case "csv":
				cmd.CSV = true
			default:
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY format %q is not supported; use text or csv", arg)
			}
		case "header":
			switch strings.ToLower(arg) {
			case "", "true", "on", "1":
				cmd.Header = true
			case "false", "off", "0":
				cmd.Header = false
			default:
				return nil, sqlerr.New(sqlerr.InvalidParameterValue, "%s requires a Boolean value", d.Defname)
			}
		case "delimiter":
			delim = &arg
		case "null":
			null = &arg
		case "encoding":
			if !strings.EqualFold(strings.ReplaceAll(arg, "-", ""), "utf8") {
				return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY encoding %q is not supported; the server encoding is UTF8", arg)
			}
		default:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY option %q is not supported", d.Defname)
		}
	}
	cmd.Delimiter = '\t'
	if cmd.CSV {
		cmd.Delimiter = ','
	} else {
		cmd.Null = `\N`
	}
	if delim != nil {
		if len(*delim) != 1 || *delim == "\r" || *delim == "\n" || *delim == `\` || *delim == `"` {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY delimiter must be a single one-byte character other than newline, backslash and quote")
		}
		cmd.Delimiter = (*delim)[0]
	}
	if null != nil {
		if strings.ContainsAny(*null, "\r\n") {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY null representation cannot use newline or carriage return")
		}
		cmd.Null = *null
	}
	return cmd, nil
}

// defElemText is an option's argument as text ("" when it has none).
func defElemText(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	switch v := n.Node.(type) {
	case *pg_query.Node_String_:
		return v.String_.Sval
	case *pg_query.Node_Integer:
		return strconv.Itoa(int(v.Integer.Ival))
	case *pg_query.Node_Boolean:
		return strconv.FormatBool(v.Boolean.Boolval)
	case *pg_query.Node_AConst:
		switch c := v.AConst.Val.(type) {
		case *pg_query.A_Const_Sval:
			return c.Sval.Sval
		case *pg_query.A_Const_Ival:
			return strconv.Itoa(int(c.Ival.Ival))
		case *pg_query.A_Const_Boolval:
			return strconv.FormatBool(c.Boolval.Boolval)
		}
	case *pg_query.Node_TypeName:
		// FORMAT csv parses the word as a type name in some spellings.
		if names := v.TypeName.Names; len(names) > 0 {
			return names[len(names)-1].GetString_().GetSval()
		}
	}
	return ""
}

// copyTableQuery is the SELECT that COPY table [(columns)] reads.
func copyTableQuery(c *pg_query.CopyStmt) *pg_query.Node {
	var targets []*pg_query.Node
	for _, a := range c.Attlist {
		targets = append(targets, pg_query.MakeResTargetNodeWithVal(columnRef(a.GetString_().GetSval()), -1))
	}
	if len(targets) == 0 {
		star := &pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: &pg_query.ColumnRef{
			Fields: []*pg_query.Node{{Node: &pg_query.Node_AStar{AStar: &pg_query.A_Star{}}}}, Location: -1}}}
		targets = []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(star, -1)}
	}
	return &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: &pg_query.SelectStmt{
		TargetList:  targets,
		FromClause:  []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: c.Relation}}},
		Op:          pg_query.SetOperation_SETOP_NONE,
		LimitOption: pg_query.LimitOption_LIMIT_OPTION_DEFAULT,
	}}}
}
