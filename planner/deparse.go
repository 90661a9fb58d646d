package planner

import (
	"bytes"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/encoding/protowire"
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

// guardValueSizes is the valuesize pass: operands the deparser would print without their
// parentheses are shielded (protectOperands), then the calls that multiply a string's size are
// bounded for the engine (boundValues, valuesize.go).
func guardValueSizes(s *planState) error {
	protectOperands(s.root)
	return boundValues(s.root, s.engine, s.cfg.MaxValueBytes)
}

// deparse is the deparse pass: the engine SQL, proven to parse back into the tree.
func deparse(s *planState) error {
	if s.engine == "mysql" {
		// PostgreSQL's deparser cannot write MySQL; the dialect has its own (dialect_mysql.go).
		return deparseMySQL(s)
	}
	sql, err := deparseChecked(s.root, s.st.version)
	s.sql = sql
	return err
}

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

// deparseChecked turns the tree into SQL and proves the SQL parses back into the same tree,
// locations aside. It consumes node: on the slow path its locations are cleared.
//
// The proof first compares encodings: the bytes the deparser was given against the bytes the
// parser returns, field by field, skipping only location fields. Identical encodings decode to
// identical trees, so a match needs nothing more; that spares decoding the second parse and
// walking both trees by reflection. Any difference, even one of encoding only, falls back to
// decoding and comparing the trees themselves, which alone decides a refusal.
func deparseChecked(node *pg_query.Node, version int32) (string, error) {
	enc, err := proto.Marshal(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: node}}})
	if err != nil {
		return "", sqlerr.Internal(fmt.Errorf("deparse: %w", err))
	}
	sql, err := parser.DeparseFromProtobuf(enc)
	if err != nil {
		return "", sqlerr.Internal(fmt.Errorf("deparse: %w", err))
	}
	backEnc, err := parser.ParseToProtobuf(sql)
	if err == nil {
		want, _ := onlyStatement(enc)
		got, n := onlyStatement(backEnc)
		if n == 1 && want != nil && got != nil && sameEncoding(nodeDescriptor, want, got) {
			return sql, nil
		}
	}
	back := &pg_query.ParseResult{}
	if err == nil {
		err = proto.Unmarshal(backEnc, back)
	}
	if err != nil || len(back.Stmts) != 1 {
		return "", untranslatable(fmt.Errorf("engine SQL does not parse back (%v): %s", err, sql))
	}
	got := back.Stmts[0].Stmt
	clearLocations(node.ProtoReflect())
	clearLocations(got.ProtoReflect())
	if !proto.Equal(node, got) {
		return "", untranslatable(fmt.Errorf("engine SQL parses into a different tree: %s", sql))
	}
	return sql, nil
}

var (
	nodeDescriptor   = (&pg_query.Node{}).ProtoReflect().Descriptor()
	parseResultStmts = (&pg_query.ParseResult{}).ProtoReflect().Descriptor().Fields().ByName("stmts").Number()
	rawStmtStmt      = (&pg_query.RawStmt{}).ProtoReflect().Descriptor().Fields().ByName("stmt").Number()
)

// onlyStatement returns the encoded statement node of an encoded ParseResult and how many
// statements it holds; nil when the encoding is malformed or the statement has no node.
func onlyStatement(enc []byte) ([]byte, int) {
	var raw []byte
	n := 0
	for len(enc) > 0 {
		num, typ, l := protowire.ConsumeTag(enc)
		if l < 0 {
			return nil, n
		}
		enc = enc[l:]
		if num == parseResultStmts && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(enc)
			if l < 0 {
				return nil, n
			}
			raw, n, enc = v, n+1, enc[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(num, typ, enc)
		if l < 0 {
			return nil, n
		}
		enc = enc[l:]
	}
	var stmt []byte
	for len(raw) > 0 {
		num, typ, l := protowire.ConsumeTag(raw)
		if l < 0 {
			return nil, n
		}
		raw = raw[l:]
		l = protowire.ConsumeFieldValue(num, typ, raw)
		if l < 0 {
			return nil, n
		}
		if num == rawStmtStmt && typ == protowire.BytesType {
			if stmt, _ = protowire.ConsumeBytes(raw); stmt == nil {
				stmt = []byte{}
			}
		}
		raw = raw[l:]
	}
	return stmt, n
}

// sameEncoding reports whether two encodings of a message of type md are the same field for
// field, in the same order, once every location field is skipped; nested messages are compared
// the same way. True means the two decode to equal trees, locations aside. False may be a
// difference of encoding only.
func sameEncoding(md protoreflect.MessageDescriptor, a, b []byte) bool {
	fields := md.Fields()
	loc := protowire.Number(-1)
	if fd := fields.ByName("location"); fd != nil && fd.Kind() == protoreflect.Int32Kind {
		loc = fd.Number()
	}
	for {
		a, b = skipField(a, loc), skipField(b, loc)
		if len(a) == 0 || len(b) == 0 {
			return len(a) == 0 && len(b) == 0
		}
		num, typ, la := protowire.ConsumeTag(a)
		numB, typB, lb := protowire.ConsumeTag(b)
		if la < 0 || lb < 0 || num != numB || typ != typB {
			return false
		}
		a, b = a[la:], b[lb:]
		if fd := fields.ByNumber(num); typ == protowire.BytesType && fd != nil && fd.Kind() == protoreflect.MessageKind {
			va, la := protowire.ConsumeBytes(a)
			vb, lb := protowire.ConsumeBytes(b)
			if la < 0 || lb < 0 || !sameEncoding(fd.Message(), va, vb) {
				return false
			}
			a, b = a[la:], b[lb:]
			continue
		}
		la = protowire.ConsumeFieldValue(num, typ, a)
		lb = protowire.ConsumeFieldValue(num, typ, b)
		if la < 0 || lb < 0 || !bytes.Equal(a[:la], b[:lb]) {
			return false
		}
		a, b = a[la:], b[lb:]
	}
}

// skipField drops leading varint fields numbered num.
func skipField(enc []byte, num protowire.Number) []byte {
	for len(enc) > 0 {
		n, typ, l := protowire.ConsumeTag(enc)
		if l < 0 || n != num || typ != protowire.VarintType {
			return enc
		}
		_, lv := protowire.ConsumeVarint(enc[l:])
		if lv < 0 {
			return enc
		}
		enc = enc[l+lv:]
	}
	return enc
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
