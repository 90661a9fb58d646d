package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestKeyShape(t *testing.T) {
	id, err := newKeyID()
	if err != nil {
		t.Fatal(err)
	}
	key, err := newSecret(id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "sp_"+id+"_") || KeyIDOf(key) != id || !IsKeyID(id) {
		t.Fatalf("key %q does not parse back to id %q", key, id)
	}
	// 256 bits of secret in base32 are 52 characters.
	if sec := strings.TrimPrefix(key, "sp_"+id+"_"); len(sec) != 52 {
		t.Errorf("secret part has %d characters", len(sec))
	}
	other, _ := newSecret(id)
	if other == key {
		t.Error("two secrets are equal")
	}
	for _, bad := range []string{"", "sp_", "sp_" + id, "sp_" + id + "_short", "xp" + key[2:], key + "a", strings.ToUpper(key), "dev-key-123"} {
		if got := KeyIDOf(bad); got != "" {
			t.Errorf("KeyIDOf(%q) = %q, want none", bad, got)
		}
	}
}

// The verifier derivation and the proof check follow RFC 7677's example exchange.
func TestSCRAMRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	v, err := newSCRAMVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	authMessage := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	rec := KeyRecord{ID: "user", Role: RoleViewer, Tenants: []string{"t"}}
	keys := NewKeys(discardRepo{}, KeysConfig{})
	t.Cleanup(func() { keys.Close() })
	l := &SCRAMLogin{keys: keys, ctx: context.Background(), rec: &rec, verifiers: []SCRAMVerifier{v}}
	sig, p, err := l.Verify([]byte(authMessage), proof)
	if err != nil || p.KeyID != "user" {
		t.Fatalf("Verify: %v %+v", err, p)
	}
	if got := base64.StdEncoding.EncodeToString(sig); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Errorf("server signature %s", got)
	}
	proof[0] ^= 1
	if _, _, err := l.Verify([]byte(authMessage), proof); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("altered proof: %v", err)
	}
}

// discardRepo accepts audit events and knows no keys.
type discardRepo struct{ KeyRepo }

func (discardRepo) Audit(context.Context, AuditEvent) error { return nil }
func (discardRepo) APIKey(context.Context, string) (KeyRecord, error) {
	return KeyRecord{}, ErrNoKey
}
func (discardRepo) TouchAPIKeys(context.Context, map[string]time.Time) error { return nil }

func TestLimiterLocksAndRecovers(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimitConfig{PairFailures: 2, AddrFailures: 3, KeyFailures: 5, Window: time.Minute, Lockout: 10 * time.Minute})
	for i := 0; i < 2; i++ {
		if hit := l.Fail(now, "10.0.0.1:5000", ""); len(hit) != 0 {
			t.Fatalf("locked after %d failures: %v", i+1, hit)
		}
	}
	if l.Locked(now, "10.0.0.1:1", "") {
		t.Fatal("locked before the limit")
	}
	if hit := l.Fail(now, "10.0.0.1:5001", ""); !slices.Equal(hit, []string{LockAddr}) {
		t.Fatalf("third failure hit %v", hit)
	}
	// Any port of the address is locked, for every key id; another address is not.
	if !l.Locked(now.Add(time.Minute), "10.0.0.1:9", "") || !l.Locked(now, "10.0.0.1", "abcdefghijklmnop") || l.Locked(now, "10.0.0.2:9", "") {
		t.Fatal("lockout by address wrong")
	}
	if l.Locked(now.Add(10*time.Minute), "10.0.0.1:9", "") {
		t.Fatal("still locked after the lockout")
	}
	// Failures spread wider than the window never lock.
	for i := 0; i < 10; i++ {
		if hit := l.Fail(now.Add(time.Hour+time.Duration(i)*2*time.Minute), "10.0.0.3:1", ""); len(hit) != 0 {
			t.Fatalf("slow failures hit %v at %d", hit, i)
		}
	}
}

