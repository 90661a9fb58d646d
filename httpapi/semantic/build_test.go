package semantic

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// buildCase is a request and the SQL text the builder that wrote SQL by concatenation produced
// for it (recorded from that builder before it was replaced). The tree built now must be the tree
// PostgreSQL's parser makes of that text: then the planner sees exactly what it saw before, and
// writes the same engine SQL.
type buildCase struct {
	name  string
	q     *Query
	count bool
	sql   string
	args  []string
}

func buildCases() []buildCase {
	limit, offset := int64(10), int64(5)
	ts := time.Date(2025, 12, 31, 10, 0, 0, 0, time.UTC)
	quoted := &Query{
		Dataset: `ord"ers`,
		Items:   []Item{{Col: "city"}, {Col: "total_revenue", Agg: "sum", Alias: "rev"}},
		Where: Logic{Op: "or", Args: []Expr{
			Cmp{Op: "=", L: Col{Name: "city"}, R: Lit{Value: String("x'); DROP TABLE t; --")}},
			In{X: Col{Name: "city"}, List: []Expr{Lit{Value: String("a")}, Lit{Value: String("b")}}, Negate: true},
			Match{X: Call{Fn: "tolower", Args: []Expr{Col{Name: "city"}}}, Mode: "contains", Pattern: Lit{Value: String("50%_off")}},
			Cmp{Op: "<>", L: Col{Name: "city"}, R: Lit{Value: Value{Kind: KindNull}}},
		}},
		GroupBy: []string{"city"},
		OrderBy: []Order{{Col: "rev", Desc: true}},
		Limit:   &limit,
		Offset:  &offset,
	}
	every := &Query{Dataset: "orders", Items: []Item{{Col: "city"}, {Col: "n"}},
		Where: Logic{Op: "and", Args: []Expr{
			Logic{Op: "or", Args: []Expr{Cmp{Op: "<", L: Col{Name: "a"}, R: Lit{Value: Int(1)}}, Cmp{Op: "<=", L: Col{Name: "a"}, R: Lit{Value: Number("2.5")}}}},
			Logic{Op: "or", Args: []Expr{Cmp{Op: ">=", L: Lit{Value: Number("1e3")}, R: Col{Name: "a"}}, Logic{Op: "or", Args: []Expr{Cmp{Op: "=", L: Col{Name: "b"}, R: Lit{Value: Bool(true)}}, Cmp{Op: "=", L: Col{Name: "b"}, R: Lit{Value: Bool(false)}}}}}},
			Not{X: IsNull{X: Col{Name: "c"}}},
			Between{X: Col{Name: "d"}, Lo: Lit{Value: Date(ts)}, Hi: Lit{Value: Timestamp(ts)}},
			Cmp{Op: "=", L: Lit{Value: Value{Kind: KindNull}}, R: Col{Name: "e"}},
			Cmp{Op: "<>", L: Col{Name: "e"}, R: Lit{Value: Value{Kind: KindNull}}},
			Cmp{Op: "<", L: Col{Name: "e"}, R: Lit{Value: Value{Kind: KindNull}}},
			In{X: Col{Name: "f"}, List: []Expr{Lit{Value: String("x")}}},
			Logic{Op: "and", Args: []Expr{Cmp{Op: "=", L: Col{Name: "g"}, R: Lit{Value: String("y")}}}},
			Logic{Op: "and", Args: []Expr{Logic{Op: "and", Args: []Expr{Col{Name: "h1"}, Col{Name: "h2"}}}, Col{Name: "h3"}}},
			Logic{Op: "or", Args: []Expr{Col{Name: "i1"}, Logic{Op: "or", Args: []Expr{Col{Name: "i2"}, Col{Name: "i3"}}}}},
			Match{X: Col{Name: "city"}, Mode: "startswith", Pattern: Lit{Value: String("a_b")}},
			Match{X: Col{Name: "city"}, Mode: "endswith", Pattern: Lit{Value: String(`c\d`)}, Negate: true},
			Cmp{Op: "=", L: Call{Fn: "year", Args: []Expr{Col{Name: "t"}}}, R: Lit{Value: Int(2025)}},
			Cmp{Op: "=", L: Call{Fn: "month", Args: []Expr{Col{Name: "t"}}}, R: Lit{Value: Int(12)}},
			Cmp{Op: "=", L: Call{Fn: "day", Args: []Expr{Col{Name: "t"}}}, R: Lit{Value: Int(31)}},
			Cmp{Op: "=", L: Call{Fn: "toupper", Args: []Expr{Col{Name: "city"}}}, R: Call{Fn: "tolower", Args: []Expr{Col{Name: "city"}}}},
			Lit{Value: Bool(true)},
		}},
		Having:  Logic{Op: "or", Args: []Expr{Cmp{Op: ">", L: Col{Name: "n"}, R: Lit{Value: Int(2)}}, Not{X: Cmp{Op: "<>", L: Col{Name: "n"}, R: Lit{Value: Int(3)}}}}},
		OrderBy: []Order{{Col: "n", Desc: true}, {Col: "city"}},
		Offset:  &offset,
	}
	everyWhere := `WHERE ((("a" < $1) OR ("a" <= $2)) AND (($3 >= "a") OR (("b" = TRUE) OR ("b" = FALSE))) AND (NOT ("c" IS NULL)) AND ("d" BETWEEN $4 AND $5) AND ("e" IS NULL) AND ("e" IS NOT NULL) AND ("e" < NULL) AND ("f" IN ($6)) AND (("g" = $7)) AND (("h1" AND "h2") AND "h3") AND ("i1" OR ("i2" OR "i3")) AND (CAST("city" AS text) LIKE $8 ESCAPE '\') AND (CAST("city" AS text) NOT LIKE $9 ESCAPE '\') AND (CAST(EXTRACT(YEAR FROM "t") AS integer) = $10) AND (CAST(EXTRACT(MONTH FROM "t") AS integer) = $11) AND (CAST(EXTRACT(DAY FROM "t") AS integer) = $12) AND (upper("city") = lower("city")) AND TRUE) HAVING (("n" > $13) OR (NOT ("n" <> $14)))`
	everyArgs := []string{"1", "2.5", "1e3", "2025-12-31", "2025-12-31T10:00:00Z", "x", "y", `a\_b%`, `%c\\d`, "2025", "12", "31", "2", "3"}
	aggs := &Query{Dataset: "orders", Items: []Item{{Col: "m", Agg: "min"}, {Col: "m", Agg: "max", Alias: "hi"}, {Col: "m", Agg: "avg"}, {Col: "m", Agg: "countdistinct"}, {Col: "m", Agg: "measure"}, {Col: "m", Agg: "sum"}}}
	grains := &Query{Dataset: "orders", Items: []Item{{Col: "d", Grain: "day"}, {Col: "d", Grain: "quarter", Alias: "q", GrainAsDate: true}, {Col: "d", Grain: "year", Alias: "y"}, {Col: "m", Agg: "sum", Alias: "d2"}},
		GroupBy: []string{"d", "q", "y", "other"}, Limit: &limit}
	grainsSQL := `SELECT date_trunc('day', "d") AS "d", CAST(date_trunc('quarter', "d") AS date) AS "q", date_trunc('year', "d") AS "y", SUM("m") AS "d2" FROM "orders" GROUP BY date_trunc('day', "d"), CAST(date_trunc('quarter', "d") AS date), date_trunc('year', "d"), "other"`
	aggsSQL := `SELECT MIN("m") AS "m", MAX("m") AS "hi", AVG("m") AS "m", COUNT(DISTINCT "m") AS "m", MEASURE("m") AS "m", SUM("m") AS "m" FROM "orders"`
	return []buildCase{
		{name: "quotes names and binds values", q: quoted,
			sql:  `SELECT "city", SUM("total_revenue") AS "rev" FROM "ord""ers" WHERE (("city" = $1) OR ("city" NOT IN ($2, $3)) OR (CAST(lower("city") AS text) LIKE $4 ESCAPE '\') OR ("city" IS NOT NULL)) GROUP BY "city" ORDER BY "rev" DESC NULLS LAST LIMIT $5 OFFSET $6`,
			args: []string{"x'); DROP TABLE t; --", "a", "b", `%50\%\_off%`, "10", "5"}},
		{name: "count drops order and paging", count: true,
			q: &Query{Dataset: "orders", Items: []Item{{Col: "city"}}, GroupBy: []string{"city"},
				Where: Cmp{Op: ">", L: Col{Name: "n"}, R: Lit{Value: Int(2)}}, OrderBy: []Order{{Col: "city"}}, Limit: &limit},
			sql: `SELECT COUNT(*) AS "count" FROM (SELECT "city" FROM "orders" WHERE ("n" > $1) GROUP BY "city") AS "result"`, args: []string{"2"}},
		{name: "time grains spelt out in GROUP BY",
			q: &Query{Dataset: "orders",
				Items:   []Item{{Col: "d", Grain: "month", GrainAsDate: true}, {Col: "ts", Grain: "week", Alias: "w"}, {Col: "city", Alias: "town"}},
				GroupBy: []string{"d", "w", "town"}, OrderBy: []Order{{Col: "d"}}},
			sql: `SELECT CAST(date_trunc('month', "d") AS date) AS "d", date_trunc('week', "ts") AS "w", "city" AS "town" FROM "orders" ` +
				`GROUP BY CAST(date_trunc('month', "d") AS date), date_trunc('week', "ts"), "city" ORDER BY "d" ASC NULLS FIRST`},
		{name: "bare column", q: &Query{Dataset: "orders", Items: []Item{{Col: "city"}}}, sql: `SELECT "city" FROM "orders"`},
		{name: "bare column counted", count: true, q: &Query{Dataset: "orders", Items: []Item{{Col: "city"}}},
			sql: `SELECT COUNT(*) AS "count" FROM (SELECT "city" FROM "orders") AS "result"`},
		{name: "every aggregation", q: aggs, sql: aggsSQL},
		{name: "every aggregation counted", q: aggs, count: true, sql: `SELECT COUNT(*) AS "count" FROM (` + aggsSQL + `) AS "result"`},
		{name: "every expression", q: every, args: append(everyArgs, "5"),
			sql: `SELECT "city", "n" FROM "orders" ` + everyWhere + ` ORDER BY "n" DESC NULLS LAST, "city" ASC NULLS FIRST OFFSET $15`},
		{name: "every expression counted", q: every, count: true, args: everyArgs,
			sql: `SELECT COUNT(*) AS "count" FROM (SELECT "city", "n" FROM "orders" ` + everyWhere + `) AS "result"`},
		{name: "grains, aliases and a limit", q: grains, sql: grainsSQL + ` LIMIT $1`, args: []string{"10"}},
		{name: "long names cut as the parser cuts them",
			q: &Query{Dataset: strings.Repeat("d", 70), Items: []Item{{Col: strings.Repeat("é", 40)}, {Col: "m", Agg: "sum", Alias: strings.Repeat("a", 64)}},
				GroupBy: []string{strings.Repeat("é", 40)}, OrderBy: []Order{{Col: strings.Repeat("a", 64)}}},
			sql: `SELECT "` + strings.Repeat("é", 40) + `", SUM("m") AS "` + strings.Repeat("a", 64) + `" FROM "` + strings.Repeat("d", 70) +
				`" GROUP BY "` + strings.Repeat("é", 40) + `" ORDER BY "` + strings.Repeat("a", 64) + `" ASC NULLS FIRST`},
		{name: "grains counted", q: grains, count: true, sql: `SELECT COUNT(*) AS "count" FROM (` + grainsSQL + `) AS "result"`},
	}
}

