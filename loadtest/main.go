// Command loadtest holds many concurrent PostgreSQL connections to a SetuPranali gateway and
// runs a mix of repeated (cacheable) and varied queries for a while, reporting throughput,
// latency percentiles, errors by SQLSTATE and the gateway's memory, threads and goroutines over
// time. By default it builds the gateway and runs it as a child process on loopback (the
// embedded demo), so it can read the gateway's /proc entry; -addr points it at a running one.
//
//	go run ./loadtest -conns 1000 -duration 30m
//	go run ./loadtest -conns 200 -duration 30s -check     # what CI runs
//
// With -check it exits 1 when any query failed (every error is unexpected: the demo keys are
// not rate limited and the connection cap is raised above -conns), when the gateway's peak RSS
// passed -max-rss-mb, or when, after the load ended and the connections closed, the gateway's
// goroutines did not come back to within -goroutine-slack of what it had before the load.
// docs/reliability.md has the figures of the long runs.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

type options struct {
	conns          int
	duration       time.Duration
	sample         time.Duration
	addr           string
	metricsURL     string
	keys           []string
	cachedShare    float64
	check          bool
	maxRSSMB       int
	goroutineSlack int
	settle         time.Duration
	jsonOut        string
	gatewayLog     string
	httpAddr       string
	odataClients   int
}

