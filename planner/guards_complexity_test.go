package planner

import (
	"errors"
	"strings"
	"testing"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/sqlerr"
)

func TestCheckComplexity(t *testing.T) {
	nested := func(n int) string { return "SELECT " + strings.Repeat("1+(", n) + "1" + strings.Repeat(")", n) }
	wide := func(n int) string { return "SELECT " + strings.TrimSuffix(strings.Repeat("1,", n), ",") }
	for _, c := range []struct {
		sql     string
		message string // "" means accepted
	}{
		{nested(100), ""},
		{nested(400), "nest more than"},
		{wide(MaxNodes / 3), ""},
		{wide(MaxNodes), "more than 20000 parse nodes"},
	} {
		tree, err := pg_query.Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		err = checkComplexity(tree.Stmts[0].Stmt)
		var se *sqlerr.Error
		switch {
		case c.message == "" && err != nil:
			t.Errorf("%.40s...: %v", c.sql, err)
		case c.message != "" && (!errors.As(err, &se) || se.Code != sqlerr.StatementTooComplex || !strings.Contains(se.Message, c.message)):
			t.Errorf("%.40s...: err %v, want %s", c.sql, err, c.message)
		}
	}
}
