package gateway

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/internal/querygen"
	"github.com/setupranali/setupranali/internal/testkit"
)

var (
	isolationQueries = flag.Int("isolation.queries", 2000, "queries TestDifferentialIsolation runs (long runs: 100000 and more)")
	isolationSeed    = flag.Uint64("isolation.seed", 1, "seed of TestDifferentialIsolation's query generator")
)

const differentialCatalog = "../testdata/differential/catalog.yaml"

// differentialTenants are the tenants compared, with the demo key that is each one's viewer.
// The data also holds rows of tenantC, whom no key can see.
var differentialTenants = []struct{ name, key string }{
	{"tenantA", "tenantA-key"},
	{"tenantB", "tenantB-key"},
	{"default", "readonly-key-456"},
}

// TestDifferentialIsolation is the tenant-isolation property: for random queries over a
// dataset with row-level security, what tenant T gets from the gateway over everyone's rows
// equals what an admin gets from a gateway over a database holding only T's rows. No extra
// rows (a leak), no missing rows (over-filtering), the same errors.
func TestDifferentialIsolation(t *testing.T) {
	t.Parallel()
	differentialIsolation(t, nil)
}

// differentialIsolation runs the differential test on gateways that serve starts over a data
// file (the whole data, or one tenant's after a DELETE); nil starts embedded DuckDB ones.
// reliability_test.go runs it on PostgreSQL.
func differentialIsolation(t *testing.T, serve func(t *testing.T, dataFile string) *Gateway) {
	if serve == nil {
		serve = func(t *testing.T, dataFile string) *Gateway {
			return startTestGateway(t, func(c *Config) { c.Catalog = differentialCatalog; c.DuckDBInit = dataFile })
		}
	}
	n, seed := *isolationQueries, *isolationSeed
	if testing.Short() && n > 300 {
		n = 300
	}
	dir := t.TempDir()
	data, values := differentialData()
	full := filepath.Join(dir, "data.sql")
	writeDiffFile(t, full, data)
	gw := serve(t, full)

	// One worker per tenant, each with its own connections, so the tenants' queries run side
	// by side; query i goes to tenant i mod 3.
	var workers []*diffWorker
	for _, tn := range differentialTenants {
		path := filepath.Join(dir, "data_"+tn.name+".sql")
		writeDiffFile(t, path, data+"\nDELETE FROM sales WHERE tenant_id <> '"+tn.name+"';\n")
		only := serve(t, path)
		workers = append(workers, &diffWorker{
			tenant: tn.name,
			own:    connect(t, gw, tn.key),
			alone:  connect(t, only, "dev-key-123"),
			all:    connect(t, gw, "dev-key-123"),
			jobs:   make(chan diffJob, 16),
		})
	}

	// The harness itself: each side sees exactly the tenants it should.
	const tenantsSQL = "SELECT DISTINCT tenant FROM sales ORDER BY 1"
	if got := testkit.RowsText(t, workers[0].all, tenantsSQL); !equal(got, []string{"default", "tenantA", "tenantB", "tenantC"}) {
		t.Fatalf("admin over all rows sees tenants %v", got)
	}
	for _, w := range workers {
		for _, conn := range []*pgx.Conn{w.own, w.alone} {
			if got := testkit.RowsText(t, conn, tenantsSQL); !equal(got, []string{w.tenant}) {
				t.Fatalf("%s's side sees tenants %v", w.tenant, got)
			}
		}
	}

	cat, err := catalog.LoadFile(differentialCatalog)
	if err != nil {
		t.Fatal(err)
	}
	g := querygen.New(cat, "sales", seed)
	g.SetDatabase("setupranali")
	for col, vals := range values {
		g.SetValues(col, vals...)
	}

	t.Logf("seed %d, %d queries (-isolation.seed, -isolation.queries)", seed, n)
	start := time.Now()
	var (
		mu                                           sync.Mutex
		ran, rowsCompared, errorsMatched, mismatches int
		discriminating, sampled                      int
		failures                                     []diffJob // queries both sides failed
		stop                                         atomic.Bool
		wg                                           sync.WaitGroup
		shapes                                       = map[string]int{}
	)
	for _, w := range workers {
		wg.Go(func() {
			for j := range w.jobs {
				if stop.Load() {
					continue
				}
				o := w.check(j)
				mu.Lock()
				ran++
				switch {
				case o.fatal != nil:
					t.Errorf("seed %d query %d as %s: %v\n%s", seed, j.i, w.tenant, o.fatal, j.q.SQL)
					stop.Store(true)
				case o.diff != "":
					mismatches++
					t.Errorf("MISMATCH seed %d query %d as %s (ordered=%v, shapes %v):\n%s\n%s\nreproduce: go test ./gateway -run TestDifferentialIsolation -isolation.seed=%d -isolation.queries=%d -v",
						seed, j.i, w.tenant, j.q.Ordered, j.q.Shapes, j.q.SQL, o.diff, seed, j.i+1)
					if mismatches >= 10 {
						t.Errorf("stopping after %d mismatches", mismatches)
						stop.Store(true)
					}
				case o.err != "":
					errorsMatched++
					if len(failures) < 100 {
						j.err = o.err
						failures = append(failures, j)
					}
				default:
					rowsCompared += o.rows
					if o.sampled {
						sampled++
						if o.discriminates {
							discriminating++
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	for i := 0; i < n && !stop.Load(); i++ {
		if i > 0 && i%10000 == 0 {
			t.Logf("%d queries sent in %v", i, time.Since(start).Round(time.Second))
		}
		q := g.NextQuery()
		for _, s := range q.Shapes {
			shapes[s]++
		}
		workers[i%len(workers)].jobs <- diffJob{i: i, q: q}
	}
	for _, w := range workers {
		close(w.jobs)
	}
	wg.Wait()

	t.Logf("%d queries run in %v: %d rows compared, %d errors matched (same SQLSTATE on both sides), %d mismatches",
		ran, time.Since(start).Round(time.Millisecond), rowsCompared, errorsMatched, mismatches)
	t.Logf("%d of %d sampled queries answered differently over all tenants' rows", discriminating, sampled)
	t.Logf("shapes: %s", diffShapeCounts(shapes))
	slices.SortFunc(failures, func(a, b diffJob) int { return a.i - b.i })
	for _, f := range failures[:min(len(failures), 5)] {
		t.Logf("query %d failed on both sides: %s\n    %s", f.i, f.err, f.q.SQL)
	}
	if errorsMatched*200 > ran {
		t.Errorf("%d of %d generated queries failed (more than 0.5%%): generator bugs, or planner bugs where the README promises the shape", errorsMatched, ran)
	}
	if sampled >= 20 && discriminating == 0 {
		t.Error("no sampled query answered differently over all tenants' rows: the comparison cannot see a leak")
	}
}

type diffJob struct {
	i   int
	q   querygen.Query
	err string // set once the query failed alike on both sides
}

// diffWorker runs one tenant's queries: as the tenant over everyone's rows (own), as admin
// over the tenant's rows alone (alone), and now and then as admin over everyone's rows (all).
type diffWorker struct {
	tenant          string
	own, alone, all *pgx.Conn
	jobs            chan diffJob
}

// diffOutcome is what checking one query found.
type diffOutcome struct {
	fatal                  error  // a connection broke
	diff                   string // the answers differ
	err                    string // both failed alike
	rows                   int
	sampled, discriminates bool
}

func (w *diffWorker) check(j diffJob) diffOutcome {
	got, err := runDiffQuery(w.own, j.q.SQL)
	if err != nil {
		return diffOutcome{fatal: err}
	}
	want, err := runDiffQuery(w.alone, j.q.SQL)
	if err != nil {
		return diffOutcome{fatal: err}
	}
	if diff := compareDiffResults(got, want, j.q.Ordered); diff != "" {
		return diffOutcome{diff: diff}
	}
	if got.err != nil {
		return diffOutcome{err: got.err.Error()}
	}
	o := diffOutcome{rows: len(want.rows)}
	if j.i%40 == 0 {
		// The comparison must be able to tell tenants apart: the same query over everyone's
		// rows mostly answers differently.
		all, err := runDiffQuery(w.all, j.q.SQL)
		if err != nil {
			return diffOutcome{fatal: err}
		}
		o.sampled, o.discriminates = true, compareDiffResults(got, all, j.q.Ordered) != ""
	}
	return o
}

func writeDiffFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func diffShapeCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// diffResult is a query's answer in comparable form: column names with type OIDs, and each row
// as one string with floats rounded.
type diffResult struct {
	cols []string
	rows []string
	err  error
	code string
}

const diffNull = "\x00NULL"

// runDiffQuery runs sql in the simple protocol and normalises the answer. SQL errors are part
// of the answer; the error returned means the connection is no longer usable.
func runDiffQuery(conn *pgx.Conn, sql string) (diffResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
	if err == nil && len(results) != 1 {
		return diffResult{}, fmt.Errorf("%d results, want 1", len(results))
	}
	if err == nil {
		err = results[0].Err
	}
	if err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || conn.PgConn().IsClosed() {
			return diffResult{}, fmt.Errorf("not an SQL error, or the connection closed: %w", err)
		}
		return diffResult{err: err, code: pe.Code}, nil
	}
	r := results[0]
	var res diffResult
	floats := make([]bool, len(r.FieldDescriptions))
	for i, fd := range r.FieldDescriptions {
		res.cols = append(res.cols, fmt.Sprintf("%s:%d", fd.Name, fd.DataTypeOID))
		switch fd.DataTypeOID {
		case 700, 701, 1700: // float4, float8, numeric
			floats[i] = true
		}
	}
	var b strings.Builder
	for _, row := range r.Rows {
		b.Reset()
		for i, v := range row {
			if i > 0 {
				b.WriteString(" | ")
			}
			switch {
			case v == nil:
				b.WriteString(diffNull)
			case floats[i]:
				b.WriteString(diffRoundFloat(string(v)))
			default:
				b.Write(v)
			}
		}
		res.rows = append(res.rows, b.String())
	}
	return res, nil
}

// diffRoundFloat keeps 9 significant digits, so sums added up in another order compare equal;
// what is 0 but for rounding (a standard deviation of equal values) is 0.
func diffRoundFloat(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	if math.Abs(f) < 1e-9 {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', 9, 64)
}

// compareDiffResults returns "" when the answers agree, else what differs.
func compareDiffResults(got, want diffResult, ordered bool) string {
	switch {
	case got.err != nil && want.err != nil:
		if got.code != want.code {
			return fmt.Sprintf("both failed, with different SQLSTATEs:\n  tenant: %v\n  alone:  %v", got.err, want.err)
		}
		return ""
	case got.err != nil:
		return fmt.Sprintf("the tenant's query failed (%v); over the tenant's rows alone it answered %d rows", got.err, len(want.rows))
	case want.err != nil:
		return fmt.Sprintf("over the tenant's rows alone the query failed (%v); the tenant's query answered %d rows", want.err, len(got.rows))
	}
	if !slices.Equal(got.cols, want.cols) {
		return fmt.Sprintf("columns differ:\n  tenant: %v\n  alone:  %v", got.cols, want.cols)
	}
	g, w := got.rows, want.rows
	if !ordered {
		g, w = sorted(g), sorted(w)
	}
	if slices.Equal(g, w) {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "columns %v\n", got.cols)
	if ordered && slices.Equal(sorted(g), sorted(w)) {
		fmt.Fprintf(&b, "same rows in a different order:\n  tenant: %q\n  alone:  %q", diffHead(g), diffHead(w))
		return b.String()
	}
	extra, missing := diffMultiset(g, w)
	fmt.Fprintf(&b, "tenant got %d rows, the tenant's rows alone give %d\n", len(g), len(w))
	fmt.Fprintf(&b, "  extra rows (only in the tenant's answer: a leak?): %d\n", len(extra))
	for _, r := range diffHead(extra) {
		fmt.Fprintf(&b, "    + %s\n", strings.ReplaceAll(r, diffNull, "NULL"))
	}
	fmt.Fprintf(&b, "  missing rows (only over the tenant's rows alone): %d\n", len(missing))
	for _, r := range diffHead(missing) {
		fmt.Fprintf(&b, "    - %s\n", strings.ReplaceAll(r, diffNull, "NULL"))
	}
	return b.String()
}

func diffHead(rows []string) []string { return rows[:min(len(rows), 10)] }

// diffMultiset returns the rows of a not in b and of b not in a, counting duplicates.
func diffMultiset(a, b []string) (onlyA, onlyB []string) {
	count := map[string]int{}
	for _, r := range b {
		count[r]++
	}
	for _, r := range a {
		if count[r] > 0 {
			count[r]--
		} else {
			onlyA = append(onlyA, r)
		}
	}
	for _, r := range b {
		if count[r] > 0 {
			count[r]--
			onlyB = append(onlyB, r)
		}
	}
	return onlyA, onlyB
}

// differentialData builds the test's rows (fixed, whatever the query seed) as SQL, and the
// values of each column over all tenants, for the generator's predicates. Amounts and discounts
// are multiples of 1/4, so sums are exact in any order.
func differentialData() (string, map[string][]any) {
	rng := rand.New(rand.NewPCG(20251201, 7))
	type tenant struct {
		name     string
		rows     int
		regions  []string
		products []string
	}
	tenants := []tenant{
		{"tenantA", 130, []string{"North", "South", "East"}, []string{"Alpha Kit"}},
		{"tenantB", 110, []string{"South", "West", "Central"}, []string{"Beta Box"}},
		{"default", 90, []string{"North", "West", "O'Hare"}, []string{"Delta%Pack"}},
		{"tenantC", 60, []string{"Arctic", "Antarctic"}, []string{"Secret_C"}},
	}
	shared := []string{"Widget", "Gadget", "Gizmo"}
	values := map[string][]any{}
	seen := map[string]map[any]bool{}
	add := func(col string, v any) {
		if seen[col] == nil {
			seen[col] = map[any]bool{}
		}
		if !seen[col][v] {
			seen[col][v] = true
			values[col] = append(values[col], v)
		}
	}
	str := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

	var b strings.Builder
	// The data is tiny: one engine thread per query beats coordinating several.
	b.WriteString(`SET threads = 1;
CREATE TABLE sales (
  sale_id     VARCHAR NOT NULL PRIMARY KEY,
  tenant_id   VARCHAR NOT NULL,
  region      VARCHAR,
  product     VARCHAR NOT NULL,
  customer    VARCHAR,
  sale_date   DATE,
  sold_at     TIMESTAMP,
  units       BIGINT,
  is_returned BOOLEAN,
  amount      DOUBLE  NOT NULL,
  discount    DOUBLE
);
INSERT INTO sales VALUES
`)
	id := 0
	for ti, tn := range tenants {
		add("tenant", tn.name)
		for r := range tn.rows {
			id++
			row := make([]string, 0, 11)
			row = append(row, str(fmt.Sprintf("s%04d", id)), str(tn.name))
			if rng.IntN(100) < 8 {
				row = append(row, "NULL")
			} else {
				v := tn.regions[rng.IntN(len(tn.regions))]
				add("region", v)
				row = append(row, str(v))
			}
			product := shared[rng.IntN(len(shared))]
			if rng.IntN(4) == 0 {
				product = tn.products[rng.IntN(len(tn.products))]
			}
			add("product", product)
			row = append(row, str(product))
			if rng.IntN(100) < 5 {
				row = append(row, "NULL")
			} else {
				c := fmt.Sprintf("cust%02d", rng.IntN(25))
				if rng.IntN(6) == 0 {
					c = fmt.Sprintf("%s-vip%d", tn.name, rng.IntN(3))
				}
				add("customer", c)
				row = append(row, str(c))
			}
			day := base.AddDate(0, 0, rng.IntN(730))
			if ti == 3 {
				day = day.AddDate(1, 0, 0) // tenantC's dates reach into 2026
			}
			if rng.IntN(100) < 6 {
				row = append(row, "NULL")
			} else {
				add("sale_date", day)
				row = append(row, "DATE '"+day.Format("2006-01-02")+"'")
			}
			if rng.IntN(100) < 4 {
				row = append(row, "NULL")
			} else {
				at := day.Add(time.Duration(rng.IntN(86400)) * time.Second)
				if r%17 == 0 {
					at = day // midnight: date_trunc('day') keeps it
				}
				add("sold_at", at)
				row = append(row, "TIMESTAMP '"+at.Format("2006-01-02 15:04:05")+"'")
			}
			if rng.IntN(100) < 5 {
				row = append(row, "NULL")
			} else {
				u := int64(1 + rng.IntN(20))
				add("units", u)
				row = append(row, strconv.FormatInt(u, 10))
			}
			switch x := rng.IntN(100); {
			case x < 8:
				row = append(row, "NULL")
			case x < 20:
				row = append(row, "TRUE")
			default:
				row = append(row, "FALSE")
			}
			row = append(row, strconv.FormatFloat(float64(1+rng.IntN(4000))/4, 'f', -1, 64))
			if rng.IntN(100) < 40 {
				row = append(row, "NULL")
			} else {
				row = append(row, strconv.FormatFloat(float64(rng.IntN(80))/2, 'f', -1, 64))
			}
			if id > 1 {
				b.WriteString(",\n")
			}
			b.WriteString("  (" + strings.Join(row, ", ") + ")")
		}
	}
	b.WriteString(";\n")
	values["returned"] = []any{true, false}
	values["size"] = []any{"large", "small"}
	// Thresholds for HAVING and for filters on aggregated values, at the scale of the data.
	for _, m := range []string{"total_amount", "returned_amount"} {
		values[m] = []any{10.0, 250.5, 1000.0, 5000.0, 20000.0}
	}
	values["amount_stddev"] = []any{0.0, 100.0, 250.0, 300.5}
	values["avg_price"] = []any{10.0, 50.5, 100.0, 250.0}
	for _, m := range []string{"sale_count", "row_count", "unique_customers", "total_units"} {
		values[m] = []any{0, 1, 2, 3, 5, 10, 40, 100}
	}
	for _, m := range []string{"avg_amount", "min_amount"} {
		values[m] = []any{1.0, 100.25, 500.0, 900.0, 999.75}
	}
	for _, m := range []string{"avg_units", "max_units"} {
		values[m] = []any{1, 5, 10, 10.5, 20}
	}
	values["first_customer"] = values["customer"]
	values["last_product"] = values["product"]
	values["last_sold"] = values["sold_at"]
	return b.String(), values
}