func main() {
	var o options
	var keys string
	flag.IntVar(&o.conns, "conns", 1000, "concurrent pg connections")
	flag.DurationVar(&o.duration, "duration", time.Minute, "how long to run the load")
	flag.DurationVar(&o.sample, "sample", 5*time.Second, "interval of the progress lines")
	flag.StringVar(&o.addr, "addr", "", "pg address of a running gateway (empty: build and start one)")
	flag.StringVar(&o.metricsURL, "metrics-url", "", "Prometheus /metrics of the gateway, for go_goroutines (found by itself for a gateway it starts, when the gateway serves one)")
	flag.StringVar(&keys, "keys", "tenantA-key,tenantB-key,dev-key-123", "API keys, spread over the connections")
	flag.Float64Var(&o.cachedShare, "cached", 0.7, "share of queries drawn from a small fixed set (cacheable); the rest vary")
	flag.BoolVar(&o.check, "check", false, "exit 1 on any query error, RSS past -max-rss-mb or goroutines left behind")
	flag.IntVar(&o.maxRSSMB, "max-rss-mb", 2048, "peak gateway RSS allowed with -check")
	flag.IntVar(&o.goroutineSlack, "goroutine-slack", 50, "goroutines above the pre-load count allowed after the load with -check")
	flag.DurationVar(&o.settle, "settle", 10*time.Second, "longest wait after the load for the gateway to wind down")
	flag.StringVar(&o.jsonOut, "json", "", "write the summary as JSON to this file")
	flag.StringVar(&o.gatewayLog, "gateway-log", "", "file for the started gateway's output (default: discarded)")
	flag.StringVar(&o.httpAddr, "http-addr", "", "HTTP address of a running gateway given by -addr, for the OData clients")
	flag.IntVar(&o.odataClients, "odata", 20, "concurrent OData clients (HTTP keep-alive), beside the pg connections; 0: none")
	flag.Parse()
	o.keys = strings.Split(keys, ",")
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// gateway is the server under load: its address and, when this tool started it, its process.
type gateway struct {
	addr       string
	httpAddr   string
	metricsURL string
	cmd        *exec.Cmd
	dir        string
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startGateway builds cmd/setupranali and runs the embedded demo with a connection cap above
// the load and rate limits off.
func startGateway(o options) (*gateway, error) {
	dir, err := os.MkdirTemp("", "setu-loadtest-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "setupranali")
	build := exec.Command("go", "build", "-o", bin, "./cmd/setupranali")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("building the gateway (run from the repository root): %w", err)
	}
	pgAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = "."
	cmd.Env = append(os.Environ(),
		"SETU_PG_ADDR="+pgAddr,
		"SETU_HTTP_ADDR="+httpAddr,
		"SETU_STATE_DB="+filepath.Join(dir, "state.db"),
		"SETU_MAX_CONNECTIONS="+strconv.Itoa(o.conns+50),
		// The load may come from one key (-keys): the per-key and per-tenant fairness caps are
		// not what it measures.
		"SETU_MAX_CONNECTIONS_PER_KEY="+strconv.Itoa(o.conns+50),
		"SETU_MAX_CONNECTIONS_PER_TENANT="+strconv.Itoa(o.conns+50),
		"RATE_LIMIT_ENABLED=false",
		"LOG_LEVEL=WARN",
	)
	out := io.Discard
	if o.gatewayLog != "" {
		f, err := os.Create(o.gatewayLog)
		if err != nil {
			return nil, err
		}
		out = f
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &gateway{addr: pgAddr, httpAddr: httpAddr, cmd: cmd, dir: dir, metricsURL: o.metricsURL}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", pgAddr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			g.stop()
			return nil, fmt.Errorf("the gateway did not listen on %s within a minute", pgAddr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if g.metricsURL == "" {
		// A gateway with the HTTP side server serves /metrics there; an older one does not.
		u := "http://" + httpAddr + "/metrics"
		if _, ok := scrapeGoroutines(u); ok {
			g.metricsURL = u
		}
	}
	return g, nil
}

func (g *gateway) stop() {
	if g.cmd != nil && g.cmd.Process != nil {
		g.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { g.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			g.cmd.Process.Kill()
			<-done
		}
	}
	if g.dir != "" {
		os.RemoveAll(g.dir)
	}
}

// stats is one reading of the gateway's resources; -1 where unknown.
type stats struct {
	RSSMB      float64 `json:"rss_mb"`
	Threads    int     `json:"threads"`
	Goroutines int     `json:"goroutines"`
}

func (g *gateway) stats() stats {
	s := stats{RSSMB: -1, Threads: -1, Goroutines: -1}
	if g.cmd != nil {
		if f, err := os.Open(fmt.Sprintf("/proc/%d/status", g.cmd.Process.Pid)); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				k, v, _ := strings.Cut(sc.Text(), ":")
				fields := strings.Fields(v)
				if len(fields) == 0 {
					continue
				}
				n, _ := strconv.Atoi(fields[0])
				switch k {
				case "VmRSS":
					s.RSSMB = float64(n) / 1024
				case "Threads":
					s.Threads = n
				}
			}
			f.Close()
		}
	}
	if g.metricsURL != "" {
		if n, ok := scrapeGoroutines(g.metricsURL); ok {
			s.Goroutines = n
		}
	}
	return s
}

func scrapeGoroutines(url string) (int, bool) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(f), err == nil
		}
	}
	return 0, false
}

// histogram holds latencies in buckets 2% apart, from 10µs.
type histogram struct {
	mu      sync.Mutex
	buckets []int64
	n       int64
	max     time.Duration
}

const (
	histBase   = 10 * time.Microsecond
	histGrowth = 1.02
)

func (h *histogram) add(d time.Duration) {
	i := 0
	if d > histBase {
		i = int(math.Log(float64(d)/float64(histBase)) / math.Log(histGrowth))
	}
	h.mu.Lock()
	for len(h.buckets) <= i {
		h.buckets = append(h.buckets, 0)
	}
	h.buckets[i]++
	h.n++
	h.max = max(h.max, d)
	h.mu.Unlock()
}

func (h *histogram) quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	want := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.buckets {
		seen += c
		if seen >= want {
			return time.Duration(float64(histBase) * math.Pow(histGrowth, float64(i+1)))
		}
	}
	return h.max
}

// load is the state shared by the workers.
type load struct {
	ok     atomic.Int64
	odata  atomic.Int64
	lat    histogram
	mu     sync.Mutex
	errs   map[string]int
	sample map[string]string // one message per error code
}

