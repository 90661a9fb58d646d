package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner/session"
	"github.com/setupranali/setupranali/sqlerr"
)

// Session statements (SET, SHOW, BEGIN, DISCARD, ...) are answered by the planner from the
// session's state, never by an engine; what a parameter accepts and shows is package session's. A front door applies what the plan says: a new setting
// (and its ParameterStatus), a transaction state change, prepared statements to drop.

// TxOp is a transaction control statement.
type TxOp int

// Transaction control statements.
const (
	TxBegin TxOp = iota + 1
	TxCommit
	TxRollback
	TxSavepoint
	TxRelease
	TxRollbackTo
)

// sessionStatement plans a statement that is not a query, or reports that it is not one.
func (p *Planner) sessionStatement(s Session, node *pg_query.Node) (*Plan, bool, error) {
	switch v := node.Node.(type) {
	case *pg_query.Node_VariableSetStmt:
		plan, err := setStatement(v.VariableSetStmt)
		return plan, true, err
	case *pg_query.Node_VariableShowStmt:
		plan, err := showStatement(s, v.VariableShowStmt.Name)
		return plan, true, err
	case *pg_query.Node_TransactionStmt:
		plan, err := transactionStatement(v.TransactionStmt)
		return plan, true, err
	case *pg_query.Node_DiscardStmt:
		tag := "DISCARD " + strings.TrimPrefix(v.DiscardStmt.Target.String(), "DISCARD_")
		return &Plan{Kind: KindDiscard, Tag: tag, Discard: v.DiscardStmt.Target == pg_query.DiscardMode_DISCARD_ALL}, true, nil
	case *pg_query.Node_DeallocateStmt:
		tag := "DEALLOCATE"
		if v.DeallocateStmt.Isall {
			tag = "DEALLOCATE ALL"
		}
		return &Plan{Kind: KindDeallocate, Tag: tag, Statement: v.DeallocateStmt.Name}, true, nil
	case *pg_query.Node_UnlistenStmt:
		return &Plan{Kind: KindNoop, Tag: "UNLISTEN"}, true, nil
	case *pg_query.Node_FetchStmt:
		plan, err := fetchStatement(v.FetchStmt)
		return plan, true, err
	case *pg_query.Node_ClosePortalStmt:
		tag := "CLOSE CURSOR"
		if v.ClosePortalStmt.Portalname == "" {
			tag = "CLOSE CURSOR ALL"
		}
		return &Plan{Kind: KindClose, Tag: tag, Cursor: &CursorCommand{Name: v.ClosePortalStmt.Portalname}}, true, nil
	}
	return nil, false, nil
}

// setStatement plans SET and RESET; package session checks the change.
func setStatement(st *pg_query.VariableSetStmt) (*Plan, error) {
	cmd, tag, err := session.SetStatement(st)
	if err != nil {
		return nil, err
	}
	if cmd == nil {
		return &Plan{Kind: KindNoop, Tag: tag}, nil
	}
	return &Plan{Kind: KindSet, Tag: tag, Set: cmd}, nil
}

// values are the session's parameter values as package session reads them.
func (s Session) values() session.Values {
	return session.Values{Settings: s.Settings, TimeZone: s.TimeZone, User: s.User}
}

// showStatement answers SHOW from the session's values.
func showStatement(s Session, name string) (*Plan, error) {
	if strings.EqualFold(name, "all") {
		plan := &Plan{Kind: KindLocal, Tag: "SHOW", Columns: []Column{{Name: "name", Type: pgtypes.Text}, {Name: "setting", Type: pgtypes.Text}, {Name: "description", Type: pgtypes.Text}}}
		for _, row := range s.values().ShowAll() {
			plan.Rows = append(plan.Rows, []*string{ptr(row[0]), ptr(row[1]), ptr(row[2])})
		}
		return plan, nil
	}
	col, v, err := s.values().Show(name)
	if err != nil {
		return nil, err
	}
	return &Plan{Kind: KindLocal, Tag: "SHOW", Columns: []Column{{Name: col, Type: pgtypes.Text}}, Rows: [][]*string{{ptr(v)}}}, nil
}

func transactionStatement(st *pg_query.TransactionStmt) (*Plan, error) {
	plan := &Plan{Kind: KindTransaction, Savepoint: st.SavepointName}
	switch st.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN:
		plan.Tx, plan.Tag = TxBegin, "BEGIN"
	case pg_query.TransactionStmtKind_TRANS_STMT_START:
		plan.Tx, plan.Tag = TxBegin, "START TRANSACTION"
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		plan.Tx, plan.Tag = TxCommit, "COMMIT"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		plan.Tx, plan.Tag = TxRollback, "ROLLBACK"
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		plan.Tx, plan.Tag = TxSavepoint, "SAVEPOINT"
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		plan.Tx, plan.Tag = TxRelease, "RELEASE"
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		plan.Tx, plan.Tag = TxRollbackTo, "ROLLBACK"
	default:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "two-phase commit is not supported")
	}
	return plan, nil
}

