// Package metrics holds the Prometheus collectors every front door shares — queries by
// protocol, their duration, result rows and bytes, errors by SQLSTATE class, cancels and
// timeouts, authentication failures, open connections — and the wrappers that count them around
// an executor, a planner, an authenticator or a listener, so a front door is measured without
// knowing it.
//
// Convention: each package that measures something defines its own collectors and exposes
// Collectors() []prometheus.Collector; package gateway registers them all into one registry that
// /metrics serves.
//
// Invariants: labels carry only bounded values (protocol names, SQLSTATE classes, reasons); never
// SQL text, key secrets, key ids, tenants or result values. No package-level mutable state: a
// Set is made by New and owned by whoever wires the server.
package metrics