func (l *load) fail(err error) {
	code := "client:" + errorKind(err)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		code = pe.Code
	}
	l.mu.Lock()
	l.errs[code]++
	if _, ok := l.sample[code]; !ok {
		l.sample[code] = err.Error()
	}
	l.mu.Unlock()
}

func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET):
		return "connection-lost"
	}
	return "other"
}

func (l *load) errorCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.errs {
		n += c
	}
	return n
}

// cachedQueries repeat, so the result cache answers most of them; varied ones differ in a
// literal and reach the engine.
var cachedQueries = []string{
	"SELECT city, total_revenue FROM orders ORDER BY city",
	"SELECT city, total_revenue, orders_count FROM orders GROUP BY city ORDER BY 1",
	"SELECT order_date, orders_count FROM orders ORDER BY order_date",
	"SELECT total_revenue FROM orders",
}

func variedQuery(r *rand.Rand) (string, []any) {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("SELECT city, total_revenue FROM orders WHERE city <> 'nowhere-%d' ORDER BY city", r.IntN(1_000_000)), nil
	case 1:
		return "SELECT city, orders_count FROM orders WHERE city = $1", []any{[]string{"Indore", "Bhopal", "Delhi", "Mumbai", "Chennai"}[r.IntN(5)]}
	}
	return fmt.Sprintf("SELECT city, MEASURE(total_revenue) FROM orders WHERE order_date >= DATE '2025-11-%02d' GROUP BY 1 ORDER BY 1", 1+r.IntN(28)), nil
}

func (l *load) worker(ctx context.Context, conn *pgconn.PgConn, seed uint64, cachedShare float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for ctx.Err() == nil {
		var sql string
		var args []any
		if r.Float64() < cachedShare {
			sql = cachedQueries[r.IntN(len(cachedQueries))]
		} else {
			sql, args = variedQuery(r)
		}
		qctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		start := time.Now()
		var err error
		if args == nil {
			_, err = conn.Exec(qctx, sql).ReadAll()
		} else {
			res := conn.ExecParams(qctx, sql, [][]byte{[]byte(args[0].(string))}, nil, nil, nil).Read()
			err = res.Err
		}
		cancel()
		if err != nil {
			l.fail(err)
			if conn.IsClosed() {
				return
			}
			continue
		}
		l.lat.add(time.Since(start))
		l.ok.Add(1)
	}
}

// odataProbe checks that the gateway serves OData at all (an older one has no HTTP server).
func (l *load) odataProbe(httpAddr, key string) error {
	c := http.Client{Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", "http://"+httpAddr+"/odata/orders?$top=1", nil)
	req.Header.Set("X-API-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET /odata/orders: %s", resp.Status)
	}
	return nil
}

// odataWorker sends OData requests back to back over one keep-alive connection; an answer
// other than 200 counts as an error under "http:<status>".
func (l *load) odataWorker(ctx context.Context, httpAddr, key string, seed uint64, cachedShare float64) {
	r := rand.New(rand.NewPCG(seed, 11))
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := http.Client{Timeout: 60 * time.Second, Transport: tr}
	for ctx.Err() == nil {
		path := "/odata/orders?$select=city,total_revenue&$orderby=city"
		if r.Float64() >= cachedShare {
			path = fmt.Sprintf("/odata/orders?$select=city,orders_count&$filter=city%%20ne%%20%%27x%d%%27", r.IntN(1_000_000))
		}
		req, _ := http.NewRequest("GET", "http://"+httpAddr+path, nil)
		req.Header.Set("X-API-Key", key)
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			l.fail(err)
			continue
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			l.fail(err)
		case resp.StatusCode != 200:
			code := "http:" + strconv.Itoa(resp.StatusCode)
			l.mu.Lock()
			l.errs[code]++
			l.sample[code] = resp.Status
			l.mu.Unlock()
		default:
			l.lat.add(time.Since(start))
			l.ok.Add(1)
			l.odata.Add(1)
		}
	}
}

