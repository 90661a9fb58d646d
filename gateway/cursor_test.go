package gateway

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/testkit"
)

// SQL cursors (DECLARE, FETCH, MOVE, CLOSE) and COPY (query) TO STDOUT through the real gateway.

// execSQL runs statements as one simple-protocol Query and returns every result's rows as
// values joined by "|", and each command tag.
func execSQL(t *testing.T, conn *pgconn.PgConn, sql string) (rows []string, tags []string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	results, err := conn.Exec(ctx, sql).ReadAll()
	for _, r := range results {
		for _, row := range r.Rows {
			parts := make([]string, len(row))
			for i, v := range row {
				parts[i] = string(v)
			}
			rows = append(rows, strings.Join(parts, "|"))
		}
		tags = append(tags, r.CommandTag.String())
	}
	return rows, tags, err
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestSQLCursors(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key").PgConn()

	// One statement per Query, as psqlODBC sends them.
	var all []string
	for _, step := range []struct{ sql, tag string }{
		{"BEGIN", "BEGIN"},
		{"DECLARE c CURSOR FOR SELECT city, total_revenue FROM orders ORDER BY city", "DECLARE CURSOR"},
		{"FETCH 1 IN c", "FETCH 1"},
		{"FETCH ALL IN c", "FETCH 1"},
		{"FETCH ALL IN c", "FETCH 0"},
		{"CLOSE c", "CLOSE CURSOR"},
		{"COMMIT", "COMMIT"},
	} {
		rows, tags, err := execSQL(t, conn, step.sql)
		if err != nil {
			t.Fatalf("%s: %v", step.sql, err)
		}
		if len(tags) != 1 || tags[0] != step.tag {
			t.Errorf("%s: tags %q, want %q", step.sql, tags, step.tag)
		}
		all = append(all, rows...)
	}
	if !equal(all, []string{"Bhopal|500", "Indore|1000"}) {
		t.Errorf("tenantA through a cursor: %q", all)
	}

	// Several statements in one Query (an implicit block), MOVE, and a holdable cursor that
	// outlives its transaction.
	rows, tags, err := execSQL(t, conn, `DECLARE h CURSOR WITH HOLD FOR SELECT city FROM orders ORDER BY city;
		MOVE 1 IN h; FETCH NEXT FROM h`)
	if err != nil || !equal(rows, []string{"Indore"}) || strings.Join(tags, ",") != "DECLARE CURSOR,MOVE 1,FETCH 1" {
		t.Errorf("hold cursor: rows %q tags %q err %v", rows, tags, err)
	}
	if rows, _, err := execSQL(t, conn, "FETCH ALL FROM h; CLOSE h"); err != nil || len(rows) != 0 {
		t.Errorf("hold cursor after its transaction: rows %q err %v", rows, err)
	}

	// Errors PostgreSQL gives.
	if _, _, err := execSQL(t, conn, "DECLARE x CURSOR FOR SELECT city FROM orders"); sqlState(err) != "25P01" {
		t.Errorf("DECLARE outside a block: %v, want 25P01", err)
	}
	if _, _, err := execSQL(t, conn, "FETCH 1 IN nosuch"); sqlState(err) != "34000" {
		t.Errorf("FETCH of a missing cursor: %v, want 34000", err)
	}
	if _, _, err := execSQL(t, conn, "BEGIN; DECLARE c CURSOR FOR SELECT city FROM orders; FETCH PRIOR FROM c"); sqlState(err) != "0A000" {
		t.Errorf("FETCH PRIOR: %v, want 0A000", err)
	}
	execSQL(t, conn, "ROLLBACK")
	// A non-holdable cursor ends with its transaction.
	if _, _, err := execSQL(t, conn, "BEGIN; DECLARE c CURSOR FOR SELECT city FROM orders; COMMIT; FETCH 1 IN c"); sqlState(err) != "34000" {
		t.Errorf("FETCH after COMMIT: %v, want 34000", err)
	}
	// CLOSE ALL and DISCARD ALL close cursors.
	if _, _, err := execSQL(t, conn, "BEGIN; DECLARE c CURSOR FOR SELECT city FROM orders; CLOSE ALL; FETCH 1 IN c"); sqlState(err) != "34000" {
		t.Errorf("FETCH after CLOSE ALL: %v, want 34000", err)
	}
	execSQL(t, conn, "ROLLBACK")
	if _, _, err := execSQL(t, conn, "DECLARE d CURSOR WITH HOLD FOR SELECT city FROM orders"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := execSQL(t, conn, "DISCARD ALL"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := execSQL(t, conn, "FETCH 1 IN d"); sqlState(err) != "34000" {
		t.Errorf("FETCH after DISCARD ALL: %v, want 34000", err)
	}
	// The cursor's query is planned like any query: tenant filters and errors included.
	if _, _, err := execSQL(t, conn, "BEGIN; DECLARE c CURSOR FOR SELECT cty FROM orders"); sqlState(err) != "42703" {
		t.Errorf("DECLARE of a bad query: %v, want 42703", err)
	}
	execSQL(t, conn, "ROLLBACK")
	if rows, _, err := execSQL(t, conn, "SELECT count(*) FROM orders"); err != nil || !equal(rows, []string{"2"}) {
		t.Errorf("connection after cursor errors: %q %v", rows, err)
	}
}

func TestCopyToStdout(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key").PgConn()
	copyTo := func(sql string) (string, string, error) {
		ctx := testkit.ContextWithin(t, 10*time.Second)
		var buf bytes.Buffer
		tag, err := conn.CopyTo(ctx, &buf, sql)
		return buf.String(), tag.String(), err
	}
	cases := []struct{ sql, want string }{
		{"COPY (SELECT city, total_revenue FROM orders ORDER BY city) TO STDOUT", "Bhopal\t500\nIndore\t1000\n"},
		{"COPY (SELECT city, total_revenue FROM orders ORDER BY city) TO STDOUT WITH CSV HEADER", "city,total_revenue\nBhopal,500\nIndore,1000\n"},
		{"COPY (SELECT 'a,b' AS x, 'say \"hi\"' AS y, '' AS z, NULL::text AS n) TO STDOUT (FORMAT csv)", "\"a,b\",\"say \"\"hi\"\"\",\"\",\n"},
		{"COPY (SELECT E'tab\\there' AS x, E'back\\\\slash' AS y, NULL::text AS n) TO STDOUT", "tab\\there\tback\\\\slash\t\\N\n"},
		{"COPY (SELECT city FROM orders ORDER BY city) TO STDOUT (FORMAT csv, DELIMITER ';', NULL 'none')", "Bhopal\nIndore\n"},
	}
	for _, c := range cases {
		got, tag, err := copyTo(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, got, c.want)
		}
		if !strings.HasPrefix(tag, "COPY ") {
			t.Errorf("%s: tag %q", c.sql, tag)
		}
	}
	if _, tag, _ := copyTo(cases[0].sql); tag != "COPY 2" {
		t.Errorf("tag %q, want COPY 2", tag)
	}
	for sql, code := range map[string]string{
		"COPY orders FROM STDIN":                          "25006",
		"COPY (SELECT city FROM orders) TO '/tmp/x.csv'":  "0A000",
		"COPY (SELECT city FROM orders) TO STDOUT BINARY": "0A000",
		"COPY (SELECT cty FROM orders) TO STDOUT":         "42703",
	} {
		if _, _, err := copyTo(sql); sqlState(err) != code {
			t.Errorf("%s: %v, want %s", sql, err, code)
		}
	}
	if rows, _, err := execSQL(t, conn, "SELECT count(*) FROM orders"); err != nil || !equal(rows, []string{"2"}) {
		t.Errorf("connection after COPY errors: %q %v", rows, err)
	}
}

// TestPsqlCopy runs psql's \copy of a query to stdout in CSV with a header.
func TestPsqlCopy(t *testing.T) {
	t.Parallel()
	psql := requireClient(t, "psql", "--version")
	gw := startTestGateway(t)
	host, port, _ := net.SplitHostPort(gw.Addr().String())
	ctx := testkit.ContextWithin(t, 20*time.Second)
	cmd := exec.CommandContext(ctx, psql, "host="+host+" port="+port+" user=demo dbname=setupranali sslmode=disable",
		"-X", "-v", "ON_ERROR_STOP=1", "-c", `\copy (SELECT city, total_revenue FROM orders ORDER BY city) to stdout with csv header`)
	cmd.Env = append(os.Environ(), "PGPASSWORD=tenantA-key", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if got := string(out); got != "city,total_revenue\nBhopal,500\nIndore,1000\n" {
		t.Errorf("psql \\copy printed %q", got)
	}

	// \copy of a dataset: its rows at the grain of the named columns, tenantA's only.
	cmd = exec.CommandContext(ctx, psql, "host="+host+" port="+port+" user=demo dbname=setupranali sslmode=disable",
		"-X", "-v", "ON_ERROR_STOP=1", "-c", `\copy orders (city, total_revenue) to stdout with csv`)
	cmd.Env = append(os.Environ(), "PGPASSWORD=tenantA-key", "PGCONNECT_TIMEOUT=10")
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if got := sorted(strings.Split(strings.TrimSpace(string(out)), "\n")); !equal(got, []string{"Bhopal,500", "Indore,1000"}) {
		t.Errorf("psql \\copy orders printed %q", out)
	}
}

func TestSQLPrepareExecute(t *testing.T) {
	t.Parallel()
	gw := startTestGateway(t)
	conn := connect(t, gw, "tenantA-key").PgConn()
	if _, tags, err := execSQL(t, conn, "PREPARE byCity(text) AS SELECT city, total_revenue FROM orders WHERE city = $1"); err != nil || strings.Join(tags, ",") != "PREPARE" {
		t.Fatalf("PREPARE: tags %q err %v", tags, err)
	}
	for arg, want := range map[string][]string{"'Indore'": {"Indore|1000"}, "'Delhi'": nil, "NULL": nil} {
		rows, tags, err := execSQL(t, conn, "EXECUTE byCity("+arg+")")
		if err != nil || !equal(rows, want) || len(tags) != 1 || !strings.HasPrefix(tags[0], "SELECT ") {
			t.Errorf("EXECUTE byCity(%s): rows %q tags %q err %v", arg, rows, tags, err)
		}
	}
	// Inferred parameter types, and the extended protocol's namespace.
	if _, _, err := execSQL(t, conn, "PREPARE top AS SELECT city FROM orders GROUP BY city ORDER BY city LIMIT $1"); err != nil {
		t.Fatal(err)
	}
	if rows, _, err := execSQL(t, conn, "EXECUTE top(1)"); err != nil || !equal(rows, []string{"Bhopal"}) {
		t.Errorf("EXECUTE top(1): %q %v", rows, err)
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	res := conn.ExecPrepared(ctx, "top", [][]byte{[]byte("5")}, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 2 {
		t.Errorf("Bind of a PREPAREd statement: %d rows, %v", len(res.Rows), res.Err)
	}
	for sql, code := range map[string]string{
		"PREPARE byCity AS SELECT 1":            "42P05",
		"EXECUTE byCity('a', 'b')":              "42601",
		"EXECUTE nosuch":                        "26000",
		"PREPARE bad AS SELECT cty FROM orders": "42703",
		"PREPARE w AS DELETE FROM orders":       "0A000",
	} {
		if _, _, err := execSQL(t, conn, sql); sqlState(err) != code {
			t.Errorf("%s: %v, want %s", sql, err, code)
		}
	}
	if _, _, err := execSQL(t, conn, "DEALLOCATE byCity"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := execSQL(t, conn, "EXECUTE byCity('Indore')"); sqlState(err) != "26000" {
		t.Errorf("EXECUTE after DEALLOCATE: %v, want 26000", err)
	}
}
