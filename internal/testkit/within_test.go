package testkit

import (
	"strings"
	"testing"
	"time"
)

// Within passes a call that returns in time, and fails one that panics or overruns, by name.
func TestWithin(t *testing.T) {
	r := &recorder{TB: t}
	ran := false
	Within(r, time.Minute, "quick", func() { ran = true })
	if !ran || r.failed != "" {
		t.Errorf("a quick call: ran %v, failed %q", ran, r.failed)
	}

	r = &recorder{TB: t}
	Within(r, time.Minute, "panicky", func() { panic("boom") })
	if !strings.HasPrefix(r.failed, "panicky: panic: boom") || !strings.Contains(r.failed, "goroutine") {
		t.Errorf("a panic: failed %q, want the name, the value and a stack", r.failed)
	}

	r = &recorder{TB: t}
	release := make(chan struct{})
	defer close(release)
	Within(r, 10*time.Millisecond, "slow", func() { <-release })
	if r.failed != "slow: took longer than 10ms" {
		t.Errorf("an overrun: failed %q", r.failed)
	}
}
