package planner

import (
	"errors"
	"path/filepath"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/proto"

	"github.com/setupranali/setupranali/internal/goldencases"
	"github.com/setupranali/setupranali/sqlerr"
)

// goldenEngineSQL is every engine SQL of the golden case files.
func goldenEngineSQL(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/planner/cases_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	var out []string
	for _, f := range files {
		cases, err := goldencases.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if c.EngineSQL != "" {
				out = append(out, c.EngineSQL)
			}
		}
	}
	return out
}

// slowSame is the tree comparison the encoding comparison stands in for.
func slowSame(a, b *pg_query.Node) bool {
	a, b = cloneNode(a), cloneNode(b)
	clearLocations(a.ProtoReflect())
	clearLocations(b.ProtoReflect())
	return proto.Equal(a, b)
}

func roundTrip(t *testing.T, node *pg_query.Node, version int32) (want, got []byte) {
	t.Helper()
	enc, err := proto.Marshal(&pg_query.ParseResult{Version: version, Stmts: []*pg_query.RawStmt{{Stmt: node}}})
	if err != nil {
		t.Fatal(err)
	}
	sql, err := parser.DeparseFromProtobuf(enc)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parser.ParseToProtobuf(sql)
	if err != nil {
		t.Fatal(err)
	}
	want, _ = onlyStatement(enc)
	got, n := onlyStatement(back)
	if n != 1 {
		t.Fatalf("%d statements", n)
	}
	return want, got
}

// Every engine SQL the golden cases produce takes the fast path: the encoding the deparser
// gets and the one the parser returns agree once locations are skipped.
func TestRoundTripEncodingMatchesForGoldenSQL(t *testing.T) {
	sqls := goldenEngineSQL(t)
	if len(sqls) < 50 {
		t.Fatalf("only %d engine SQL strings", len(sqls))
	}
	for _, sql := range sqls {
		tree, err := pg_query.Parse(sql)
		if err != nil {
			t.Fatal(err)
		}
		want, got := roundTrip(t, tree.Stmts[0].Stmt, tree.Version)
		if !sameEncoding(nodeDescriptor, want, got) {
			t.Errorf("encodings differ for %s", sql)
		}
		if _, err := deparseChecked(tree.Stmts[0].Stmt, tree.Version); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
	}
}

// The encoding comparison never calls two trees the same that differ in anything but
// locations.
func TestSameEncodingSeesEveryDifference(t *testing.T) {
	pairs := [][2]string{
		{"SELECT a FROM t", "SELECT  a  FROM   t"},
		{"SELECT a FROM t", "SELECT b FROM t"},
		{"SELECT a FROM t", "SELECT a FROM t, u"},
		{"SELECT a FROM t", "SELECT DISTINCT a FROM t"},
		{"SELECT 1", "SELECT 2"},
		{"SELECT 1", "SELECT -1"},
		{"SELECT 1.5", "SELECT '1.5'"},
		{"SELECT a OR b IN (false)", "SELECT (a OR b) IN (false)"},
		{"SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC"},
		{"SELECT a FROM t WHERE x = 1", "SELECT a FROM t WHERE x = 1 AND true"},
		{"SELECT a FROM t WHERE x = 1", "SELECT a FROM t WHERE x <> 1"},
		{"SELECT a::int", "SELECT a::bigint"},
		{"SELECT a FROM t LIMIT 1", "SELECT a FROM t LIMIT 2"},
		{"SELECT a FROM t LIMIT 1", "SELECT a FROM t"},
		{"SELECT 'x'", "SELECT ''"},
		{"SELECT true", "SELECT false"},
		{"SELECT count(*) FROM t", "SELECT count(a) FROM t"},
		{"SELECT a FROM s.t", "SELECT a FROM t"},
		{"SELECT a FROM t AS u", "SELECT a FROM t"},
	}
	for _, p := range pairs {
		a, err := pg_query.Parse(p[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := pg_query.Parse(p[1])
		if err != nil {
			t.Fatal(err)
		}
		an, bn := a.Stmts[0].Stmt, b.Stmts[0].Stmt
		ea, err := proto.Marshal(an)
		if err != nil {
			t.Fatal(err)
		}
		eb, err := proto.Marshal(bn)
		if err != nil {
			t.Fatal(err)
		}
		fast, slow := sameEncoding(nodeDescriptor, ea, eb), slowSame(an, bn)
		if fast && !slow {
			t.Errorf("%q and %q: encodings called the same, trees differ", p[0], p[1])
		}
		if fast != slow {
			t.Errorf("%q and %q: encodings same %v, trees same %v", p[0], p[1], fast, slow)
		}
	}
}

// A tree the deparser would print with another meaning is refused, not run.
func TestDeparseCheckedRefusesAChangedTree(t *testing.T) {
	tree, err := pg_query.Parse("SELECT (a OR b) IN (false)")
	if err != nil {
		t.Fatal(err)
	}
	sql, err := deparseChecked(tree.Stmts[0].Stmt, tree.Version)
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.FeatureNotSupported {
		t.Fatalf("deparsed as %q, err %v", sql, err)
	}
}
