package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/internal/testkit"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// fakeBackend answers every query with rows, counting executions; gate, when set, holds each
// Query until it is closed.
type fakeBackend struct {
	rows  [][]any
	runs  atomic.Int64
	gate  chan struct{}
	err   error
	query func(sql string, args []any) [][]any
}

func (b *fakeBackend) Query(ctx context.Context, sql string, args []any) (Rows, error) {
	b.runs.Add(1)
	if b.gate != nil {
		select {
		case <-b.gate:
		case <-ctx.Done():
			return nil, sqlerr.New(sqlerr.QueryCanceled, "canceled")
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	rows := b.rows
	if b.query != nil {
		rows = b.query(sql, args)
	}
	return &fakeRows{rows: rows, i: -1}, nil
}

func (b *fakeBackend) Close() error { return nil }

type fakeRows struct {
	rows [][]any
	i    int
}

func (r *fakeRows) Next() bool             { r.i++; return r.i < len(r.rows) }
func (r *fakeRows) Values() ([]any, error) { return r.rows[r.i], nil }
func (r *fakeRows) Err() error             { return nil }
func (r *fakeRows) Close() error           { return nil }

// collect is a RowWriter keeping copies of the rows, in the formats it asks for.
type collect struct {
	formats []int16
	rows    [][]string
	failAt  int
}

func (c *collect) WriteRow(values [][]byte) error {
	if c.failAt > 0 && len(c.rows) == c.failAt {
		return errors.New("client gone")
	}
	row := make([]string, len(values))
	for i, v := range values {
		if v == nil {
			row[i] = "NULL"
		} else {
			row[i] = fmt.Sprintf("%q", v)
		}
	}
	c.rows = append(c.rows, row)
	return nil
}

func (c *collect) Formats() []int16 { return c.formats }

func testPlan() *planner.Plan {
	return &planner.Plan{
		Kind:           planner.KindQuery,
		SQL:            "SELECT city, revenue FROM t",
		Columns:        []planner.Column{{Name: "city", Type: pgtypes.Text}, {Name: "revenue", Type: pgtypes.Int8}},
		Tag:            "SELECT",
		Datasets:       []string{"orders"},
		CatalogVersion: "v1",
		CacheScope:     "role=viewer;tenants=1,7:tenantA;scopes=0",
	}
}

func demoRows(n int) [][]any {
	out := make([][]any, n)
	for i := range out {
		var city any = fmt.Sprintf("city%d", i)
		if i%3 == 2 {
			city = nil
		}
		if i == 1 {
			city = ""
		}
		out[i] = []any{city, int64(i * 10)}
	}
	return out
}

func newCachedExecutor(be *fakeBackend, cfg CacheConfig) (*Executor, *ResultCache) {
	rc := NewResultCache(cfg)
	return New(Config{Backends: map[string]Backend{"duckdb": be}, Default: "duckdb", Cache: rc}), rc
}

func run(t *testing.T, ex *Executor, plan *planner.Plan, args []any, formats []int16) (*collect, Result) {
	t.Helper()
	w := &collect{formats: formats}
	res, err := ex.Execute(context.Background(), admission.Caller{}, plan, args, w)
	if err != nil {
		t.Fatal(err)
	}
	return w, res
}

func TestCacheHitAfterMiss(t *testing.T) {
	be := &fakeBackend{rows: demoRows(7)}
	ex, rc := newCachedExecutor(be, CacheConfig{})
	plain := New(Config{Backends: map[string]Backend{"duckdb": be}, Default: "duckdb"})
	for _, formats := range [][]int16{nil, {0, 1}, {1, 1}} {
		want, _ := run(t, plain, testPlan(), nil, formats)
		before := be.runs.Load()
		first, res1 := run(t, ex, testPlan(), nil, formats)
		second, res2 := run(t, ex, testPlan(), nil, formats)
		if res1.Cache != CacheMiss || res2.Cache != CacheHit {
			t.Errorf("formats %v: cache = %q then %q, want miss then hit", formats, res1.Cache, res2.Cache)
		}
		if got := be.runs.Load() - before; got != 1 {
			t.Errorf("formats %v: backend ran %d times, want 1", formats, got)
		}
		if !slices.EqualFunc(first.rows, want.rows, slices.Equal) || !slices.EqualFunc(second.rows, want.rows, slices.Equal) {
			t.Errorf("formats %v: rows differ from an uncached run:\nuncached %v\nmiss     %v\nhit      %v", formats, want.rows, first.rows, second.rows)
		}
		if res2.Rows != 7 || res1.Rows != 7 {
			t.Errorf("rows = %d, %d, want 7", res1.Rows, res2.Rows)
		}
	}
	if got := testutil.ToFloat64(rc.hits); got != 3 {
		t.Errorf("hits metric = %v, want 3", got)
	}
	if got := testutil.ToFloat64(rc.misses); got != 3 {
		t.Errorf("misses metric = %v, want 3", got)
	}
}

func TestCacheKeySeparates(t *testing.T) {
	be := &fakeBackend{rows: demoRows(2)}
	ex, _ := newCachedExecutor(be, CacheConfig{})
	base := testPlan()
	run(t, ex, base, nil, nil)
	variants := map[string]func(p *planner.Plan){
		"tenant":          func(p *planner.Plan) { p.CacheScope = "role=viewer;tenants=1,7:tenantB;scopes=0" },
		"role":            func(p *planner.Plan) { p.CacheScope = "role=admin;tenants=1,7:tenantA;scopes=0" },
		"scopes":          func(p *planner.Plan) { p.CacheScope = "role=viewer;tenants=1,7:tenantA;scopes=1,6:orders" },
		"catalog version": func(p *planner.Plan) { p.CatalogVersion = "v2" },
		"source":          func(p *planner.Plan) { p.Source = "duckdb" },
		"sql":             func(p *planner.Plan) { p.SQL += " " },
		"row cap":         func(p *planner.Plan) { p.MaxRows = 5 },
		"column type":     func(p *planner.Plan) { p.Columns[1].Type = pgtypes.Int4 },
	}
	for name, change := range variants {
		p := testPlan()
		change(p)
		_, res := run(t, ex, p, nil, nil)
		if res.Cache != CacheMiss {
			t.Errorf("%s changed: cache = %q, want miss", name, res.Cache)
		}
		if _, res := run(t, ex, p, nil, nil); res.Cache != CacheHit {
			t.Errorf("%s changed, again: cache = %q, want hit", name, res.Cache)
		}
	}
	// Formats and parameter values.
	if _, res := run(t, ex, base, nil, []int16{0, 1}); res.Cache != CacheMiss {
		t.Errorf("binary column: cache = %q, want miss", res.Cache)
	}
	withParam := testPlan()
	withParam.Params = []pgtypes.Type{pgtypes.Text}
	for _, arg := range []any{"1", int64(1), nil, "2"} {
		if _, res := run(t, ex, withParam, []any{arg}, nil); res.Cache != CacheMiss {
			t.Errorf("argument %#v: cache = %q, want miss", arg, res.Cache)
		}
	}
	if _, res := run(t, ex, withParam, []any{"1"}, nil); res.Cache != CacheHit {
		t.Errorf("argument \"1\" again: cache = %q, want hit", res.Cache)
	}
}

func TestCacheKeyScopeNotForgeable(t *testing.T) {
	a, b := testPlan(), testPlan()
	a.CacheScope, b.CacheScope = "x", "y"
	if cacheKey(a, nil, nil) == cacheKey(b, nil, nil) {
		t.Fatal("different scopes share a key")
	}
	// Moving text between SQL and scope must not give the same key.
	a.CacheScope, a.SQL = "ab", "c"
	b.CacheScope, b.SQL = "a", "bc"
	if cacheKey(a, nil, nil) == cacheKey(b, nil, nil) {
		t.Fatal("length prefixes missing: shifted fields share a key")
	}
}

func TestCacheTooLargeStreamsUncached(t *testing.T) {
	be := &fakeBackend{rows: demoRows(25)}
	ex, rc := newCachedExecutor(be, CacheConfig{MaxRows: 10})
	for i := range 2 {
		w, res := run(t, ex, testPlan(), nil, nil)
		if res.Cache != CacheBypass || res.Rows != 25 || len(w.rows) != 25 {
			t.Fatalf("run %d: cache %q, %d rows reported, %d written; want bypass and 25", i, res.Cache, res.Rows, len(w.rows))
		}
		if w.rows[24][1] != `"240"` {
			t.Fatalf("last row = %v", w.rows[24])
		}
	}
	if be.runs.Load() != 2 {
		t.Errorf("backend ran %d times, want 2", be.runs.Load())
	}
	if n := rc.store.(*MemoryStore).Len(); n != 0 {
		t.Errorf("%d entries stored, want 0", n)
	}
	// Exactly at the limit is cached.
	be.rows = demoRows(10)
	p := testPlan()
	p.SQL = "other"
	run(t, ex, p, nil, nil)
	if _, res := run(t, ex, p, nil, nil); res.Cache != CacheHit {
		t.Errorf("10 rows with CACHE_MAX_ROWS 10: cache = %q, want hit", res.Cache)
	}
}

func TestCacheTruncatedKept(t *testing.T) {
	be := &fakeBackend{rows: demoRows(8)}
	ex, _ := newCachedExecutor(be, CacheConfig{})
	p := testPlan()
	p.MaxRows = 5
	_, r1 := run(t, ex, p, nil, nil)
	w, r2 := run(t, ex, p, nil, nil)
	if !r1.Truncated || !r2.Truncated || r2.Rows != 5 || len(w.rows) != 5 || r2.Cache != CacheHit {
		t.Errorf("truncated result: miss %+v, hit %+v (%d rows)", r1, r2, len(w.rows))
	}
}

func TestCacheSingleFlight(t *testing.T) {
	const n = 8
	be := &fakeBackend{rows: demoRows(4), gate: make(chan struct{})}
	ex, rc := newCachedExecutor(be, CacheConfig{})
	var wg sync.WaitGroup
	results := make([]Result, n)
	errs := make([]error, n)
	writers := make([]*collect, n)
	for i := range n {
		writers[i] = &collect{}
		wg.Go(func() {
			results[i], errs[i] = ex.Execute(context.Background(), admission.Caller{}, testPlan(), nil, writers[i])
		})
	}
	// Wait until the leader is in the backend and everyone else waits on its flight.
	testkit.Eventually(t, "the leader in the backend and every other query waiting on its flight", func() bool {
		rc.mu.Lock()
		f := rc.flights[cacheKey(testPlan(), nil, nil)]
		rc.mu.Unlock()
		return f != nil && be.runs.Load() == 1 && waiters(rc) == n-1
	})
	close(be.gate)
	wg.Wait()
	if got := be.runs.Load(); got != 1 {
		t.Fatalf("backend ran %d times for %d identical concurrent queries, want 1", got, n)
	}
	counts := map[string]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		counts[results[i].Cache]++
		if !slices.EqualFunc(writers[i].rows, writers[0].rows, slices.Equal) || len(writers[i].rows) != 4 {
			t.Errorf("query %d got %v, query 0 %v", i, writers[i].rows, writers[0].rows)
		}
	}
	if counts[CacheMiss] != 1 || counts[CacheShared] != n-1 {
		t.Errorf("outcomes %v, want 1 miss and %d shared", counts, n-1)
	}
	if got := testutil.ToFloat64(rc.shared); got != n-1 {
		t.Errorf("shared metric = %v, want %d", got, n-1)
	}
}

// waiters counts the queries blocked on a flight, seen through the shared counter test hook.
func waiters(rc *ResultCache) int { return int(rc.waiting.Load()) }

func TestCacheSingleFlightLeaderCanceled(t *testing.T) {
	be := &fakeBackend{rows: demoRows(3), gate: make(chan struct{})}
	ex, rc := newCachedExecutor(be, CacheConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := ex.Execute(ctx, admission.Caller{}, testPlan(), nil, &collect{})
		leaderErr <- err
	}()
	testkit.Eventually(t, "the leader in the backend", func() bool { return be.runs.Load() == 1 })
	follower := make(chan Result, 1)
	w := &collect{}
	go func() {
		res, err := ex.Execute(context.Background(), admission.Caller{}, testPlan(), nil, w)
		if err != nil {
			t.Error(err)
		}
		follower <- res
	}()
	testkit.Eventually(t, "the follower waiting on the leader's flight", func() bool { return waiters(rc) == 1 })
	cancel()
	if err := <-leaderErr; err == nil {
		t.Fatal("cancelled leader succeeded")
	}
	close(be.gate)
	res := <-follower
	if res.Cache != CacheMiss || len(w.rows) != 3 {
		t.Errorf("follower of a cancelled leader: %+v, %d rows; want it to run the query itself", res, len(w.rows))
	}
}

func TestCacheErrorsNotCached(t *testing.T) {
	be := &fakeBackend{err: sqlerr.New(sqlerr.DivisionByZero, "division by zero")}
	ex, _ := newCachedExecutor(be, CacheConfig{})
	for range 2 {
		if _, err := ex.Execute(context.Background(), admission.Caller{}, testPlan(), nil, &collect{}); err == nil {
			t.Fatal("error lost")
		}
	}
	if be.runs.Load() != 2 {
		t.Errorf("backend ran %d times, want 2 (errors are not cached)", be.runs.Load())
	}
}

func TestCacheTTL(t *testing.T) {
	be := &fakeBackend{rows: demoRows(2)}
	store := NewMemoryStore(0)
	now := time.Unix(1000, 0)
	store.now = func() time.Time { return now }
	ex, _ := newCachedExecutor(be, CacheConfig{Store: store, TTL: 60 * time.Second})
	short := testPlan()
	short.SQL = "short"
	short.CacheTTL = 5 * time.Second
	never := testPlan()
	never.SQL = "never"
	never.CacheTTL = -1
	run(t, ex, testPlan(), nil, nil)
	run(t, ex, short, nil, nil)
	now = now.Add(6 * time.Second)
	if _, res := run(t, ex, testPlan(), nil, nil); res.Cache != CacheHit {
		t.Errorf("after 6s of a 60s TTL: %q, want hit", res.Cache)
	}
	if _, res := run(t, ex, short, nil, nil); res.Cache != CacheMiss {
		t.Errorf("after 6s of the dataset's 5s TTL: %q, want miss", res.Cache)
	}
	now = now.Add(55 * time.Second)
	if _, res := run(t, ex, testPlan(), nil, nil); res.Cache != CacheMiss {
		t.Errorf("after 61s of a 60s TTL: %q, want miss", res.Cache)
	}
	for range 2 {
		if _, res := run(t, ex, never, nil, nil); res.Cache != CacheBypass {
			t.Errorf("ttlSeconds 0: %q, want bypass", res.Cache)
		}
	}
}

// flakyStore fails while down is set.
type flakyStore struct {
	*MemoryStore
	down atomic.Bool
}

func (f *flakyStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if f.down.Load() {
		return nil, false, errors.New("connection refused")
	}
	return f.MemoryStore.Get(ctx, key)
}

func (f *flakyStore) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if f.down.Load() {
		return errors.New("OOM command not allowed")
	}
	return f.MemoryStore.Set(ctx, key, v, ttl)
}

