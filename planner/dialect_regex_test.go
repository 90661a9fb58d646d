package planner

import (
	"regexp/syntax"
	"testing"
)

// The checks that keep regexp_match to the syntax PostgreSQL and RE2 read alike, and the
// zone patterns of to_char: each case is decided by hand from PostgreSQL's documentation
// (functions-matching, "Regular Expression Details"; to_char's template patterns).
func TestRegexpMatchPatternChecks(t *testing.T) {
	for pat, ok := range map[string]bool{
		`([a-z]+) ([a-z]+)`: true, `(a*)(l+)(o?)`: true, `(?:ab)+(c)`: true, `x{2,3}(y)`: true,
		`\.\*\\`: true, `\n\t`: true, `[^ ]*`: true,
		`a|ab`: false, `(a)?b`: false, `(a)*`: false, `(a){0,2}`: false, `a+?`: false, `a??`: false,
		`\d`: false, `\w+`: false, `\s`: false, `\b`: false, `\B`: false, `\1`: false, `\x41`: false,
		`\Z`: false, `\z`: false, `\Qa\E`: false, `\pL`: false, `[[:digit:]]`: false, `[[.a.]]`: false,
		`(?i)a`: false, `(?=a)`: false, `(?P<n>a)`: false,
	} {
		bad := regexSyntaxGap(pat)
		if bad == "" {
			re, err := syntax.Parse(pat, syntax.Perl)
			if err != nil {
				bad = err.Error()
			} else {
				bad = regexTreeGap(re, false)
			}
		}
		if (bad == "") != ok {
			t.Errorf("%q: accepted %v (%s), want %v", pat, bad == "", bad, ok)
		}
	}
}

func TestToCharZoneFormat(t *testing.T) {
	for _, c := range []struct {
		format  string
		instant bool
		zone    string
		want    string
		bad     string
	}{
		{"YYYY-MM-DD HH24:MI:SS.MS TZ", true, "UTC", `YYYY-MM-DD HH24:MI:SS.MS "UTC"`, ""},
		{"tz OF of FMTZ HH", true, "Etc/GMT-5", `"+05" "+05" "+05" "+05" HH`, ""},
		{"OF", true, "Etc/GMT+3", `"-03"`, ""},
		{`"TZ" TZ TZH`, true, "GMT", `"TZ" "GMT" TZH`, ""},
		{"TZ|OF", false, "Europe/Berlin", `""|"+00"`, ""},
		{"TZ", true, "Europe/Berlin", "", "Europe/Berlin"},
		{"OF", true, "Asia/Kolkata", "", "Asia/Kolkata"},
		{"OF", true, "+05:30", "", "+05:30"}, // a POSIX offset zone: not read here
		{"MONTH DD", true, "Asia/Kolkata", "MONTH DD", ""},
	} {
		got, bad := toCharZoneFormat(c.format, c.instant, c.zone)
		if got != c.want || bad != c.bad {
			t.Errorf("%q in %s: got %q %q, want %q %q", c.format, c.zone, got, bad, c.want, c.bad)
		}
	}
	if got := zoneOffsetText(5*3600 + 30*60); got != "+05:30" {
		t.Errorf("offset: %q", got)
	}
}
