package pgwire

import (
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// A startup packet's setting is checked and normalised as SET would: the value SHOW and
// ParameterStatus give back is the canonical one, and any text is taken as a value, never as SQL.
func TestStartupValue(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"DateStyle", "iso, dmy", "ISO, DMY"},
		{"client_encoding", "unicode", "UTF8"},
		{"application_name", `O'Brien's "tool" \ ; SET x = 1`, `O'Brien's "tool" \ ; SET x = 1`},
		{"statement_timeout", "60000", "1min"},
		{"default_transaction_read_only", "true", "on"},
	} {
		got, err := startupValue(tc.name, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("%s=%q: %q %v, want %q", tc.name, tc.value, got, err, tc.want)
		}
	}
	for _, bad := range [][2]string{{"client_encoding", "LATIN1"}, {"extra_float_digits", "9"}, {"server_version", "16"}, {"DateStyle", "German"}} {
		if got, err := startupValue(bad[0], bad[1]); err == nil {
			t.Errorf("%s=%q accepted as %q", bad[0], bad[1], got)
		}
	}
}

func TestStartupSettingsReportNormalised(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "datestyle": "iso, dmy", "client_encoding": "LATIN1"}})
	c.receive()
	c.send(&pgproto3.PasswordMessage{Password: goodKey})
	ps := parameterStatus(until[*pgproto3.ReadyForQuery](c))
	if ps["DateStyle"] != "ISO, DMY" || ps["client_encoding"] != "UTF8" {
		t.Errorf("startup reports %v", ps)
	}
}
