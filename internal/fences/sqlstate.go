package fences

import (
	"fmt"
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
)

// sqlstateShape is the form of a SQLSTATE: five digits or upper-case letters.
var sqlstateShape = regexp.MustCompile(`^[0-9A-Z]{5}$`)

// SQLStateFinding is a SQLSTATE spelt outside package sqlerr: a literal, or a constant of the
// package's own, where the code flows into an error or is compared with one.
type SQLStateFinding struct {
	Pos   token.Position
	Code  string
	Const string // the constant's name when the code is reached through one
}

func (f SQLStateFinding) String() string {
	if f.Const != "" {
		return fmt.Sprintf("%s: SQLSTATE %s through constant %s: name it in package sqlerr", f.Pos, f.Code, f.Const)
	}
	return fmt.Sprintf("%s: SQLSTATE literal %q: use (or add) the sqlerr constant", f.Pos, f.Code)
}

// FindSQLStates returns the SQLSTATEs that the files of one package (not sqlerr) spell themselves
// where a code is expected: the first argument of sqlerr.New or sqlerr.Fatal, a Code field, an
// assignment to a variable or field named code, a comparison with or a switch on a .Code,
// sqlerr.Code(...) or .SQLState(). Values of that shape elsewhere (a "256MB" default, a "10000"
// flag default) are not codes and are left alone.
func FindSQLStates(fset *token.FileSet, files []*ast.File) []SQLStateFinding {
	consts := map[*ast.Object]string{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						if code, ok := stringLit(vs.Values[i]); ok && sqlstateShape.MatchString(code) {
							consts[name.Obj] = code
						}
					}
				}
			}
		}
	}
	var out []SQLStateFinding
	check := func(e ast.Expr) {
		switch e := ast.Unparen(e).(type) {
		case *ast.BasicLit:
			if code, ok := stringLit(e); ok && sqlstateShape.MatchString(code) {
				out = append(out, SQLStateFinding{Pos: fset.Position(e.Pos()), Code: code})
			}
		case *ast.Ident:
			if code, ok := consts[e.Obj]; ok && e.Obj != nil {
				out = append(out, SQLStateFinding{Pos: fset.Position(e.Pos()), Code: code, Const: e.Name})
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isSelector(n.Fun, "sqlerr", "New") || isSelector(n.Fun, "sqlerr", "Fatal") {
					if len(n.Args) > 0 {
						check(n.Args[0])
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && id.Name == "Code" {
					check(n.Value)
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if i < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) && namedCode(lhs) {
						check(n.Rhs[i])
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					if isCodeExpr(n.X) {
						check(n.Y)
					}
					if isCodeExpr(n.Y) {
						check(n.X)
					}
				}
			case *ast.SwitchStmt:
				if n.Tag != nil && isCodeExpr(n.Tag) {
					for _, stmt := range n.Body.List {
						for _, e := range stmt.(*ast.CaseClause).List {
							check(e)
						}
					}
				}
			}
			return true
		})
	}
	return out
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func isSelector(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg
}

// namedCode reports an assignment target called code: a local `code` or a `.Code` field.
func namedCode(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "code"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Code"
	}
	return false
}

// isCodeExpr reports an expression that holds a SQLSTATE: x.Code, sqlerr.Code(err), x.SQLState(),
// or a variable called code.
func isCodeExpr(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "Code"
	case *ast.Ident:
		return e.Name == "code"
	case *ast.CallExpr:
		if isSelector(e.Fun, "sqlerr", "Code") {
			return true
		}
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "SQLState" {
			return true
		}
	}
	return false
}
