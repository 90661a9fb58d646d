// Package auth defines who is asking: the Principal an API key stands for, and the key checks that
// turn a presented secret into one.
//
// A Principal flows from authentication into the planner (tenant filters, scopes), the cache key
// and the logs. It carries the key id, never the secret.
//
// Invariants: secrets are compared as SHA-256 digests in constant time; no secret is ever put in
// an error, a log line or a Principal. This package imports nothing from the project but sqlerr.
package auth
