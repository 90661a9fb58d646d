package planner

import (
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// SQL-level PREPARE and EXECUTE. A statement prepared with PREPARE joins the connection's
// prepared statements (those of the extended protocol's Parse; DEALLOCATE drops either), and
// EXECUTE runs one with constant arguments as Bind and Execute would.

// PrepareCommand is what PREPARE keeps.
type PrepareCommand struct {
	// Statement is the query, planned like a statement of its own whenever it runs.
	Statement *Statement
	// ParamOIDs are the declared parameter types (0: infer).
	ParamOIDs []uint32
}

// prepareStatement plans PREPARE and EXECUTE, or reports that the statement is neither.
func prepareStatement(st *Statement, node *pg_query.Node) (*Plan, bool, error) {
	switch v := node.Node.(type) {
	case *pg_query.Node_PrepareStmt:
		ps := v.PrepareStmt
		if ps.Query.GetSelectStmt() == nil {
			return nil, true, sqlerr.New(sqlerr.FeatureNotSupported, "only SELECT can be prepared")
		}
		oids := make([]uint32, len(ps.Argtypes))
		for i, a := range ps.Argtypes {
			t, name, ok := typeFromName(a.GetTypeName())
			if !ok {
				return nil, true, sqlerr.New(sqlerr.UndefinedObject, "type %q is not supported", name)
			}
			oids[i] = t.OID
		}
		text, err := pg_query.Deparse(&pg_query.ParseResult{Version: st.version, Stmts: []*pg_query.RawStmt{{Stmt: ps.Query}}})
		if err != nil {
			return nil, true, sqlerr.Internal(err)
		}
		inner := &Statement{SQL: text, offset: st.offset, node: ps.Query, version: st.version}
		return &Plan{Kind: KindPrepare, Tag: "PREPARE", Statement: ps.Name, Prepare: &PrepareCommand{Statement: inner, ParamOIDs: oids}}, true, nil
	case *pg_query.Node_ExecuteStmt:
		ex := v.ExecuteStmt
		args := make([]*string, len(ex.Params))
		for i, a := range ex.Params {
			val, ok := constantText(a)
			if !ok {
				return nil, true, sqlerr.New(sqlerr.FeatureNotSupported, "EXECUTE takes constant parameter values")
			}
			args[i] = val
		}
		return &Plan{Kind: KindExecute, Tag: "EXECUTE", Statement: ex.Name, Args: args}, true, nil
	}
	return nil, false, nil
}

// constantText is a constant's text form (nil for NULL); a cast of a constant counts as one.
func constantText(n *pg_query.Node) (*string, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		return constantText(tc.Arg)
	}
	c := n.GetAConst()
	if c == nil {
		return nil, false
	}
	if c.Isnull {
		return nil, true
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Sval:
		return ptr(v.Sval.Sval), true
	case *pg_query.A_Const_Ival:
		return ptr(strconv.Itoa(int(v.Ival.Ival))), true
	case *pg_query.A_Const_Fval:
		return ptr(v.Fval.Fval), true
	case *pg_query.A_Const_Boolval:
		return ptr(strconv.FormatBool(v.Boolval.Boolval)), true
	}
	return nil, false
}