func TestCacheStoreDown(t *testing.T) {
	be := &fakeBackend{rows: demoRows(3)}
	store := &flakyStore{MemoryStore: NewMemoryStore(0)}
	ex, rc := newCachedExecutor(be, CacheConfig{Store: store, StoreRetry: time.Hour})
	store.down.Store(true)
	w, res := run(t, ex, testPlan(), nil, nil)
	if res.Cache != CacheBypass || len(w.rows) != 3 {
		t.Fatalf("store down: %+v with %d rows, want bypass with 3", res, len(w.rows))
	}
	store.down.Store(false)
	// The breaker keeps the store out for StoreRetry.
	if _, res := run(t, ex, testPlan(), nil, nil); res.Cache != CacheBypass {
		t.Errorf("within the retry interval: %q, want bypass", res.Cache)
	}
	if got := testutil.ToFloat64(rc.storeErrors.WithLabelValues("get")); got != 1 {
		t.Errorf("store errors = %v, want 1", got)
	}
	rc.downUntil.Store(time.Now().Add(-time.Second).UnixNano())
	run(t, ex, testPlan(), nil, nil)
	if _, res := run(t, ex, testPlan(), nil, nil); res.Cache != CacheHit {
		t.Errorf("after the store came back: %q, want hit", res.Cache)
	}
}

