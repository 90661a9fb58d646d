package pgwire

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// An error is logged with the failing statement's fingerprint and its shape without values, in
// both protocols, so an operator can find which tool statement broke.
func TestErrorLogNamesTheStatementWithoutValues(t *testing.T) {
	ts := startServer(t, nil)
	const sql = `SELECT region FROM sales WHERE note = 'value-that-stays-out'`
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec} {
		conn := ts.connect(t)
		if _, err := conn.Exec(testCtx(t), sql, mode); pgCode(err) == "" {
			t.Fatalf("%v: %v, want the fake planner's refusal", mode, err)
		}
	}
	var lines []string
	for line := range strings.SplitSeq(ts.logs.String(), "\n") {
		if strings.Contains(line, "error sent to client") {
			lines = append(lines, line)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("%d error lines, want one per protocol:\n%s", len(lines), ts.logs.String())
	}
	attr := regexp.MustCompile(` statement="([^"]*)"`)
	for _, line := range lines {
		m := attr.FindStringSubmatch(line)
		if m == nil || m[1] != "SELECT region FROM sales WHERE note = $1" || !strings.Contains(line, "statement_fingerprint=") {
			t.Errorf("error line without the statement's shape and fingerprint: %s", line)
		}
	}
}
