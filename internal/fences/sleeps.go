package fences

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"
)

// SleepLoopFinding is a loop in a test that sleeps with nothing to end it if what it waits for
// never happens: such a test hangs until the go test timeout instead of failing by name.
type SleepLoopFinding struct {
	Pos token.Position
}

func (f SleepLoopFinding) String() string {
	return fmt.Sprintf("%s: loop calls time.Sleep without a deadline: bound it (a deadline that fails the test, or the package's wait helper)", f.Pos)
}

// FindSleepLoops returns the for loops of a file that call time.Sleep (in their body, condition
// or post statement, not inside a nested loop or function literal, which are judged on their
// own) and are bounded neither by a count nor by time. A count bound is a range over an integer
// literal or a counted loop (`for i := 0; i < 200; i++`); a time bound is a reference, anywhere in
// the loop, to a deadline: a name containing "deadline" or "timeout", or a call of After, Before,
// Since, Until or Done (time.Now().After(deadline), time.Since(start), ctx.Done()).
func FindSleepLoops(fset *token.FileSet, f *ast.File) []SleepLoopFinding {
	var out []SleepLoopFinding
	ast.Inspect(f, func(n ast.Node) bool {
		var parts []ast.Node
		bounded := false
		switch n := n.(type) {
		case *ast.ForStmt:
			parts = []ast.Node{n.Init, n.Cond, n.Post, n.Body}
			bounded = countBound(n)
		case *ast.RangeStmt:
			parts = []ast.Node{n.X, n.Body}
			// Without types a range over a slice cannot be told from one over a channel: only
			// `range 5` counts as bounded; a loop of another range names its deadline.
			bounded = isIntRange(n.X)
		default:
			return true
		}
		sleeps, timed := false, false
		for _, p := range parts {
			if p == nil {
				continue
			}
			if directSleep(p) {
				sleeps = true
			}
			if mentionsDeadline(p) {
				timed = true
			}
		}
		if sleeps && !bounded && !timed {
			out = append(out, SleepLoopFinding{Pos: fset.Position(n.Pos())})
		}
		return true
	})
	return out
}

// directSleep reports a time.Sleep call in n that is not inside a nested loop or function
// literal.
func directSleep(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		if found {
			return false
		}
		switch m := m.(type) {
		case *ast.FuncLit, *ast.ForStmt, *ast.RangeStmt:
			return m == n
		case *ast.CallExpr:
			if isSelector(m.Fun, "time", "Sleep") {
				found = true
			}
		}
		return true
	})
	return found
}

// mentionsDeadline reports a reference in n to a deadline or timeout, or a call that measures
// or awaits time.
func mentionsDeadline(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(m ast.Node) bool {
		switch m := m.(type) {
		case *ast.Ident:
			name := strings.ToLower(m.Name)
			if strings.Contains(name, "deadline") || strings.Contains(name, "timeout") {
				found = true
			}
		case *ast.CallExpr:
			if sel, ok := m.Fun.(*ast.SelectorExpr); ok {
				switch sel.Sel.Name {
				case "After", "Before", "Since", "Until", "Done":
					found = true
				}
			}
		}
		return !found
	})
	return found
}

// countBound reports a counted loop: `for i := 0; i < 200; i++`, the condition possibly joined
// with others by && (which only end the loop sooner). A comparison with a literal alone is not
// one (`for keys() > 0` may never end).
func countBound(n *ast.ForStmt) bool {
	init, ok := n.Init.(*ast.AssignStmt)
	if !ok || init.Tok != token.DEFINE || len(init.Lhs) != 1 {
		return false
	}
	counter, ok := init.Lhs[0].(*ast.Ident)
	if !ok {
		return false
	}
	post, ok := n.Post.(*ast.IncDecStmt)
	if !ok || !isIdent(post.X, counter.Name) {
		return false
	}
	var compares func(e ast.Expr) bool
	compares = func(e ast.Expr) bool {
		c, ok := ast.Unparen(e).(*ast.BinaryExpr)
		if !ok {
			return false
		}
		switch c.Op {
		case token.LAND:
			return compares(c.X) || compares(c.Y)
		case token.LSS, token.LEQ, token.GTR, token.GEQ:
			return isIdent(c.X, counter.Name) && isIntLit(c.Y) || isIntLit(c.X) && isIdent(c.Y, counter.Name)
		}
		return false
	}
	return n.Cond != nil && compares(n.Cond)
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == name
}

// isIntRange reports `range 5`: a range over an integer literal.
func isIntRange(x ast.Expr) bool { return isIntLit(x) }

func isIntLit(e ast.Expr) bool {
	lit, ok := ast.Unparen(e).(*ast.BasicLit)
	return ok && lit.Kind == token.INT
}
