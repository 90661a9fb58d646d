package fences

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"testing"
)

// TestNoSleepLoopWithoutDeadline fails when a test of the module polls with time.Sleep in a loop
// that nothing ends if the awaited thing never happens (issue 16: such a test hangs instead of
// failing by name).
func TestNoSleepLoopWithoutDeadline(t *testing.T) {
	parsed := 0
	for _, lp := range modulePackages(t) {
		for _, name := range append(lp.TestGoFiles, lp.XTestGoFiles...) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, filepath.Join(lp.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			parsed++
			for _, finding := range FindSleepLoops(fset, f) {
				t.Errorf("%s", finding)
			}
		}
	}
	if parsed < 50 {
		t.Fatalf("parsed only %d test files of the module: the scan is not reading it", parsed)
	}
}

// TestFindSleepLoops shows the scan catches the unbounded polls the tests had before issue 16
// and leaves bounded loops, and sleeps that are not polls, alone.
func TestFindSleepLoops(t *testing.T) {
	const src = `package p

func unbounded() {
	for be.runs.Load() != 1 { // line 4: caught
		time.Sleep(time.Millisecond)
	}
	for { // line 7: caught
		if ok() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range ch { // line 13: caught, a channel may never close
		time.Sleep(time.Millisecond)
	}
	for x := 0; ; x++ { // line 16: caught, x bounds nothing
		time.Sleep(time.Millisecond)
	}
	for cachedKeys() > 0 { // line 19: caught, a literal is not a count
		time.Sleep(time.Millisecond)
	}
}

func bounded() {
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("gave up")
		}
		time.Sleep(time.Millisecond)
	}
	for d := time.Now().Add(time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(d) {
			t.Fatal("gave up")
		}
	}
	for !cond() && time.Since(start) < time.Minute {
		time.Sleep(time.Millisecond)
	}
	for range 5 {
		time.Sleep(200 * time.Millisecond)
	}
	for i := 0; i < 200 && !seen; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	for {
		select {
		case <-ctx.Done():
			return
		default:
		}
		time.Sleep(time.Millisecond)
	}
	for !cond() {
		go func() { time.Sleep(time.Second) }() // a sleep of its own, not this loop's
		waitUntil(t, "x", cond)
	}
	time.Sleep(time.Second) // not in a loop
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, finding := range FindSleepLoops(fset, f) {
		lines = append(lines, finding.Pos.Line)
	}
	if want := []int{4, 7, 13, 16, 19}; !slices.Equal(lines, want) {
		t.Fatalf("findings on lines %v, want %v", lines, want)
	}
}
