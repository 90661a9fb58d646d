// Package rediscache is the Redis result-cache store (engine.CacheStore) and the Redis client
// the gateway shares with the rate limiter.
//
// REDIS_URL takes the forms redis://[user:password@]host:port[/db], rediss:// (TLS), and for
// several addresses redis+sentinel://[user:password@]host:port,host:port/master[/db] and
// redis+cluster://[user:password@]host:port,host:port (rediss+sentinel, rediss+cluster with TLS).
//
// Invariants: every call is bounded by a short timeout (default 50 ms) and never retried, so a
// stuck or dead Redis costs a query at most that; the client reconnects on its own. Purge walks
// keys with SCAN, never KEYS. No password appears in an error, a log line or String(): URL parse
// errors are rewritten without the URL.
package rediscache