func TestCachePurge(t *testing.T) {
	be := &fakeBackend{rows: demoRows(2)}
	ex, rc := newCachedExecutor(be, CacheConfig{})
	orders, customers, both := testPlan(), testPlan(), testPlan()
	customers.Datasets, customers.SQL = []string{"customers"}, "c"
	both.Datasets, both.SQL = []string{"orders", "customers"}, "oc"
	for _, p := range []*planner.Plan{orders, customers, both} {
		run(t, ex, p, nil, nil)
	}
	n, err := rc.Purge(context.Background(), "orders")
	if err != nil || n != 2 {
		t.Fatalf("purge orders: %d, %v; want 2", n, err)
	}
	for p, want := range map[*planner.Plan]string{orders: CacheMiss, both: CacheMiss, customers: CacheHit} {
		if _, res := run(t, ex, p, nil, nil); res.Cache != want {
			t.Errorf("%v after purging orders: %q, want %q", p.Datasets, res.Cache, want)
		}
	}
	if n, _ := rc.Purge(context.Background(), ""); n != 3 {
		t.Errorf("purge all: %d, want 3", n)
	}
}

func TestCacheDamagedEntryIgnored(t *testing.T) {
	be := &fakeBackend{rows: demoRows(3)}
	store := NewMemoryStore(0)
	ex, _ := newCachedExecutor(be, CacheConfig{Store: store})
	key := cacheKey(testPlan(), nil, nil)
	for _, bad := range [][]byte{[]byte("garbage"), append(newEntryBuilder(testPlan(), nil).finish(false), 5, 'a')} {
		store.Set(context.Background(), key, bad, time.Minute)
		w, res := run(t, ex, testPlan(), nil, nil)
		if res.Cache != CacheMiss || len(w.rows) != 3 {
			t.Errorf("damaged entry: %+v, %d rows", res, len(w.rows))
		}
	}
}

