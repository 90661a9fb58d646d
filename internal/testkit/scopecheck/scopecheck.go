package scopecheck

import (
	"fmt"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Rules are what one checker allows. Each hook adds its problems to the Report it is given.
type Rules struct {
	// Block is called for each SELECT whose FROM is exactly one schema-qualified relation of no
	// database, and says whether that block reads it as it must (under its filter). A relation
	// read any other way is never approved.
	Block func(r *Report, s *pg_query.SelectStmt, rel *pg_query.RangeVar) bool
	// Table is called for each schema-qualified relation of no database; approved says whether
	// Block approved the block reading it. Nil refuses every such relation.
	Table func(r *Report, rel *pg_query.RangeVar, approved bool)
	// Func is called for each function call. Nil allows every call.
	Func func(r *Report, fc *pg_query.FuncCall)
	// TableFunc is called for each function list in FROM. Nil refuses every one.
	TableFunc func(r *Report, rf *pg_query.RangeFunction)
	// CTE is called for each WITH item before its body is walked. Nil allows every name.
	CTE func(r *Report, c *pg_query.CommonTableExpr)
	// RecursiveSeesAll makes every CTE of a WITH RECURSIVE list see all of the list, as
	// PostgreSQL allows; otherwise a recursive CTE sees itself and the CTEs before it only,
	// which is what PostgreSQL and DuckDB agree on.
	RecursiveSeesAll bool
}

// Report collects the problems of one statement.
type Report struct {
	Problems []string
}

// Failf adds a problem.
func (r *Report) Failf(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Check parses engineSQL, which must be one SELECT, and returns every way it breaks rules.
func Check(engineSQL string, rules Rules) []string {
	tree, err := pg_query.Parse(engineSQL)
	if err != nil {
		return []string{fmt.Sprintf("engine SQL does not parse: %v", err)}
	}
	if len(tree.Stmts) != 1 {
		return []string{fmt.Sprintf("engine SQL holds %d statements", len(tree.Stmts))}
	}
	if tree.Stmts[0].Stmt.GetSelectStmt() == nil {
		return []string{"engine SQL is not a SELECT"}
	}
	w := &walk{rules: rules, approved: map[*pg_query.RangeVar]bool{}}
	w.visit(tree.Stmts[0].Stmt.ProtoReflect(), nil)
	return w.report.Problems
}

// walk is one statement's visit.
type walk struct {
	rules    Rules
	report   Report
	approved map[*pg_query.RangeVar]bool
}

// scope is a chain of WITH lists as seen from a point of the statement, innermost first.
type scope struct {
	names  map[string]bool
	parent *scope
}

func (s *scope) has(name string) bool {
	for ; s != nil; s = s.parent {
		if s.names[name] {
			return true
		}
	}
	return false
}

func (w *walk) visit(msg protoreflect.Message, sc *scope) {
	if !msg.IsValid() {
		return
	}
	switch m := msg.Interface().(type) {
	case *pg_query.SelectStmt:
		sc = w.selectStmt(m, sc)
	case *pg_query.RangeVar:
		w.rangeVar(m, sc)
	case *pg_query.FuncCall:
		if w.rules.Func != nil {
			w.rules.Func(&w.report, m)
		}
	case *pg_query.RangeFunction:
		if w.rules.TableFunc != nil {
			w.rules.TableFunc(&w.report, m)
		} else {
			w.report.Failf("table function in FROM: %s", ShortText(m))
		}
	case *pg_query.RangeTableFunc, *pg_query.JsonTable, *pg_query.RangeTableSample:
		w.report.Failf("%T in FROM", m)
	case *pg_query.IntoClause, *pg_query.LockingClause:
		w.report.Failf("%T in engine SQL", m)
	}
	_, isSelect := msg.Interface().(*pg_query.SelectStmt)
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if isSelect && fd.Name() == "with_clause" {
			return true // walked by selectStmt, each CTE in its own scope
		}
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				w.visit(l.Get(i).Message(), sc)
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			w.visit(v.Message(), sc)
		}
		return true
	})
}

