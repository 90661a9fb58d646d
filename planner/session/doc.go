// Package session emulates PostgreSQL's run-time parameters (GUCs) for a client session: the
// table of parameters the gateway knows with their defaults, which ones are read-only and which
// a server reports in ParameterStatus; checking and normalising a new value (SET, set_config, a
// startup packet's settings) into the form SHOW prints; and answering SHOW from a session's
// values.
//
// It keeps no state: a session's values live with the front door that owns the connection
// (pgwire keeps them with PostgreSQL's SET LOCAL / ROLLBACK semantics) and are handed in as
// Values. The planner calls it for SET, RESET and SHOW statements and for current_setting and
// set_config; pgwire calls it directly with a name and a value for the startup packet's settings.
//
// Invariants: a value is accepted only if SHOW can print it back and the gateway honours it
// (UTF8 only, ISO dates, IANA zones or whole-hour offsets); a read-only parameter never changes;
// an unknown parameter is 42704 unless it is a custom placeholder (a dotted name), as in
// PostgreSQL. Errors carry PostgreSQL's SQLSTATEs (22023, 42704, 55P02, 0A000, 42601).
package session
