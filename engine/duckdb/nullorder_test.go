package duckdb

import (
	"fmt"
	"testing"
)

// PostgreSQL sorts NULL as larger than every value: last in ascending order, first in
// descending order, unless NULLS FIRST/LAST says otherwise. The engine must agree, or a
// top-N chart (ORDER BY revenue DESC LIMIT 10) would show other rows than PostgreSQL's.
func TestNullsSortAsInPostgres(t *testing.T) {
	b := open(t)
	for q, want := range map[string]string{
		"SELECT x FROM (VALUES (1), (NULL), (2)) v(x) ORDER BY x":                             "[[1] [2] [<nil>]]",
		"SELECT x FROM (VALUES (1), (NULL), (2)) v(x) ORDER BY x DESC":                        "[[<nil>] [2] [1]]",
		"SELECT x FROM (VALUES (1), (NULL), (2)) v(x) ORDER BY x DESC NULLS LAST":             "[[2] [1] [<nil>]]",
		"SELECT x FROM (VALUES (1), (NULL), (2)) v(x) ORDER BY x ASC NULLS FIRST":             "[[<nil>] [1] [2]]",
		"SELECT string_agg(x::text, ',' ORDER BY x DESC) FROM (VALUES (1), (NULL), (2)) v(x)": "[[2,1]]",
	} {
		rows, err := queryAll(t, b, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := fmt.Sprint(rows); got != want {
			t.Errorf("%s: %s, PostgreSQL gives %s", q, got, want)
		}
	}
}
