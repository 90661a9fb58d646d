// Package dependency watches the shared services a gateway replica uses but does not need in
// order to serve: Redis (the result cache and shared rate limits fall back to per-process ones
// without it) and remote data sources (only their own datasets fail while they are down).
//
// Readiness must not depend on them: one Redis pod failing would otherwise take every replica
// out of its Service, although every query can still be answered. So each dependency is checked
// in the background on an interval, and /v1/ready, /internal/status and the metric
// setu_dependency_up{name} report the last result without waiting on the dependency; a hung
// dependency cannot stall a readiness probe.
//
// Invariants: a check never runs longer than its timeout; Close stops and waits for the
// watcher's goroutine; the state reported names no host, user or error text (those go to the
// log, where operators read them).
package dependency
