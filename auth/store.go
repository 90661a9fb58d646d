package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// KeyRecord is a stored API key. It holds digests and SCRAM verifiers, never a secret.
type KeyRecord struct {
	ID      string
	Name    string
	Tenants []string
	Role    Role
	Scopes  []string
	Created time.Time
	// Expires, Revoked and LastUsed are zero when not set.
	Expires  time.Time
	Revoked  time.Time
	LastUsed time.Time
	// Secrets are the secrets that log in as this key: one, or during a rotation's grace period
	// the new one and the ones it replaces. Listing keys may leave them out.
	Secrets []KeySecret
}

// KeySecret is one secret of a key, as stored.
type KeySecret struct {
	Digest  []byte
	SCRAM   SCRAMVerifier
	Created time.Time
	// Expires is when a rotated-away secret stops working; zero for the current one.
	Expires time.Time
}

// Principal is who the key stands for.
func (k KeyRecord) Principal() Principal {
	return Principal{KeyID: k.ID, Tenants: slices.Clone(k.Tenants), Role: k.Role, Scopes: slices.Clone(k.Scopes)}
}

// Status is "revoked", "expired" or "active" at now.
func (k KeyRecord) Status(now time.Time) string {
	switch {
	case !k.Revoked.IsZero():
		return "revoked"
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return "expired"
	}
	return "active"
}

// liveSecrets are the secrets not yet past their grace period.
func (k KeyRecord) liveSecrets(now time.Time) []KeySecret {
	var out []KeySecret
	for _, s := range k.Secrets {
		if s.Expires.IsZero() || now.Before(s.Expires) {
			out = append(out, s)
		}
	}
	return out
}

// Audit events.
const (
	EventKeyCreated     = "key_created"
	EventKeyRotated     = "key_rotated"
	EventKeyRevoked     = "key_revoked"
	EventAuthFailed     = "auth_failed"
	EventRevokedKeyUsed = "revoked_key_used"
	EventExpiredKeyUsed = "expired_key_used"
	EventLockedOut      = "auth_locked_out"
	// EventKeyAlarm: failed logins naming one key id, from any address, reached
	// LimitConfig.KeyFailures. The key is not locked out.
	EventKeyAlarm = "auth_key_alarm"
)

// AuditEvent is one line of the audit log. It names a key by id only.
type AuditEvent struct {
	ID         int64
	At         time.Time
	Event      string
	KeyID      string
	RemoteAddr string
	// Actor is who acted: "cli", or "key:<id>" for an admin key over HTTP; empty for logins.
	Actor  string
	Detail string
}

// ErrNoKey is what a KeyRepo returns for an id it does not hold.
var ErrNoKey = errors.New("no such API key")

// KeyRepo stores keys and the audit log (the state DB implements it). Writes that come with
// an audit event commit both or neither.
type KeyRepo interface {
	InsertAPIKey(ctx context.Context, k KeyRecord, ev AuditEvent) error
	// APIKey returns the key with its secrets, or ErrNoKey.
	APIKey(ctx context.Context, id string) (KeyRecord, error)
	// APIKeys returns every key, oldest first; secrets may be left out.
	APIKeys(ctx context.Context) ([]KeyRecord, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time, ev AuditEvent) error
	// RotateAPIKey adds s as the key's current secret; the secrets it had stop working at
	// graceUntil (or earlier, if they already were to), and secrets already past their end go.
	RotateAPIKey(ctx context.Context, id string, s KeySecret, graceUntil time.Time, ev AuditEvent) error
	// TouchAPIKeys records when keys were last used.
	TouchAPIKeys(ctx context.Context, used map[string]time.Time) error
	Audit(ctx context.Context, ev AuditEvent) error
}

// KeysConfig configures a Keys. Every field is optional.
type KeysConfig struct {
	Log *slog.Logger
	// Now is the clock; tests inject one.
	Now    func() time.Time
	Limits LimitConfig
	// Limiter, when set, is the failed-login limiter shared with the gateway's other
	// authenticators (Limits is then unused); nil makes one from Limits.
	Limiter *Limiter
	// TouchEvery is how often last-used times are written; default one minute. A login only
	// updates memory.
	TouchEvery time.Duration
}

