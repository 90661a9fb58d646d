package sqlast

import (
	"slices"
	"testing"
)

func TestParseExpr(t *testing.T) {
	n, err := ParseExpr("CASE WHEN revenue >= 1000 THEN upper(city) END")
	if err != nil {
		t.Fatal(err)
	}
	if got := ColumnNames(n); !slices.Equal(got, []string{"revenue", "city"}) {
		t.Errorf("columns %v", got)
	}
	for _, bad := range []string{
		"city FROM orders",
		"1; DROP TABLE orders",
		"(SELECT tenant_id FROM orders)",
		"o.city",
		"city AS c",
		"",
		"a, b",
	} {
		if _, err := ParseExpr(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
