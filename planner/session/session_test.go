package session

import (
	"errors"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

func code(err error) string {
	var se *sqlerr.Error
	if errors.As(err, &se) {
		return se.Code
	}
	if err != nil {
		return "no SQLSTATE: " + err.Error()
	}
	return ""
}

func TestSetNormalisesOrRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, value   string
		canonical     string
		want, errCode string
		report        bool
	}{
		{name: "datestyle", value: "iso, dmy", canonical: "DateStyle", want: "ISO, DMY", report: true},
		{name: "DateStyle", value: "ISO", canonical: "DateStyle", want: "ISO, MDY", report: true},
		{name: "DateStyle", value: "German", errCode: sqlerr.InvalidParameterValue},
		{name: "timezone", value: "-7", canonical: "TimeZone", want: "Etc/GMT+7", report: true},
		{name: "TimeZone", value: "zulu", canonical: "TimeZone", want: "UTC", report: true},
		{name: "TimeZone", value: "Mars/Olympus", errCode: sqlerr.InvalidParameterValue},
		{name: "TimeZone", value: "5.5", errCode: sqlerr.InvalidParameterValue},
		{name: "client_encoding", value: "unicode", canonical: "client_encoding", want: "UTF8", report: true},
		{name: "client_encoding", value: "LATIN1", errCode: sqlerr.InvalidParameterValue},
		{name: "statement_timeout", value: "90000", canonical: "statement_timeout", want: "90s"},
		{name: "statement_timeout", value: "1500 ms", canonical: "statement_timeout", want: "1500ms"},
		{name: "statement_timeout", value: "5 fortnights", errCode: sqlerr.InvalidParameterValue},
		{name: "extra_float_digits", value: "4", errCode: sqlerr.InvalidParameterValue},
		{name: "default_transaction_read_only", value: "yes", canonical: "default_transaction_read_only", want: "on", report: true},
		{name: "application_name", value: "Power BI", canonical: "application_name", want: "Power BI", report: true},
		{name: "server_version", value: "16", errCode: sqlerr.CantChangeRuntimeParam},
		{name: "no_such_setting", value: "1", errCode: sqlerr.UndefinedObject},
		{name: "myapp.tenant", value: "x", canonical: "myapp.tenant", want: "x"},
	} {
		v := tc.value
		cmd, err := Set(tc.name, &v, false)
		if code(err) != tc.errCode {
			t.Errorf("%s=%q: error %v, want %s", tc.name, tc.value, err, tc.errCode)
			continue
		}
		if err != nil {
			continue
		}
		if cmd.Name != tc.canonical || cmd.Value == nil || *cmd.Value != tc.want || cmd.Report != tc.report {
			t.Errorf("%s=%q: %+v (value %v), want %s=%q report=%v", tc.name, tc.value, cmd, cmd.Value, tc.canonical, tc.want, tc.report)
		}
	}
	// Resetting a read-only parameter is no change, so it is not refused.
	if cmd, err := Set("server_version", nil, true); err != nil || cmd.Value != nil || !cmd.Local {
		t.Errorf("reset: %+v %v", cmd, err)
	}
}

