package sqlerr

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestInternalHidesCause(t *testing.T) {
	cause := errors.New("disk on fire at /var/secret/path")
	e := Internal(cause)
	if e.Code != InternalError || strings.Contains(e.Message, "disk") || !strings.Contains(e.Message, "ref ") {
		t.Errorf("client message %q must hide the cause and carry a ref", e.Message)
	}
	if !errors.Is(e, cause) {
		t.Error("cause lost from the chain (logs need it)")
	}
}

func TestFromFindsWrappedError(t *testing.T) {
	inner := New(UndefinedTable, "relation %q does not exist", "x").WithPosition(15)
	got := From(fmt.Errorf("planning: %w", inner))
	if got != inner || Code(got) != UndefinedTable || got.Position != 15 {
		t.Errorf("From = %+v", got)
	}
	if From(nil) != nil {
		t.Error("From(nil) != nil")
	}
	if Code(errors.New("plain")) != InternalError || From(errors.New("plain")).Code != InternalError {
		t.Error("an error without SQLSTATE must be internal")
	}
	if Class("42P01") != "42" || Class("") != "" {
		t.Error("Class")
	}
}

// sqlStater is the interface pgx's *pgconn.PgError satisfies too.
type sqlStater interface{ SQLState() string }

func TestSQLState(t *testing.T) {
	var wrapped error = fmt.Errorf("executing: %w", New(UndefinedColumn, "column %q does not exist", "x"))
	var s sqlStater
	if !errors.As(wrapped, &s) {
		t.Fatal("*Error does not satisfy interface{ SQLState() string }")
	}
	if s.SQLState() != UndefinedColumn {
		t.Errorf("SQLState() = %q, want %q", s.SQLState(), UndefinedColumn)
	}
	if got := Internal(errors.New("x")).SQLState(); got != InternalError {
		t.Errorf("Internal(...).SQLState() = %q, want %q", got, InternalError)
	}
}

// codeConsts reads the SQLSTATE constants of this package from its source, name -> value.
func codeConsts(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "sqlerr.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(name.Name, "Severity") {
					continue
				}
				codes[name.Name] = v
			}
		}
	}
	return codes
}

// TestCodes holds the package doc's promises about its codes: well-formed, one name per code,
// class 53 only where PostgreSQL uses it, and the codes moved here from pgwire and the engines
// unchanged.
func TestCodes(t *testing.T) {
	codes := codeConsts(t)
	if len(codes) < 40 {
		t.Fatalf("read only %d codes from sqlerr.go: the parse is wrong", len(codes))
	}
	wellFormed := regexp.MustCompile(`^[0-9A-Z]{5}$`)
	byCode := map[string]string{}
	for name, code := range codes {
		if !wellFormed.MatchString(code) {
			t.Errorf("%s = %q is not a SQLSTATE", name, code)
		}
		if other, dup := byCode[code]; dup {
			t.Errorf("%s and %s both name %s", name, other, code)
		}
		byCode[code] = name
		if Class(code) == "53" && code != TooManyConnections && code != ConfigurationLimit {
			t.Errorf("%s = %s: class 53 is only for 53300 and 53400 (see doc.go)", name, code)
		}
	}
	for _, c := range []struct{ got, want string }{
		{NumericValueOutOfRange, "22003"},
		{CharacterNotInRepertoire, "22021"},
		{InvalidBinaryRepresentation, "22P03"},
		{ActiveSQLTransaction, "25001"},
		{NoActiveSQLTransaction, "25P01"},
		{IdleInTransactionSessionTimeout, "25P03"},
		{InvalidSQLStatementName, "26000"},
		{InvalidCursorName, "34000"},
		{InvalidSavepointSpecification, "3B001"},
		{SyntaxErrorOrAccessRuleViolation, "42000"},
		{DuplicateCursor, "42P03"},
		{DuplicatePreparedStatement, "42P05"},
		{ObjectNotInPrerequisiteState, "55000"},
		{IdleSessionTimeout, "57P05"},
		{TooManyConnections, "53300"},
		{ConfigurationLimit, "53400"},
		{ProgramLimitExceeded, "54000"},
	} {
		if c.got != c.want {
			t.Errorf("code %s, want %s (PostgreSQL's)", c.got, c.want)
		}
	}
}
