package fences

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"testing"
)

// TestSQLStatesLiveInSqlerr fails when a package other than sqlerr spells a SQLSTATE where a code
// is expected, instead of naming sqlerr's constant (ARCHITECTURE.md: every code in sqlerr, with
// PostgreSQL's condition name).
func TestSQLStatesLiveInSqlerr(t *testing.T) {
	parsed := 0
	for _, lp := range modulePackages(t) {
		if lp.Name == "sqlerr" {
			continue
		}
		fset := token.NewFileSet()
		var files []*ast.File
		for _, name := range append(lp.GoFiles, lp.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(lp.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		parsed += len(files)
		for _, f := range FindSQLStates(fset, files) {
			t.Errorf("%s", f)
		}
	}
	if parsed < 50 {
		t.Fatalf("parsed only %d files of the module: the scan is not reading it", parsed)
	}
}

// TestFindSQLStates shows the scan catches each way a code was spelt outside sqlerr before they
// moved there, and leaves values of the same shape that are not codes alone.
func TestFindSQLStates(t *testing.T) {
	const src = `package p

const (
	invalidStatementName = "26000" // was pgwire's
	DefaultMemoryLimit   = "256MB" // not a code
)

func f(pe *pgconn.PgError, err error) error {
	_ = flag{"cache-max-rows", "10000"} // not a code
	if pe.Code == "0A000" {
		return nil
	}
	code := "42000"
	switch sqlerr.Code(err) {
	case "57014":
	}
	_ = &sqlerr.Error{Code: "22003"}
	_ = sqlerr.Fatal(sqlerr.AdminShutdown, "fine")
	_ = DefaultMemoryLimit
	return sqlerr.New(invalidStatementName, "prepared statement does not exist")
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, finding := range FindSQLStates(fset, []*ast.File{f}) {
		got = append(got, finding.String())
	}
	want := []string{
		`p.go:10:16: SQLSTATE literal "0A000": use (or add) the sqlerr constant`,
		`p.go:13:10: SQLSTATE literal "42000": use (or add) the sqlerr constant`,
		`p.go:15:7: SQLSTATE literal "57014": use (or add) the sqlerr constant`,
		`p.go:17:26: SQLSTATE literal "22003": use (or add) the sqlerr constant`,
		`p.go:20:20: SQLSTATE 26000 through constant invalidStatementName: name it in package sqlerr`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got  %q\n want %q", got, want)
	}
}
