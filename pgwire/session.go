package pgwire

import (
	"context"
	"maps"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/planner/session"
	"github.com/setupranali/setupranali/sqlerr"
)

// Session settings are kept the way PostgreSQL keeps its run-time parameters (GUCs): a session
// value, SET LOCAL values that last until the transaction ends, ROLLBACK undoing the SETs of the
// transaction, RESET going back to what the startup packet asked for. The planner reads the
// active values from planner.Session (SHOW, current_setting, time zone of time grains).
//
// Reported parameters are sent in a ParameterStatus when their value changed, just before
// ReadyForQuery and only if the value differs from the last one sent: PostgreSQL 14+ batches its
// reports there, so SET in a transaction that is rolled back reports nothing, and two SETs in
// one query report once.

// settingsState is the part of a session that SET changes.
type settingsState struct {
	// settings are the values set, by lower-case name; TimeZone is never among them.
	settings map[string]string
	// timeZone is planner.Session.TimeZone: "" until the client names one (time grains then
	// follow each dataset's default zone).
	timeZone string
}

func (s settingsState) clone() settingsState {
	return settingsState{settings: maps.Clone(s.settings), timeZone: s.timeZone}
}

// set applies one change; a nil value removes the setting, so the planner's default shows.
func (s *settingsState) set(key string, value *string) {
	switch {
	case key == "timezone" && value == nil:
		s.timeZone = ""
	case key == "timezone":
		s.timeZone = *value
	case value == nil:
		delete(s.settings, key)
	default:
		s.settings[key] = *value
	}
}

