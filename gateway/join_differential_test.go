package gateway

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/joindiff"
	"github.com/setupranali/setupranali/internal/testkit"
)

var (
	joinsQueries = flag.Int("joins.queries", 200, "queries TestJoinDifferential and TestJoinDifferentialPostgres run (long runs: 20000 and more)")
	joinsSeed    = flag.Uint64("joins.seed", 1, "seed of the join differential test's query generator")
)

// joinDataSeed fixes the generated rows; the query seed varies the questions asked of them.
const joinDataSeed = 20261207

// TestJoinDifferential is the join invariant of issue 17 as a property: random join queries
// over a generated star/snowflake schema, each sent over pg wire as a tenant to the real
// gateway on the embedded DuckDB, must answer exactly what internal/joindiff's reference
// computes in Go (each metric at its own dataset's grain, each of its rows once, the tenant's
// rows only; the admin's over every tenant's rows), or be refused with 0A000/42P10 and a message naming a dataset; a query whose
// joins only look rows up (joindiff's Query.Lookup) must be answered. Anything else, a wrong
// number above all, fails.
func TestJoinDifferential(t *testing.T) {
	t.Parallel()
	s := joindiff.Generate(joinDataSeed)
	dir := t.TempDir()
	data, cat := filepath.Join(dir, "data.sql"), filepath.Join(dir, "catalog.yaml")
	writeDiffFile(t, data, s.SQL(joindiff.DuckDB))
	writeDiffFile(t, cat, s.YAML(joindiff.DuckDB, ""))
	gw := startTestGateway(t, func(c *Config) { c.Catalog, c.DuckDBInit = cat, data })
	joinDifferential(t, s, gw)
}

// TestJoinDifferentialPostgres is TestJoinDifferential with the datasets on the PostgreSQL
// source, in a fresh schema.
func TestJoinDifferentialPostgres(t *testing.T) {
	t.Parallel()
	dsn := testkit.PostgresDSN(t)
	schema := testkit.PostgresSchema(t)
	admin := testkit.PostgresConn(t)
	s := joindiff.Generate(joinDataSeed)
	ctx := testkit.ContextWithin(t, time.Minute)
	if _, err := admin.Exec(ctx, "SET search_path TO "+schema+";\n"+s.SQL(joindiff.Postgres)+"RESET search_path"); err != nil {
		t.Fatalf("loading the join schema into PostgreSQL: %v", err)
	}
	cat := filepath.Join(t.TempDir(), "catalog.yaml")
	writeDiffFile(t, cat, s.YAML(joindiff.Postgres, schema))
	gw := startTestGateway(t, func(c *Config) { c.Catalog, c.PostgresDSN = cat, Secret(dsn) })
	joinDifferential(t, s, gw)
}

// joinOutcome is what one query gave.
type joinOutcome struct {
	fatal   error  // the connection broke
	failure string // a wrong answer or an error that is not a refusal
	refusal string // SQLSTATE and message of an accepted refusal
	rows    int
	leaky   bool // the truth over every tenant's rows differs: a leak would have shown
}

