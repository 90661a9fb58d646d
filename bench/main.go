// Command bench measures the gateway side by side with the engines it fronts, in one run on one
// machine: it generates a deterministic sales table, loads it into a DuckDB file and into a fresh
// PostgreSQL schema, starts the built gateway as a child process over both, and runs pairs P1-P6
// of issue 10 (see docs/performance.md), the catalog-fence figures F1-F2 of issue 15 (see
// docs/reliability.md), and the star join J1-J3 of issue 17 (join.go, star.go: a tenant's
// query across a one-to-many step against the hand-written SQL on DuckDB and on PostgreSQL, and
// the time to plan it). It prints a table and writes the figures as JSON.
//
//	go run ./bench -size small              # CI smoke run, well under two minutes
//	go run ./bench -size full -out full.json # 10M-row sales table, 10M order items
//	go run ./bench -size full -pairs J1,J2,J3 # the star join alone
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
)

// sizes are the run profiles: full is the 10M-row table; small is the CI smoke run.
type size struct {
	Name         string        `json:"name"`
	Rows         int64         `json:"rows"`
	StreamRows   int64         `json:"stream_rows"`
	LoadDuration time.Duration `json:"load_seconds_per_round"`
	LoadRounds   int           `json:"load_rounds"`
	Rounds       int           `json:"rounds"`
	Warmup       int           `json:"warmup"`
	IdleConns    int           `json:"idle_conns"`
	// The star schema of issue 17 (J1, J2): customers <- orders <- order_items.
	StarCustomers int64 `json:"star_customers"`
	StarOrders    int64 `json:"star_orders"`
	StarItems     int64 `json:"star_order_items"`
	// StarRounds are J1's and J2's timed rounds: more than Rounds, as a star join takes long
	// enough for the load of a shared machine to swing single rounds.
	StarRounds int `json:"star_rounds"`
}

