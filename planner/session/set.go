package session

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

// Command changes session settings; the front door that keeps the session carries it out.
type Command struct {
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

// Set checks a change of a parameter (SET, set_config, a startup packet's setting) and returns
// it with the value normalised to what SHOW will print; a nil value resets the parameter.
func Set(name string, value *string, local bool) (*Command, error) {
	def, ok := settings[strings.ToLower(name)]
	if !ok && !strings.Contains(name, ".") {
		return nil, unrecognized(name)
	}
	canonical := name
	if ok {
		canonical = def.name
	}
	cmd := &Command{Name: canonical, Local: local, Report: ok && def.report}
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

// SetStatement reads a SET or RESET statement: the change it asks for and its command tag. A
// nil command with no error is a statement with nothing to change (SET TRANSACTION ...: every
// transaction here is read-only and sees committed data).
func SetStatement(st *pg_query.VariableSetStmt) (*Command, string, error) {
	switch st.Kind {
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		return &Command{All: true}, "RESET", nil
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		return nil, "SET", nil
	case pg_query.VariableSetKind_VAR_SET_CURRENT:
		return nil, "", sqlerr.New(sqlerr.FeatureNotSupported, "SET ... FROM CURRENT is not supported")
	}
	if st.Name == "session_authorization" && st.Kind != pg_query.VariableSetKind_VAR_SET_VALUE {
		// SET SESSION AUTHORIZATION DEFAULT (Npgsql's pool reset): the key's own identity.
		return &Command{Name: "session_authorization"}, "SET", nil
	}
	tag := "SET"
	if st.Kind == pg_query.VariableSetKind_VAR_RESET {
		tag = "RESET"
	}
	var value *string
	if st.Kind == pg_query.VariableSetKind_VAR_SET_VALUE {
		v, err := settingText(st.Args)
		if err != nil {
			return nil, "", err
		}
		value = &v
	}
	cmd, err := Set(st.Name, value, st.IsLocal)
	if err != nil {
		return nil, "", err
	}
	return cmd, tag, nil
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

func unrecognized(name string) error {
	return sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
}