// startupDefaults are the values of the reported parameters before the startup packet's are
// applied, in the order they are first reported. They are what drivers insist on (see
// shared/reference/driver-startup.md).
func (c *conn) startupDefaults() [][2]string {
	return [][2]string{
		{"server_version", c.srv.cfg.ServerVersion},
		{"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"IntervalStyle", "postgres"},
		{"integer_datetimes", "on"},
		{"standard_conforming_strings", "on"},
		{"TimeZone", "UTC"},
		{"application_name", ""},
		{"is_superuser", "off"},
		{"session_authorization", ""},
		{"default_transaction_read_only", "off"},
		{"in_hot_standby", "off"},
	}
}

// ignoredStartupParams are startup packet entries that are not settings to apply: connection
// parameters, ones handled apart, and ones a client may not choose.
var ignoredStartupParams = map[string]bool{
	"user": true, "database": true, "options": true, "replication": true,
	"timezone": true, "session_authorization": true,
}

// initSession builds the session from the startup packet. A known setting's value is checked and
// normalised as SET would (package session), so it reads back as if set later; one that is
// refused is ignored, as drivers send settings this gateway cannot honour (and PostgreSQL would).
func (c *conn) initSession(base planner.Session, sm map[string]string, timeZone string) {
	c.session = base
	c.session.TimeZone = timeZone
	c.session.Settings = map[string]string{}
	for name, value := range sm {
		key := strings.ToLower(name)
		if ignoredStartupParams[key] {
			continue
		}
		canonical, _, _, ok := session.Lookup(name)
		if !ok {
			continue
		}
		v, err := startupValue(canonical, value)
		if err != nil {
			c.log.Debug("startup parameter ignored", "name", canonical, "error", err)
			continue
		}
		c.session.Settings[strings.ToLower(canonical)] = v
	}
	c.persist = settingsState{settings: maps.Clone(c.session.Settings), timeZone: timeZone}
	c.resetTo = c.persist.clone()

	c.reported = map[string]string{}
	c.defaults = map[string]string{}
	for _, d := range c.startupDefaults() {
		c.reportOrder = append(c.reportOrder, d[0])
		c.defaults[d[0]] = d[1]
	}
}

// startupValue checks a startup packet's value of a known setting and normalises it.
func startupValue(name, value string) (string, error) {
	cmd, err := session.Set(name, &value, false)
	if err != nil {
		return "", err
	}
	return *cmd.Value, nil
}

// reportValue is the current value of a reported parameter, as its ParameterStatus says it.
func (c *conn) reportValue(name string) string {
	switch name {
	case "TimeZone":
		if c.session.TimeZone != "" {
			return c.session.TimeZone
		}
		return "UTC"
	case "session_authorization":
		if v, ok := c.session.Settings["session_authorization"]; ok {
			return v
		}
		return c.session.User
	}
	if v, ok := c.session.Settings[strings.ToLower(name)]; ok {
		return v
	}
	if v, ok := c.defaults[name]; ok {
		return v
	}
	_, def, _, _ := session.Lookup(name)
	return def
}

// sendStartupReports sends every reported parameter, as after authentication.
func (c *conn) sendStartupReports() {
	for _, name := range c.reportOrder {
		v := c.reportValue(name)
		c.reported[name] = v
		c.out.send(&pgproto3.ParameterStatus{Name: name, Value: v})
	}
}

// sendChangedReports sends a ParameterStatus for each reported parameter whose value is not the
// one last sent; it runs just before ReadyForQuery.
func (c *conn) sendChangedReports() {
	for _, name := range c.reportOrder {
		if v := c.reportValue(name); v != c.reported[name] {
			c.reported[name] = v
			c.out.send(&pgproto3.ParameterStatus{Name: name, Value: v})
		}
	}
}

// track makes a parameter the planner says is reported part of the reports, with its value
// before the change as the last one sent.
func (c *conn) track(name string) {
	if _, ok := c.reported[name]; ok {
		return
	}
	c.reported[name] = c.reportValue(name)
	c.reportOrder = append(c.reportOrder, name)
}

// activeSettings are the settings the planner sees.
func (c *conn) activeSettings() settingsState {
	return settingsState{settings: c.session.Settings, timeZone: c.session.TimeZone}
}

func (c *conn) setActive(s settingsState) {
	c.session.Settings, c.session.TimeZone = s.settings, s.timeZone
}

// applySet carries out SET, RESET and RESET ALL. It runs inside a transaction (every statement
// does), which remembers the settings before its first change so ROLLBACK can restore them.
func (c *conn) applySet(cmd *session.Command) error {
	if cmd == nil {
		return sqlerr.Internal(errNoSetCommand)
	}
	c.beforeSettingsChange()
	if cmd.All {
		// RESET ALL leaves the session authorization alone, as PostgreSQL does.
		next := c.resetTo.clone()
		if v, ok := c.persist.settings["session_authorization"]; ok {
			next.settings["session_authorization"] = v
		}
		c.persist = next
		c.setActive(next.clone())
		return nil
	}
	key := strings.ToLower(cmd.Name)
	value := cmd.Value
	if key == "session_authorization" && value != nil && *value != c.session.User {
		// Only a superuser may become someone else, and no key is one.
		return sqlerr.New(sqlerr.InsufficientPrivilege, "permission denied to set session authorization")
	}
	if value == nil {
		// RESET and SET ... TO DEFAULT go back to the startup packet's value, if it had one.
		if key == "timezone" {
			value = &c.resetTo.timeZone
		} else if v, ok := c.resetTo.settings[key]; ok {
			value = &v
		}
	}
	if cmd.Report {
		c.track(cmd.Name)
	}
	if cmd.Local {
		if c.tx != nil && c.tx.kind == txStarted {
			c.warn(sqlerr.NoActiveSQLTransaction, "SET LOCAL can only be used in transaction blocks")
		}
		active := c.activeSettings()
		active.set(key, value)
		c.setActive(active)
		return nil
	}
	c.persist.set(key, value)
	active := c.activeSettings()
	active.set(key, value)
	c.setActive(active)
	return nil
}

// statementContext carries the session's statement_timeout (SET statement_timeout) to the
// executor.
func (c *conn) statementContext(ctx context.Context) context.Context {
	return engine.WithStatementTimeout(ctx, session.StatementTimeout(c.session.Settings["statement_timeout"]))
}

// debugOn reports SET setupranali.debug = on: notices then tell how a result was produced.
func (c *conn) debugOn() bool {
	switch strings.ToLower(c.session.Settings["setupranali.debug"]) {
	case "on", "true", "1", "yes":
		return true
	}
	return false
}

// applySessionSets carries out the set_config() calls of a query before it runs.
func (c *conn) applySessionSets(plan *planner.Plan) error {
	for _, cmd := range plan.SessionSets {
		if err := c.applySet(cmd); err != nil {
			return err
		}
	}
	return nil
}