// summary is what a run reports.
type summary struct {
	Conns        int               `json:"conns"`
	ODataClients int               `json:"odata_clients"`
	Opened       int               `json:"opened"`
	Duration     string            `json:"duration"`
	Queries      int64             `json:"queries"`
	ODataQueries int64             `json:"odata_queries"`
	QPS          float64           `json:"qps"`
	P50ms        float64           `json:"p50_ms"`
	P99ms        float64           `json:"p99_ms"`
	Maxms        float64           `json:"max_ms"`
	Errors       map[string]int    `json:"errors"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	Before       stats             `json:"before"`
	Peak         stats             `json:"peak"`
	Mid          stats             `json:"mid"`
	End          stats             `json:"end"`
	After        stats             `json:"after"`
	Problems     []string          `json:"problems,omitempty"`
}

func run(o options) error {
	g := &gateway{addr: o.addr, httpAddr: o.httpAddr, metricsURL: o.metricsURL}
	if o.addr == "" {
		var err error
		if g, err = startGateway(o); err != nil {
			return err
		}
		defer g.stop()
	}
	host, port, err := net.SplitHostPort(g.addr)
	if err != nil {
		return err
	}
	sum := summary{Conns: o.conns, Errors: map[string]int{}}
	sum.Before = g.stats()
	fmt.Printf("gateway %s: before the load %s\n", g.addr, fmtStats(sum.Before))

	// Open the connections, 50 at a time.
	l := &load{errs: map[string]int{}, sample: map[string]string{}}
	conns := make([]*pgconn.PgConn, o.conns)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	openStart := time.Now()
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			key := o.keys[i%len(o.keys)]
			dsn := fmt.Sprintf("host=%s port=%s user=load dbname=setupranali password=%s sslmode=disable connect_timeout=30", host, port, key)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := pgconn.Connect(ctx, dsn)
			if err != nil {
				l.fail(err)
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			sum.Opened++
		}
	}
	fmt.Printf("opened %d of %d connections in %s\n", sum.Opened, o.conns, time.Since(openStart).Round(time.Millisecond))

	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	start := time.Now()
	for i, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.worker(ctx, c, uint64(i), o.cachedShare)
		}()
	}
	if o.odataClients > 0 && g.httpAddr != "" {
		if err := l.odataProbe(g.httpAddr, o.keys[0]); err != nil {
			fmt.Printf("no OData load: %v\n", err)
		} else {
			sum.ODataClients = o.odataClients
			for i := range o.odataClients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					l.odataWorker(ctx, g.httpAddr, o.keys[i%len(o.keys)], uint64(i), o.cachedShare)
				}()
			}
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	peak := func(s stats) {
		sum.Peak.RSSMB = max(sum.Peak.RSSMB, s.RSSMB)
		sum.Peak.Threads = max(sum.Peak.Threads, s.Threads)
		sum.Peak.Goroutines = max(sum.Peak.Goroutines, s.Goroutines)
	}
	sum.Peak = sum.Before
	tick := time.NewTicker(o.sample)
	defer tick.Stop()
	var lastOK int64
	lastT := start
	midTaken := false
loop:
	for {
		select {
		case <-done:
			break loop
		case now := <-tick.C:
			s := g.stats()
			peak(s)
			if !midTaken && now.Sub(start) >= o.duration/2 {
				sum.Mid, midTaken = s, true
			}
			ok := l.ok.Load()
			fmt.Printf("%7s  %8.0f q/s  p50 %6.1fms  p99 %7.1fms  errors %d  %s\n",
				now.Sub(start).Round(time.Second), float64(ok-lastOK)/now.Sub(lastT).Seconds(),
				ms(l.lat.quantile(0.5)), ms(l.lat.quantile(0.99)), l.errorCount(), fmtStats(s))
			lastOK, lastT = ok, now
		}
	}
	elapsed := time.Since(start)
	sum.End = g.stats()
	peak(sum.End)
	if !midTaken {
		sum.Mid = sum.End
	}
	for _, c := range conns {
		if c != nil {
			c.Close(context.Background())
		}
	}

	// Wait for the gateway to wind down: its goroutines back near the count before the load.
	settleEnd := time.Now().Add(o.settle)
	for {
		sum.After = g.stats()
		if sum.After.Goroutines < 0 || sum.After.Goroutines <= sum.Before.Goroutines+o.goroutineSlack || time.Now().After(settleEnd) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}

	sum.Duration = elapsed.Round(time.Millisecond).String()
	sum.Queries = l.ok.Load()
	sum.ODataQueries = l.odata.Load()
	sum.QPS = float64(sum.Queries) / elapsed.Seconds()
	sum.P50ms, sum.P99ms = ms(l.lat.quantile(0.5)), ms(l.lat.quantile(0.99))
	sum.Maxms = ms(l.lat.max)
	l.mu.Lock()
	sum.Errors, sum.ErrorSamples = l.errs, l.sample
	l.mu.Unlock()

	if n := l.errorCount(); n > 0 {
		sum.Problems = append(sum.Problems, fmt.Sprintf("%d queries or connections failed: %v", n, sum.Errors))
	}
	if sum.Opened < o.conns {
		sum.Problems = append(sum.Problems, fmt.Sprintf("only %d of %d connections opened", sum.Opened, o.conns))
	}
	if sum.Peak.RSSMB > float64(o.maxRSSMB) {
		sum.Problems = append(sum.Problems, fmt.Sprintf("peak RSS %.0f MiB is over %d MiB", sum.Peak.RSSMB, o.maxRSSMB))
	}
	if sum.After.Goroutines >= 0 && sum.Before.Goroutines >= 0 && sum.After.Goroutines > sum.Before.Goroutines+o.goroutineSlack {
		sum.Problems = append(sum.Problems, fmt.Sprintf("%d goroutines %s after the load, %d before", sum.After.Goroutines, o.settle, sum.Before.Goroutines))
	}

	fmt.Printf("\n%d connections and %d OData clients for %s: %d queries (%d of them OData), %.0f q/s, p50 %.1fms, p99 %.1fms, max %.1fms\n",
		sum.Opened, sum.ODataClients, sum.Duration, sum.Queries, sum.ODataQueries, sum.QPS, sum.P50ms, sum.P99ms, sum.Maxms)
	codes := make([]string, 0, len(sum.Errors))
	for c := range sum.Errors {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	fmt.Printf("errors by SQLSTATE: %d", l.errorCount())
	for _, c := range codes {
		fmt.Printf("  %s×%d (%s)", c, sum.Errors[c], sum.ErrorSamples[c])
	}
	fmt.Printf("\ngateway before %s\n        mid    %s\n        end    %s\n        peak   %s\n        after  %s\n",
		fmtStats(sum.Before), fmtStats(sum.Mid), fmtStats(sum.End), fmtStats(sum.Peak), fmtStats(sum.After))
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(sum, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if o.check && len(sum.Problems) > 0 {
		return fmt.Errorf("check failed:\n  %s", strings.Join(sum.Problems, "\n  "))
	}
	for _, p := range sum.Problems {
		fmt.Println("problem:", p)
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtStats(s stats) string {
	unknown := func(n int) string {
		if n < 0 {
			return "?"
		}
		return strconv.Itoa(n)
	}
	rss := "?"
	if s.RSSMB >= 0 {
		rss = fmt.Sprintf("%.0fMiB", s.RSSMB)
	}
	return fmt.Sprintf("rss %s threads %s goroutines %s", rss, unknown(s.Threads), unknown(s.Goroutines))
}
