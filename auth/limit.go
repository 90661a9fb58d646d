package auth

import (
	"net"
	"sync"
	"time"

	"github.com/setupranali/setupranali/sqlerr"
)

// ErrLockedOut refuses a login from an address or for a key id that failed too often. It is
// 28000, not 28P01: the presented key was not even checked.
var ErrLockedOut = &sqlerr.Error{Code: sqlerr.InvalidAuthorization, Severity: sqlerr.SeverityFatal,
	Message: "too many failed login attempts; try again later"}

// LimitConfig bounds failed logins. Failures older than Window are forgotten; reaching a limit
// within it locks the address (or key id) out for Lockout.
type LimitConfig struct {
	// AddrFailures is how many failures one remote address may have; default 10.
	AddrFailures int
	// KeyFailures is how many failures one key id may have, from anywhere; default 30. It is
	// higher than the address limit: anyone who knows a key id (it is not secret) can spend it.
	KeyFailures int
	// Window default 10m; Lockout default 5m.
	Window  time.Duration
	Lockout time.Duration
}

func (c LimitConfig) withDefaults() LimitConfig {
	if c.AddrFailures <= 0 {
		c.AddrFailures = 10
	}
	if c.KeyFailures <= 0 {
		c.KeyFailures = 30
	}
	if c.Window <= 0 {
		c.Window = 10 * time.Minute
	}
	if c.Lockout <= 0 {
		c.Lockout = 5 * time.Minute
	}
	return c
}

// maxLimitEntries bounds the limiter's memory; past it, entries that no longer matter go.
const maxLimitEntries = 100_000

type limitEntry struct {
	failures int
	first    time.Time // start of the current window
	until    time.Time // locked until; zero when not locked
}

// limiter counts failed logins per remote address and per key id.
type limiter struct {
	cfg LimitConfig
	mu  sync.Mutex
	m   map[string]*limitEntry
}

func newLimiter(cfg LimitConfig) *limiter {
	return &limiter{cfg: cfg.withDefaults(), m: make(map[string]*limitEntry)}
}

// limitKeys names the counters of a login attempt: its address (the host part) and key id.
func limitKeys(addr, keyID string) (a, k string) {
	if addr != "" {
		host := addr
		if h, _, err := net.SplitHostPort(addr); err == nil {
			host = h
		}
		a = "addr:" + host
	}
	if keyID != "" {
		k = "key:" + keyID
	}
	return a, k
}

// locked reports whether either counter is locked out at now.
func (l *limiter) locked(now time.Time, addr, keyID string) bool {
	a, k := limitKeys(addr, keyID)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range []string{a, k} {
		if e := l.m[name]; name != "" && e != nil && now.Before(e.until) {
			return true
		}
	}
	return false
}

// fail counts a failure and returns which counters ("addr", "key") it locked.
func (l *limiter) fail(now time.Time, addr, keyID string) []string {
	a, k := limitKeys(addr, keyID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxLimitEntries {
		l.prune(now)
	}
	var locked []string
	for _, c := range []struct {
		name, kind string
		limit      int
	}{{a, "addr", l.cfg.AddrFailures}, {k, "key", l.cfg.KeyFailures}} {
		if c.name == "" {
			continue
		}
		e := l.m[c.name]
		if e == nil || now.Sub(e.first) >= l.cfg.Window && !now.Before(e.until) {
			e = &limitEntry{first: now}
			l.m[c.name] = e
		}
		e.failures++
		if e.failures >= c.limit && !now.Before(e.until) {
			e.until = now.Add(l.cfg.Lockout)
			// After the lockout the count starts again.
			e.failures = 0
			e.first = e.until
			locked = append(locked, c.kind)
		}
	}
	return locked
}

// succeed clears the key id's counter. The address keeps its count: one good key must not
// reset the failures an address racks up guessing others.
func (l *limiter) succeed(now time.Time, keyID string) {
	_, k := limitKeys("", keyID)
	if k == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.m[k]; e != nil && !now.Before(e.until) {
		delete(l.m, k)
	}
}

func (l *limiter) prune(now time.Time) {
	for name, e := range l.m {
		if !now.Before(e.until) && now.Sub(e.first) >= l.cfg.Window {
			delete(l.m, name)
		}
	}
}
