package gateway

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"
)

// hostileEntry is one statement of testdata/hostile/corpus.yaml.
type hostileEntry struct {
	Name string `yaml:"name"`
	SQL  string `yaml:"sql"`
	// Expect is the SQLSTATE the statement must fail with, or "rows": it must succeed and
	// return at least one row, all of them tenantA's.
	Expect string `yaml:"expect"`
	// Postgres, when set, replaces Expect with the dataset on PostgreSQL, where the engine
	// answers differently: its own, more precise SQLSTATE, or rows for DuckDB-only syntax.
	Postgres string `yaml:"postgres"`
}

// hostileTimeout bounds each statement: a statement that hangs the gateway fails.
const hostileTimeout = 5 * time.Second

var sqlstatePattern = regexp.MustCompile(`^[0-9A-Z]{5}$`)

func loadHostileCorpus(t *testing.T) []hostileEntry {
	t.Helper()
	data, err := os.ReadFile("../testdata/hostile/corpus.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []hostileEntry
	if err := yaml.Unmarshal(data, &corpus); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	names := map[string]bool{}
	for i, e := range corpus {
		switch {
		case e.Name == "" || e.SQL == "":
			t.Fatalf("corpus entry %d: name and sql are required", i)
		case names[e.Name]:
			t.Fatalf("corpus entry %d: duplicate name %q", i, e.Name)
		case e.Expect != "rows" && !sqlstatePattern.MatchString(e.Expect):
			t.Fatalf("corpus entry %q: expect must be a SQLSTATE or rows, got %q", e.Name, e.Expect)
		case e.Postgres != "" && e.Postgres != "rows" && !sqlstatePattern.MatchString(e.Postgres):
			t.Fatalf("corpus entry %q: postgres must be a SQLSTATE or rows, got %q", e.Name, e.Postgres)
		case isServerFaultClass(e.Expect), isServerFaultClass(e.Postgres):
			t.Fatalf("corpus entry %q: expects %s, a class no client may provoke", e.Name, e.Expect)
		}
		names[e.Name] = true
	}
	if len(corpus) < 100 {
		t.Fatalf("the corpus holds %d statements, the requirement is at least 100", len(corpus))
	}
	return corpus
}

// isServerFaultClass reports the SQLSTATE classes a client must never be able to provoke:
// Npgsql drops its whole pool on them.
func isServerFaultClass(code string) bool {
	switch {
	case strings.HasPrefix(code, "XX"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "58"):
		return true
	}
	return false
}

// otherTenantsValues returns the values in text that only other tenants' rows can produce,
// leaving out those the statement itself spells (echoed, not leaked).
func otherTenantsValues(text, sql string) []string {
	var found []string
	for _, v := range notTenantA {
		if strings.Contains(text, v) && !strings.Contains(sql, v) {
			found = append(found, v)
		}
	}
	return found
}

// hostileOutcome is what the gateway made of one corpus statement.
type hostileOutcome struct {
	rows int
	// text is every value of every row of every result, each followed by "|".
	text string
	err  error
}

// runHostile sends sql as one simple-protocol Query message, so several statements arrive
// together as a smuggler would send them.
func runHostile(conn *pgx.Conn, sql string) hostileOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	var out hostileOutcome
	var text strings.Builder
	for _, r := range results {
		for _, row := range r.Rows {
			out.rows++
			for _, v := range row {
				text.Write(v)
				text.WriteByte('|')
			}
		}
		if err == nil && r.Err != nil {
			err = r.Err
		}
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	out.text, out.err = text.String(), err
	return out
}

// TestHostileCorpus runs every statement of the hostile-SQL corpus as tenantA through the real
// gateway. Each is rejected with exactly its SQLSTATE, or succeeds with tenantA's rows only; no
// statement gets a server-fault SQLSTATE, hangs, or leaves the connection unusable.
func TestHostileCorpus(t *testing.T) {
	t.Parallel()
	// The server's own statement timeout stops engine-side bombs (a 40-way join) well inside
	// the client's limit, as QUERY_TIMEOUT_SECONDS does in production.
	runHostileCorpus(t, startTestGateway(t, func(c *Config) { c.QueryTimeout = 2 * time.Second }), false)
}

// runHostileCorpus runs the corpus as tenantA on gw: the embedded DuckDB above, PostgreSQL in
// reliability_test.go.
func runHostileCorpus(t *testing.T, gw *Gateway, onPostgres bool) {
	corpus := loadHostileCorpus(t)
	conn := connect(t, gw, "tenantA-key")
	for _, e := range corpus {
		t.Run(e.Name, func(t *testing.T) {
			expect := e.Expect
			if onPostgres && e.Postgres != "" {
				expect = e.Postgres
			}
			start := time.Now()
			got := runHostile(conn, e.SQL)
			if leaked := otherTenantsValues(got.text, ""); len(leaked) > 0 {
				t.Errorf("LEAK: %q returned %q, which holds other tenants' values %q", e.SQL, got.text, leaked)
			}
			var pe *pgconn.PgError
			isPG := errors.As(got.err, &pe)
			if isPG {
				// An error message is a channel too (a failed cast quotes the value it could not
				// convert). Values the statement itself spells out may be echoed back.
				msg := strings.Join([]string{pe.Message, pe.Detail, pe.Hint, pe.Where}, "\n")
				if leaked := otherTenantsValues(msg, e.SQL); len(leaked) > 0 {
					t.Errorf("LEAK: %q failed with %s %q, which holds other tenants' values %q", e.SQL, pe.Code, msg, leaked)
				}
			}
			switch {
			case got.err != nil && !isPG:
				t.Errorf("%q: no SQLSTATE after %v: %v (a hang or a dropped connection)", e.SQL, time.Since(start).Round(time.Millisecond), got.err)
			case isPG && isServerFaultClass(pe.Code):
				t.Errorf("%q: server-fault SQLSTATE %s for a client's statement: %s", e.SQL, pe.Code, pe.Message)
			case expect == "rows" && got.err != nil:
				t.Errorf("%q: failed with %s (%s), want tenantA's rows", e.SQL, pe.Code, pe.Message)
			case expect == "rows" && got.rows == 0:
				t.Errorf("%q: returned no rows, want tenantA's", e.SQL)
			case expect != "rows" && got.err == nil:
				t.Errorf("%q: succeeded with %d rows %q, want SQLSTATE %s", e.SQL, got.rows, got.text, expect)
			case expect != "rows" && pe.Code != expect:
				t.Errorf("%q: SQLSTATE %s (%s), want %s", e.SQL, pe.Code, pe.Message, expect)
			}

			if conn.IsClosed() {
				t.Errorf("%q closed the connection", e.SQL)
				return
			}
			if st := conn.PgConn().TxStatus(); st != 'I' {
				// A statement may open a transaction block, or fail inside one, as it would on
				// PostgreSQL; a client then rolls back.
				if rb := runHostile(conn, "ROLLBACK"); rb.err != nil {
					t.Errorf("after %q (transaction status %c) ROLLBACK failed: %v", e.SQL, st, rb.err)
				}
			}
			check := runHostile(conn, "SELECT city, total_revenue FROM orders ORDER BY city")
			if check.err != nil || check.text != "Bhopal|500|Indore|1000|" {
				t.Errorf("after %q the connection answered %q, %v", e.SQL, check.text, check.err)
			}
		})
		if conn.IsClosed() {
			conn = connect(t, gw, "tenantA-key")
		}
	}
}