func TestBuildMakesTheTreeOfTheSQLItReplaced(t *testing.T) {
	for _, tc := range buildCases() {
		t.Run(tc.name, func(t *testing.T) {
			build := Build
			if tc.count {
				build = BuildCount
			}
			node, args, err := build(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := pg_query.Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			built := &pg_query.ParseResult{Version: parsed.Version, Stmts: []*pg_query.RawStmt{{Stmt: node}}}
			got, err := pg_query.Deparse(built)
			if err != nil {
				t.Fatal(err)
			}
			want, err := pg_query.Deparse(parsed)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("deparsed\n got %s\nwant %s", got, want)
			}
			// Same text could still hide another tree; the planner reads the tree.
			if g, w := withoutLocations(node), withoutLocations(parsed.Stmts[0].Stmt); !proto.Equal(g, w) {
				t.Errorf("tree\n got %v\nwant %v", g, w)
			}
			var texts []string
			for _, a := range args {
				texts = append(texts, a.Text)
			}
			if !reflect.DeepEqual(texts, tc.args) {
				t.Errorf("args %q, want %q", texts, tc.args)
			}
		})
	}
}

// withoutLocations is a copy of n with every location zero: a built node points nowhere (-1), a
// parsed one at its offset in the text.
func withoutLocations(n *pg_query.Node) *pg_query.Node {
	c := proto.Clone(n).(*pg_query.Node)
	var clear func(m protoreflect.Message)
	clear = func(m protoreflect.Message) {
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.Name() == "location" && fd.Kind() == protoreflect.Int32Kind:
				m.Clear(fd)
			case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
				for i := 0; i < v.List().Len(); i++ {
					clear(v.List().Get(i).Message())
				}
			case !fd.IsMap() && fd.Kind() == protoreflect.MessageKind:
				clear(v.Message())
			}
			return true
		})
	}
	clear(c.ProtoReflect())
	return c
}