// Keys is the API key store: it creates, rotates and revokes keys and authenticates the keys
// presented by clients, limiting failed attempts. It is safe for concurrent use.
type Keys struct {
	repo    KeyRepo
	log     *slog.Logger
	now     func() time.Time
	limit   *Limiter
	metrics keyMetrics
	// mock derives stable fake SCRAM salts for unknown key ids, so a SCRAM exchange does not
	// reveal whether a key id exists.
	mock []byte

	mu       sync.Mutex
	lastUsed map[string]time.Time

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewKeys returns a key store over repo. It starts a goroutine that writes last-used times;
// Close stops it.
func NewKeys(repo KeyRepo, cfg KeysConfig) *Keys {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TouchEvery <= 0 {
		cfg.TouchEvery = time.Minute
	}
	mock := make([]byte, 32)
	rand.Read(mock)
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(cfg.Limits)
	}
	k := &Keys{
		repo:     repo,
		log:      cfg.Log,
		now:      cfg.Now,
		limit:    cfg.Limiter,
		metrics:  newKeyMetrics(),
		mock:     mock,
		lastUsed: make(map[string]time.Time),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go k.touchLoop(cfg.TouchEvery)
	return k
}

func (k *Keys) touchLoop(every time.Duration) {
	defer close(k.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := k.Flush(context.Background()); err != nil {
				k.log.Warn("recording API key last use failed", "error", err)
			}
		case <-k.stop:
			return
		}
	}
}

// Close stops the background writer and writes the pending last-used times.
func (k *Keys) Close() error {
	k.once.Do(func() { close(k.stop) })
	<-k.done
	return k.Flush(context.Background())
}

// Flush writes the last-used times gathered since the previous flush.
func (k *Keys) Flush(ctx context.Context) error {
	k.mu.Lock()
	used := k.lastUsed
	k.lastUsed = make(map[string]time.Time)
	k.mu.Unlock()
	if len(used) == 0 {
		return nil
	}
	if err := k.repo.TouchAPIKeys(ctx, used); err != nil {
		// Put them back, keeping any newer use.
		k.mu.Lock()
		for id, t := range used {
			if t.After(k.lastUsed[id]) {
				k.lastUsed[id] = t
			}
		}
		k.mu.Unlock()
		return err
	}
	return nil
}

func (k *Keys) touch(id string, at time.Time) {
	k.mu.Lock()
	if at.After(k.lastUsed[id]) {
		k.lastUsed[id] = at
	}
	k.mu.Unlock()
}

// KeySpec is what a new key is made from.
type KeySpec struct {
	Name    string
	Tenants []string
	Role    Role
	Scopes  []string
	// Expires is zero for a key that does not expire.
	Expires time.Time
}

// Create makes a key and returns it with the full key string, the only time the secret exists
// outside the client: it is not stored and cannot be shown again. actor is recorded in the
// audit log.
func (k *Keys) Create(ctx context.Context, spec KeySpec, actor string) (string, KeyRecord, error) {
	now := k.now().UTC()
	spec.Name = strings.TrimSpace(spec.Name)
	if spec.Name == "" {
		return "", KeyRecord{}, errors.New("a key needs a name")
	}
	if !spec.Role.Valid() {
		return "", KeyRecord{}, fmt.Errorf("role %q: must be admin, viewer or internal_admin", spec.Role)
	}
	tenants, err := cleanList("tenant", spec.Tenants)
	if err != nil {
		return "", KeyRecord{}, err
	}
	if len(tenants) == 0 && spec.Role == RoleViewer {
		return "", KeyRecord{}, errors.New("a viewer key needs at least one tenant (it would see no rows)")
	}
	scopes, err := cleanList("scope", spec.Scopes)
	if err != nil {
		return "", KeyRecord{}, err
	}
	if !spec.Expires.IsZero() && !spec.Expires.After(now) {
		return "", KeyRecord{}, errors.New("the expiry must be in the future")
	}
	id, err := newKeyID()
	if err != nil {
		return "", KeyRecord{}, err
	}
	key, sec, err := newKeySecret(id, nil, now)
	if err != nil {
		return "", KeyRecord{}, err
	}
	rec := KeyRecord{
		ID: id, Name: spec.Name, Tenants: tenants, Role: spec.Role, Scopes: scopes,
		Created: now, Expires: spec.Expires.UTC(), Secrets: []KeySecret{sec},
	}
	detail := fmt.Sprintf("name=%q role=%s tenants=%s scopes=%s", rec.Name, rec.Role, strings.Join(tenants, ","), strings.Join(scopes, ","))
	if err := k.repo.InsertAPIKey(ctx, rec, AuditEvent{At: now, Event: EventKeyCreated, KeyID: id, RemoteAddr: RemoteAddr(ctx), Actor: actor, Detail: detail}); err != nil {
		return "", KeyRecord{}, err
	}
	k.log.Info("API key created", "key_id", id, "name", rec.Name, "role", rec.Role, "actor", actor)
	return key, rec, nil
}

