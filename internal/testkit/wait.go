package testkit

import (
	"context"
	"testing"
	"time"
)

// ContextTimeout bounds Context; WaitTimeout bounds Eventually. Both are generous: they only
// keep a broken run from hanging until go test's own timeout, nothing asserts how fast a
// test's condition comes true.
const (
	ContextTimeout = 30 * time.Second
	WaitTimeout    = 60 * time.Second
	cleanupTimeout = 30 * time.Second
)

// Context returns a context that ends after ContextTimeout, or at the test binary's own
// deadline (go test -timeout) if that comes first, and is cancelled when the test ends.
func Context(t testing.TB) context.Context {
	return ContextWithin(t, ContextTimeout)
}

// ContextWithin is Context with a bound of d.
func ContextWithin(t testing.TB, d time.Duration) context.Context {
	deadline := time.Now().Add(d)
	if td, ok := testDeadline(t); ok && td.Before(deadline) {
		deadline = td
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// testDeadline is the test binary's deadline, when t is a *testing.T that knows one.
func testDeadline(t testing.TB) (time.Time, bool) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		return d.Deadline()
	}
	return time.Time{}, false
}

// Eventually polls cond until it holds, and fails the test naming what it waited for when
// WaitTimeout passes first. It polls often at first and backs off to every 20ms, so a
// condition that comes true at once costs little and a slow one does not spin a core.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyWithin(t, WaitTimeout, what, cond)
}

// EventuallyWithin is Eventually with a bound of d.
func EventuallyWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting after %v: %s", d, what)
			return
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
}
