package gateway

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// TestPsqlReadmeExample runs the README's psql example with the real psql binary. CI installs
// psql and sets SETU_REQUIRE_CLIENTS=1, so there the test cannot skip.
func TestPsqlReadmeExample(t *testing.T) {
	t.Parallel()
	psql := requireClient(t, "psql", "--version")
	gw := startTestGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	run := func(key, sql string) (string, error) {
		ctx := testkit.ContextWithin(t, 20*time.Second)
		cmd := exec.CommandContext(ctx, psql,
			"host="+host+" port="+port+" user=demo dbname=setupranali sslmode=prefer",
			"-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", "-c", sql)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+key, "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	out, err := run("tenantA-key", "SELECT city, total_revenue FROM orders ORDER BY city")
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if out != "Bhopal|500\nIndore|1000" {
		t.Errorf("tenantA sees %q, want only Bhopal|500 and Indore|1000", out)
	}
	// A metric compared in WHERE filters groups, as HAVING: Bhopal (500) is left out.
	out, err = run("tenantA-key", "SELECT city FROM orders WHERE total_revenue > 600 ORDER BY city")
	if err != nil || out != "Indore" {
		t.Errorf("metric in WHERE: psql printed %q (err %v), want Indore", out, err)
	}
	// In a sub-select that only passes the metric through there are no groups to filter.
	out, err = run("tenantA-key", "SELECT r.city FROM (SELECT city, total_revenue FROM orders WHERE total_revenue > 1) r")
	if err == nil || !strings.Contains(out, "HAVING") {
		t.Errorf("metric in a pass-through WHERE: psql printed %q (err %v), want the error with its HAVING hint", out, err)
	}
	out, err = run("wrong-key", "SELECT 1")
	if err == nil || !strings.Contains(out, "password authentication failed") {
		t.Errorf("wrong key: psql printed %q (err %v), want an authentication failure", out, err)
	}
}
