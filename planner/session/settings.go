package session

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/sqlerr"
)

// ServerVersion is the PostgreSQL version the gateway speaks as. Drivers and psql choose their
// catalog queries by it, and the catalog emulation answers as this version.
const (
	ServerVersion    = "15.8"
	ServerVersionNum = "150008"
)

// setting is one run-time parameter a session can SHOW and, unless readOnly, SET.
type setting struct {
	// name is the canonical spelling, which SHOW uses as its column name.
	name     string
	def      string
	readOnly bool
	// report marks the parameters PostgreSQL sends again in a ParameterStatus when they change.
	report bool
	desc   string
	// normalize validates a new value and returns the form SHOW will print.
	normalize func(string) (string, error)
}

var settingList = []setting{
	{name: "application_name", def: "", report: true, desc: "Sets the application name to be reported in statistics and logs."},
	{name: "client_encoding", def: "UTF8", report: true, desc: "Sets the client's character set encoding.", normalize: normalizeEncoding},
	{name: "DateStyle", def: "ISO, MDY", report: true, desc: "Sets the display format for date and time values.", normalize: normalizeDateStyle},
	{name: "IntervalStyle", def: "postgres", report: true, desc: "Sets the display format for interval values.", normalize: oneOf("postgres")},
	{name: "TimeZone", def: "UTC", report: true, desc: "Sets the time zone for displaying and interpreting time stamps.", normalize: NormalizeTimeZone},
	{name: "integer_datetimes", def: "on", readOnly: true, report: true, desc: "Shows whether datetimes are integer based."},
	{name: "standard_conforming_strings", def: "on", report: true, desc: "Causes '...' strings to treat backslashes literally.", normalize: oneOf("on")},
	{name: "server_version", def: ServerVersion, readOnly: true, report: true, desc: "Shows the server version."},
	{name: "server_version_num", def: ServerVersionNum, readOnly: true, desc: "Shows the server version as an integer."},
	{name: "server_encoding", def: "UTF8", readOnly: true, report: true, desc: "Shows the server (database) character set encoding."},
	{name: "is_superuser", def: "off", readOnly: true, report: true, desc: "Shows whether the current user is a superuser."},
	{name: "session_authorization", def: "", report: true, desc: "Sets the session user name."},
	{name: "default_transaction_read_only", def: "off", report: true, desc: "Sets the default read-only status of new transactions.", normalize: boolSetting},
	{name: "in_hot_standby", def: "off", readOnly: true, report: true, desc: "Shows whether hot standby is currently active."},
	{name: "transaction_isolation", def: "read committed", desc: "Sets the current transaction's isolation level.", normalize: lower},
	{name: "default_transaction_isolation", def: "read committed", desc: "Sets the transaction isolation level of each new transaction.", normalize: lower},
	{name: "transaction_read_only", def: "off", desc: "Sets the current transaction's read-only status.", normalize: boolSetting},
	{name: "extra_float_digits", def: "1", desc: "Sets the number of digits displayed for floating-point values.", normalize: intRange(-15, 3)},
	{name: "search_path", def: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."},
	{name: "statement_timeout", def: "0", desc: "Sets the maximum allowed duration of any statement.", normalize: durationSetting},
	{name: "lock_timeout", def: "0", desc: "Sets the maximum allowed duration of any wait for a lock."},
	{name: "idle_in_transaction_session_timeout", def: "0", desc: "Sets the maximum allowed idle time between queries, when in a transaction.", normalize: durationSetting},
	{name: "idle_session_timeout", def: "0", desc: "Sets the maximum allowed idle time between queries, when not in a transaction.", normalize: durationSetting},
	{name: "client_min_messages", def: "notice", desc: "Sets the message levels that are sent to the client.", normalize: lower},
	{name: "bytea_output", def: "hex", desc: "Sets the output format for bytea.", normalize: oneOf("hex")},
	{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."},
	{name: "max_index_keys", def: "32", readOnly: true, desc: "Shows the maximum number of index keys."},
	{name: "block_size", def: "8192", readOnly: true, desc: "Shows the size of a disk block."},
	{name: "lc_collate", def: "C.UTF-8", readOnly: true, desc: "Shows the collation order locale."},
	{name: "lc_ctype", def: "C.UTF-8", readOnly: true, desc: "Shows the character classification and case conversion locale."},
	{name: "lc_messages", def: "C.UTF-8", desc: "Sets the language in which messages are displayed."},
	{name: "lc_monetary", def: "C.UTF-8", desc: "Sets the locale for formatting monetary amounts."},
	{name: "lc_numeric", def: "C.UTF-8", desc: "Sets the locale for formatting numbers."},
	{name: "lc_time", def: "C.UTF-8", desc: "Sets the locale for formatting date and time values."},
	{name: "row_security", def: "on", desc: "Enable row security."},
	{name: "escape_string_warning", def: "on", desc: "Warn about backslash escapes in ordinary string literals."},
	{name: "backslash_quote", def: "safe_encoding", desc: `Sets whether "\'" is allowed in string literals.`},
	{name: "ssl", def: "off", readOnly: true, desc: "Enables SSL connections."},
	{name: "work_mem", def: "4MB", desc: "Sets the maximum memory to be used for query workspaces."},
	{name: "jit", def: "off", desc: "Allow JIT compilation."},
	{name: "timezone_abbreviations", def: "Default", desc: "Selects a file of time zone abbreviations."},
}

// settings indexes settingList by lower-case name; it is never modified after init.
var settings = func() map[string]*setting {
	m := make(map[string]*setting, len(settingList))
	for i := range settingList {
		m[strings.ToLower(settingList[i].name)] = &settingList[i]
	}
	return m
}()

// Lookup returns the canonical name and default of a run-time parameter, and whether a server
// reports it in ParameterStatus; ok is false for a parameter the gateway does not know.
func Lookup(name string) (canonical, def string, report, ok bool) {
	s, ok := settings[strings.ToLower(name)]
	if !ok {
		return "", "", false, false
	}
	return s.name, s.def, s.report, true
}

func invalidValue(name, value, why string) error {
	return sqlerr.New(sqlerr.InvalidParameterValue, "invalid value for parameter %q: %q", name, value).WithDetail("%s", why)
}

func normalizeEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(v, "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", invalidValue("client_encoding", v, "SetuPranali speaks UTF8 only")
}

// normalizeDateStyle accepts the ISO output style (the only one the gateway writes) with any
// field order, as drivers send `ISO`, `ISO, MDY` or `iso, dmy`.
func normalizeDateStyle(v string) (string, error) {
	order := "MDY"
	iso := false
	for _, part := range strings.Split(v, ",") {
		switch p := strings.ToUpper(strings.TrimSpace(part)); p {
		case "ISO":
			iso = true
		case "MDY", "DMY", "YMD":
			order = p
		case "":
		default:
			return "", invalidValue("DateStyle", v, "only the ISO output style is supported")
		}
	}
	if !iso && !strings.Contains(strings.ToUpper(v), "MDY") && !strings.Contains(strings.ToUpper(v), "DMY") && !strings.Contains(strings.ToUpper(v), "YMD") {
		return "", invalidValue("DateStyle", v, "only the ISO output style is supported")
	}
	return "ISO, " + order, nil
}

// NormalizeTimeZone accepts IANA zone names, UTC spellings and whole-hour offsets (as in
// `SET TIME ZONE -7`); an offset becomes the equivalent Etc/GMT zone (whose sign is inverted,
// as POSIX has it).
func NormalizeTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	switch strings.ToUpper(v) {
	case "UTC", "GMT", "Z", "ZULU", "UCT", "ETC/UTC", "UNIVERSAL":
		return "UTC", nil
	}
	if h, err := strconv.ParseFloat(v, 64); err == nil {
		return offsetZone(v, h)
	}
	if _, err := time.LoadLocation(v); err != nil || v == "" || strings.EqualFold(v, "local") {
		return "", invalidValue("TimeZone", v, "use an IANA zone name such as 'UTC' or 'Europe/Berlin', or a whole-hour offset")
	}
	return v, nil
}

func offsetZone(v string, hours float64) (string, error) {
	if hours != float64(int(hours)) || hours < -14 || hours > 14 {
		return "", invalidValue("TimeZone", v, "only whole-hour offsets between -14 and 14 are supported")
	}
	switch {
	case hours == 0:
		return "UTC", nil
	case hours > 0:
		return fmt.Sprintf("Etc/GMT-%d", int(hours)), nil
	}
	return fmt.Sprintf("Etc/GMT+%d", -int(hours)), nil
}

func oneOf(allowed ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				return a, nil
			}
		}
		return "", invalidValue("parameter", v, "supported: "+strings.Join(allowed, ", "))
	}
}