func cleanList(what string, in []string) ([]string, error) {
	var out []string
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, fmt.Errorf("empty %s", what)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// newKeySecret makes a secret for key id. A rotation passes the current verifier so the new
// one shares its salt and iteration count: a SCRAM exchange sends one salt before the client
// proves anything, and during the grace period the proof must be checkable against both.
func newKeySecret(id string, like *SCRAMVerifier, now time.Time) (string, KeySecret, error) {
	key, err := newSecret(id)
	if err != nil {
		return "", KeySecret{}, err
	}
	salt, iters := make([]byte, 16), scramIterations
	if like != nil {
		salt, iters = like.Salt, like.Iterations
	} else if _, err := rand.Read(salt); err != nil {
		return "", KeySecret{}, err
	}
	v, err := newSCRAMVerifier(key, salt, iters)
	if err != nil {
		return "", KeySecret{}, err
	}
	return key, KeySecret{Digest: digest(key), SCRAM: v, Created: now}, nil
}

// Key returns one key (without its secrets).
func (k *Keys) Key(ctx context.Context, id string) (KeyRecord, error) {
	rec, err := k.repo.APIKey(ctx, id)
	rec.Secrets = nil
	return rec, err
}

// List returns every key, without secrets.
func (k *Keys) List(ctx context.Context) ([]KeyRecord, error) {
	keys, err := k.repo.APIKeys(ctx)
	for i := range keys {
		keys[i].Secrets = nil
	}
	return keys, err
}

// Active counts the keys that can log in now.
func (k *Keys) Active(ctx context.Context) (int, error) {
	keys, err := k.repo.APIKeys(ctx)
	if err != nil {
		return 0, err
	}
	now := k.now()
	n := 0
	for _, key := range keys {
		if key.Status(now) == "active" {
			n++
		}
	}
	return n, nil
}

// Revoke ends a key at once, every secret of it included.
func (k *Keys) Revoke(ctx context.Context, id, actor string) error {
	rec, err := k.repo.APIKey(ctx, id)
	if err != nil {
		return err
	}
	if !rec.Revoked.IsZero() {
		return fmt.Errorf("API key %s is already revoked", id)
	}
	now := k.now().UTC()
	if err := k.repo.RevokeAPIKey(ctx, id, now, AuditEvent{At: now, Event: EventKeyRevoked, KeyID: id, RemoteAddr: RemoteAddr(ctx), Actor: actor}); err != nil {
		return err
	}
	k.log.Info("API key revoked", "key_id", id, "actor", actor)
	return nil
}

// Rotate gives a key a new secret and returns it (shown once, like at creation). The old
// secret keeps working for grace; 0 ends it at once.
func (k *Keys) Rotate(ctx context.Context, id string, grace time.Duration, actor string) (string, error) {
	if grace < 0 {
		return "", errors.New("the grace period cannot be negative")
	}
	rec, err := k.repo.APIKey(ctx, id)
	if err != nil {
		return "", err
	}
	now := k.now().UTC()
	if st := rec.Status(now); st != "active" {
		return "", fmt.Errorf("API key %s is %s; create a new key instead", id, st)
	}
	var like *SCRAMVerifier
	if live := rec.liveSecrets(now); len(live) > 0 {
		like = &live[len(live)-1].SCRAM
	}
	key, sec, err := newKeySecret(id, like, now)
	if err != nil {
		return "", err
	}
	until := now.Add(grace)
	ev := AuditEvent{At: now, Event: EventKeyRotated, KeyID: id, RemoteAddr: RemoteAddr(ctx), Actor: actor, Detail: "grace=" + grace.String()}
	if err := k.repo.RotateAPIKey(ctx, id, sec, until, ev); err != nil {
		return "", err
	}
	k.log.Info("API key rotated", "key_id", id, "grace", grace.String(), "actor", actor)
	return key, nil
}

// remoteKey carries the client's address to Authenticate and SCRAM for the audit log and the
// failure limits.
type remoteKey struct{}

// WithRemoteAddr returns ctx carrying the address of the client that is logging in.
func WithRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteKey{}, addr)
}

