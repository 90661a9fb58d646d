// Package auth defines who is asking: the Principal an API key stands for, and the key checks that
// turn a presented secret into one.
//
// A Principal flows from authentication into the planner (tenant filters, scopes), the cache key
// and the logs. It carries the key id, never the secret.
//
// Failed logins are limited per client address and per (address, key id) by one Limiter that
// every authenticator of a gateway shares (limit.go). A correct secret is refused only from an
// address that is itself over a limit: key ids are not secret, so failures naming a key id from
// elsewhere never lock that key out; they only raise an alarm.
//
// Invariants: secrets are compared as SHA-256 digests in constant time; no secret is ever put in
// an error, a log line or a Principal. This package imports nothing from the project but sqlerr.
package auth
