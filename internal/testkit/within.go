package testkit

import (
	"fmt"
	"runtime/debug"
	"testing"
	"time"
)

// Within runs fn on a goroutine of its own and fails the test, naming what, when fn panics
// (the failure carries the panic's stack) or has not returned after d: a fuzz target's "no
// input panics or takes unbounded time", without the fuzzer's own timeout ending the run. On a
// timeout fn's goroutine is left running, since nothing can stop it; the test is over.
func Within(t testing.TB, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan string, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Sprintf("%v\n%s", r, debug.Stack())
				return
			}
			done <- ""
		}()
		fn()
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case p := <-done:
		if p != "" {
			t.Fatalf("%s: panic: %s", what, p)
		}
	case <-timer.C:
		t.Fatalf("%s: took longer than %v", what, d)
	}
}
