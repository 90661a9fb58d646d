package planner

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// Session statements (SET, SHOW, BEGIN, DISCARD, ...) are answered by the planner from the
// session's state, never by an engine. A front door applies what the plan says: a new setting
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

// SetCommand changes session settings.
type SetCommand struct {
	// Name is the parameter's canonical name; empty with All.
	Name string
	// Value is the new value, normalised; nil resets to the default.
	Value *string
	// All is RESET ALL.
	All bool
	// Local is SET LOCAL: the value lasts until the end of the transaction.
	Local bool
	// Report says the client expects a ParameterStatus for the new value.
	Report bool
}

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

func setStatement(st *pg_query.VariableSetStmt) (*Plan, error) {
	plan := &Plan{Kind: KindSet, Tag: "SET"}
	switch st.Kind {
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		plan.Tag = "RESET"
		plan.Set = &SetCommand{All: true}
		return plan, nil
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION ... / SET SESSION CHARACTERISTICS AS TRANSACTION ...: every
		// transaction here is read-only and sees committed data; nothing to change.
		plan.Kind = KindNoop
		return plan, nil
	case pg_query.VariableSetKind_VAR_SET_CURRENT:
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "SET ... FROM CURRENT is not supported")
	}
	name := st.Name
	if name == "session_authorization" && st.Kind != pg_query.VariableSetKind_VAR_SET_VALUE {
		// SET SESSION AUTHORIZATION DEFAULT (Npgsql's pool reset): the key's own identity.
		plan.Set = &SetCommand{Name: "session_authorization"}
		return plan, nil
	}
	if st.Kind == pg_query.VariableSetKind_VAR_RESET {
		plan.Tag = "RESET"
	}
	var value *string
	if st.Kind == pg_query.VariableSetKind_VAR_SET_VALUE {
		v, err := settingText(st.Args)
		if err != nil {
			return nil, err
		}
		value = &v
	}
	cmd, err := setCommand(name, value, st.IsLocal)
	if err != nil {
		return nil, err
	}
	plan.Set = cmd
	return plan, nil
}

// setCommand checks a change of a setting (SET or set_config): a nil value resets it.
func setCommand(name string, value *string, local bool) (*SetCommand, error) {
	def, ok := settings[strings.ToLower(name)]
	if !ok && !strings.Contains(name, ".") {
		return nil, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	canonical := name
	if ok {
		canonical = def.name
	}
	cmd := &SetCommand{Name: canonical, Local: local, Report: ok && def.report}
	if value != nil {
		if ok && def.readOnly {
			return nil, sqlerr.New(sqlerr.CantChangeRuntimeParam, "parameter %q cannot be changed", canonical)
		}
		v := *value
		if ok && def.normalize != nil {
			var err error
			if v, err = def.normalize(v); err != nil {
				return nil, err
			}
		}
		cmd.Value = &v
	}
	return cmd, nil
}

// settingText renders SET's value list the way SHOW prints it.
func settingText(args []*pg_query.Node) (string, error) {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch v := a.Node.(type) {
		case *pg_query.Node_AConst:
			switch c := v.AConst.Val.(type) {
			case *pg_query.A_Const_Sval:
				parts = append(parts, c.Sval.Sval)
			case *pg_query.A_Const_Ival:
				parts = append(parts, strconv.Itoa(int(c.Ival.Ival)))
			case *pg_query.A_Const_Fval:
				parts = append(parts, c.Fval.Fval)
			case *pg_query.A_Const_Boolval:
				parts = append(parts, map[bool]string{true: "on", false: "off"}[c.Boolval.Boolval])
			}
		case *pg_query.Node_TypeCast:
			// SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE: an offset in hours.
			s := v.TypeCast.Arg.GetAConst().GetSval().GetSval()
			hours, err := intervalHours(s)
			if err != nil {
				return "", err
			}
			parts = append(parts, hours)
		default:
			return "", sqlerr.New(sqlerr.SyntaxError, "SET takes constant values")
		}
	}
	return strings.Join(parts, ", "), nil
}