func ptr(s string) *string { return &s }

// sessionFunctions are answered from the session at plan time: the plan then holds the values
// and is not shared through the plan cache.
var sessionFunctions = map[string]pgtypes.Type{
	"version": pgtypes.Text, "current_database": pgtypes.Text, "current_schema": pgtypes.Text,
	"current_setting": pgtypes.Text, "pg_backend_pid": pgtypes.Int4, "pg_advisory_unlock_all": pgtypes.Text,
	"current_user": pgtypes.Text, "session_user": pgtypes.Text, "current_catalog": pgtypes.Text, "set_config": pgtypes.Text,
}

// VersionString is what version() answers; SQLAlchemy and others parse "PostgreSQL <n>.<n>".
const VersionString = "PostgreSQL " + session.ServerVersion + " (SetuPranali semantic gateway) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"

// sessionValue computes a session function. ok is false for a function that is not one.
func (b *binder) sessionValue(name string, args []*pg_query.Node) (*pg_query.Node, pgtypes.Type, bool, error) {
	t, ok := sessionFunctions[name]
	if !ok {
		return nil, pgtypes.Type{}, false, nil
	}
	s := b.sess
	var v string
	switch name {
	case "version":
		v = VersionString
	case "current_database", "current_catalog":
		v = s.Database
	case "current_schema":
		v = "public"
	case "current_user", "session_user":
		v = s.User
	case "pg_backend_pid":
		return pg_query.MakeAConstIntNode(0, -1), t, true, nil
	case "set_config":
		// set_config(name, value, is_local): the change is applied when the query runs, and
		// the call answers the new value.
		if len(args) != 3 || args[0].GetAConst().GetSval() == nil || args[1].GetAConst() == nil || args[2].GetAConst().GetBoolval() == nil {
			return nil, pgtypes.Type{}, true, sqlerr.New(sqlerr.FeatureNotSupported, "set_config takes a constant name, value and is_local")
		}
		var value *string
		if sv := args[1].GetAConst().GetSval(); sv != nil {
			value = &sv.Sval
		}
		cmd, err := session.Set(args[0].GetAConst().GetSval().GetSval(), value, args[2].GetAConst().GetBoolval().GetBoolval())
		if err != nil {
			return nil, pgtypes.Type{}, true, err
		}
		b.sessionSets = append(b.sessionSets, cmd)
		b.sessionDependent = true
		if cmd.Value == nil {
			val, _ := s.values().Value(cmd.Name)
			return pg_query.MakeAConstStrNode(val, -1), t, true, nil
		}
		return pg_query.MakeAConstStrNode(*cmd.Value, -1), t, true, nil
	case "pg_advisory_unlock_all":
		// No advisory locks exist here: nothing to unlock, and PostgreSQL answers void.
		v = ""
	case "current_setting":
		if len(args) < 1 || len(args) > 2 || args[0].GetAConst().GetSval() == nil {
			return nil, pgtypes.Type{}, true, sqlerr.New(sqlerr.FeatureNotSupported, "current_setting takes a constant setting name")
		}
		name := args[0].GetAConst().GetSval().GetSval()
		val, found := s.values().Value(name)
		if !found {
			missingOK := len(args) == 2 && args[1].GetAConst().GetBoolval().GetBoolval()
			if !missingOK {
				return nil, pgtypes.Type{}, true, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
			}
			b.sessionDependent = true
			return &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Isnull: true, Location: -1}}}, t, true, nil
		}
		v = val
	}
	b.sessionDependent = true
	return pg_query.MakeAConstStrNode(v, -1), t, true, nil
}

// sqlValueSession answers CURRENT_USER, SESSION_USER, USER, CURRENT_ROLE, CURRENT_CATALOG and
// CURRENT_SCHEMA from the session; nil for the other SQL value functions (dates and times).
func (b *binder) sqlValueSession(op pg_query.SQLValueFunctionOp) *pg_query.Node {
	var v string
	switch op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER,
		pg_query.SQLValueFunctionOp_SVFOP_USER, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		v = b.sess.User
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		v = b.sess.Database
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		v = "public"
	default:
		return nil
	}
	b.sessionDependent = true
	return pg_query.MakeAConstStrNode(v, -1)
}