func joinDifferential(t *testing.T, s *joindiff.Schema, gw *Gateway) {
	n, seed := *joinsQueries, *joinsSeed
	// The three tenants' keys, and the admin key (bypass: every tenant's rows, whose keys
	// collide, so a join on them matches across tenants and the truth is over all rows).
	tenants := append(slices.Clone(differentialTenants), struct{ name, key string }{joindiff.AllTenants, "dev-key-123"})
	conns := make([]*pgx.Conn, len(tenants))
	for i, tn := range tenants {
		conns[i] = connect(t, gw, tn.key)
		// The harness: each key sees its own tenant and nothing of tenantC; the admin all.
		want := []string{tn.name}
		if tn.name == joindiff.AllTenants {
			want = slices.Sorted(slices.Values(joindiff.Tenants))
		}
		if got := testkit.RowsText(t, conns[i], "SELECT DISTINCT tenant_id FROM orders ORDER BY 1"); !slices.Equal(got, want) {
			t.Fatalf("%q sees tenants %v of orders", tn.name, got)
		}
	}

	t.Logf("seed %d, %d queries (-joins.seed, -joins.queries)", seed, n)
	type job struct {
		i int
		q *joindiff.Query
	}
	var (
		mu                                     sync.Mutex
		answered, rowsCompared, leaky, bad     int
		lookups, lookupsRefused, adminAnswered int
		adminLookups                           int
		refusals                               = map[string]int{}
		samples                                []string
		stop                                   atomic.Bool
		wg                                     sync.WaitGroup
		jobs                                   = make([]chan job, len(tenants))
		start                                  = time.Now()
		reproduce                              = func(i int) string {
			return fmt.Sprintf("reproduce: go test ./gateway -run '^%s$' -joins.seed=%d -joins.queries=%d -v", t.Name(), seed, i+1)
		}
	)
	who := func(w int) string {
		if tenants[w].name == joindiff.AllTenants {
			return "the admin"
		}
		return tenants[w].name
	}
	for w := range tenants {
		jobs[w] = make(chan job, 8)
		wg.Go(func() {
			for j := range jobs[w] {
				if stop.Load() {
					continue
				}
				o := checkJoinQuery(s, conns[w], tenants[w].name, j.q)
				mu.Lock()
				if tenants[w].name != joindiff.AllTenants && j.q.Lookup(s) || j.q.LookupAcrossTenants(s) {
					// Issue 17: a join that cannot repeat the metric's rows needs no
					// declaration and is never refused. For the admin, who sees every
					// tenant's rows, keys are unique per tenant: only a join that also
					// equates the tenant column is such a lookup.
					lookups++
					if tenants[w].name == joindiff.AllTenants {
						adminLookups++
					}
					if o.refusal != "" {
						lookupsRefused++
						o.failure, o.refusal = "refused a join that only looks rows up: "+o.refusal, ""
					}
				}
				switch {
				case o.fatal != nil:
					t.Errorf("seed %d query %d as %s: %v\n%s\n%s", seed, j.i, who(w), o.fatal, j.q.SQL, reproduce(j.i))
					stop.Store(true)
				case o.failure != "":
					bad++
					t.Errorf("WRONG seed %d query %d as %s (shape %s):\n%s\n%s\n%s", seed, j.i, who(w), j.q.Shape, j.q.SQL, o.failure, reproduce(j.i))
					if bad >= 10 {
						t.Errorf("stopping after %d failures", bad)
						stop.Store(true)
					}
				case o.refusal != "":
					code, msg, _ := strings.Cut(o.refusal, " ")
					refusals[code]++
					if len(samples) < 5 {
						samples = append(samples, fmt.Sprintf("%s %s\n    %s", code, msg, j.q.SQL))
					}
				default:
					answered++
					if tenants[w].name == joindiff.AllTenants {
						adminAnswered++
					}
					rowsCompared += o.rows
					if o.leaky {
						leaky++
					}
				}
				mu.Unlock()
			}
		})
	}
	g := joindiff.NewGenerator(s, seed)
	for i := 0; i < n && !stop.Load(); i++ {
		jobs[i%len(jobs)] <- job{i, g.Next()}
	}
	for _, c := range jobs {
		close(c)
	}
	wg.Wait()

	refused := 0
	for _, c := range refusals {
		refused += c
	}
	t.Logf("%d queries in %v: %d answered exactly (%d rows compared), %d refused %v, %d wrong",
		answered+refused+bad, time.Since(start).Round(time.Millisecond), answered, rowsCompared, refused, refusals, bad)
	t.Logf("%d of the %d queries answered to a tenant would have shown a leak (their truth over every tenant's rows differs); %d answered to the admin",
		leaky, answered-adminAnswered, adminAnswered)
	t.Logf("%d queries only looked rows up (many-to-one on a key, or a grouped sub-select; %d of them the admin's, equating the tenant column too); %d of them were refused",
		lookups, adminLookups, lookupsRefused)
	for _, sm := range samples {
		t.Logf("refused: %s", sm)
	}
	if answered >= 20 && leaky == 0 {
		t.Error("no answered query would have answered differently over every tenant's rows: the comparison cannot see a leak")
	}
}

// checkJoinQuery sends q as the tenant and judges the answer against the reference.
func checkJoinQuery(s *joindiff.Schema, conn *pgx.Conn, tenant string, q *joindiff.Query) joinOutcome {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results, err := conn.PgConn().Exec(ctx, q.SQL).ReadAll()
	if err == nil && len(results) != 1 {
		return joinOutcome{fatal: fmt.Errorf("%d results, want 1", len(results))}
	}
	if err == nil {
		err = results[0].Err
	}
	if err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || conn.PgConn().IsClosed() {
			return joinOutcome{fatal: fmt.Errorf("not an SQL error, or the connection closed: %w", err)}
		}
		if (pe.Code == "0A000" || pe.Code == "42P10") && namesADataset(pe.Message, q) {
			return joinOutcome{refusal: pe.Code + " " + pe.Message}
		}
		return joinOutcome{failure: fmt.Sprintf("error %s: %s (hint %q); want the truth, or a refusal (0A000/42P10) naming a dataset", pe.Code, pe.Message, pe.Hint)}
	}
	got := make([]string, 0, len(results[0].Rows))
	for _, row := range results[0].Rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = joindiff.Normalize(string(v), v == nil)
		}
		got = append(got, strings.Join(cells, " | "))
	}
	want := s.Truth(q, tenant)
	slices.Sort(got)
	slices.Sort(want)
	if !joindiff.Same(got, want) {
		extra, missing := diffMultiset(got, want)
		var b strings.Builder
		fmt.Fprintf(&b, "gateway %d rows, truth %d rows\n", len(got), len(want))
		for _, r := range diffHead(extra) {
			fmt.Fprintf(&b, "  + %s\n", r)
		}
		for _, r := range diffHead(missing) {
			fmt.Fprintf(&b, "  - %s\n", r)
		}
		return joinOutcome{failure: b.String()}
	}
	return joinOutcome{rows: len(got), leaky: tenant != joindiff.AllTenants && !joindiff.Same(s.Truth(q, joindiff.AllTenants), want)}
}

// namesADataset: a refusal must say which dataset (or its alias in the query) it is about.
func namesADataset(msg string, q *joindiff.Query) bool {
	for _, id := range q.Datasets() {
		if strings.Contains(msg, id) {
			return true
		}
	}
	for _, st := range q.Steps {
		if strings.Contains(msg, `"`+st.Alias+`"`) {
			return true
		}
	}
	return false
}
