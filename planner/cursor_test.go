package planner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

func sqlstateOf(err error) string {
	var se *sqlerr.Error
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

// The query of DECLARE and COPY is planned exactly as it is on its own: same engine SQL, same
// tenant filter, same columns.
func TestDeclareAndCopyPlanTheirQuery(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	const query = "SELECT city, total_revenue FROM orders ORDER BY city"
	alone, err := planOne(p, principals["tenantA"], query)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql  string
		kind planner.Kind
	}{
		{`DECLARE "SQL_CUR0x1" CURSOR WITH HOLD FOR ` + query, planner.KindDeclare},
		{"COPY (" + query + ") TO STDOUT WITH CSV HEADER", planner.KindCopyOut},
	} {
		plan, err := planOne(p, principals["tenantA"], c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if plan.Kind != c.kind || plan.Inner == nil {
			t.Fatalf("%s: kind %d, inner %v", c.sql, plan.Kind, plan.Inner)
		}
		if plan.Inner.SQL != alone.SQL || len(plan.Inner.Columns) != len(alone.Columns) || plan.Inner.MaxRows != alone.MaxRows {
			t.Errorf("%s: inner plan\n%s\nwant\n%s", c.sql, plan.Inner.SQL, alone.SQL)
		}
	}
	// COPY table (columns) TO STDOUT reads what SELECT columns FROM table reads.
	table, err := planOne(p, principals["tenantA"], "COPY orders (city, total_revenue) TO STDOUT")
	if err != nil {
		t.Fatal(err)
	}
	select1, err := planOne(p, principals["tenantA"], "SELECT city, total_revenue FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if table.Kind != planner.KindCopyOut || table.Inner == nil || table.Inner.SQL != select1.SQL {
		t.Errorf("COPY orders (city, total_revenue): %+v\nwant inner %s", table.Inner, select1.SQL)
	}
	plan, _ := planOne(p, principals["tenantA"], `DECLARE "SQL_CUR0x1" BINARY SCROLL CURSOR WITH HOLD FOR `+query)
	if cmd := plan.Cursor; cmd == nil || cmd.Name != "SQL_CUR0x1" || !cmd.Hold || !cmd.Binary || !cmd.Scroll || plan.Tag != "DECLARE CURSOR" {
		t.Errorf("cursor options %+v tag %q", plan.Cursor, plan.Tag)
	}
	plan, _ = planOne(p, principals["tenantA"], "COPY ("+query+") TO STDOUT WITH CSV HEADER")
	if cmd := plan.Copy; cmd == nil || !cmd.CSV || !cmd.Header || cmd.Delimiter != ',' || cmd.Null != "" {
		t.Errorf("copy options %+v", plan.Copy)
	}
	plan, _ = planOne(p, principals["tenantA"], "COPY ("+query+") TO STDOUT")
	if cmd := plan.Copy; cmd == nil || cmd.CSV || cmd.Header || cmd.Delimiter != '\t' || cmd.Null != `\N` {
		t.Errorf("copy text options %+v", plan.Copy)
	}
}

func TestFetchAndClosePlans(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	for _, c := range []struct {
		sql   string
		tag   string
		count int64
		move  bool
	}{
		{`fetch 100 in "SQL_CUR0x1"`, "FETCH", 100, false},
		{"FETCH ALL IN c", "FETCH", 0, false},
		{"FETCH NEXT FROM c", "FETCH", 1, false},
		{"FETCH FORWARD ALL FROM c", "FETCH", 0, false},
		{"FETCH c", "FETCH", 1, false},
		{"MOVE 3 IN c", "MOVE", 3, true},
	} {
		plan, err := planOne(p, principals["tenantA"], c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		if plan.Kind != planner.KindFetch || plan.Tag != c.tag || plan.Cursor.Count != c.count || plan.Cursor.Move != c.move {
			t.Errorf("%s: kind %d tag %q cursor %+v", c.sql, plan.Kind, plan.Tag, plan.Cursor)
		}
	}
	for _, sql := range []string{"FETCH PRIOR FROM c", "FETCH BACKWARD 2 FROM c", "FETCH FIRST FROM c", "FETCH ABSOLUTE 3 FROM c",
		"FETCH RELATIVE 0 FROM c", "FETCH FORWARD 0 FROM c", "MOVE BACKWARD ALL IN c"} {
		if _, err := planOne(p, principals["tenantA"], sql); sqlstateOf(err) != sqlerr.FeatureNotSupported {
			t.Errorf("%s: %v, want 0A000", sql, err)
		}
	}
	plan, err := planOne(p, principals["tenantA"], "CLOSE c")
	if err != nil || plan.Kind != planner.KindClose || plan.Cursor.Name != "c" || plan.Tag != "CLOSE CURSOR" {
		t.Errorf("CLOSE c: %+v %v", plan, err)
	}
	plan, err = planOne(p, principals["tenantA"], "CLOSE ALL")
	if err != nil || plan.Kind != planner.KindClose || plan.Cursor.Name != "" || plan.Tag != "CLOSE CURSOR ALL" {
		t.Errorf("CLOSE ALL: %+v %v", plan, err)
	}
}

func TestCopyRefusals(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	for sql, code := range map[string]string{
		"COPY orders FROM STDIN":                                    sqlerr.ReadOnlySQLTransaction,
		"COPY (SELECT city FROM orders) TO '/tmp/x.csv'":            sqlerr.FeatureNotSupported,
		"COPY (SELECT city FROM orders) TO PROGRAM 'cat'":           sqlerr.FeatureNotSupported,
		"COPY (SELECT city FROM orders) TO STDOUT (FORMAT binary)":  sqlerr.FeatureNotSupported,
		"COPY (SELECT city FROM orders) TO STDOUT (FORCE_QUOTE *)":  sqlerr.FeatureNotSupported,
		"COPY (SELECT city FROM orders) TO STDOUT (DELIMITER '::')": sqlerr.FeatureNotSupported,
		"COPY (SELECT cty FROM orders) TO STDOUT":                   sqlerr.UndefinedColumn,
		"DECLARE c CURSOR FOR SELECT cty FROM orders":               sqlerr.UndefinedColumn,
		"DECLARE c CURSOR FOR SELECT city FROM orders FOR UPDATE":   sqlerr.ReadOnlySQLTransaction,
	} {
		if _, err := planOne(p, principals["tenantA"], sql); sqlstateOf(err) != code {
			t.Errorf("%s: %v, want %s", sql, err, code)
		}
	}
}

func TestPrepareExecutePlans(t *testing.T) {
	p := planner.New(loadTestCatalog(t), planner.Config{MaxRows: 1000})
	plan, err := planOne(p, principals["tenantA"], "PREPARE q(text, int) AS SELECT city FROM orders WHERE city = $1 LIMIT $2")
	if err != nil || plan.Kind != planner.KindPrepare || plan.Statement != "q" || plan.Prepare == nil {
		t.Fatalf("PREPARE: %+v %v", plan, err)
	}
	if oids := plan.Prepare.ParamOIDs; len(oids) != 2 || oids[0] != pgtypes.Text.OID || oids[1] != pgtypes.Int4.OID {
		t.Errorf("parameter types %v", oids)
	}
	inner, err := p.Plan(context.Background(), planner.Session{Principal: principals["tenantA"]}, plan.Prepare.Statement, plan.Prepare.ParamOIDs...)
	if err != nil || inner.Kind != planner.KindQuery || len(inner.Params) != 2 {
		t.Fatalf("prepared statement plans as %+v, %v", inner, err)
	}
	plan, err = planOne(p, principals["tenantA"], "EXECUTE q('Indore', 1::int, NULL, -2, true)")
	if err != nil || plan.Kind != planner.KindExecute || plan.Statement != "q" || len(plan.Args) != 5 ||
		*plan.Args[0] != "Indore" || *plan.Args[1] != "1" || plan.Args[2] != nil || *plan.Args[3] != "-2" || *plan.Args[4] != "true" {
		t.Errorf("EXECUTE: %+v %v", plan, err)
	}
	if _, err := planOne(p, principals["tenantA"], "EXECUTE q(now())"); sqlstateOf(err) != sqlerr.FeatureNotSupported {
		t.Errorf("EXECUTE with an expression: %v", err)
	}
}