func TestCacheNotForCatalogPlans(t *testing.T) {
	be := &fakeBackend{rows: demoRows(1)}
	ex, _ := newCachedExecutor(be, CacheConfig{})
	p := testPlan()
	p.Datasets = nil
	for range 2 {
		if _, res := run(t, ex, p, nil, nil); res.Cache != "" {
			t.Errorf("plan without datasets: cache %q, want none", res.Cache)
		}
	}
}

func TestMemoryStoreBound(t *testing.T) {
	m := NewMemoryStore(8000)
	ctx := context.Background()
	for i := range 100 {
		m.Set(ctx, fmt.Sprintf("r:|d|:%d", i), make([]byte, 900), time.Minute)
	}
	if m.size > 8000 {
		t.Errorf("size %d over the bound", m.size)
	}
	if _, ok, _ := m.Get(ctx, "r:|d|:99"); !ok {
		t.Error("newest entry evicted")
	}
	if _, ok, _ := m.Get(ctx, "r:|d|:0"); ok {
		t.Error("oldest entry kept")
	}
}

// slowSetStore holds Set until release is closed.
type slowSetStore struct {
	*MemoryStore
	setting chan struct{}
	release chan struct{}
}

func (s *slowSetStore) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	close(s.setting)
	<-s.release
	return s.MemoryStore.Set(ctx, key, v, ttl)
}

