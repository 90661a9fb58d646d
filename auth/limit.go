package auth

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/sqlerr"
)

// ErrLockedOut refuses a login from an address that failed too often (in all, or naming the
// key id it presents). It is 28000, not 28P01: the presented key was not even checked.
var ErrLockedOut = &sqlerr.Error{Code: sqlerr.InvalidAuthorization, Severity: sqlerr.SeverityFatal,
	Message: "too many failed login attempts; try again later"}

// LimitConfig bounds failed logins. Failures older than Window are forgotten; reaching a limit
// within it locks the address (for every key id, or for one) out for Lockout.
//
// The rule the limits keep: a correct secret is refused only from an address that is itself
// over a limit. Key ids are not secret, so a count per key id alone, which anyone anywhere can
// spend, would let strangers lock a victim's key out; it only raises an alarm (KeyAlarm).
type LimitConfig struct {
	// PairFailures is how many failures one address may have naming one key id; default 10.
	// Past it that address cannot log in as that key id, and can still log in as others: one
	// stale credential on a BI server shared by many keys does not lock the rest out.
	PairFailures int
	// AddrFailures is how many failures one address may have in all; default 30.
	AddrFailures int
	// KeyFailures is how many failures naming one key id, from anywhere, raise an alarm (a
	// warning, an audit event, a metric); default 30. It never refuses a login.
	KeyFailures int
	// Window default 10m; Lockout default 5m.
	Window  time.Duration
	Lockout time.Duration
	// OnFail, when set, hears of every failure counted here (not those passed to Replay), so
	// replicas can share their counts: each publishes its own failures and replays the others'.
	// It runs outside the limiter's lock and must not block.
	OnFail func(at time.Time, addr, keyID string)
}

func (c LimitConfig) withDefaults() LimitConfig {
	if c.PairFailures <= 0 {
		c.PairFailures = 10
	}
	if c.AddrFailures <= 0 {
		c.AddrFailures = 30
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

// What a failure may lock or raise, as the metrics and the audit log name them.
const (
	LockAddr    = "addr"     // the address, for every key id
	LockAddrKey = "addr_key" // the address, for one key id
	KeyAlarm    = "key"      // many failures name one key id (not a lockout)
)

// maxLimitEntries bounds the limiter's memory; past it, entries that no longer matter go.
const maxLimitEntries = 100_000

type limitEntry struct {
	failures int
	first    time.Time // start of the current window
	until    time.Time // locked until; zero when not locked
}

// Limiter counts failed logins per address, per (address, key id) and per key id. One Limiter
// is shared by every authenticator of a gateway (the key store, the demo keys), so an address
// has one budget whichever kind of key it guesses at. It is safe for concurrent use.
type Limiter struct {
	cfg     LimitConfig
	lockout *prometheus.CounterVec
	alarms  prometheus.Counter

	mu sync.Mutex
	m  map[string]*limitEntry
}

// NewLimiter returns a limiter with cfg's limits (zero fields take their defaults).
func NewLimiter(cfg LimitConfig) *Limiter {
	return &Limiter{
		cfg: cfg.withDefaults(),
		m:   make(map[string]*limitEntry),
		lockout: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "setu", Name: "auth_lockouts_total",
			Help: "Failed-login lockouts begun, by what was locked out: addr (a client address, for every key) or addr_key (a client address, for one key id).",
		}, []string{"by"}),
		alarms: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "setu", Name: "auth_key_failure_alarms_total",
			Help: "Times the failed logins naming one key id, from any address, reached the alarm threshold. The key is not locked out.",
		}),
	}
}

// Collectors are the limiter's metrics, for the gateway's registry.
func (l *Limiter) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.lockout, l.alarms}
}

// addrCounter names the counter of a client address: the host part of addr, an IPv6 address
// by its /64, as one machine usually holds a whole /64 and could otherwise rotate through it.
func addrCounter(addr string) string {
	if addr == "" {
		return ""
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap().WithZone("")
		if a.Is6() {
			p, _ := a.Prefix(64)
			return p.String()
		}
		return a.String()
	}
	return host
}

// counters names the counters of a login attempt: the address's, the pair's, the key id's.
func counters(addr, keyID string) (a, pair, k string) {
	host := addrCounter(addr)
	if host != "" {
		a = "addr:" + host
	}
	if keyID != "" {
		k = "key:" + keyID
		if host != "" {
			pair = "pair:" + host + " " + keyID
		}
	}
	return a, pair, k
}

