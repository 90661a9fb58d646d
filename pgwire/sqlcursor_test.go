package pgwire

import (
	"testing"

	"github.com/setupranali/setupranali/planner"
)

func TestCopyEncoding(t *testing.T) {
	text := &planner.CopyCommand{Delimiter: '\t', Null: `\N`}
	csv := &planner.CopyCommand{CSV: true, Delimiter: ',', Null: ""}
	cases := []struct {
		cmd  *planner.CopyCommand
		v    []byte
		want string
	}{
		{text, nil, `\N`},
		{text, []byte(""), ""},
		{text, []byte("a\tb\nc\\d\re\bf\fg\vh"), `a\tb\nc\\d\re\bf\fg\vh`},
		{&planner.CopyCommand{Delimiter: '|', Null: `\N`}, []byte("a|b"), `a\|b`},
		{csv, nil, ""},
		{csv, []byte(""), `""`},
		{csv, []byte("plain"), "plain"},
		{csv, []byte("a,b"), `"a,b"`},
		{csv, []byte(`say "hi"`), `"say ""hi"""`},
		{csv, []byte("two\nlines"), "\"two\nlines\""},
		{csv, []byte(`\.`), `"\."`},
		{&planner.CopyCommand{CSV: true, Delimiter: ';', Null: "NULL"}, []byte("NULL"), `"NULL"`},
	}
	for _, c := range cases {
		var got []byte
		if c.cmd.CSV {
			got = appendCSV(nil, c.v, c.cmd)
		} else {
			got = appendCopyText(nil, c.v, c.cmd)
		}
		if string(got) != c.want {
			t.Errorf("%q (csv %v): got %q, want %q", c.v, c.cmd.CSV, got, c.want)
		}
	}
}
