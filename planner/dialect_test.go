package planner

import "testing"

func TestStrftimeFormat(t *testing.T) {
	for pg, want := range map[string]string{
		"YYYY-MM-DD":            "%Y-%m-%d",
		"YYYY-MM-DD HH24:MI:SS": "%Y-%m-%d %H:%M:%S",
		"Mon YYYY":              "%b %Y",
		`"Q"YYYY 100%`:          "Q%Y 100%%",
		"FMMonth DD, YYYY":      "%B %d, %Y",
		"HH12:MI AM":            "%I:%M %p",
	} {
		if got := strftimeFormat(pg); got != want {
			t.Errorf("%q → %q, want %q", pg, got, want)
		}
	}
}
