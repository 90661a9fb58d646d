package gateway

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/setupranali/setupranali/internal/testkit"
)

// psycopgScript runs each statement of argv[2] (JSON [[sql, kind], ...]) on the DSN argv[1]
// with a Python list (or a zone-aware datetime) as its parameter, as psycopg2 sends them: it
// writes the values into the statement (ARRAY['a','b'], '...'::timestamptz). It prints one
// JSON list of each statement's rows, or its error's SQLSTATE.
const psycopgScript = `
import datetime, json, sys
import psycopg2
conn = psycopg2.connect(sys.argv[1])
conn.autocommit = True
params = {
    "names": (["Indore", 'a "b", c'],),
    "ints": ([2, 6],),
    "floats": ([2.5, 1e10],),
    "dates": ([datetime.date(2025, 12, 1), datetime.date(2024, 2, 29)],),
    "stamps": ([datetime.datetime(2025, 12, 2, 10, 11, 12), datetime.datetime(2024, 2, 29)],),
    "instant": (datetime.datetime(2025, 3, 30, 1, 0, tzinfo=datetime.timezone.utc),),
}
out = []
for sql, kind in json.loads(sys.argv[2]):
    cur = conn.cursor()
    try:
        cur.execute(sql, params[kind])
        out.append([[str(v) for v in row] for row in cur.fetchall()])
    except psycopg2.Error as e:
        out.append(e.pgcode)
print(json.dumps(out))
`

// psycopg2 (Debian's python3-psycopg2) binds lists and datetimes client-side; the gateway's
// answers must be PostgreSQL's over the same rows.
func TestPsycopg2ArraysMatchPostgres(t *testing.T) {
	t.Parallel()
	if exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run() != nil {
		t.Skip("python3-psycopg2 is not installed")
	}
	w := startItemsWorld(t)
	statements := [][2]string{
		{"SELECT name, total FROM items WHERE name = ANY(%s) GROUP BY 1 ORDER BY 1", "names"},
		{"SELECT name, total FROM items WHERE name <> ALL(%s) GROUP BY 1 ORDER BY 1", "names"},
		{"SELECT n4, total FROM items WHERE n4 = ANY(%s) GROUP BY 1 ORDER BY 1", "ints"},
		{"SELECT x, total FROM items WHERE x <> ALL(%s) GROUP BY 1 ORDER BY 1", "floats"},
		{"SELECT d, total FROM items WHERE d = ANY(%s) GROUP BY 1 ORDER BY 1", "dates"},
		{"SELECT ts, total FROM items WHERE ts = ANY(%s) GROUP BY 1 ORDER BY 1", "stamps"},
		{"SELECT happened, total FROM items WHERE happened >= %s GROUP BY 1 ORDER BY 1", "instant"},
		{"SELECT array_agg(name ORDER BY name, n4), array_agg(d ORDER BY d) FROM items WHERE n4 < ALL(%s)", "ints"},
	}
	truth := make([][2]string, len(statements))
	for i, s := range statements {
		truth[i] = [2]string{w.truthSQL(s[0]), s[1]}
	}
	want := runPsycopg(t, testkit.PostgresDSN(t), truth)
	for engine, gw := range w.gateways {
		dsn := strings.Replace(connString(gw, "tenantA-key"), " default_query_exec_mode=simple_protocol", "", 1)
		got := runPsycopg(t, dsn, statements)
		for i := range statements {
			if got[i] != want[i] {
				t.Errorf("%s: %s: got %s, want %s", engine, statements[i][0], got[i], want[i])
			}
		}
	}
}

// runPsycopg runs the statements through psycopg2 and returns each one's result as JSON.
func runPsycopg(t *testing.T, dsn string, statements [][2]string) []string {
	t.Helper()
	arg, err := json.Marshal(statements)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/bin/python3", "-c", psycopgScript, dsn, string(arg)).CombinedOutput()
	if err != nil {
		t.Fatalf("psycopg2: %v\n%s", err, out)
	}
	var results []json.RawMessage
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(statements) {
		t.Fatalf("psycopg2 output %s: %v", out, err)
	}
	text := make([]string, len(results))
	for i, r := range results {
		text[i] = string(r)
	}
	return text
}