// intervalHours reads '+05:00' or '-7' as a number of hours.
func intervalHours(s string) (string, error) {
	s = strings.TrimSpace(s)
	sign := ""
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		sign, s = s[:1], s[1:]
	}
	h, m, _ := strings.Cut(s, ":")
	hours, err := strconv.Atoi(h)
	if err != nil || (m != "" && m != "00") {
		return "", sqlerr.New(sqlerr.InvalidParameterValue, "invalid time zone interval %q: whole hours only", s)
	}
	if sign == "-" {
		hours = -hours
	}
	return strconv.Itoa(hours), nil
}

func showStatement(s Session, name string) (*Plan, error) {
	if strings.EqualFold(name, "all") {
		plan := &Plan{Kind: KindLocal, Tag: "SHOW", Columns: []Column{{"name", TypeText}, {"setting", TypeText}, {"description", TypeText}}}
		for _, n := range sortedSettingNames() {
			v, def, _ := s.settingValue(n)
			plan.Rows = append(plan.Rows, []*string{ptr(def.name), ptr(v), ptr(def.desc)})
		}
		return plan, nil
	}
	v, def, ok := s.settingValue(name)
	if !ok {
		return nil, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	col := def.name
	if col == "" {
		col = name
	}
	return &Plan{Kind: KindLocal, Tag: "SHOW", Columns: []Column{{col, TypeText}}, Rows: [][]*string{{ptr(v)}}}, nil
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
var sessionFunctions = map[string]Type{
	"version": TypeText, "current_database": TypeText, "current_schema": TypeText,
	"current_setting": TypeText, "pg_backend_pid": TypeInt4, "pg_advisory_unlock_all": TypeText,
	"current_user": TypeText, "session_user": TypeText, "current_catalog": TypeText, "set_config": TypeText,
}

// VersionString is what version() answers; SQLAlchemy and others parse "PostgreSQL <n>.<n>".
const VersionString = "PostgreSQL " + ServerVersion + " (SetuPranali semantic gateway) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"

// sessionValue computes a session function. ok is false for a function that is not one.
func (b *binder) sessionValue(name string, args []*pg_query.Node) (*pg_query.Node, Type, bool, error) {
	t, ok := sessionFunctions[name]
	if !ok {
		return nil, Type{}, false, nil
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
			return nil, Type{}, true, sqlerr.New(sqlerr.FeatureNotSupported, "set_config takes a constant name, value and is_local")
		}
		var value *string
		if sv := args[1].GetAConst().GetSval(); sv != nil {
			value = &sv.Sval
		}
		cmd, err := setCommand(args[0].GetAConst().GetSval().GetSval(), value, args[2].GetAConst().GetBoolval().GetBoolval())
		if err != nil {
			return nil, Type{}, true, err
		}
		b.sessionSets = append(b.sessionSets, cmd)
		b.sessionDependent = true
		if cmd.Value == nil {
			val, _, _ := s.settingValue(cmd.Name)
			return pg_query.MakeAConstStrNode(val, -1), t, true, nil
		}
		return pg_query.MakeAConstStrNode(*cmd.Value, -1), t, true, nil
	case "pg_advisory_unlock_all":
		// No advisory locks exist here: nothing to unlock, and PostgreSQL answers void.
		v = ""
	case "current_setting":
		if len(args) < 1 || len(args) > 2 || args[0].GetAConst().GetSval() == nil {
			return nil, Type{}, true, sqlerr.New(sqlerr.FeatureNotSupported, "current_setting takes a constant setting name")
		}
		name := args[0].GetAConst().GetSval().GetSval()
		val, _, found := s.settingValue(name)
		if !found {
			missingOK := len(args) == 2 && args[1].GetAConst().GetBoolval().GetBoolval()
			if !missingOK {
				return nil, Type{}, true, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
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
