package pgwire

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPsql runs the machine's psql (libpq: GSSENC and SSL requests first, then cleartext
// password) against the server, when psql is installed.
func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	ts := startServer(t, nil)
	host, port, _ := net.SplitHostPort(ts.addr)
	run := func(key, sql string) (string, error) {
		cmd := exec.CommandContext(testCtx(t), psql, "-X", "-At", "-h", host, "-p", port, "-U", "alice", "-d", "analytics", "-c", sql)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+key, "PGSSLMODE=prefer", "PGAPPNAME=psql-test", "PGCONNECT_TIMEOUT=5")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run(goodKey, "select 1; select 2")
	if err != nil || out != "1\n2\n" {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	out, err = run(goodKey, "select 1; missing; select 2")
	if err == nil || !strings.Contains(out, `relation "missing" does not exist`) || strings.Contains(out, "2\n") {
		t.Errorf("psql with a failing statement: %v\n%s", err, out)
	}
	out, err = run(badKey, "select 1")
	if err == nil || !strings.Contains(out, "invalid API key") {
		t.Errorf("psql with a wrong key: %v\n%s", err, out)
	}
}
