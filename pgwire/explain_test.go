package pgwire

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// explainLines are the text values of the DataRows in msgs.
func explainLines(msgs []pgproto3.BackendMessage) []string {
	var out []string
	for _, r := range find[*pgproto3.DataRow](msgs) {
		out = append(out, string(r.Values[0]))
	}
	return out
}

// EXPLAIN ANALYZE over the simple protocol: RowDescription of QUERY PLAN, the plan's lines and
// then what running its query (once, through the executor) found, tagged EXPLAIN.
func TestExplainAnalyzeSimple(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	got := c.query("explain analyze rows 5")
	if types(got) != "RowDescription DataRow DataRow DataRow DataRow DataRow CommandComplete ReadyForQuery" {
		t.Fatalf("got %s", types(got))
	}
	if f := find[*pgproto3.RowDescription](got)[0].Fields; len(f) != 1 || string(f[0].Name) != "QUERY PLAN" || f[0].DataTypeOID != 25 {
		t.Errorf("row description %+v", f)
	}
	lines := explainLines(got)
	if lines[0] != "Statement: SELECT" || lines[2] != "Actual rows: 5" || lines[3] != "Actual result cache: not used" || !strings.HasPrefix(lines[4], "Execution Time: ") {
		t.Errorf("lines %q", lines)
	}
	if !slices.Equal(tags(got), []string{"EXPLAIN"}) {
		t.Errorf("tags %q", tags(got))
	}
	if n := ts.exec.runsOf("rows:5"); n != 1 {
		t.Errorf("the query ran %d times, want once", n)
	}
	assertUsableRaw(t, c)
}

// Over the extended protocol Describe announces QUERY PLAN without running anything; the first
// Execute runs the query once and the lines page out with PortalSuspended like any result.
func TestExplainAnalyzeExtended(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.dial(t)
	c.login()
	got := c.batch(&pgproto3.Parse{Query: "explain analyze rows 4"}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Sync{})
	if types(got) != "ParseComplete ParameterDescription RowDescription BindComplete RowDescription ReadyForQuery" {
		t.Fatalf("describe: %s", types(got))
	}
	if n := ts.exec.runsOf("rows:4"); n != 0 {
		t.Fatalf("Describe ran the query %d times", n)
	}
	got = c.batch(&pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 3}, &pgproto3.Execute{MaxRows: 3}, &pgproto3.Sync{})
	if types(got) != "BindComplete DataRow DataRow DataRow PortalSuspended DataRow DataRow CommandComplete ReadyForQuery" {
		t.Fatalf("execute: %s", types(got))
	}
	if lines := explainLines(got); lines[2] != "Actual rows: 4" {
		t.Errorf("lines %q", lines)
	}
	if !slices.Equal(tags(got), []string{"EXPLAIN"}) {
		t.Errorf("tags %q", tags(got))
	}
	if n := ts.exec.runsOf("rows:4"); n != 1 {
		t.Errorf("the query ran %d times, want once", n)
	}
	// A portal run to its end cannot run its query again.
	got = c.batch(&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if types(got) != "BindComplete DataRow DataRow DataRow DataRow DataRow CommandComplete CommandComplete ReadyForQuery" {
		t.Errorf("rerun: %s", types(got))
	}
	if n := ts.exec.runsOf("rows:4"); n != 2 {
		t.Errorf("the query ran %d times after two portals, want twice", n)
	}
	assertUsableRaw(t, c)
}
