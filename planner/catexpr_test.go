package planner

import (
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/sqlast"
)

// A snippet parsed once serves every plan of the same catalog with its own copy; rewriting a
// copy leaves the next one intact, errors repeat, and a new catalog starts afresh.
func TestCatalogExprsCopiesAndFollowsTheCatalog(t *testing.T) {
	cat1, cat2 := &catalog.Catalog{}, &catalog.Catalog{}
	p := &Planner{}
	c := p.catalogExprs(cat1)
	if p.catalogExprs(cat1) != c {
		t.Fatal("same catalog, new snippet cache")
	}
	want, err := sqlast.ParseExpr("revenue >= 1000")
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.parse("revenue >= 1000")
	if err != nil || !proto.Equal(first, want) {
		t.Fatalf("parse = %v, %v", first, err)
	}
	first.GetAExpr().Rexpr = pg_query.MakeAConstIntNode(1, -1)
	if again, _ := c.parse("revenue >= 1000"); again == first || !proto.Equal(again, want) {
		t.Fatalf("a rewritten copy changed the cached tree: %v", again)
	}
	_, wantErr := sqlast.ParseExpr("city FROM orders")
	for range 2 {
		if _, err := c.parse("city FROM orders"); err == nil || err.Error() != wantErr.Error() {
			t.Fatalf("error = %v, want %v", err, wantErr)
		}
	}
	if p.catalogExprs(cat2) == c || len(p.catalogExprs(cat2).trees) != 0 {
		t.Fatal("a new catalog reuses the old catalog's snippets")
	}
}
