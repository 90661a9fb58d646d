package pgwire

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/planner/session"
	"github.com/setupranali/setupranali/sqlerr"
)

// fakeSessionPlan plans the session statements the tests use, as the real planner would answer
// them (a few spellings only). ok is false for anything else.
func fakeSessionPlan(s planner.Session, sql string) (*planner.Plan, bool, error) {
	lower := strings.ToLower(strings.TrimSpace(sql))
	tx := func(op planner.TxOp, tag, savepoint string) (*planner.Plan, bool, error) {
		return &planner.Plan{Kind: planner.KindTransaction, Tx: op, Tag: tag, Savepoint: savepoint}, true, nil
	}
	switch {
	case lower == "begin":
		return tx(planner.TxBegin, "BEGIN", "")
	case lower == "commit":
		return tx(planner.TxCommit, "COMMIT", "")
	case lower == "rollback":
		return tx(planner.TxRollback, "ROLLBACK", "")
	case strings.HasPrefix(lower, "savepoint "):
		return tx(planner.TxSavepoint, "SAVEPOINT", strings.TrimPrefix(lower, "savepoint "))
	case strings.HasPrefix(lower, "release "):
		return tx(planner.TxRelease, "RELEASE", strings.TrimPrefix(lower, "release "))
	case strings.HasPrefix(lower, "rollback to "):
		return tx(planner.TxRollbackTo, "ROLLBACK", strings.TrimPrefix(lower, "rollback to "))
	case lower == "discard all":
		return &planner.Plan{Kind: planner.KindDiscard, Tag: "DISCARD ALL", Discard: true}, true, nil
	case lower == "deallocate all":
		return &planner.Plan{Kind: planner.KindDeallocate, Tag: "DEALLOCATE ALL"}, true, nil
	case strings.HasPrefix(lower, "deallocate "):
		return &planner.Plan{Kind: planner.KindDeallocate, Tag: "DEALLOCATE", Statement: strings.TrimPrefix(sql, "deallocate ")}, true, nil
	case lower == "reset all":
		return &planner.Plan{Kind: planner.KindSet, Tag: "RESET", Set: &session.Command{All: true}}, true, nil
	case strings.HasPrefix(lower, "reset "):
		return fakeSet(strings.TrimPrefix(lower, "reset "), nil, false, "RESET")
	case strings.HasPrefix(lower, "show "):
		name := strings.TrimPrefix(lower, "show ")
		canonical, def, _, ok := session.Lookup(name)
		if !ok {
			return nil, true, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		v, set := s.Settings[strings.ToLower(canonical)]
		switch {
		case canonical == "TimeZone":
			v = s.TimeZone
			if v == "" {
				v = def
			}
		case !set:
			v = def
		}
		return &planner.Plan{Kind: planner.KindLocal, Tag: "SHOW",
			Columns: []planner.Column{{Name: canonical, Type: pgtypes.Text}}, Rows: [][]*string{{&v}}}, true, nil
	}
	if m := setPattern.FindStringSubmatch(sql); m != nil {
		name := strings.Trim(m[2], `"`)
		value := strings.ReplaceAll(strings.Trim(m[3], "'"), "''", "'")
		var v *string
		if !strings.EqualFold(value, "default") {
			v = &value
		}
		return fakeSet(name, v, strings.EqualFold(strings.TrimSpace(m[1]), "local"), "SET")
	}
	return nil, false, nil
}

var setPattern = regexp.MustCompile(`(?i)^set\s+(local\s+|session\s+)?(time zone|"?[\w.]+"?)\s*(?:to|=|\s)\s*(.+)$`)

func fakeSet(name string, value *string, local bool, tag string) (*planner.Plan, bool, error) {
	if strings.EqualFold(name, "time zone") {
		name = "TimeZone"
	}
	canonical, _, report, ok := session.Lookup(name)
	if !ok {
		return nil, true, sqlerr.New(sqlerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	if value != nil && canonical == "extra_float_digits" {
		if n, err := strconv.Atoi(*value); err != nil || n < -15 || n > 3 {
			return nil, true, sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", canonical, *value)
		}
	}
	if value != nil && canonical == "TimeZone" {
		tz, err := session.NormalizeTimeZone(*value)
		if err != nil {
			return nil, true, err
		}
		value = &tz
	}
	return &planner.Plan{Kind: planner.KindSet, Tag: tag,
		Set: &session.Command{Name: canonical, Value: value, Local: local, Report: report}}, true, nil
}