// Locked reports whether addr may not log in as keyID at now: the address is locked out, or
// locked out for this key id. Failures naming keyID from elsewhere never lock it.
func (l *Limiter) Locked(now time.Time, addr, keyID string) bool {
	a, pair, _ := counters(addr, keyID)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, name := range []string{a, pair} {
		if e := l.m[name]; name != "" && e != nil && now.Before(e.until) {
			return true
		}
	}
	return false
}

// Fail counts a failed login from addr naming keyID ("" when the secret named none) and returns
// what it locked (LockAddr, LockAddrKey) or raised (KeyAlarm), counting them in the metrics.
func (l *Limiter) Fail(now time.Time, addr, keyID string) []string {
	hit := l.count(now, addr, keyID)
	if l.cfg.OnFail != nil {
		l.cfg.OnFail(now, addr, keyID)
	}
	return hit
}

// Replay counts a failure another replica saw at at, so the limits hold across replicas.
func (l *Limiter) Replay(at time.Time, addr, keyID string) {
	l.count(at, addr, keyID)
}

func (l *Limiter) count(now time.Time, addr, keyID string) []string {
	a, pair, k := counters(addr, keyID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxLimitEntries {
		l.prune(now)
	}
	var hit []string
	for _, c := range []struct {
		name, kind string
		limit      int
		locks      bool
	}{{a, LockAddr, l.cfg.AddrFailures, true}, {pair, LockAddrKey, l.cfg.PairFailures, true}, {k, KeyAlarm, l.cfg.KeyFailures, false}} {
		if c.name == "" {
			continue
		}
		e := l.m[c.name]
		if e == nil || now.Sub(e.first) >= l.cfg.Window && !now.Before(e.until) {
			e = &limitEntry{first: now}
			l.m[c.name] = e
		}
		e.failures++
		if e.failures < c.limit || now.Before(e.until) {
			continue
		}
		// The count starts again: after the lockout, or at once for an alarm, so a long
		// attack raises one alarm per KeyFailures failures, not one per failure.
		e.failures = 0
		if c.locks {
			e.until = now.Add(l.cfg.Lockout)
			e.first = e.until
			l.lockout.WithLabelValues(c.kind).Inc()
		} else {
			e.first = now
			l.alarms.Inc()
		}
		hit = append(hit, c.kind)
	}
	return hit
}

// Succeed forgets addr's failures naming keyID: the address proved it holds the key, so they
// were typos or a stale secret. The address's own count stays (one good key must not reset
// the failures an address racks up guessing others), and so does the key id's alarm count.
func (l *Limiter) Succeed(now time.Time, addr, keyID string) {
	_, pair, _ := counters(addr, keyID)
	if pair == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.m[pair]; e != nil && !now.Before(e.until) {
		delete(l.m, pair)
	}
}

func (l *Limiter) prune(now time.Time) {
	for name, e := range l.m {
		if !now.Before(e.until) && now.Sub(e.first) >= l.cfg.Window {
			delete(l.m, name)
		}
	}
}

// StaticAuthenticator is what Throttle wraps: a key check with no key ids of its own, such as
// Static.
type StaticAuthenticator interface {
	Authenticate(ctx context.Context, secret string) (Principal, error)
}

// ThrottleConfig configures Throttle. Limiter is required.
type ThrottleConfig struct {
	Limiter *Limiter
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Throttle returns inner under the per-address failed-login limit of cfg.Limiter: the demo
// and configured keys have no key id a failure could name, so only the address counts. A
// success names the principal's key id, clearing nothing an address could abuse.
func Throttle(inner StaticAuthenticator, cfg ThrottleConfig) StaticAuthenticator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &throttled{inner: inner, cfg: cfg}
}

type throttled struct {
	inner StaticAuthenticator
	cfg   ThrottleConfig
}

func (t *throttled) Authenticate(ctx context.Context, secret string) (Principal, error) {
	now := t.cfg.Now()
	addr := RemoteAddr(ctx)
	if t.cfg.Limiter.Locked(now, addr, "") {
		return Principal{}, ErrLockedOut
	}
	p, err := t.inner.Authenticate(ctx, secret)
	if err == nil {
		return p, nil
	}
	if isCredentialFailure(err) {
		for _, kind := range t.cfg.Limiter.Fail(now, addr, "") {
			t.cfg.Log.Warn("too many failed logins: locked out", "by", kind, "remote_addr", addr)
		}
	}
	return Principal{}, err
}

// isCredentialFailure reports whether err says the presented secret was wrong or unusable (as
// opposed to a broken store, which is nobody's guess).
func isCredentialFailure(err error) bool {
	return errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrRevokedKey) || errors.Is(err, ErrExpiredKey)
}