func TestLimiterNeverLocksAKeyIDForOthers(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimitConfig{PairFailures: 2, AddrFailures: 3, KeyFailures: 5, Window: time.Minute, Lockout: 10 * time.Minute})
	const victim, other = "abcdefghijklmnop", "qrstuvwxyzabcdef"
	// Two failures naming the victim lock that address out for the victim's id only.
	l.Fail(now, "192.0.2.1:1", victim)
	if hit := l.Fail(now, "192.0.2.1:2", victim); !slices.Equal(hit, []string{LockAddrKey}) {
		t.Fatalf("second failure for one key id hit %v", hit)
	}
	if !l.Locked(now, "192.0.2.1:3", victim) || l.Locked(now, "192.0.2.1:3", other) || l.Locked(now, "192.0.2.1:3", "") {
		t.Fatal("a pair lockout must lock that address for that key id only")
	}
	// Failures naming the victim from many addresses raise the alarm but lock nobody else out.
	var alarms int
	for i := 2; i <= 60; i++ {
		for _, kind := range l.Fail(now, fmt.Sprintf("192.0.2.%d:1", i), victim) {
			if kind == KeyAlarm {
				alarms++
			}
		}
	}
	if alarms != 60/5 {
		t.Errorf("%d alarms for 60 failures, want one per 5", alarms)
	}
	if l.Locked(now, "198.51.100.1:1", victim) || l.Locked(now, "", victim) {
		t.Fatal("the victim's key id is locked for an address that never failed")
	}
	// A success clears the address's failures for that key id, not its own.
	l.Fail(now, "192.0.2.70:1", victim)
	l.Succeed(now, "192.0.2.70:2", victim)
	l.Fail(now, "192.0.2.70:1", victim)
	if l.Locked(now, "192.0.2.70:1", victim) {
		t.Fatal("the pair count survived a success")
	}
	if hit := l.Fail(now, "192.0.2.70:1", other); !slices.Equal(hit, []string{LockAddr}) {
		t.Fatalf("the address count did not survive a success: %v", hit)
	}
	got := counterValues(t, l.Collectors())
	if got[`setu_auth_lockouts_total{by="addr_key"}`] != 1 || got[`setu_auth_lockouts_total{by="addr"}`] != 1 || got["setu_auth_key_failure_alarms_total"] != float64(alarms) {
		t.Errorf("metrics %v", got)
	}
}

func TestLimiterGroupsIPv6By64(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(LimitConfig{AddrFailures: 3, Window: time.Minute, Lockout: time.Minute})
	for _, a := range []string{"[2001:db8:1:2::1]:1", "2001:db8:1:2::ffff", "[2001:db8:1:2:aaaa::9%eth0]:5"} {
		l.Fail(now, a, "")
	}
	if !l.Locked(now, "[2001:db8:1:2:1:2:3:4]:9", "") {
		t.Error("another address of the same /64 is not locked")
	}
	if l.Locked(now, "[2001:db8:1:3::1]:9", "") {
		t.Error("another /64 is locked")
	}
	// IPv4 and its mapped form are one address.
	for i := 0; i < 3; i++ {
		l.Fail(now, "[::ffff:192.0.2.9]:1", "")
	}
	if !l.Locked(now, "192.0.2.9:1", "") {
		t.Error("IPv4-mapped failures did not count for the IPv4 address")
	}
}

func TestThrottledStaticKeys(t *testing.T) {
	clk := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lim := NewLimiter(LimitConfig{AddrFailures: 3, Window: time.Minute, Lockout: time.Minute})
	a := Throttle(NewStatic(DemoKeys()), ThrottleConfig{Limiter: lim, Now: func() time.Time { return clk }})
	attacker := WithRemoteAddr(context.Background(), "127.0.0.2:1")
	for i := 0; i < 3; i++ {
		if _, err := a.Authenticate(attacker, "guess"); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := a.Authenticate(attacker, "tenantA-key"); !errors.Is(err, ErrLockedOut) {
		t.Fatalf("locked-out address with a good key: %v", err)
	}
	if p, err := a.Authenticate(WithRemoteAddr(context.Background(), "127.0.0.1:1"), "tenantA-key"); err != nil || p.KeyID != "demo-tenantA" {
		t.Fatalf("another address: %v %v", p, err)
	}
	clk = clk.Add(time.Minute)
	if _, err := a.Authenticate(attacker, "tenantA-key"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

// counterValues gathers counter values by name{label="value"}.
func counterValues(t *testing.T, cs []prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=\"" + l.GetValue() + "\"}"
			}
			out[name] = m.GetCounter().GetValue()
		}
	}
	return out
}