// selectStmt asks Block about a block that reads one schema-qualified relation, walks the
// block's WITH list and returns the scope its other clauses see. A CTE sees the CTEs before it.
func (w *walk) selectStmt(s *pg_query.SelectStmt, sc *scope) *scope {
	if len(s.FromClause) == 1 {
		if rv := s.FromClause[0].GetRangeVar(); rv != nil && rv.Schemaname != "" && rv.Catalogname == "" &&
			w.rules.Block != nil && w.rules.Block(&w.report, s, rv) {
			w.approved[rv] = true
		}
	}
	if s.WithClause == nil {
		return sc
	}
	inner := &scope{names: map[string]bool{}, parent: sc}
	recursive := s.WithClause.Recursive
	if recursive && w.rules.RecursiveSeesAll {
		for _, n := range s.WithClause.Ctes {
			inner.names[n.GetCommonTableExpr().GetCtename()] = true
		}
	}
	for _, n := range s.WithClause.Ctes {
		c := n.GetCommonTableExpr()
		if c == nil {
			w.report.Failf("WITH item %s", ShortText(n))
			continue
		}
		if w.rules.CTE != nil {
			w.rules.CTE(&w.report, c)
		}
		if recursive {
			inner.names[c.Ctename] = true
		}
		w.visit(c.ProtoReflect(), inner)
		inner.names[c.Ctename] = true
	}
	return inner
}

func (w *walk) rangeVar(rv *pg_query.RangeVar, sc *scope) {
	switch {
	case rv.Catalogname != "":
		w.report.Failf("relation %s.%s.%s names a database", rv.Catalogname, rv.Schemaname, rv.Relname)
	case rv.Schemaname != "":
		if w.rules.Table != nil {
			w.rules.Table(&w.report, rv, w.approved[rv])
		} else {
			w.report.Failf("relation %s.%s is not allowed", rv.Schemaname, rv.Relname)
		}
	case !sc.has(rv.Relname):
		w.report.Failf("relation %s is neither schema-qualified nor a CTE in scope", rv.Relname)
	}
}

// Where parses cond as the WHERE clause of a SELECT, without parse positions: the filter a
// checker expects, written as SQL text of its own.
func Where(tb testing.TB, cond string) *pg_query.Node {
	tb.Helper()
	tree, err := pg_query.Parse("SELECT 1 WHERE " + cond)
	if err != nil {
		tb.Fatalf("filter %q: %v", cond, err)
		return nil
	}
	where := tree.Stmts[0].Stmt.GetSelectStmt().WhereClause
	clearLocations(where.ProtoReflect())
	return where
}

// SameWhere reports whether got, a WHERE clause of engine SQL, is want (from Where), parse
// positions aside; nil is the absent clause.
func SameWhere(want, got *pg_query.Node) bool {
	if want == nil || got == nil {
		return want == nil && got == nil
	}
	got = proto.Clone(got).(*pg_query.Node)
	clearLocations(got.ProtoReflect())
	return proto.Equal(want, got)
}

// FuncName is the parts of a function call's name as written ("pg_catalog", "lower").
func FuncName(fc *pg_query.FuncCall) []string {
	var parts []string
	for _, n := range fc.Funcname {
		parts = append(parts, n.GetString_().GetSval())
	}
	return parts
}

// clearLocations zeroes parse positions, which differ between engine SQL and the filter a
// checker writes.
func clearLocations(m protoreflect.Message) {
	if !m.IsValid() {
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Name() == "location" && fd.Kind() == protoreflect.Int32Kind:
			m.Clear(fd)
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				clearLocations(l.Get(i).Message())
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			clearLocations(v.Message())
		}
		return true
	})
}

// ShortText renders a node for a failure message, cut to 300 characters.
func ShortText(m proto.Message) string {
	if m == nil || !m.ProtoReflect().IsValid() {
		return "(none)"
	}
	s := fmt.Sprint(m)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
