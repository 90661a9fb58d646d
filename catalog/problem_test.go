package catalog

import "testing"

func TestValidationErrorFormat(t *testing.T) {
	e := &ValidationError{Problems: []Problem{
		{File: "c.yaml", Message: "the file is empty"},
		{File: "c.yaml", Line: 7, Message: `dimension "city": field "cty" is not a field of dataset "orders"`},
	}}
	want := "c.yaml: the file is empty\n" +
		`c.yaml:7: dimension "city": field "cty" is not a field of dataset "orders"`
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestProblemsSortedByLine(t *testing.T) {
	ps := []Problem{{Line: 9, Message: "a"}, {Line: 2, Message: "b"}, {Line: 9, Message: "c"}, {Line: 0, Message: "d"}}
	sortProblems(ps)
	var got string
	for _, p := range ps {
		got += p.Message
	}
	if got != "dbac" {
		t.Errorf("order = %s, want dbac (by line, stable)", got)
	}
}
