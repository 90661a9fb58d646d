package sqlast

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// reflectWalk is a walk by protobuf reflection, the reference Walk must agree with.
func reflectWalk(msg protoreflect.Message, fn func(*pg_query.Node) bool) {
	if !msg.IsValid() {
		return
	}
	if n, ok := msg.Interface().(*pg_query.Node); ok && !fn(n) {
		return
	}
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap() && fd.MapValue().Kind() == protoreflect.MessageKind:
			v.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				reflectWalk(v.Message(), fn)
				return true
			})
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			for i := 0; i < v.List().Len(); i++ {
				reflectWalk(v.List().Get(i).Message(), fn)
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap():
			reflectWalk(v.Message(), fn)
		}
		return true
	})
}

var walkSQL = []string{
	`select "rows"."city", sum("rows"."total_revenue") as "a0" from (select "_"."city", "_"."total_revenue" from "public"."orders" "_") "rows" group by "city"`,
	"WITH x AS (SELECT city FROM orders), y AS MATERIALIZED (SELECT city FROM x) SELECT * FROM y",
	"SELECT city FROM orders WHERE city IN (SELECT city FROM cities WHERE population > 10) AND EXISTS (SELECT 1)",
	"SELECT city, rank() OVER (PARTITION BY d ORDER BY r DESC ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM orders WINDOW w AS (ORDER BY city)",
	"SELECT CASE WHEN a = 'x' THEN 1 ELSE 0 END, COALESCE(a, 'y'), NULLIF(a, ''), GREATEST(1, 2), a::numeric(12, 2), (ARRAY[1, 2])[1] FROM t",
	"SELECT count(*) FILTER (WHERE a <> 'x'), string_agg(a, ',' ORDER BY a), x IS NOT NULL, y IS TRUE FROM t GROUP BY ROLLUP (a, b), CUBE (c) HAVING sum(b) > 1",
	"SELECT a FROM t1 UNION ALL SELECT b FROM t2 INTERSECT SELECT c FROM t3 ORDER BY 1 NULLS FIRST LIMIT 5 OFFSET 1",
	"SELECT * FROM t1 LEFT JOIN t2 USING (a) CROSS JOIN LATERAL (SELECT 1) s, generate_series(1, 3) g, XMLTABLE('/r' PASSING '<r/>' COLUMNS a int) x",
	"SELECT a FROM t TABLESAMPLE BERNOULLI (10) FOR UPDATE",
	"INSERT INTO t (a) VALUES (1), ($1) ON CONFLICT (a) DO UPDATE SET a = excluded.a RETURNING *",
	"CREATE TABLE t (a int DEFAULT 1 CHECK (a > 0), b text REFERENCES u (b))",
	"SELECT JSON_OBJECT('a' VALUE 1), a -> 'b', a #>> '{c}', x BETWEEN SYMMETRIC 1 AND 2, y LIKE 'a%' ESCAPE '!' FROM t",
}

// Walk visits the same nodes as a walk by protobuf reflection, and skips the children of a node
// fn declines. (Protobuf reflection ranges over fields in a deliberately unstable order, so
// only the sets are compared; Walk's own order is the fields' order.)
func TestWalkMatchesProtobufReflection(t *testing.T) {
	for _, sql := range walkSQL {
		tree, err := pg_query.Parse(sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		for _, skip := range []bool{false, true} {
			visit := func(seen *[]*pg_query.Node) func(*pg_query.Node) bool {
				return func(n *pg_query.Node) bool {
					*seen = append(*seen, n)
					return !skip || n.GetSelectStmt() == nil || len(*seen) == 1
				}
			}
			var want, got []*pg_query.Node
			reflectWalk(tree.ProtoReflect(), visit(&want))
			Walk(tree, visit(&got))
			if len(want) < 3 || len(got) != len(want) {
				t.Fatalf("%s (skip %v): %d nodes, want %d", sql, skip, len(got), len(want))
			}
			seen := map[*pg_query.Node]bool{}
			for _, n := range want {
				seen[n] = true
			}
			for i, n := range got {
				if !seen[n] {
					t.Fatalf("%s (skip %v): node %d not reached by protobuf reflection", sql, skip, i)
				}
				delete(seen, n)
			}
		}
	}
}

// fill sets every message field of m, lists with two elements; a Node below the top holds a
// String, so every field of every message type down to depth levels carries a node to find.
func fill(m protoreflect.Message, depth int) {
	if depth == 0 {
		return
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsMap() || fd.ContainingOneof() != nil {
			continue
		}
		elem := func() protoreflect.Value {
			v := m.NewField(fd)
			if fd.IsList() {
				v = protoreflect.ValueOfMessage(v.List().NewElement().Message())
			}
			if n, ok := v.Message().Interface().(*pg_query.Node); ok {
				n.Node = &pg_query.Node_String_{String_: &pg_query.String{Sval: "x"}}
			} else {
				fill(v.Message(), depth-1)
			}
			return v
		}
		if fd.IsList() {
			l := m.Mutable(fd).List()
			l.Append(elem())
			l.Append(elem())
		} else {
			m.Set(fd, elem())
		}
	}
}

// Walk reaches every node of every node type, through every field, as protobuf reflection
// does: walk_gen.go misses no field.
func TestWalkCoversEveryNodeType(t *testing.T) {
	fields := (&pg_query.Node{}).ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		root := &pg_query.Node{}
		m := root.ProtoReflect()
		v := m.NewField(fd)
		fill(v.Message(), 3)
		m.Set(fd, v)
		var want, got []*pg_query.Node
		reflectWalk(m, func(n *pg_query.Node) bool { want = append(want, n); return true })
		Walk(root, func(n *pg_query.Node) bool { got = append(got, n); return true })
		seen := map[*pg_query.Node]bool{}
		for _, n := range want {
			seen[n] = true
		}
		for _, n := range got {
			if !seen[n] {
				t.Fatalf("%s: a node protobuf reflection does not reach", fd.Name())
			}
			delete(seen, n)
		}
		if len(seen) > 0 || len(got) != len(want) {
			t.Errorf("%s: Walk reached %d nodes, protobuf reflection %d", fd.Name(), len(got), len(want))
		}
	}
}

// walk_gen.go is what walkgen writes for the pg_query_go in go.mod.
func TestWalkGenIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	out := filepath.Join(t.TempDir(), "walk_gen.go")
	if msg, err := exec.Command(goTool, "run", "./walkgen", out).CombinedOutput(); err != nil {
		t.Fatalf("walkgen: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("walk_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("walk_gen.go is out of date: run go generate ./internal/sqlast")
	}
}
