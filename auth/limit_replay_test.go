package auth

import (
	"testing"
	"time"
)

// A limiter hears of its own failures through OnFail, never of replayed ones, and replayed
// failures count toward its limits like its own: two limiters exchanging failures lock an
// address out after PairFailures in all, wherever they happened.
func TestLimiterSharesFailuresThroughOnFailAndReplay(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type fail struct {
		at        time.Time
		addr, key string
	}
	var outA, outB []fail
	cfg := LimitConfig{PairFailures: 4, AddrFailures: 100, KeyFailures: 100, Window: time.Minute, Lockout: time.Minute}
	cfgA, cfgB := cfg, cfg
	cfgA.OnFail = func(at time.Time, addr, key string) { outA = append(outA, fail{at, addr, key}) }
	cfgB.OnFail = func(at time.Time, addr, key string) { outB = append(outB, fail{at, addr, key}) }
	a, b := NewLimiter(cfgA), NewLimiter(cfgB)
	a.Fail(now, "192.0.2.1:1", "k1")
	a.Fail(now, "192.0.2.1:2", "k1")
	b.Fail(now, "192.0.2.1:3", "k1")
	for _, f := range outA {
		b.Replay(f.at, f.addr, f.key)
	}
	for _, f := range outB {
		a.Replay(f.at, f.addr, f.key)
	}
	if len(outA) != 2 || len(outB) != 1 {
		t.Fatalf("OnFail heard %d and %d failures, want 2 and 1 (replays are not republished)", len(outA), len(outB))
	}
	if a.Locked(now, "192.0.2.1", "k1") || b.Locked(now, "192.0.2.1", "k1") {
		t.Fatal("locked after 3 failures in all, limit 4")
	}
	b.Fail(now, "192.0.2.1:4", "k1")
	a.Replay(outB[1].at, outB[1].addr, outB[1].key)
	if !a.Locked(now, "192.0.2.1", "k1") || !b.Locked(now, "192.0.2.1", "k1") {
		t.Fatal("not locked on both after 4 failures in all")
	}
}