// A query arriving after the leader finished but before the store has the entry shares the
// leader's result instead of running again.
func TestCacheSingleFlightUntilStored(t *testing.T) {
	be := &fakeBackend{rows: demoRows(3)}
	store := &slowSetStore{MemoryStore: NewMemoryStore(0), setting: make(chan struct{}), release: make(chan struct{})}
	ex, _ := newCachedExecutor(be, CacheConfig{Store: store})
	leader := make(chan Result, 1)
	go func() {
		res, err := ex.Execute(context.Background(), admission.Caller{}, testPlan(), nil, &collect{})
		if err != nil {
			t.Error(err)
		}
		leader <- res
	}()
	<-store.setting
	w, res := run(t, ex, testPlan(), nil, nil)
	close(store.release)
	if res.Cache != CacheShared || len(w.rows) != 3 {
		t.Errorf("query during the store's Set: %+v with %d rows, want shared", res, len(w.rows))
	}
	if r := <-leader; r.Cache != CacheMiss {
		t.Errorf("leader: %q", r.Cache)
	}
	if be.runs.Load() != 1 {
		t.Errorf("backend ran %d times, want 1", be.runs.Load())
	}
}

func TestTieredStore(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	near, far := NewMemoryStore(0), &flakyStore{MemoryStore: NewMemoryStore(0)}
	near.now = func() time.Time { return now }
	ts := &TieredStore{Near: near, Far: far, NearTTL: 5 * time.Second}
	far.Set(ctx, "r:|orders|:1", []byte("v"), time.Minute)
	if v, ok, err := ts.Get(ctx, "r:|orders|:1"); !ok || err != nil || string(v) != "v" {
		t.Fatalf("get through: %q %v %v", v, ok, err)
	}
	// The near copy answers while the far store is down ...
	far.down.Store(true)
	if _, ok, err := ts.Get(ctx, "r:|orders|:1"); !ok || err != nil {
		t.Errorf("near hit with the far store down: %v %v", ok, err)
	}
	// ... for NearTTL at most.
	now = now.Add(6 * time.Second)
	if _, _, err := ts.Get(ctx, "r:|orders|:1"); err == nil {
		t.Error("near entry outlived NearTTL")
	}
	far.down.Store(false)
	ts.Set(ctx, "r:|orders|:2", []byte("w"), time.Minute)
	if n, _ := ts.Purge(ctx, "orders"); n != 2 || near.Len() != 0 {
		t.Errorf("purge: %d from far, %d left near", n, near.Len())
	}
}

