package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
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
	l := newLimiter(LimitConfig{AddrFailures: 3, KeyFailures: 5, Window: time.Minute, Lockout: 10 * time.Minute})
	for i := 0; i < 2; i++ {
		if locked := l.fail(now, "10.0.0.1:5000", ""); len(locked) != 0 {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	if l.locked(now, "10.0.0.1:1", "") {
		t.Fatal("locked before the limit")
	}
	if locked := l.fail(now, "10.0.0.1:5001", ""); len(locked) != 1 || locked[0] != "addr" {
		t.Fatalf("third failure locked %v", locked)
	}
	// Any port of the address is locked; another address is not.
	if !l.locked(now.Add(time.Minute), "10.0.0.1:9", "") || l.locked(now, "10.0.0.2:9", "") {
		t.Fatal("lockout by address wrong")
	}
	if l.locked(now.Add(10*time.Minute), "10.0.0.1:9", "") {
		t.Fatal("still locked after the lockout")
	}
	// Failures spread wider than the window never lock.
	for i := 0; i < 10; i++ {
		if locked := l.fail(now.Add(time.Hour+time.Duration(i)*2*time.Minute), "10.0.0.3:1", ""); len(locked) != 0 {
			t.Fatalf("slow failures locked at %d", i)
		}
	}
	// Per key id, from many addresses.
	for i := 0; i < 5; i++ {
		l.fail(now, "192.0.2."+string(rune('1'+i))+":1", "abcdefghijklmnop")
	}
	if !l.locked(now, "198.51.100.1:1", "abcdefghijklmnop") {
		t.Fatal("key id not locked after its limit from many addresses")
	}
}