var sizes = map[string]size{
	"small": {Name: "small", Rows: 200_000, StreamRows: 100_000, LoadDuration: 500 * time.Millisecond, LoadRounds: 1, Rounds: 3, Warmup: 1, IdleConns: 1000,
		StarCustomers: 2_000, StarOrders: 50_000, StarItems: 200_000, StarRounds: 5},
	"full": {Name: "full", Rows: 10_000_000, StreamRows: 1_000_000, LoadDuration: 5 * time.Second, LoadRounds: 3, Rounds: 7, Warmup: 2, IdleConns: 1000,
		StarCustomers: 100_000, StarOrders: 2_500_000, StarItems: 10_000_000, StarRounds: 11},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	size    size
	pgDSN   string
	key     string
	out     string
	gateway string
	conns   []int
	only    map[string]bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizeName := fs.String("size", "small", "small (CI smoke run) or full (10M-row sales table)")
	pgDSN := fs.String("pg", envOr("SETU_BENCH_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL to load and compare against (env SETU_BENCH_POSTGRES_DSN)")
	key := fs.String("key", "dev-key-123", "API key the clients authenticate with")
	out := fs.String("out", "", "JSON result file (default: $TMPDIR/setupranali-bench-<size>.json)")
	gw := fs.String("gateway", "", "gateway binary (default: go build ./cmd/setupranali into the run's temp dir)")
	pairs := fs.String("pairs", "P1,P2,P3,P4,P5,P6,F1,F2,J1,J2,J3", "pairs to run (F1, F2: the catalog engine's fence; J1-J3: the star join)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sz, ok := sizes[*sizeName]
	if !ok {
		return fmt.Errorf("-size must be small or full, got %q", *sizeName)
	}
	o := options{size: sz, pgDSN: *pgDSN, key: *key, out: *out, gateway: *gw, conns: []int{1, 4, 16}, only: map[string]bool{}}
	for _, p := range strings.Split(*pairs, ",") {
		o.only[strings.ToUpper(strings.TrimSpace(p))] = true
	}
	if o.out == "" {
		o.out = filepath.Join(os.TempDir(), "setupranali-bench-"+sz.Name+".json")
	}
	b := &bench{o: o, w: stdout, report: report{Size: sz, Started: time.Now().UTC()}}
	return b.run(ctx)
}

type bench struct {
	o      options
	w      io.Writer
	tmp    string
	schema string
	repo   string
	report report

	catalogPath, gatewayDuck, directDuck, bin string
	sql                                       map[string]string
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.w, "%s  %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (b *bench) run(ctx context.Context) (err error) {
	start := time.Now()
	if b.repo, err = repoRoot(); err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "setupranali-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	b.report.Machine = machineFacts(ctx, b.o.pgDSN)
	b.logf("size %s: %d rows; machine: %d cores, %s, load %s", b.o.size.Name, b.o.size.Rows, runtime.NumCPU(), b.report.Machine.CPU, b.report.Machine.LoadStart)

	b.bin = b.o.gateway
	if b.bin == "" {
		b.bin = filepath.Join(b.tmp, "setupranali")
		b.logf("building the gateway")
		linked := b.bin + ".linked"
		cmd := exec.CommandContext(ctx, "go", "build", "-o", linked, "./cmd/setupranali")
		cmd.Dir, cmd.Stdout, cmd.Stderr = b.repo, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
		// The gateway runs from a copy written the ordinary way, as an installed binary (a
		// package, an image layer) is. The linker writes its output through a memory map, and
		// Linux then keeps the file in the page cache in large folios that a process maps
		// whole: run from the linker's output, the same binary shows about 30 MB more resident
		// file pages than from a copy (75 against 45 MB here), which is the kernel's doing, not
		// the gateway's.
		if err := copyFile(linked, b.bin); err != nil {
			return err
		}
		if err := os.Chmod(b.bin, 0o755); err != nil {
			return err
		}
	}
	b.report.CacheAvailable = supportsCache(b.bin)

	// The catalog names the PostgreSQL schema; planning (P5, J3) reads it and no data.
	b.schema = fmt.Sprintf("setu_bench_%d_%d", time.Now().Unix(), os.Getpid())
	b.catalogPath = filepath.Join(b.tmp, "catalog.yaml")
	if err := writeCatalog(b.catalogPath, b.schema); err != nil {
		return err
	}
	if b.planningOnly() {
		var steps []func(context.Context) error
		if b.o.only["P5"] {
			steps = append(steps, b.p5)
		}
		if b.o.only["J3"] {
			steps = append(steps, b.j3)
		}
		return b.finish(ctx, start, steps...)
	}
	// Data: one DuckDB file for the gateway and a copy for the direct side (DuckDB locks a file
	// to one process), and a uniquely named PostgreSQL schema, dropped at the end.
	defer func() {
		if derr := dropPostgres(b.o.pgDSN, b.schema); derr != nil {
			err = errors.Join(err, fmt.Errorf("drop schema %s: %w", b.schema, derr))
		}
	}()
	t := time.Now()
	b.gatewayDuck = filepath.Join(b.tmp, "sales.duckdb")
	b.directDuck = filepath.Join(b.tmp, "direct.duckdb")
	salesRows := b.o.size.Rows
	if !b.readsSales() {
		// The catalog still names the table; it is left empty.
		salesRows = 0
	}
	if err := loadDuckDB(ctx, b.gatewayDuck, salesRows); err != nil {
		return err
	}
	if b.o.only["J1"] {
		if err := loadStarDuckDB(ctx, b.gatewayDuck, b.o.size); err != nil {
			return err
		}
	}
	if err := copyFile(b.gatewayDuck, b.directDuck); err != nil {
		return err
	}
	b.report.LoadDuckDBSeconds = time.Since(t).Seconds()
	t = time.Now()
	if err := loadPostgres(ctx, b.o.pgDSN, b.schema, salesRows); err != nil {
		return err
	}
	if b.o.only["J2"] {
		if err := loadStarPostgres(ctx, b.o.pgDSN, b.schema, b.o.size); err != nil {
			return err
		}
	}
	b.report.LoadPostgresSeconds = time.Since(t).Seconds()
	b.logf("data loaded: DuckDB %.1fs, PostgreSQL %.1fs (schema %s)", b.report.LoadDuckDBSeconds, b.report.LoadPostgresSeconds, b.schema)

	if err := b.planQueries(); err != nil {
		return err
	}

	steps := []struct {
		name string
		f    func(context.Context) error
	}{
		{"P5", b.p5}, {"J3", b.j3}, {"P1", b.p1}, {"P2", b.p2p3}, {"J1", b.j1}, {"J2", b.j2}, {"P4", b.p4}, {"P6", b.p6}, {"F1", b.f1}, {"F2", b.f2},
	}
	for _, s := range steps {
		if s.name == "P2" && !b.o.only["P2"] && !b.o.only["P3"] {
			continue
		}
		if s.name != "P2" && !b.o.only[s.name] {
			continue
		}
		if err := s.f(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return b.finish(ctx, start)
}

// finish runs the remaining steps, then prints and writes the report.
func (b *bench) finish(ctx context.Context, start time.Time, steps ...func(context.Context) error) error {
	for _, f := range steps {
		if err := f(ctx); err != nil {
			return err
		}
	}
	b.report.Machine.LoadEnd = loadAvg()
	b.report.Seconds = time.Since(start).Seconds()
	b.report.print(b.w)
	data, err := json.MarshalIndent(b.report, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(b.o.out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	b.logf("wrote %s (%.0fs in all)", b.o.out, b.report.Seconds)
	return nil
}

// Statements the clients send to the gateway; planQueries derives the engine SQL each runs, which
// the direct side of a pair runs as is.
const (
	dashboardSQL = "SELECT region, total_amount, sales_count FROM sales GROUP BY region"
	groupSQL     = "SELECT region, product, total_amount, sales_count, total_quantity FROM %s GROUP BY region, product"
	streamSQL    = "SELECT sale_id, region, product, channel, sale_date, amount FROM sales_pg WHERE sale_id < %d"
)

func (b *bench) planQueries() error {
	cat, err := catalog.LoadFile(b.catalogPath)
	if err != nil {
		return err
	}
	// As the gateway plans them: no row cap (QUERY_MAX_ROWS=0), an admin caller.
	p := planner.New(cat, planner.Config{PlanCacheSize: -1})
	admin := auth.Principal{KeyID: "bench", Tenants: []string{"default"}, Role: auth.RoleAdmin}
	b.sql = map[string]string{
		"group_duckdb":   fmt.Sprintf(groupSQL, "sales"),
		"group_postgres": fmt.Sprintf(groupSQL, "sales_pg"),
		"stream":         fmt.Sprintf(streamSQL, b.o.size.StreamRows),
	}
	// The star join runs as a tenant; its reference is hand-written (star.go).
	tenant := auth.Principal{KeyID: "bench", Tenants: []string{starTenant}, Role: auth.RoleViewer}
	b.sql["star_duckdb"], b.sql["star_postgres"] = starGatewaySQL(""), starGatewaySQL("_pg")
	b.sql["reference_star_duckdb"] = starReferenceSQL("")
	b.sql["reference_star_postgres"] = starReferenceSQL(pgx.Identifier{b.schema}.Sanitize() + ".")
	for _, name := range []string{"group_duckdb", "group_postgres", "stream", "star_duckdb", "star_postgres"} {
		who := admin
		if strings.HasPrefix(name, "star_") {
			who = tenant
		}
		stmts, err := p.Parse(b.sql[name])
		if err != nil {
			return err
		}
		plan, err := p.Plan(context.Background(), planner.Session{Principal: who, Database: "setupranali"}, stmts[0])
		if err != nil {
			return fmt.Errorf("plan %s: %w", name, err)
		}
		b.sql["engine_"+name] = plan.SQL
	}
	b.report.Queries = b.sql
	return nil
}

func (b *bench) gatewayOpts(cache bool) gatewayOptions {
	return gatewayOptions{
		bin: b.bin, catalog: b.catalogPath, duckdbPath: b.gatewayDuck, pgDSN: b.o.pgDSN,
		stateDB: filepath.Join(b.tmp, "state.db"), cache: cache, maxConns: b.o.size.IdleConns + 100,
	}
}

func (b *bench) connectGateway(g *gatewayProc, mode string) func(context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, g.connString(b.o.key, mode)) }
}

func (b *bench) connectPG(mode string) func(context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig(b.o.pgDSN)
		if err != nil {
			return nil, err
		}
		if mode == "simple_protocol" {
			cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
}

// p1: the dashboard aggregate through the gateway with a warm result cache against PostgreSQL
// answering a select by primary key, closed loop, 1/4/16 connections, both protocols.
func (b *bench) p1(ctx context.Context) error {
	g, err := startGateway(ctx, b.gatewayOpts(true), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	note := "gateway result cache warm"
	if !b.report.CacheAvailable {
		note = "PENDING the result cache: gateway side is the uncached repeat (plan cache only)"
	}
	pkSQL := fmt.Sprintf("SELECT sale_id, region, amount FROM %s.sales WHERE sale_id = $1", pgx.Identifier{b.schema}.Sanitize())
	rows := b.o.size.Rows
	for _, mode := range []string{"cache_statement", "simple_protocol"} {
		for _, n := range b.o.conns {
			var gw, pg throughput
			for r := 0; r < b.o.size.LoadRounds; r++ {
				sides := []func() error{
					func() error {
						t, err := runLoad(ctx, b.connectGateway(g, mode), n, b.o.size.LoadDuration, 1, func(c *pgx.Conn, _ *rand.Rand) queryFunc {
							return pgxQuery(c, dashboardSQL)
						})
						gw.qps, gw.lat = append(gw.qps, t.qps...), append(gw.lat, t.lat...)
						return err
					},
					func() error {
						t, err := runLoad(ctx, b.connectPG(mode), n, b.o.size.LoadDuration, 1, func(c *pgx.Conn, rng *rand.Rand) queryFunc {
							return func(ctx context.Context) (int64, error) {
								return pgxQuery(c, pkSQL, rng.Int64N(rows))(ctx)
							}
						})
						pg.qps, pg.lat = append(pg.qps, t.qps...), append(pg.lat, t.lat...)
						return err
					},
				}
				if r%2 == 1 {
					sides[0], sides[1] = sides[1], sides[0]
				}
				for _, f := range sides {
					if err := f(); err != nil {
						return err
					}
				}
			}
			res := result{
				Pair: "P1", Case: fmt.Sprintf("%s, %d conn", modeName(mode), n), Conns: n, Mode: modeName(mode), Unit: "q/s",
				Gateway: fromThroughput(gw), Reference: fromThroughput(pg), ReferenceName: "PostgreSQL select by PK",
				Higher: true, Target: 1.0, Note: note,
			}
			b.add(res)
		}
	}
	return nil
}

func modeName(mode string) string {
	if mode == "simple_protocol" {
		return "simple"
	}
	return "extended"
}

// p2p3: the group-by over the whole table, uncached through the gateway against the same engine
// SQL straight on duckdb-go (P2) and pgx (P3).
func (b *bench) p2p3(ctx context.Context) error {
	g, err := startGateway(ctx, b.gatewayOpts(false), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	gc, err := pgx.Connect(ctx, g.connString(b.o.key, "cache_statement"))
	if err != nil {
		return err
	}
	defer gc.Close(context.Background())
	if b.o.only["P2"] {
		db, closeDB, err := b.openDirectDuck(ctx)
		if err != nil {
			return err
		}
		defer closeDB()
		s, err := timeInterleaved(ctx, b.o.size.Warmup, b.o.size.Rounds, pgxQuery(gc, b.sql["group_duckdb"]), duckQuery(db, b.sql["engine_group_duckdb"]))
		if err != nil {
			return err
		}
		b.add(result{Pair: "P2", Case: fmt.Sprintf("group-by over %d rows (%d groups)", b.o.size.Rows, s[0].rows), Conns: 1, Mode: "extended", Unit: "ms",
			Gateway: fromTimes(s[0]), Reference: fromTimes(s[1]), ReferenceName: "duckdb-go in-process", Target: 1.05})
	}
	if b.o.only["P3"] {
		pc, err := b.connectPG("cache_statement")(ctx)
		if err != nil {
			return err
		}
		defer pc.Close(context.Background())
		s, err := timeInterleaved(ctx, b.o.size.Warmup, b.o.size.Rounds, pgxQuery(gc, b.sql["group_postgres"]), pgxQuery(pc, b.sql["engine_group_postgres"]))
		if err != nil {
			return err
		}
		b.add(result{Pair: "P3", Case: fmt.Sprintf("group-by over %d rows (%d groups)", b.o.size.Rows, s[0].rows), Conns: 1, Mode: "extended", Unit: "ms",
			Gateway: fromTimes(s[0]), Reference: fromTimes(s[1]), ReferenceName: "pgx on PostgreSQL", Target: 1.10})
	}
	return nil
}

// p4: a large result streamed through the gateway from PostgreSQL against PostgreSQL directly,
// with the gateway's peak RSS over the phase (a fresh gateway process).
func (b *bench) p4(ctx context.Context) error {
	g, err := startGateway(ctx, b.gatewayOpts(false), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	gc, err := pgx.Connect(ctx, g.connString(b.o.key, "cache_statement"))
	if err != nil {
		return err
	}
	defer gc.Close(context.Background())
	pc, err := b.connectPG("cache_statement")(ctx)
	if err != nil {
		return err
	}
	defer pc.Close(context.Background())
	// The gateway must hand the client exactly the bytes PostgreSQL would, in binary (extended
	// protocol) and in text (simple protocol).
	if err := b.sameRows(ctx, g, gc, pc); err != nil {
		return err
	}
	// Start-up garbage (the catalog emulation is built at start) is returned to the system
	// within seconds; the phase's peak is measured from the settled state.
	time.Sleep(3 * time.Second)
	before, err := g.memory()
	if err != nil {
		return err
	}
	_ = g.resetPeak()
	s, err := timeInterleaved(ctx, 1, max(b.o.size.Rounds-2, 3), pgxQuery(gc, b.sql["stream"]), pgxQuery(pc, b.sql["engine_stream"]))
	if err != nil {
		return err
	}
	after, err := g.memory()
	if err != nil {
		return err
	}
	if s[0].rows != b.o.size.StreamRows {
		return fmt.Errorf("gateway streamed %d rows, want %d", s[0].rows, b.o.size.StreamRows)
	}
	rate := func(sm sample) stat {
		var rs []float64
		for _, d := range sm.times {
			rs = append(rs, float64(sm.rows)/d.Seconds())
		}
		st := fromTimes(sm)
		return stat{Median: median(rs), P50: st.P50, P99: st.P99, Rounds: rs}
	}
	b.add(result{Pair: "P4", Case: fmt.Sprintf("stream %d rows x 6 columns", b.o.size.StreamRows), Conns: 1, Mode: "extended", Unit: "rows/s",
		Gateway: rate(s[0]), Reference: rate(s[1]), ReferenceName: "pgx on PostgreSQL", Higher: true, Target: 0.8})
	b.add(result{Pair: "P4", Case: "gateway peak RSS while streaming", Unit: "MB", Absolute: true,
		Gateway: stat{Median: mb(after.hwm)}, Limit: 100,
		Note: fmt.Sprintf("%.1f MB more than before the phase (%.1f MB, of which anonymous %.1f MB; the rest is pages of the binary with DuckDB and the PostgreSQL parser in it); after it %.1f MB",
			mb(after.hwm-before.rss), mb(before.rss), mb(before.anon), mb(after.rss))})
	return nil
}

// sameRows compares the stream query's rows through the gateway and straight from PostgreSQL,
// byte for byte and in any order, on the extended-protocol connections given and on
// simple-protocol ones.
func (b *bench) sameRows(ctx context.Context, g *gatewayProc, gc, pc *pgx.Conn) error {
	gs, err := b.connectGateway(g, "simple_protocol")(ctx)
	if err != nil {
		return err
	}
	defer gs.Close(context.Background())
	ps, err := b.connectPG("simple_protocol")(ctx)
	if err != nil {
		return err
	}
	defer ps.Close(context.Background())
	for _, c := range []struct {
		mode   string
		gw, pg *pgx.Conn
	}{{"extended", gc, pc}, {"simple", gs, ps}} {
		gn, gsum, err := pgxChecksum(ctx, c.gw, b.sql["stream"])
		if err != nil {
			return err
		}
		pn, psum, err := pgxChecksum(ctx, c.pg, b.sql["engine_stream"])
		if err != nil {
			return err
		}
		if gn != pn || gsum != psum {
			return fmt.Errorf("%s protocol: streamed rows differ: gateway %d rows (sum %x), PostgreSQL %d rows (sum %x)", c.mode, gn, gsum, pn, psum)
		}
	}
	return nil
}

// p6: the gateway's RSS with many idle authenticated connections (a fresh gateway process).
func (b *bench) p6(ctx context.Context) error {
	g, err := startGateway(ctx, b.gatewayOpts(false), b.o.key)
	if err != nil {
		return err
	}
	defer g.stop()
	time.Sleep(500 * time.Millisecond)
	before, err := g.memory()
	if err != nil {
		return err
	}
	n := b.o.size.IdleConns
	conns := make([]*pgconn.PgConn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close(context.Background())
			}
		}
	}()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := pgconn.Connect(ctx, g.connString(b.o.key, "simple_protocol"))
				if err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return fmt.Errorf("opening %d connections: %w", n, first)
	}
	connectTime := time.Since(start)
	// Every connection ran a query once, as a BI tool's pool would have, then idles.
	for _, c := range conns {
		if _, err := c.Exec(ctx, "SELECT 1").ReadAll(); err != nil {
			return err
		}
	}
	time.Sleep(time.Second)
	after, err := g.memory()
	if err != nil {
		return err
	}
	b.add(result{Pair: "P6", Case: fmt.Sprintf("RSS with %d idle authenticated connections", n), Unit: "MB", Absolute: true,
		Gateway: stat{Median: mb(after.rss)}, Limit: 150,
		Note: fmt.Sprintf("%.1f MB with none; %.1f KB per connection; peak %.1f MB; anonymous %.1f MB; %d connections opened in %s",
			mb(before.rss), float64(after.rss-before.rss)/1024/float64(n), mb(after.hwm), mb(after.anon), n, connectTime.Round(time.Millisecond))})
	return nil
}

// p5: planning time of a repeated and a new statement over the planner's golden cases.
func (b *bench) p5(ctx context.Context) error {
	r, err := benchPlanner(b.repo)
	if err != nil {
		return err
	}
	b.report.Plan = &r
	b.add(result{Pair: "P5", Case: fmt.Sprintf("repeated statement (mean of %d golden cases)", r.Cases), Unit: "µs", Absolute: true,
		Gateway: stat{Median: r.RepeatedNs / 1e3}, Limit: 20, Note: fmt.Sprintf("CPU %.1f µs/plan; %d allocs/plan; Power BI wrapped shape alone %.1f µs", r.RepeatedCPUNs/1e3, r.AllocsRep, r.PowerBIRepNs/1e3)})
	b.add(result{Pair: "P5", Case: fmt.Sprintf("new statement (mean of %d golden cases)", r.Cases), Unit: "µs", Absolute: true,
		Gateway: stat{Median: r.NewNs / 1e3}, Limit: 300, Note: fmt.Sprintf("CPU %.1f µs/plan; %d allocs/plan; Power BI wrapped shape alone %.1f µs", r.NewCPUNs/1e3, r.AllocsNew, r.PowerBINewNs/1e3)})
	return nil
}

// planningOnly reports whether every pair asked for only plans (P5, J3), so no data is loaded
// and no gateway started.
func (b *bench) planningOnly() bool {
	for p := range b.o.only {
		if p != "P5" && p != "J3" {
			return false
		}
	}
	return true
}

// j3: planning the star join of J1 as a new statement (no parse or plan cache).
func (b *bench) j3(ctx context.Context) error {
	r, err := benchStarPlan(b.catalogPath, 5)
	if err != nil {
		return err
	}
	b.report.StarPlan = &r
	b.add(result{Pair: "J3", Case: "new plan of the 3-way star join (median of 5 runs)", Unit: "µs", Absolute: true,
		Gateway: stat{Median: r.Ns / 1e3, Rounds: scale(r.RunsNs, 1e-3)}, Limit: 1000,
		Note: fmt.Sprintf("CPU %.1f µs/plan; %d allocs/plan, %.1f KB/plan", r.CPUNs/1e3, r.Allocs, float64(r.Bytes)/1024)})
	return nil
}

func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

// readsSales reports whether a pair asked for reads the sales table.
func (b *bench) readsSales() bool {
	for _, p := range []string{"P1", "P2", "P3", "P4", "F1", "F2"} {
		if b.o.only[p] {
			return true
		}
	}
	return false
}

func (b *bench) add(r result) {
	r.finish()
	b.report.Results = append(b.report.Results, r)
	b.logf("%s", r.line())
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the repository (go run ./bench)")
	}
	return filepath.Dir(mod), nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