func TestCacheWideRowsStreamUncached(t *testing.T) {
	wide := strings.Repeat("x", 1<<20)
	rows := make([][]any, 40)
	for i := range rows {
		rows[i] = []any{wide, int64(i)}
	}
	be := &fakeBackend{rows: rows}
	ex, _ := newCachedExecutor(be, CacheConfig{})
	w := &counter{}
	res, err := ex.Execute(context.Background(), admission.Caller{}, testPlan(), nil, w)
	if err != nil || res.Cache != CacheBypass || w.rows != 40 || res.Rows != 40 {
		t.Errorf("40 MiB result: %+v (%v) with %d rows written, want bypass with 40", res, err, w.rows)
	}
}

type counter struct{ rows int }

func (c *counter) WriteRow([][]byte) error { c.rows++; return nil }

// referenceCacheKey is cacheKey as first written (field by field into the hash), kept to prove
// the single-buffer version names every result exactly as before: keys already in Redis stay
// valid across the change.
func referenceCacheKey(plan *planner.Plan, args []any, formats []int16) string {
	h := sha256.New()
	var buf []byte
	field := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		h.Write(buf)
		h.Write([]byte(s))
	}
	field("setupranali/result/v1")
	field(plan.CatalogVersion)
	field(plan.Source)
	field(plan.CacheScope)
	field(strconv.FormatInt(plan.MaxRows, 10))
	field(plan.SQL)
	for i, col := range plan.Columns {
		field(col.Name)
		field(strconv.FormatUint(uint64(col.Type.OID), 10))
		field(strconv.Itoa(int(formatAt(formats, i))))
	}
	field("args")
	for _, a := range args {
		field(argKey(a))
	}
	ds := slices.Clone(plan.Datasets)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	key := []byte("r:|")
	for _, id := range ds {
		key = appendKeySafe(key, id)
		key = append(key, '|')
	}
	key = append(key, ':')
	return string(hex.AppendEncode(key, h.Sum(nil)))
}

func TestCacheKeyUnchanged(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, rnd.IntN(40))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		return string(b)
	}
	for range 2000 {
		p := testPlan()
		p.CatalogVersion, p.Source, p.CacheScope, p.SQL = word(), word(), word(), strings.Repeat(word(), rnd.IntN(60))
		p.MaxRows = rnd.Int64N(1 << 40)
		p.Datasets = nil
		for range rnd.IntN(4) {
			p.Datasets = append(p.Datasets, []string{"orders", "b", "a", "x y"}[rnd.IntN(4)])
		}
		var formats []int16
		for range rnd.IntN(len(p.Columns) + 1) {
			formats = append(formats, int16(rnd.IntN(2)))
		}
		args := []any{int64(rnd.Int64()), word(), nil, rnd.Float64()}[:rnd.IntN(5)]
		if got, want := cacheKey(p, args, formats), referenceCacheKey(p, args, formats); got != want {
			t.Fatalf("cacheKey %s, first version %s", got, want)
		}
	}
}

func BenchmarkCacheKey(b *testing.B) {
	p := testPlan()
	p.SQL = strings.Repeat("SELECT city, sum(total_revenue) FROM orders ", 12)
	b.ReportAllocs()
	for b.Loop() {
		cacheKey(p, nil, []int16{1, 1})
	}
}
