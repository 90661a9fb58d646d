package semantic

import (
	"reflect"
	"testing"
)

func TestBuildQuotesNamesAndBindsValues(t *testing.T) {
	limit, offset := int64(10), int64(5)
	q := &Query{
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
	sql, args, err := Build(q)
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT "city", SUM("total_revenue") AS "rev" FROM "ord""ers" WHERE (("city" = $1) OR ("city" NOT IN ($2, $3)) OR (CAST(lower("city") AS text) LIKE $4 ESCAPE '\') OR ("city" IS NOT NULL)) GROUP BY "city" ORDER BY "rev" DESC NULLS LAST LIMIT $5 OFFSET $6`
	if sql != want {
		t.Errorf("sql\n got %s\nwant %s", sql, want)
	}
	var texts []string
	for _, a := range args {
		texts = append(texts, a.Text)
	}
	if !reflect.DeepEqual(texts, []string{"x'); DROP TABLE t; --", "a", "b", `%50\%\_off%`, "10", "5"}) {
		t.Errorf("args %q", texts)
	}
}

func TestBuildCount(t *testing.T) {
	limit := int64(3)
	sql, args, err := BuildCount(&Query{Dataset: "orders", Items: []Item{{Col: "city"}}, GroupBy: []string{"city"},
		Where: Cmp{Op: ">", L: Col{Name: "n"}, R: Lit{Value: Int(2)}}, OrderBy: []Order{{Col: "city"}}, Limit: &limit})
	if err != nil {
		t.Fatal(err)
	}
	if want := `SELECT COUNT(*) AS "count" FROM (SELECT "city" FROM "orders" WHERE ("n" > $1) GROUP BY "city") AS "result"`; sql != want || len(args) != 1 {
		t.Errorf("got %s %v", sql, args)
	}
}

func TestBuildRefusesUnknownShapes(t *testing.T) {
	for _, q := range []*Query{
		{Dataset: "d"},
		{Dataset: "d", Items: []Item{{Col: "m", Agg: "median"}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Cmp{Op: "~", L: Col{Name: "a"}, R: Lit{Value: String("x")}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Call{Fn: "sleep", Args: []Expr{Lit{Value: Int(1)}}}},
		{Dataset: "d", Items: []Item{{Col: "a"}}, Where: Match{X: Col{Name: "a"}, Mode: "contains", Pattern: Col{Name: "b"}}},
		{Dataset: "d", Items: []Item{{Col: "t", Grain: "hour'); DROP TABLE t; --"}}},
		{Dataset: "d", Items: []Item{{Col: "m", Agg: "sum", Grain: "month"}}},
	} {
		if sql, _, err := Build(q); err == nil {
			t.Errorf("%+v built as %s", q, sql)
		}
	}
}

// A time grain truncates its column under the item's name, and GROUP BY spells out the
// item's expression: GROUP BY "d" would group by the raw column, which an input column of
// that name takes precedence for.
func TestBuildTimeGrains(t *testing.T) {
	q := &Query{Dataset: "orders",
		Items:   []Item{{Col: "d", Grain: "month", GrainAsDate: true}, {Col: "ts", Grain: "week", Alias: "w"}, {Col: "city", Alias: "town"}},
		GroupBy: []string{"d", "w", "town"}, OrderBy: []Order{{Col: "d"}}}
	sql, _, err := Build(q)
	if err != nil {
		t.Fatal(err)
	}
	want := `SELECT CAST(date_trunc('month', "d") AS date) AS "d", date_trunc('week', "ts") AS "w", "city" AS "town" FROM "orders" ` +
		`GROUP BY CAST(date_trunc('month', "d") AS date), date_trunc('week', "ts"), "city" ORDER BY "d" ASC NULLS FIRST`
	if sql != want {
		t.Errorf("sql\n got %s\nwant %s", sql, want)
	}
}