func boolSetting(v string) (string, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1", "t":
		return "on", nil
	case "off", "false", "no", "0", "f":
		return "off", nil
	}
	return "", invalidValue("parameter", v, "a boolean is expected")
}

func lower(v string) (string, error) { return strings.ToLower(v), nil }

func intRange(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", invalidValue("parameter", v, fmt.Sprintf("an integer from %d to %d is expected", lo, hi))
		}
		return strconv.Itoa(n), nil
	}
}

// durationUnits are the units a time setting may carry, largest first (PostgreSQL's, from ms).
var durationUnits = []struct {
	name string
	ms   int64
}{{"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}}

// durationSetting reads a millisecond setting such as statement_timeout ("5000", "5s",
// '1min') and prints it as PostgreSQL does, in the largest unit that divides it.
func durationSetting(v string) (string, error) {
	ms, ok := parseMillis(v)
	if !ok {
		return "", invalidValue("statement_timeout", v, "a duration such as 5000, '5s' or '1min' is expected")
	}
	if ms == 0 {
		return "0", nil
	}
	for _, u := range durationUnits {
		if ms%u.ms == 0 {
			return strconv.FormatInt(ms/u.ms, 10) + u.name, nil
		}
	}
	return strconv.FormatInt(ms, 10) + "ms", nil
}

func parseMillis(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0, false
	}
	unit := strings.TrimSpace(v[i:])
	if unit == "" {
		return n, true
	}
	for _, u := range durationUnits {
		if unit == u.name {
			return n * u.ms, true
		}
	}
	return 0, false
}

// StatementTimeout is a statement_timeout value as a duration; zero means none.
func StatementTimeout(v string) time.Duration {
	ms, ok := parseMillis(v)
	if !ok {
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}

// Setting is one run-time parameter as pg_settings shows it: its default value.
type Setting struct {
	Name        string
	Value       string
	Description string
	ReadOnly    bool
}

// Defaults lists every run-time parameter the gateway knows, with its default, in a stable order.
func Defaults() []Setting {
	out := make([]Setting, 0, len(settingList))
	for _, s := range settingList {
		out = append(out, Setting{Name: s.name, Value: s.def, Description: s.desc, ReadOnly: s.readOnly})
	}
	return out
}