// RemoteAddr is the address WithRemoteAddr put in ctx, or "".
func RemoteAddr(ctx context.Context) string {
	s, _ := ctx.Value(remoteKey{}).(string)
	return s
}

// Authenticate returns the principal of a presented key. It fails with ErrInvalidKey,
// ErrRevokedKey, ErrExpiredKey or ErrLockedOut (any other error is the store's). The key is
// found by its id; its digest is compared in constant time.
func (k *Keys) Authenticate(ctx context.Context, presented string) (Principal, error) {
	now := k.now()
	addr := RemoteAddr(ctx)
	id := KeyIDOf(presented)
	if k.limit.Locked(now, addr, id) {
		k.metrics.refusals.WithLabelValues("locked_out").Inc()
		return Principal{}, ErrLockedOut
	}
	if id == "" {
		return Principal{}, k.failed(ctx, now, addr, "", "not an API key")
	}
	rec, err := k.repo.APIKey(ctx, id)
	if errors.Is(err, ErrNoKey) {
		return Principal{}, k.failed(ctx, now, addr, id, "unknown key id")
	}
	if err != nil {
		return Principal{}, err
	}
	d := digest(presented)
	match, stale := false, false
	for _, s := range rec.Secrets {
		if subtle.ConstantTimeCompare(d, s.Digest) == 1 {
			if s.Expires.IsZero() || now.Before(s.Expires) {
				match = true
			} else {
				stale = true
			}
		}
	}
	if !match {
		reason := "wrong secret"
		if stale {
			reason = "rotated secret past its grace period"
		}
		return Principal{}, k.failed(ctx, now, addr, id, reason)
	}
	return k.admit(ctx, now, addr, rec)
}

// admit finishes a login whose secret was proved: a revoked or expired key is refused (and
// audited), a good one noted as used.
func (k *Keys) admit(ctx context.Context, now time.Time, addr string, rec KeyRecord) (Principal, error) {
	switch rec.Status(now) {
	case "revoked":
		k.audit(ctx, AuditEvent{At: now.UTC(), Event: EventRevokedKeyUsed, KeyID: rec.ID, RemoteAddr: addr})
		k.metrics.refusals.WithLabelValues("revoked").Inc()
		k.limitFail(ctx, now, addr, rec.ID)
		return Principal{}, ErrRevokedKey
	case "expired":
		k.audit(ctx, AuditEvent{At: now.UTC(), Event: EventExpiredKeyUsed, KeyID: rec.ID, RemoteAddr: addr})
		k.metrics.refusals.WithLabelValues("expired").Inc()
		k.limitFail(ctx, now, addr, rec.ID)
		return Principal{}, ErrExpiredKey
	}
	k.limit.Succeed(now, addr, rec.ID)
	k.touch(rec.ID, now.UTC())
	return rec.Principal(), nil
}

// failed records a failed login and returns ErrInvalidKey.
func (k *Keys) failed(ctx context.Context, now time.Time, addr, id, reason string) error {
	k.audit(ctx, AuditEvent{At: now.UTC(), Event: EventAuthFailed, KeyID: id, RemoteAddr: addr, Detail: reason})
	k.metrics.refusals.WithLabelValues("invalid").Inc()
	k.limitFail(ctx, now, addr, id)
	return ErrInvalidKey
}