func TestSetStatement(t *testing.T) {
	for _, tc := range []struct {
		sql, tag, name, value, errCode string
		all, local, none, reset        bool
	}{
		{sql: "SET TIME ZONE INTERVAL '+05:00' HOUR TO MINUTE", tag: "SET", name: "TimeZone", value: "Etc/GMT-5"},
		{sql: "SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE", errCode: sqlerr.InvalidParameterValue},
		{sql: "SET LOCAL search_path TO a, b", tag: "SET", name: "search_path", value: "a, b", local: true},
		{sql: "SET extra_float_digits = 3", tag: "SET", name: "extra_float_digits", value: "3"},
		{sql: "SET standard_conforming_strings = on", tag: "SET", name: "standard_conforming_strings", value: "on"},
		{sql: "SET statement_timeout = 2.5", tag: "SET", errCode: sqlerr.InvalidParameterValue},
		{sql: "SET search_path = DEFAULT", tag: "SET", name: "search_path", reset: true},
		{sql: "RESET DateStyle", tag: "RESET", name: "DateStyle", reset: true},
		{sql: "RESET ALL", tag: "RESET", all: true},
		{sql: "SET SESSION AUTHORIZATION DEFAULT", tag: "SET", name: "session_authorization", reset: true},
		{sql: "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", tag: "SET", none: true},
		{sql: "SET search_path FROM CURRENT", errCode: sqlerr.FeatureNotSupported},
		{sql: "SET nope = 1", errCode: sqlerr.UndefinedObject},
	} {
		tree, err := pg_query.Parse(tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		cmd, tag, err := SetStatement(tree.Stmts[0].Stmt.GetVariableSetStmt())
		if code(err) != tc.errCode {
			t.Errorf("%s: error %v, want %s", tc.sql, err, tc.errCode)
			continue
		}
		if err != nil {
			continue
		}
		if tag != tc.tag || (cmd == nil) != tc.none {
			t.Errorf("%s: tag %q command %+v", tc.sql, tag, cmd)
			continue
		}
		if cmd == nil {
			continue
		}
		got := ""
		if cmd.Value != nil {
			got = *cmd.Value
		}
		if cmd.Name != tc.name || got != tc.value || cmd.All != tc.all || cmd.Local != tc.local || (cmd.Value == nil) != (tc.reset || tc.all) {
			t.Errorf("%s: %+v value %q", tc.sql, cmd, got)
		}
	}
}

func TestShow(t *testing.T) {
	v := Values{Settings: map[string]string{"datestyle": "ISO, DMY", "myapp.x": "1"}, User: "key1"}
	for _, tc := range []struct{ name, col, value, errCode string }{
		{"DATESTYLE", "DateStyle", "ISO, DMY", ""},
		{"timezone", "TimeZone", "UTC", ""},
		{"session_authorization", "session_authorization", "key1", ""},
		{"server_version", "server_version", ServerVersion, ""},
		{"myapp.x", "myapp.x", "1", ""},
		{"myapp.y", "", "", sqlerr.UndefinedObject},
		{"nope", "", "", sqlerr.UndefinedObject},
	} {
		col, val, err := v.Show(tc.name)
		if code(err) != tc.errCode || col != tc.col || val != tc.value {
			t.Errorf("SHOW %s: %q %q %v, want %q %q %s", tc.name, col, val, err, tc.col, tc.value, tc.errCode)
		}
	}
	v.TimeZone = "Europe/Berlin"
	if val, ok := v.Value("TimeZone"); !ok || val != "Europe/Berlin" {
		t.Errorf("TimeZone %q %v", val, ok)
	}
	all := v.ShowAll()
	if len(all) != len(Defaults()) {
		t.Fatalf("SHOW ALL has %d rows for %d parameters", len(all), len(Defaults()))
	}
	for i := 1; i < len(all); i++ {
		if !(lowerLess(all[i-1][0], all[i][0])) {
			t.Errorf("SHOW ALL out of order at %s, %s", all[i-1][0], all[i][0])
		}
	}
	for _, row := range all {
		if row[0] == "DateStyle" && row[1] != "ISO, DMY" {
			t.Errorf("SHOW ALL DateStyle %q", row[1])
		}
		if row[2] == "" {
			t.Errorf("%s has no description", row[0])
		}
	}
}

func lowerLess(a, b string) bool {
	la, lb := []byte(a), []byte(b)
	for i := range la {
		if la[i] >= 'A' && la[i] <= 'Z' {
			la[i] += 'a' - 'A'
		}
	}
	for i := range lb {
		if lb[i] >= 'A' && lb[i] <= 'Z' {
			lb[i] += 'a' - 'A'
		}
	}
	return string(la) < string(lb)
}

func TestLookupAndDefaults(t *testing.T) {
	canonical, def, report, ok := Lookup("timezone")
	if !ok || canonical != "TimeZone" || def != "UTC" || !report {
		t.Errorf("Lookup(timezone) = %q %q %v %v", canonical, def, report, ok)
	}
	if _, _, _, ok := Lookup("myapp.tenant"); ok {
		t.Error("a custom placeholder is not a known parameter")
	}
	if _, _, report, _ := Lookup("server_version_num"); report {
		t.Error("server_version_num is not reported")
	}
	if got := StatementTimeout("2min"); got != 2*time.Minute {
		t.Errorf("StatementTimeout(2min) = %v", got)
	}
	if got := StatementTimeout("soon"); got != 0 {
		t.Errorf("StatementTimeout(soon) = %v", got)
	}
}
