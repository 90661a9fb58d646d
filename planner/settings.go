package planner

import "github.com/setupranali/setupranali/planner/session"

// The catalog emulation (pg_settings, version()) reads the server version and the parameter
// defaults from the planner; they are package session's, which owns run-time parameters.

// ServerVersion is the PostgreSQL version the gateway speaks as.
const ServerVersion = session.ServerVersion

// Setting is one run-time parameter as pg_settings shows it: its default value.
type Setting = session.Setting

// Settings lists every run-time parameter the gateway knows, with its default, in a stable order.
func Settings() []Setting { return session.Defaults() }
