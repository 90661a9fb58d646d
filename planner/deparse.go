package planner

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/sqlerr"
)

// The deparser that turns the rewritten tree back into SQL drops parentheses the tree needs in
// a few places: `(a OR b) IN (false)` comes out as `a OR b IN (false)`, which means something
// else. Two defences: operands at risk are wrapped in a one-argument COALESCE, which keeps its
// own parentheses and changes nothing; and every engine SQL is parsed again and compared with
// the tree it came from, so a statement the deparser would change is refused, never run.

// protectOperands wraps the operands the deparser would print without their parentheses.
func protectOperands(root *pg_query.Node) {
	sqlast.Walk(root, func(n *pg_query.Node) bool {
		switch v := n.Node.(type) {
		case *pg_query.Node_AExpr:
			if v.AExpr.Kind != pg_query.A_Expr_Kind_AEXPR_OP {
				v.AExpr.Lexpr = shield(v.AExpr.Lexpr)
				if l := v.AExpr.Rexpr.GetList(); l != nil {
					for i, item := range l.Items {
						l.Items[i] = shield(item)
					}
				}
			}
		case *pg_query.Node_NullTest:
			v.NullTest.Arg = shield(v.NullTest.Arg)
		case *pg_query.Node_BooleanTest:
			v.BooleanTest.Arg = shield(v.BooleanTest.Arg)
		}
		return true
	})
}

// shield wraps an operand that is itself an operator expression.
func shield(n *pg_query.Node) *pg_query.Node {
	switch n.GetNode().(type) {
	case *pg_query.Node_BoolExpr, *pg_query.Node_AExpr, *pg_query.Node_NullTest, *pg_query.Node_BooleanTest:
		return &pg_query.Node{Node: &pg_query.Node_CoalesceExpr{CoalesceExpr: &pg_query.CoalesceExpr{
			Args: []*pg_query.Node{n}, Location: -1,
		}}}
	}
	return n
}

// deparseChecked turns the tree into SQL and proves the SQL parses back into the same tree.
func deparseChecked(node *pg_query.Node, version int32) (string, error) {
	sql, err := pg_query.Deparse(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: node}}})
	if err != nil {
		return "", sqlerr.Internal(fmt.Errorf("deparse: %w", err))
	}
	back, err := pg_query.Parse(sql)
	if err != nil || len(back.Stmts) != 1 {
		return "", untranslatable(fmt.Errorf("engine SQL does not parse back (%v): %s", err, sql))
	}
	want := proto.Clone(node).(*pg_query.Node)
	got := back.Stmts[0].Stmt
	clearLocations(want.ProtoReflect())
	clearLocations(got.ProtoReflect())
	if !proto.Equal(want, got) {
		return "", untranslatable(fmt.Errorf("engine SQL parses into a different tree: %s", sql))
	}
	return sql, nil
}

// untranslatable refuses a statement the deparser cannot render faithfully. A client's SQL
// provoked it, so it is never an internal (XX) error; the cause stays for the log.
func untranslatable(cause error) error {
	return &sqlerr.Error{Code: sqlerr.FeatureNotSupported, Severity: sqlerr.SeverityError,
		Message: "this statement cannot be translated for the engine without changing its meaning",
		Hint:    "rewriting the expression (explicit parentheses, CASE, a plain cast) may help", Cause: cause}
}

// clearLocations zeroes every parse position, the one thing a round trip may change.
func clearLocations(m protoreflect.Message) {
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