func (k *Keys) limitFail(ctx context.Context, now time.Time, addr, id string) {
	for _, kind := range k.limit.Fail(now, addr, id) {
		if kind == KeyAlarm {
			k.log.Warn("many failed logins name this key id from any address; the key is not locked out", "key_id", id, "remote_addr", addr)
			k.audit(ctx, AuditEvent{At: now.UTC(), Event: EventKeyAlarm, KeyID: id, RemoteAddr: addr})
			continue
		}
		k.log.Warn("too many failed logins: locked out", "by", kind, "remote_addr", addr, "key_id", id)
		k.audit(ctx, AuditEvent{At: now.UTC(), Event: EventLockedOut, KeyID: id, RemoteAddr: addr, Detail: "by " + kind})
	}
}

// audit writes an event; a failure to write is logged, not returned: a login's outcome does
// not depend on the audit log being writable.
func (k *Keys) audit(ctx context.Context, ev AuditEvent) {
	if err := k.repo.Audit(context.WithoutCancel(ctx), ev); err != nil {
		k.log.Error("writing the audit log failed", "event", ev.Event, "key_id", ev.KeyID, "error", err)
	}
}

// SCRAMLogin is one SCRAM-SHA-256 exchange for a key id: the salt and iteration count to send,
// and the check of the client's proof. For an unknown key id it is a convincing fake whose
// check always fails, so the exchange does not tell which ids exist.
type SCRAMLogin struct {
	Salt       []byte
	Iterations int

	keys *Keys
	ctx  context.Context
	addr string
	id   string
	rec  *KeyRecord
	// verifiers are the live secrets' verifiers sharing Salt and Iterations.
	verifiers []SCRAMVerifier
}

// SCRAM begins a SCRAM exchange for the key whose id is user. It fails only with ErrLockedOut
// or a store error.
func (k *Keys) SCRAM(ctx context.Context, user string) (*SCRAMLogin, error) {
	now := k.now()
	addr := RemoteAddr(ctx)
	if k.limit.Locked(now, addr, user) {
		k.metrics.refusals.WithLabelValues("locked_out").Inc()
		return nil, ErrLockedOut
	}
	l := &SCRAMLogin{keys: k, ctx: ctx, addr: addr, id: user}
	rec, err := k.repo.APIKey(ctx, user)
	if err != nil && !errors.Is(err, ErrNoKey) {
		return nil, err
	}
	if err == nil {
		live := rec.liveSecrets(now)
		if len(live) > 0 {
			cur := live[len(live)-1].SCRAM
			l.Salt, l.Iterations = cur.Salt, cur.Iterations
			for _, s := range live {
				if s.SCRAM.Iterations == cur.Iterations && hmac.Equal(s.SCRAM.Salt, cur.Salt) {
					l.verifiers = append(l.verifiers, s.SCRAM)
				}
			}
			l.rec = &rec
		}
	}
	if l.rec == nil {
		l.Salt, l.Iterations = hmacSHA256(k.mock, []byte(user))[:16], scramIterations
	}
	return l, nil
}

// Verify checks the client's proof over authMessage (RFC 5802 section 3). On success it returns
// the server signature to send back and the key's principal. Failures are those of
// Authenticate.
func (l *SCRAMLogin) Verify(authMessage, proof []byte) (serverSignature []byte, p Principal, err error) {
	k := l.keys
	now := k.now()
	matched := -1
	for i, v := range l.verifiers {
		clientKey := hmacSHA256(v.StoredKey, authMessage)
		if len(proof) != len(clientKey) {
			break
		}
		subtle.XORBytes(clientKey, clientKey, proof)
		stored := sha256.Sum256(clientKey)
		if subtle.ConstantTimeCompare(stored[:], v.StoredKey) == 1 {
			matched = i
		}
	}
	if matched < 0 {
		reason := "wrong SCRAM proof"
		if l.rec == nil {
			reason = "unknown key id"
		}
		return nil, Principal{}, k.failed(l.ctx, now, l.addr, l.id, reason)
	}
	p, err = k.admit(l.ctx, now, l.addr, *l.rec)
	if err != nil {
		return nil, Principal{}, err
	}
	return hmacSHA256(l.verifiers[matched].ServerKey, authMessage), p, nil
}

// AuditReader reads the audit log.
type AuditReader interface {
	// AuditLog returns the latest limit events (all when limit <= 0), oldest first; keyID ""
	// means every key.
	AuditLog(ctx context.Context, keyID string, limit int) ([]AuditEvent, error)
}