// A built tree holds no node of the parser's making (no location into any text).
func TestBuildPointsNowhere(t *testing.T) {
	for _, tc := range buildCases() {
		node, _, err := Build(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var where func(m protoreflect.Message)
		where = func(m protoreflect.Message) {
			m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
				switch {
				case fd.Name() == "location" && fd.Kind() == protoreflect.Int32Kind && v.Int() != noLocation:
					t.Errorf("%s: %s at %d", tc.name, m.Descriptor().Name(), v.Int())
				case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
					for i := 0; i < v.List().Len(); i++ {
						where(v.List().Get(i).Message())
					}
				case !fd.IsMap() && fd.Kind() == protoreflect.MessageKind:
					where(v.Message())
				}
				return true
			})
		}
		where(node.ProtoReflect())
	}
}

// SQL text cannot hold a zero byte, so a name with one was a syntax error and still is.
func TestBuildRefusesZeroBytes(t *testing.T) {
	for _, q := range []*Query{
		{Dataset: "d", Items: []Item{{Col: "a", Alias: "x\x00y"}}},
		{Dataset: "d\x00", Items: []Item{{Col: "a"}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, GroupBy: []string{"\x00"}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Having: Cmp{Op: "=", L: Col{Name: "b\x00"}, R: Lit{Value: Int(1)}}},
	} {
		for _, build := range []func(*Query) (*pg_query.Node, []Value, error){Build, BuildCount} {
			if _, _, err := build(q); !errors.Is(err, ErrZeroByte) {
				t.Errorf("%+v: %v", q, err)
			}
		}
	}
	// A shape that does not build is refused for that first, as before.
	if _, _, err := Build(&Query{Dataset: "d", Items: []Item{{Col: "a", Agg: "median", Alias: "\x00"}}}); err == nil || errors.Is(err, ErrZeroByte) {
		t.Errorf("median: %v", err)
	}
}

func TestBuildRefusesUnknownShapes(t *testing.T) {
	for _, q := range []*Query{
		{Dataset: "d"},
		{Dataset: "d", Items: []Item{{Col: "m", Agg: "median"}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Cmp{Op: "~", L: Col{Name: "a"}, R: Lit{Value: String("x")}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Call{Fn: "sleep", Args: []Expr{Lit{Value: Int(1)}}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Call{Fn: "year", Args: []Expr{Col{Name: "a"}, Col{Name: "b"}}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Match{X: Col{Name: "a"}, Mode: "contains", Pattern: Col{Name: "b"}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Match{X: Col{Name: "a"}, Mode: "like", Pattern: Lit{Value: String("x")}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Logic{Op: "xor", Args: []Expr{Col{Name: "a"}}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Logic{Op: "and"}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: In{X: Col{Name: "a"}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Having: Not{X: Cmp{Op: "!=", L: Col{Name: "a"}, R: Col{Name: "b"}}}},
		{Dataset: "d", Items: []Item{{Col: "t", Grain: "hour'); DROP TABLE t; --"}}},
		{Dataset: "d", Items: []Item{{Col: "m", Agg: "sum", Grain: "month"}}},
	} {
		if n, _, err := Build(q); err == nil {
			t.Errorf("%+v built as %v", q, n)
		}
		if n, _, err := BuildCount(q); err == nil {
			t.Errorf("%+v counted as %v", q, n)
		}
	}
}
